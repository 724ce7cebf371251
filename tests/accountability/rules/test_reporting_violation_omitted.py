"""REPORTING-VIOLATION 〔十五〕 漏报: an accident known from another source (a department's
report, a 12350 ticket, a later bulletin) that no party of its county ever reported becomes a
reporting violation with reason ``omitted`` — a case against the county, decided by the level
its grade gives."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, ENT, LEAGUE, cases, sh
from sqlalchemy import update

from safegov.accountability.escalation import escalate
from safegov.db.engine import session_scope
from safegov.db.models import Accident, AccidentReport, Department

AS_OF = dt.datetime(2025, 1, 10, 12, tzinfo=sh(2025, 1, 1).tzinfo)
DC, DL = "D-COUNTY", "D-LEAGUE"


def _setup(world, engine, known_from, hops, delay=dt.timedelta(minutes=30)):
    occurred = sh(2024, 3, 5, 10)
    world.accident("A1", occurred=occurred, reported=occurred + delay, enterprise_id=ENT)
    world.enterprise()
    with session_scope(engine) as s:
        s.add_all(
            [
                Department(department_id=DC, unit_code=COUNTY, name="新城区应急管理局", safety_duty=True),
                Department(department_id=DL, unit_code=LEAGUE, name="呼和浩特市应急管理局", safety_duty=True),
            ]
        )
        s.execute(update(Accident).where(Accident.accident_id == "A1").values(known_from=known_from))
        for n, (reporter, reported_to) in enumerate(hops, 1):
            s.add(
                AccidentReport(
                    accident_id="A1",
                    reporter=reporter,
                    reported_to=reported_to,
                    reported_at=occurred + dt.timedelta(hours=1),
                    received_at=occurred + dt.timedelta(days=1),
                    raw_row_id=1000 + n,
                    content_hash=f"hop{n}",
                    version=1,
                )
            )


@pytest.mark.parametrize(
    "case, known_from, hops, delay, violations, subject",
    [
        ("the county's own report, no hops: no 漏报", None, [], None, None, None),
        ("known from the county itself", "unit", [], None, None, None),
        ("known from a 12350 ticket, never reported", "hotline", [], None, ["omitted"], ("unit", COUNTY)),
        ("known from a ticket, the county did report it", "hotline", [(COUNTY, LEAGUE)], None, None, None),
        ("known from a ticket, a county department reported it", "hotline", [(DC, DL)], None, None, None),
        (
            "known only from the league department's report",
            "department",
            [(DL, LEAGUE), (DL, "150000")],
            None,
            ["omitted"],
            ("unit", COUNTY),
        ),
        (
            "known from a later bulletin, first reported late too",
            "bulletin",
            [],
            dt.timedelta(hours=2),
            ["late", "omitted"],
            ("enterprise", ENT),
        ),
    ],
)
def test_omitted_accident_is_a_reporting_violation(
    world, register, engine, case, known_from, hops, delay, violations, subject
):
    _setup(world, engine, known_from, hops, delay or dt.timedelta(minutes=30))
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="REPORTING-VIOLATION")
    assert [c.details["violations"] for c in got] == ([violations] if violations else [])
    if got:
        c = got[0]
        assert (c.subject_kind, c.subject_id, c.deciding_unit, c.period) == (*subject, COUNTY, "A1")
