"""Reminders of the obligations added by issue 16: 5 working days before 31 December, only
the subjects whose duty is not yet done (〔八〕 supervising bodies and enforcement plans)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.core.periods import TZ
from safegov.db.models import Department, Enterprise, Leader, OutboxMessage, Plan, Staff, Training
from safegov.register.obligations import get_register

COUNTY, OTHER = "150102", "150103"
CREATED = dt.datetime(2024, 12, 24, 9, 0, tzinfo=TZ)
ON = dt.date(2024, 12, 24)  # 2024-12-31 − 5 working days


def _leader(lid, unit, role, department_id=None):
    return Leader(
        leader_id=lid,
        name=f"领导{lid}",
        unit_code=unit,
        role=role,
        department_id=department_id,
        email=f"{lid.lower()}@example.gov.cn",
        term_start=dt.date(2020, 1, 1),
    )


@pytest.fixture
def world(engine):
    from safegov.org.units import sync_units

    with Session(engine) as s, s.begin():
        sync_units(s)
        s.add_all(
            [
                Department(department_id="D1", unit_code=COUNTY, name="新城区应急管理局", safety_duty=True),
                Department(department_id="D2", unit_code=COUNTY, name="新城区交通运输局", safety_duty=True),
                Department(department_id="D3", unit_code=COUNTY, name="新城区文化局", safety_duty=False),
                _leader("GH1", COUNTY, "government_head"),
                _leader("GH2", OTHER, "government_head"),
                _leader("SO1", COUNTY, "safety_office_director"),
                _leader("DH1", COUNTY, "department_head", "D1"),
                _leader("DH2", COUNTY, "department_head", "D2"),
                Enterprise(
                    enterprise_id="91150102MA00000001",
                    name="甲公司",
                    county_code=COUNTY,
                    registered_on=dt.date(2019, 1, 1),
                    supervising_department_id="D1",
                ),
                Enterprise(
                    enterprise_id="91150103MA00000002",
                    name="乙公司",
                    county_code=OTHER,
                    registered_on=dt.date(2019, 1, 1),
                    supervising_department_id="D3",  # no safety duty: no supervising body
                ),
            ]
        )
        # 〔九〕 S1 trained in 2023, S2 last in 2021 (outside 2022..2024), S3 joined in 2023 (first cycle).
        for sid, dept, joined in (("S1", "D1", "2015-01-01"), ("S2", None, "2015-01-01"), ("S3", None, "2023-01-01")):
            s.add(
                Staff(
                    staff_id=sid,
                    name=f"执法{sid}",
                    unit_code=COUNTY,
                    department_id=dept,
                    certified_on=dt.date(2015, 3, 1),
                    joined_on=dt.date.fromisoformat(joined),
                )
            )
        for rid, sid, day in (("T1", "S1", dt.date(2023, 5, 1)), ("T2", "S2", dt.date(2021, 5, 1))):
            s.add(
                Training(
                    record_id=rid,
                    staff_id=sid,
                    trained_on=day,
                    course="轮训",
                    received_at=dt.datetime(2023, 6, 1, tzinfo=TZ),
                    raw_row_id=1,
                    content_hash="h",
                )
            )
        for rid, dept in (("P1", None), ("P2", "D1")):
            s.add(
                Plan(
                    record_id=rid,
                    unit_code=COUNTY,
                    department_id=dept,
                    effective_on=dt.date(2024, 1, 1),
                    approved_on=dt.date(2024, 1, 5),
                    doc_ref="计划",
                    received_at=dt.datetime(2024, 1, 6, tzinfo=TZ),
                    raw_row_id=1,
                    content_hash="h",
                )
            )
    return engine


def _reminded(engine, oid):
    from safegov.notification.reminders import queue_reminders

    queue_reminders(engine, get_register(), on=ON, created_at=CREATED)
    with Session(engine) as s:
        rows = s.execute(
            select(OutboxMessage.subject_id, OutboxMessage.recipient, OutboxMessage.step).where(
                OutboxMessage.purpose == f"reminder:{oid}"
            )
        ).all()
    return {r.subject_id: (r.recipient, r.step) for r in rows}


def test_only_the_county_with_an_unsupervised_enterprise_is_reminded(world):
    assert _reminded(world, "ENT-SUPERVISOR") == {OTHER: ("GH2", "remind-5")}


def test_only_the_department_without_a_plan_is_reminded(world):
    assert _reminded(world, "ENFORCE-PLAN-DEPT") == {"D2": ("DH2", "remind-5")}


def test_the_unit_with_its_own_plan_is_not_reminded(world):
    reminded = _reminded(world, "ENFORCE-PLAN-UNIT")
    assert COUNTY not in reminded and OTHER in reminded and "150000" in reminded


def test_only_the_officer_without_training_in_the_window_is_reminded(world):
    # S2's unit has its safety office director SO1; S1 trained; S3 is in its first cycle.
    assert _reminded(world, "STAFF-ROTATION-TRAINING") == {"S2": ("SO1", "remind-5")}
