"""The hazard rule ``HAZARD-REFUSAL-PENALTY`` 〔十八〕: 对拒不采取措施消除事故隐患的企业,依法对其
法定代表人和实际控制人进行处罚.

"Refuses after enforcement" (拒不采取措施消除) is read from dated records, so a backfill opens
the same cases as a live run: a hazard of the rule's grade on which an enforcement decision
was recorded — a ``penalty`` record with ``basis_kind`` hazard naming it (the authority's
责令消除 / 强制措施 decision) — and still not rectified ``after_days`` calendar days after the
first such decision. The case (a ``penalty_recommendation``, subject the enterprise, one per
hazard) names the enterprise's legal representative and actual controller (enterprise
registry) and waits for the approval of the unit that imposed the decision (谁处罚、谁决定:
the unit itself, or the unit of the deciding department). Its day is the first day of
refusal (decision + after_days + 1); a hazard still unrectified is chased by later runs
whatever that day (the case is keyed by hazard, opened once).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, func, select

from safegov.accountability.cases import CaseSpec
from safegov.accountability.rules import RuleRun, register_rule
from safegov.db.models import Department, Enterprise, Hazard, Penalty
from safegov.org.units import is_unit_code
from safegov.register.obligations import HazardRefusalRule

log = logging.getLogger(__name__)

HAZARD_REFUSAL_PENALTY = "HAZARD-REFUSAL-PENALTY"
KIND = "penalty_recommendation"


def first_enforcement(run: RuleRun, grade: str) -> dict[str, tuple[dt.date, str, str, str]]:
    """hazard id → (first decision day, its penalty id, its authority, its document number)
    of the hazards of ``grade`` with an enforcement decision recorded on them."""
    first = (
        select(Penalty.basis_id.label("hazard_id"), func.min(Penalty.decided_on).label("on"))
        .where(Penalty.basis_kind == "hazard", Penalty.basis_id.is_not(None))
        .group_by(Penalty.basis_id)
        .subquery("first_enforcement")
    )
    rows = run.session.execute(
        select(first.c.hazard_id, first.c.on, Penalty.penalty_id, Penalty.decided_by, Penalty.document_ref)
        .join(Penalty, and_(Penalty.basis_id == first.c.hazard_id, Penalty.decided_on == first.c.on))
        .join(Hazard, Hazard.hazard_id == first.c.hazard_id)
        .where(Penalty.basis_kind == "hazard", Hazard.grade == grade)
        .order_by(first.c.hazard_id, Penalty.penalty_id)
    ).all()
    out: dict[str, tuple[dt.date, str, str, str]] = {}
    for hid, on, pid, by, doc in rows:
        out.setdefault(hid, (on, pid, by, doc))  # two decisions the same day: the first by id
    return out


@register_rule(HAZARD_REFUSAL_PENALTY, subject="hazard")
def hazard_refusal_penalty(run: RuleRun, entry: HazardRefusalRule) -> list[CaseSpec]:
    """Hazards still unrectified ``after_days`` after their first enforcement decision, the
    first day of refusal in [lo, hi] and reached by ``as_of``, or earlier and still unrectified
    at ``as_of``: a penalty recommendation naming the legal representative and the actual
    controller of the enterprise."""
    p = entry.params
    enforced = first_enforcement(run, p.hazard_grade)
    if not enforced:
        return []
    wait = dt.timedelta(days=p.after_days + 1)
    rows = run.session.execute(
        select(Hazard, Enterprise)
        .join(Enterprise, Enterprise.enterprise_id == Hazard.enterprise_id, isouter=True)
        .where(Hazard.hazard_id.in_(sorted(enforced)))
        .order_by(Hazard.hazard_id)
    ).all()
    unit_of_department = dict(run.session.execute(select(Department.department_id, Department.unit_code)).all())
    out = []
    for h, ent in rows:
        on, penalty_id, authority, document_ref = enforced[h.hazard_id]
        day = on + wait  # the first day of refusal
        if day > run.as_of_day:
            continue
        refused = h.rectified_on is None or h.rectified_on >= day
        still_open = h.rectified_on is None or h.rectified_on > run.as_of_day
        if not refused or not (run.lo <= day <= run.hi or (day < run.lo and still_open)):
            continue
        county = ent.county_code if ent else None
        deciding = authority if is_unit_code(authority) else unit_of_department.get(authority, county)
        rep = ent.legal_representative if ent else None
        controller = ent.actual_controller if ent else None
        if ent is None:
            log.warning("hazard %s: enterprise %s is not registered: nobody named", h.hazard_id, h.enterprise_id)
        out.append(
            CaseSpec(
                KIND,
                entry.id,
                "enterprise",
                h.enterprise_id,
                h.hazard_id,
                KIND,
                day,
                county,
                deciding,
                [name for name in (rep, controller) if name],
                {
                    "hazard_id": h.hazard_id,
                    "enterprise_id": h.enterprise_id,
                    "enterprise_name": ent.name if ent else None,
                    "legal_representative": rep,
                    "actual_controller": controller,
                    "penalty_id": penalty_id,
                    "document_ref": document_ref,
                    "enforced_on": on.isoformat(),
                    "deadline": h.deadline.isoformat(),
                    "rectified_on": h.rectified_on.isoformat() if h.rectified_on else None,
                    "why": f"hazard not removed {p.after_days} days after enforcement",
                },
            )
        )
    return out
