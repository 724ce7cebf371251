"""The hazard rule ``MAJOR-HAZARD-OVERDUE`` 〔十七〕〔十八〕.

A major hazard (重大事故隐患) whose deadline lies before ``as_of`` and that was not rectified
by its deadline (``rectified_on`` empty or later) → 诫勉谈话 (admonishment) of the officials
responsible for supervising its enterprise 〔十七〕 (对重大安全隐患在规定期限内未得到有效治理…的
责任人): the holders, on the deadline day, of the rule's posts of the enterprise's county
(its government head) and the head of the department with safety duty for the enterprise's
industry (``department_duty``: county first, then league/city) — one case per hazard and
post, decided by the level above the county (``deciding_level``, the league/city). The
enterprise's own rectification contact stays in the details; the action against the
enterprise is the ``enforcement`` recommendation 〔十八〕 (停产停业、停止施工、停止供电、
查封扣押) while the hazard is still unrectified at ``as_of``, decided by its county.

A hazard is chased while it is overdue, however long: a run also judges the hazards whose
deadline lies before its range and that are still unrectified at ``as_of`` (their cases are
keyed by hazard, so a run opens them once and later runs find them there). Judged from
dated fields, so a backfill gives the same cases as a live run.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, or_, select

from safegov.accountability.cases import CaseSpec
from safegov.accountability.rules import RuleRun, declared, register_rule
from safegov.db.models import Department, Enterprise, Hazard
from safegov.org.units import is_unit_code, unit_at_level
from safegov.register.obligations import HazardOverdueParams, HazardOverdueRule

log = logging.getLogger(__name__)

MAJOR_HAZARD_OVERDUE = "MAJOR-HAZARD-OVERDUE"
ENFORCEMENT_MEASURES = (
    "suspend_production",  # 停产
    "suspend_business",  # 停业
    "suspend_construction",  # 停止施工
    "cut_power",  # 停止供电
    "seal_and_detain",  # 查封扣押
)
# One admonishment per hazard and supervising post: its case step (≤ 24 characters).
STEP_OF_ROLE = {"party_secretary": "admonishment-party", "government_head": "admonishment-government"}
DEPARTMENT_STEP = "admonishment-department"


def hazard_specs(run: RuleRun) -> list[CaseSpec]:
    """The cases the register's hazard rules justify for the run's range (the version of
    each rule in force on the hazard's deadline)."""
    out = []
    for rule, entry in declared(run.register, "hazard"):
        for spec in rule.handler(run, entry):
            # A hazard is judged by the version of the rule in force on its deadline.
            if run.register.rule_in_force(entry.id, spec.period_start) is entry:
                spec.details["legal_basis"] = entry.legal_basis
                out.append(spec)
    return out


class SupervisingDepartments:
    """The department with safety duty for an enterprise's industry (负有安全生产监督管理职责的
    部门, 管行业必须管安全): the duty its industry maps to, else the default duty; at its
    county, else at its league/city. Departments without safety duty are never chosen."""

    def __init__(self, run: RuleRun, params: HazardOverdueParams):
        self.params = params
        self._by_unit_duty: dict[tuple[str, str], str] = {}
        for dep_id, unit, duty in run.session.execute(
            select(Department.department_id, Department.unit_code, Department.industry)
            .where(Department.safety_duty.is_(True), Department.industry.is_not(None))
            .order_by(Department.department_id)
        ):
            self._by_unit_duty.setdefault((unit, duty), dep_id)

    def of(self, county: str, industry: str | None) -> tuple[str | None, str]:
        """(department id or None, the duty looked for)."""
        p = self.params
        duty = p.department_duty.get(industry or "", p.default_department_duty)
        units = [county] + ([league] if (league := unit_at_level(county, "league")) not in (None, county) else [])
        for unit in units:
            for d in dict.fromkeys((duty, p.default_department_duty)):
                found = self._by_unit_duty.get((unit, d))
                if found:
                    return found, duty
        return None, duty


@register_rule(MAJOR_HAZARD_OVERDUE, subject="hazard")
def major_hazard_overdue(run: RuleRun, entry: HazardOverdueRule) -> list[CaseSpec]:
    """Hazards of the rule's grade whose deadline lies in [lo, hi] and before ``as_of``, not
    rectified by it, and those with an earlier deadline still unrectified at ``as_of``: an
    admonishment of each supervising official and, while still unrectified at ``as_of``, an
    enforcement recommendation against the enterprise."""
    p = entry.params
    unrectified_at_as_of = or_(Hazard.rectified_on.is_(None), Hazard.rectified_on > run.as_of_day)
    rows = run.session.execute(
        select(Hazard, Enterprise.county_code, Enterprise.industry, Enterprise.name)
        .join(Enterprise, Enterprise.enterprise_id == Hazard.enterprise_id, isouter=True)
        .where(
            Hazard.grade == p.hazard_grade,
            Hazard.deadline < run.as_of_day,
            or_(
                Hazard.deadline.between(run.lo, run.hi),
                and_(Hazard.deadline < run.lo, unrectified_at_as_of),  # still overdue: chased
            ),
        )
        .where(or_(Hazard.rectified_on.is_(None), Hazard.rectified_on > Hazard.deadline))
        .order_by(Hazard.hazard_id)
    ).all()
    departments = SupervisingDepartments(run, p)
    out = []
    for h, county, industry, ent_name in rows:
        base = {
            "hazard_id": h.hazard_id,
            "enterprise_id": h.enterprise_id,
            "enterprise_name": ent_name,
            "industry": industry,
            "deadline": h.deadline.isoformat(),
            "rectified_on": h.rectified_on.isoformat() if h.rectified_on else None,
            "responsible_person": h.responsible_person,
        }
        if county and is_unit_code(county):
            out += _admonishments(run, entry, h, county, industry, departments, base)
        else:
            log.warning("hazard %s: enterprise %s has no county: nobody to admonish", h.hazard_id, h.enterprise_id)
        if h.rectified_on is None or h.rectified_on > run.as_of_day:
            out.append(
                CaseSpec(
                    "enforcement",
                    entry.id,
                    "enterprise",
                    h.enterprise_id,
                    h.hazard_id,
                    "enforcement",
                    h.deadline,
                    county,
                    county,
                    [],
                    base | {"why": "major hazard still not rectified", "measures": list(ENFORCEMENT_MEASURES)},
                )
            )
    return out


def _admonishments(
    run: RuleRun,
    entry: HazardOverdueRule,
    h: Hazard,
    county: str,
    industry: str | None,
    departments: SupervisingDepartments,
    base: dict[str, Any],
) -> list[CaseSpec]:
    """One admonishment per supervising post: the county's posts, the department head. A
    vacant post (nobody registered) still gets its case, naming nobody, so the deciding
    office sees who is missing."""
    p, day = entry.params, h.deadline
    deciding = unit_at_level(county, p.deciding_level) or county
    why = "major hazard not rectified by its deadline: the officials supervising the enterprise"
    posts: list[tuple[str, str | None, dict[str, Any]]] = []
    for role in p.roles:
        holder = run.directory.holder(county, role, day)
        posts.append((STEP_OF_ROLE[role], holder.leader_id if holder else None, {"post": f"{county}:{role}"}))
    dep_id, duty = departments.of(county, industry)
    head = run.directory.department_head(dep_id, day) if dep_id else None
    posts.append((DEPARTMENT_STEP, head.leader_id if head else None, {"department_id": dep_id, "duty": duty}))
    return [
        CaseSpec(
            "admonishment",
            entry.id,
            "hazard",
            h.hazard_id,
            h.hazard_id,
            step,
            day,
            county,
            deciding,
            [person] if person else [],
            base | {"why": why, **extra},
        )
        for step, person, extra in posts
    ]
