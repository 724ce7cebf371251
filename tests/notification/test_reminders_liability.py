"""Reminders of LIABILITY-TRAINING-REVIEW 〔十四〕: 5 and 1 working days before the review of a
liability accident falls due (20 working days after the finding), to the safety office of the
accident's unit, only while no review names the accident."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plainwords import problems
from safegov.core.periods import TZ
from safegov.db.models import Accident, Leader, OutboxMessage, Review
from safegov.register.obligations import get_register

COUNTY = "150102"
FOUND = dt.date(2024, 9, 20)  # due 2024-10-23 (National Day between)
OB = "LIABILITY-TRAINING-REVIEW"


def _rec(n):
    return {"received_at": dt.datetime(2024, 9, 21, tzinfo=TZ), "raw_row_id": n, "content_hash": f"h{n}"}


def _accident(aid, n, found_on):
    occurred = dt.datetime(2024, 8, 1, 9, tzinfo=TZ)
    return Accident(
        accident_id=aid,
        unit_code=COUNTY,
        occurred_at=occurred,
        reported_at=occurred,
        deaths=1,
        serious_injuries=0,
        direct_loss_10k_cny=10.0,
        description="事故",
        liability_found_on=found_on,
        **_rec(n),
    )


@pytest.fixture
def world(engine):
    from safegov.org.units import sync_units

    with Session(engine) as s, s.begin():
        sync_units(s)
        s.add_all(
            [
                Leader(
                    leader_id="SO1",
                    name="周主任",
                    unit_code=COUNTY,
                    role="safety_office_director",
                    email="so1@example.gov.cn",
                    term_start=dt.date(2020, 1, 1),
                ),
                _accident("A-OPEN", 1, FOUND),
                _accident("A-REVIEWED", 2, FOUND),
                _accident("A-NO-LIABILITY", 3, None),
                Review(
                    record_id="R1",
                    accident_id="A-REVIEWED",
                    unit_code=COUNTY,
                    reviewed_on=dt.date(2024, 10, 8),
                    training_failures=0,
                    doc_ref="倒查报告",
                    **_rec(4),
                ),
            ]
        )
    return engine


def _reminded(engine, on):
    from safegov.notification.reminders import queue_reminders

    queue_reminders(engine, get_register(), on=on, created_at=dt.datetime.combine(on, dt.time(8), TZ))
    with Session(engine) as s:
        return s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == f"reminder:{OB}")).all()


@pytest.mark.parametrize(
    "on, steps",
    [
        (dt.date(2024, 10, 15), []),  # 6 working days before: too early
        (dt.date(2024, 10, 16), ["remind-5"]),
        (dt.date(2024, 10, 22), ["remind-1"]),  # the day before: the tighter stage only
    ],
)
def test_only_the_unreviewed_liability_accident_is_reminded(world, on, steps):
    rows = _reminded(world, on)
    assert sorted(r.step for r in rows) == steps
    for r in rows:
        assert (r.subject_id, r.recipient, r.period) == ("A-OPEN", "SO1", "2024-10-23")


def test_the_reminder_reads_plainly(world):
    [r] = _reminded(world, dt.date(2024, 10, 16))
    assert "新城区生产安全责任事故（A-OPEN）" in r.body_text
    assert "2024年10月23日" in r.body_text
    assert problems(r.mail_subject, "zh") == [] and problems(r.body_text, "zh") == []
