"""Builders for evaluation tests: registries and typed records inserted directly (no ingest).

A module with its own name (not ``conftest``) so that test files can import it whatever
other ``conftest`` modules the whole suite loads; the fixtures are in conftest.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.core.periods import TZ
from safegov.db.models import (
    Accident,
    Bulletin,
    Complaint,
    Department,
    Enterprise,
    Evaluation,
    Hazard,
    HazardInspection,
    Inspection,
    Leader,
    Meeting,
    Milestone,
    Plan,
    RawRow,
    RecordVersion,
    RiskAssessment,
    Staff,
    SubmissionFile,
    Training,
    Unit,
)
from safegov.evaluation.engine import Verdict, verdict_timeline

ROOT = Path(__file__).resolve().parents[2]

REGION, LEAGUE, COUNTY, COUNTY2 = "150000", "150100", "150102", "150103"
ENT = "91150102MA0000001X"  # shape only; the engine does not check credit codes
ENT2 = "91150102MA0000002X"


def at(text: str) -> dt.datetime:
    """'2024-04-08 10:00' in Asia/Shanghai (or with an explicit offset)."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Builder:
    """Insert registries and records; received_at defaults to noon of the record's date."""

    def __init__(self, engine):
        self.engine = engine
        self._ids = itertools.count(1)
        self._file_id = None

    def _add(self, *objs):
        with Session(self.engine) as s, s.begin():
            s.add_all(objs)

    def _rec(self, model, date_value, received_at=None, **values):
        n = next(self._ids)
        if received_at is None:
            received_at = dt.datetime.combine(date_value, dt.time(12), TZ)
        elif isinstance(received_at, str):
            received_at = at(received_at)
        obj = model(received_at=received_at, raw_row_id=n, content_hash=f"h{n}", **values)
        self._add(obj)
        return obj

    # registries
    def units(self):
        self._add(
            Unit(code=REGION, name="内蒙古自治区", level="region", parent_code=None),
        )
        self._add(Unit(code=LEAGUE, name="呼和浩特市", level="league", parent_code=REGION))
        self._add(
            Unit(code=COUNTY, name="新城区", level="county", parent_code=LEAGUE),
            Unit(code=COUNTY2, name="回民区", level="county", parent_code=LEAGUE),
        )
        return self

    def leader(self, leader_id, unit_code, role, term_start="2020-01-01", term_end=None, department_id=None):
        self._add(
            Leader(
                leader_id=leader_id,
                name=leader_id,
                unit_code=unit_code,
                role=role,
                department_id=department_id,
                email=f"{leader_id}@example.org",
                term_start=d(term_start),
                term_end=d(term_end) if term_end else None,
            )
        )

    def department(self, department_id, unit_code=COUNTY, safety_duty=True):
        self._add(
            Department(department_id=department_id, unit_code=unit_code, name=department_id, safety_duty=safety_duty)
        )

    def enterprise(
        self,
        enterprise_id=ENT,
        county_code=COUNTY,
        registered_on="2020-01-01",
        closed_on=None,
        supervising_department_id=None,
        received_at=None,
    ):
        self._add(
            Enterprise(
                enterprise_id=enterprise_id,
                name="企业",
                county_code=county_code,
                registered_on=d(registered_on),
                closed_on=d(closed_on) if closed_on else None,
                supervising_department_id=supervising_department_id,
                received_at=at(received_at) if received_at else None,
            )
        )

    def registry_version(self, record_type, key, version, received_at, **values):
        """A version in ``record_version`` (what ingestion keeps of every registry row)."""
        n = next(self._ids)
        self._add(
            RecordVersion(
                record_type=record_type,
                natural_key=key,
                version=version,
                content_hash=f"v{n}",
                values=values,
                received_at=at(received_at),
                raw_row_id=n,
                recorded_at=at(received_at),
            )
        )

    # records
    def meeting(self, unit_code, held_on, body="safety_committee", received_at=None, record_id=None, **kw):
        day = d(held_on)
        kw.setdefault("heard_safety_report", False)
        kw.setdefault("heard_case_reports", False)
        if isinstance(kw.get("published_on"), str):
            kw["published_on"] = d(kw["published_on"])
        return self._rec(
            Meeting,
            day,
            received_at,
            unit_code=unit_code,
            record_id=record_id or f"M{next(self._ids)}",
            body=body,
            held_on=day,
            minutes_ref="minutes",
            **kw,
        )

    def inspection(self, leader_id, led_on, unit_code=COUNTY, received_at=None, record_id=None):
        day = d(led_on)
        return self._rec(
            Inspection,
            day,
            received_at,
            record_id=record_id or f"I{next(self._ids)}",
            leader_id=leader_id,
            unit_code=unit_code,
            led_on=day,
            targets="mine",
            issues_found=0,
            report_ref="r",
        )

    def bulletin(self, unit_code, period, issued_on, received_at=None):
        day = d(issued_on)
        return self._rec(
            Bulletin,
            day,
            received_at,
            record_id=f"B{next(self._ids)}",
            unit_code=unit_code,
            period=period,
            issued_on=day,
            accidents_reported=0,
            late_reports=0,
            concealed_reports=0,
            doc_ref="doc",
        )

    def selfcheck(
        self,
        inspected_on,
        enterprise_id=ENT,
        led_by_role="legal_representative",
        archived=True,
        received_at=None,
        record_id=None,
    ):
        day = d(inspected_on)
        return self._rec(
            HazardInspection,
            day,
            received_at,
            enterprise_id=enterprise_id,
            record_id=record_id or f"H{next(self._ids)}",
            inspected_on=day,
            led_by_role=led_by_role,
            hazards_found=0,
            archived=archived,
        )

    def risk(self, assessed_on, enterprise_id=ENT, published_on=None, received_at=None):
        day = d(assessed_on)
        return self._rec(
            RiskAssessment,
            day,
            received_at,
            enterprise_id=enterprise_id,
            record_id=f"R{next(self._ids)}",
            assessed_on=day,
            major_risks=0,
            published_on=d(published_on) if published_on else None,
        )

    def hazard(self, hazard_id, deadline, rectified_on=None, enterprise_id=ENT, found_on="2024-01-05", grade="general"):
        return self._rec(
            Hazard,
            d(found_on),
            None,
            hazard_id=hazard_id,
            enterprise_id=enterprise_id,
            found_on=d(found_on),
            grade=grade,
            description="隐患",
            responsible_person="张三",
            funds_cny=1000.0,
            measures="m",
            deadline=d(deadline),
            contingency_plan="p",
            rectified_on=d(rectified_on) if rectified_on else None,
        )

    def accident(
        self,
        accident_id,
        occurred_at,
        reported_at,
        deaths=0,
        serious_injuries=0,
        loss=0.0,
        declared_grade="general",
        concealed=False,
        unit_code=COUNTY,
        known_at=None,
    ):
        occ = at(occurred_at)
        return self._rec(
            Accident,
            occ.date(),
            occ,
            accident_id=accident_id,
            unit_code=unit_code,
            enterprise_id=ENT,
            occurred_at=occ,
            known_at=at(known_at) if known_at else None,
            reported_at=at(reported_at),
            deaths=deaths,
            serious_injuries=serious_injuries,
            direct_loss_10k_cny=loss,
            declared_grade=declared_grade,
            concealed=concealed,
            description="事故",
        )

    def ticket(self, ticket_id, received_on, concluded_on=None, unit_code=COUNTY):
        return self._rec(
            Complaint,
            d(received_on),
            None,
            ticket_id=ticket_id,
            unit_code=unit_code,
            received_on=d(received_on),
            concluded_on=d(concluded_on) if concluded_on else None,
        )

    def milestone(self, unit_code, kind, achieved_on, received_at=None):
        day = d(achieved_on)
        return self._rec(
            Milestone,
            day,
            received_at,
            record_id=f"MS{next(self._ids)}",
            unit_code=unit_code,
            milestone=kind,
            achieved_on=day,
            doc_ref="doc",
        )

    def staff(
        self,
        staff_id,
        joined_on="2015-01-01",
        left_on=None,
        unit_code=COUNTY,
        department_id=None,
        certified_on="2015-01-01",
    ):
        self._add(
            Staff(
                staff_id=staff_id,
                name=f"执法人员{staff_id}",
                unit_code=unit_code,
                department_id=department_id,
                certified_on=d(certified_on) if certified_on else None,
                joined_on=d(joined_on),
                left_on=d(left_on) if left_on else None,
            )
        )

    def training(self, staff_id, trained_on, received_at=None):
        day = d(trained_on)
        return self._rec(
            Training,
            day,
            received_at,
            record_id=f"TR{next(self._ids)}",
            staff_id=staff_id,
            trained_on=day,
            course="轮训",
        )

    def plan(self, unit_code, effective_on, department_id=None, received_at=None, approved_on=None):
        day = d(effective_on)
        return self._rec(
            Plan,
            day,
            received_at,
            record_id=f"PL{next(self._ids)}",
            unit_code=unit_code,
            department_id=department_id,
            effective_on=day,
            approved_on=d(approved_on) if approved_on else day,
            doc_ref="执法计划",
        )

    def quarantined(self, record_type, record_date, unit_code=None, enterprise_id=None, leader_id=None, values=None):
        with Session(self.engine) as s, s.begin():
            if self._file_id is None:
                f = SubmissionFile(
                    file_name="bad.csv",
                    sha256="0" * 64,
                    record_type=record_type,
                    received_at=at("2024-01-01 00:00"),
                    ingested_at=at("2024-01-01 00:00"),
                    status="processed",
                )
                s.add(f)
                s.flush()
                self._file_id = f.id
            row = RawRow(
                file_id=self._file_id,
                row_number=next(self._ids),
                record_type=record_type,
                received_at=at("2024-01-01 00:00"),
                values=values or {},
                status="quarantined",
                unit_code=unit_code,
                enterprise_id=enterprise_id,
                leader_id=leader_id,
                record_date=d(record_date),
            )
            s.add(row)
            s.flush()
            return row.id

    # reading
    def evaluation(self, obligation_id, subject_id, period) -> Evaluation | None:
        with Session(self.engine) as s:
            return s.scalar(
                select(Evaluation).where(
                    Evaluation.obligation_id == obligation_id,
                    Evaluation.subject_id == subject_id,
                    Evaluation.period == period,
                )
            )

    def history(self, obligation_id, subject_id, period=None) -> list[Verdict]:
        """The verdicts of the key in order (``verdict_timeline``); every period of the
        subject's, in period order, when ``period`` is not given."""
        with Session(self.engine) as s:
            periods = (
                [period]
                if period
                else sorted(
                    s.scalars(
                        select(Evaluation.period).where(
                            Evaluation.obligation_id == obligation_id, Evaluation.subject_id == subject_id
                        )
                    )
                )
            )
            return [v for p in periods for v in verdict_timeline(s, obligation_id, subject_id, p)]
