"""Builders for the escalation tests (import as `escalate_helpers`): rows inserted directly
(evaluations, records, leaders)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.core.grades import grade_of
from safegov.core.periods import TZ
from safegov.db.engine import session_scope, upsert
from safegov.db.models import Accident, Complaint, Enterprise, Evaluation, Hazard, Leader, Penalty

AT = dt.datetime(2025, 1, 10, 9, 0, tzinfo=TZ)
COUNTY = "150102"  # 新城区, 呼和浩特市
LEAGUE = "150100"
COUNTY2 = "150103"  # 回民区, same league
ENT = "91150102MA0000001X"
ENT2 = "91150102MA0000002X"


# ``World.accident(declared=FIGURES)``: the declared grade is the one its figures give.
FIGURES = "figures"


def sh(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


class World:
    def __init__(self, engine):
        self.engine = engine
        self._n = 0

    def _rec(self):
        self._n += 1
        return {"received_at": AT, "raw_row_id": self._n, "content_hash": f"h{self._n}", "version": 1}

    def leader(self, leader_id, unit, role, *, email=None, start=dt.date(2010, 1, 1), end=None):
        with session_scope(self.engine) as s:
            upsert(
                s,
                Leader.__table__,
                [
                    {
                        "leader_id": leader_id,
                        "name": f"name-{leader_id}",
                        "unit_code": unit,
                        "role": role,
                        "department_id": None,
                        "email": email or f"{leader_id}@gov.example",
                        "term_start": start,
                        "term_end": end,
                        "version": 1,
                    }
                ],
                keys=["leader_id"],
                update=["unit_code", "role", "term_start", "term_end", "email"],
            )

    def posts(self, unit, prefix=None):
        """Party secretary, government head and safety office director of ``unit``."""
        prefix = prefix or unit
        for role, tag in (("party_secretary", "ps"), ("government_head", "gh"), ("safety_office_director", "so")):
            self.leader(f"{prefix}-{tag}", unit, role)

    def enterprise(self, eid=ENT, county=COUNTY, *, email="ent@example.com", rep="张三", industry="mining"):
        with session_scope(self.engine) as s:
            upsert(
                s,
                Enterprise.__table__,
                [
                    {
                        "enterprise_id": eid,
                        "name": f"企业{eid[-3:]}",
                        "county_code": county,
                        "industry": industry,
                        "high_risk": True,
                        "legal_representative": rep,
                        "contact_email": email,
                        "registered_on": dt.date(2010, 1, 1),
                        "closed_on": None,
                        "version": 1,
                    }
                ],
                keys=["enterprise_id"],
            )

    def evaluation(
        self,
        obligation_id,
        subject_kind,
        subject_id,
        period,
        status,
        *,
        responsible=None,
        unit_code=None,
        due_on=None,
        reason=None,
    ):
        row = {
            "obligation_id": obligation_id,
            "subject_kind": subject_kind,
            "subject_id": subject_id,
            "period": period,
            "status": status,
            "counted": 0,
            "required": 1,
            "due_on": due_on,
            "grace_ends_on": None,
            "reason": reason or ("no_records" if status == "missed" else None),
            "evidence": None,
            "responsible": responsible,
            "unit_code": unit_code,
            "evaluated_at": AT,
            "run_id": None,
            "historical": False,
        }
        with session_scope(self.engine) as s:
            upsert(
                s,
                Evaluation.__table__,
                [row],
                keys=["obligation_id", "subject_id", "period"],
                update=["status", "reason", "responsible", "unit_code", "due_on"],
            )

    def misses(self, obligation_id, subject_kind, subject_id, statuses: dict[str, str], **kw):
        for period, status in statuses.items():
            self.evaluation(obligation_id, subject_kind, subject_id, period, status, **kw)

    def accident(
        self,
        accident_id,
        *,
        unit=COUNTY,
        occurred=None,
        reported=None,
        deaths=0,
        serious=0,
        loss=0.0,
        declared=FIGURES,
        concealed=False,
        enterprise_id=None,
        known=None,
    ):
        """An accident; ``declared`` defaults to the grade its figures give (declared right)."""
        occurred = occurred or sh(2024, 3, 5, 10)
        reported = reported or occurred + dt.timedelta(minutes=30)
        if declared is FIGURES:
            declared = grade_of(deaths, serious, loss)
        with session_scope(self.engine) as s:
            upsert(
                s,
                Accident.__table__,
                [
                    {
                        "accident_id": accident_id,
                        "unit_code": unit,
                        "enterprise_id": enterprise_id,
                        "occurred_at": occurred,
                        "known_at": known,
                        "reported_at": reported,
                        "deaths": deaths,
                        "serious_injuries": serious,
                        "direct_loss_10k_cny": loss,
                        "declared_grade": declared,
                        "concealed": concealed,
                        "description": "x",
                        **self._rec(),
                    }
                ],
                keys=["accident_id"],
                update=[
                    "known_at",
                    "reported_at",
                    "deaths",
                    "serious_injuries",
                    "direct_loss_10k_cny",
                    "declared_grade",
                    "concealed",
                    "occurred_at",
                    "unit_code",
                ],
            )

    def hazard(
        self,
        hazard_id,
        *,
        enterprise_id=ENT,
        grade="major",
        found=dt.date(2024, 2, 1),
        deadline=dt.date(2024, 3, 15),
        rectified=None,
        person="李四",
    ):
        with session_scope(self.engine) as s:
            upsert(
                s,
                Hazard.__table__,
                [
                    {
                        "hazard_id": hazard_id,
                        "enterprise_id": enterprise_id,
                        "found_on": found,
                        "grade": grade,
                        "description": "x",
                        "responsible_person": person,
                        "funds_cny": 1000.0,
                        "measures": "m",
                        "deadline": deadline,
                        "contingency_plan": "p",
                        "rectified_on": rectified,
                        "verified_on": None,
                        **self._rec(),
                    }
                ],
                keys=["hazard_id"],
                update=["rectified_on", "deadline", "grade"],
            )

    def complaint(self, ticket_id, *, unit=COUNTY, received=dt.date(2024, 3, 4)):
        with session_scope(self.engine) as s:
            upsert(
                s,
                Complaint.__table__,
                [
                    {
                        "ticket_id": ticket_id,
                        "unit_code": unit,
                        "received_on": received,
                        "investigated_on": None,
                        "concluded_on": None,
                        "outcome": None,
                        **self._rec(),
                    }
                ],
                keys=["ticket_id"],
            )

    def penalty(
        self,
        penalty_id,
        basis_id,
        *,
        enterprise_id=ENT,
        decided_by=COUNTY,
        decided_on=dt.date(2024, 4, 1),
        basis_kind="accident",
        document_ref="新应急罚〔2024〕1号",
    ):
        """An administrative penalty decision against the enterprise for ``basis_id``."""
        with session_scope(self.engine) as s:
            upsert(
                s,
                Penalty.__table__,
                [
                    {
                        "penalty_id": penalty_id,
                        "enterprise_id": enterprise_id,
                        "decided_by": decided_by,
                        "decided_on": decided_on,
                        "basis_kind": basis_kind,
                        "basis_id": basis_id,
                        "amount_cny": 500000.0,
                        "document_ref": document_ref,
                        **self._rec(),
                    }
                ],
                keys=["penalty_id"],
            )


def cases(engine, **where):
    from safegov.db.models import Case

    with Session(engine) as s:
        q = select(Case).order_by(Case.id)
        for k, v in where.items():
            q = q.where(getattr(Case, k) == v)
        return s.scalars(q).all()


def outbox(engine, **where):
    from safegov.db.models import OutboxMessage

    with Session(engine) as s:
        q = select(OutboxMessage).order_by(OutboxMessage.id)
        for k, v in where.items():
            q = q.where(getattr(OutboxMessage, k) == v)
        return s.scalars(q).all()


def backfilled_quarter_of_misses(world, engine, register):
    """Three months with no leader inspections in two counties, escalated by a backfill: each
    county's post gets an admonishment for 2024-03 (three misses in a row), unreviewed."""
    for county in (COUNTY, COUNTY2):
        for p in ("2024-01", "2024-02", "2024-03"):
            world.evaluation(
                "LEAD-INSPECT-COUNTY",
                "post",
                f"{county}:party_secretary",
                p,
                "missed",
                responsible=f"{county}-ps",
                unit_code=county,
            )
    from safegov.accountability.escalation import escalate

    escalate(engine, register, "2024-01", "2024-03", as_of=sh(2024, 4, 10, 12), historical=True, run_id="backfill__q1")
    return [c.id for c in cases(engine, step="admonishment")]
