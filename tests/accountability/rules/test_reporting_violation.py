"""REPORTING-VIOLATION 〔十五〕: an accident reported late, under-graded or concealed."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, ENT, cases, outbox, sh

from safegov.accountability.escalation import escalate

AS_OF = dt.datetime(2025, 1, 10, 12, tzinfo=sh(2025, 1, 1).tzinfo)


@pytest.mark.parametrize(
    "delay, declared, concealed, violations",
    [
        (dt.timedelta(hours=1), "general", False, None),  # exactly 1 h is on time
        (dt.timedelta(hours=1, minutes=1), "general", False, ["late"]),
        (dt.timedelta(hours=1, seconds=1), "general", False, ["late"]),
        (dt.timedelta(minutes=5), None, False, ["grade_not_declared"]),  # the report must state a grade
        (dt.timedelta(hours=2), None, True, ["late", "grade_not_declared", "concealed"]),
        (dt.timedelta(minutes=5), "general", True, ["concealed"]),
    ],
)
def test_reporting_violation_general_accident(world, register, engine, delay, declared, concealed, violations):
    occurred = sh(2024, 3, 5, 10)
    world.accident("A1", occurred=occurred, reported=occurred + delay, declared=declared, concealed=concealed)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="REPORTING-VIOLATION")
    assert [c.details["violations"] for c in got] == ([violations] if violations else [])
    if got:
        assert (got[0].kind, got[0].state, got[0].period, got[0].deciding_unit) == (
            "reporting_violation",
            "open",
            "A1",
            "150000",
        )


@pytest.mark.parametrize("declared, under", [("general", True), ("larger", False), ("major", False)])
def test_under_graded_report(world, register, engine, declared, under):
    world.accident("A1", deaths=3, declared=declared, enterprise_id=ENT)
    world.enterprise()
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="REPORTING-VIOLATION")
    assert bool(got) is under
    if under:
        assert got[0].details["violations"] == ["under_graded"]
        assert (got[0].subject_kind, got[0].subject_id) == ("enterprise", ENT)


def test_reporting_violation_notice_goes_to_the_offices(world, register, engine):
    world.accident("A1", occurred=sh(2025, 1, 5, 10), reported=sh(2025, 1, 5, 12))
    escalate(engine, register, "2025-01", "2025-01", as_of=AS_OF)
    rows = outbox(engine, template="case_reporting_violation")
    assert sorted(r.recipient for r in rows) == ["office:150000", f"office:{COUNTY}"]
    assert {r.state for r in rows} == {"pending"}


@pytest.mark.parametrize(
    "known_after, reported_after, violations",
    [
        # Decree 493 art. 9: 90 minutes after the accident, 30 after the principal learned of it.
        (dt.timedelta(hours=1), dt.timedelta(minutes=90), None),
        (dt.timedelta(hours=1), dt.timedelta(hours=2), None),  # exactly one hour after it was known
        (dt.timedelta(hours=1), dt.timedelta(hours=2, seconds=1), ["late"]),
        (None, dt.timedelta(minutes=90), ["late"]),  # blank known_at: the clock starts when it occurred
    ],
)
def test_reporting_clock_starts_when_the_principal_knew(
    world, register, engine, known_after, reported_after, violations
):
    occurred = sh(2024, 3, 5, 10)
    known = occurred + known_after if known_after else None
    world.accident("A1", occurred=occurred, known=known, reported=occurred + reported_after, declared="general")
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="REPORTING-VIOLATION")
    assert [c.details["violations"] for c in got] == ([violations] if violations else [])
    if got:
        assert got[0].details["known_at"] == (known.isoformat() if known else None)
