"""Reminders of HOTLINE-CONCLUDE 〔二十〕: 5 and 1 working days before a 12350 ticket must be
concluded (15 working days after it was received), to the safety office of the ticket's unit,
only while the ticket is open."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plainwords import problems
from safegov.core.periods import TZ
from safegov.db.models import Complaint, Leader, OutboxMessage
from safegov.register.obligations import get_register

COUNTY = "150102"
RECEIVED = dt.date(2024, 3, 1)  # a Friday; 15 working days later: 2024-03-22 (no holiday between)
OB = "HOTLINE-CONCLUDE"


def _ticket(ticket_id, n, concluded_on=None):
    return Complaint(
        ticket_id=ticket_id,
        unit_code=COUNTY,
        received_on=RECEIVED,
        concluded_on=concluded_on,
        received_at=dt.datetime(2024, 3, 1, 10, tzinfo=TZ),
        raw_row_id=n,
        content_hash=f"h{n}",
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
                _ticket("T-OPEN", 1),
                _ticket("T-DONE", 2, concluded_on=dt.date(2024, 3, 8)),
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
        (dt.date(2024, 3, 14), []),  # 6 working days before: too early
        (dt.date(2024, 3, 15), ["remind-5"]),
        (dt.date(2024, 3, 21), ["remind-1"]),  # the day before
        (dt.date(2024, 3, 22), []),  # the due day itself: no reminder stage
    ],
)
def test_only_the_open_ticket_is_reminded(world, on, steps):
    rows = _reminded(world, on)
    assert sorted(r.step for r in rows) == steps
    for r in rows:
        assert (r.subject_id, r.recipient, r.period) == ("T-OPEN", "SO1", "2024-03-22")


def test_the_reminder_names_the_ticket_plainly(world):
    [r] = _reminded(world, dt.date(2024, 3, 15))
    assert "12350举报（T-OPEN）" in r.body_text
    assert "2024年3月22日" in r.body_text
    assert problems(r.mail_subject, "zh") == [] and problems(r.body_text, "zh") == []
