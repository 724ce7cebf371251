"""The hazard rule ``MAJOR-HAZARD-OVERDUE`` 〔十七〕〔十八〕.

A major hazard (重大事故隐患) whose deadline lies before ``as_of`` and that was not rectified
by its deadline (``rectified_on`` empty or later) → 诫勉谈话 (admonishment) of its
``responsible_person`` 〔十七〕; while it is still unrectified at ``as_of`` also an
``enforcement`` recommendation against the enterprise 〔十八〕 (停产停业、停止施工、停止供电、
查封扣押). Judged from dated fields, so a backfill gives the same cases as a live run. The
deciding unit is the enterprise's county; the hazard grade judged is the rule's parameter
in the register.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from safegov.accountability.cases import CaseSpec
from safegov.accountability.rules import RuleRun, declared, register_rule
from safegov.db.models import Enterprise, Hazard
from safegov.register.obligations import HazardOverdueRule

MAJOR_HAZARD_OVERDUE = "MAJOR-HAZARD-OVERDUE"
ENFORCEMENT_MEASURES = (
    "suspend_production",  # 停产
    "suspend_business",  # 停业
    "suspend_construction",  # 停止施工
    "cut_power",  # 停止供电
    "seal_and_detain",  # 查封扣押
)


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


@register_rule(MAJOR_HAZARD_OVERDUE, subject="hazard")
def major_hazard_overdue(run: RuleRun, entry: HazardOverdueRule) -> list[CaseSpec]:
    """Hazards of the rule's grade whose deadline lies in [lo, hi] and before ``as_of``, not
    rectified by it: an admonishment of the responsible person and, while still unrectified
    at ``as_of``, an enforcement recommendation against the enterprise."""
    rows = run.session.execute(
        select(Hazard, Enterprise.county_code)
        .join(Enterprise, Enterprise.enterprise_id == Hazard.enterprise_id, isouter=True)
        .where(
            Hazard.grade == entry.params.hazard_grade,
            Hazard.deadline.between(run.lo, run.hi),
            Hazard.deadline < run.as_of_day,
        )
        .where(or_(Hazard.rectified_on.is_(None), Hazard.rectified_on > Hazard.deadline))
        .order_by(Hazard.hazard_id)
    ).all()
    out = []
    for h, county in rows:
        base = {
            "hazard_id": h.hazard_id,
            "enterprise_id": h.enterprise_id,
            "deadline": h.deadline.isoformat(),
            "rectified_on": h.rectified_on.isoformat() if h.rectified_on else None,
            "responsible_person": h.responsible_person,
        }
        out.append(
            CaseSpec(
                "admonishment",
                entry.id,
                "hazard",
                h.hazard_id,
                h.hazard_id,
                "admonishment",
                h.deadline,
                county,
                county,
                [h.responsible_person],
                base | {"why": "major hazard not rectified by its deadline"},
            )
        )
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
