"""Accident rules 〔十五〕〔十七〕: dual interviews and reporting violations."""

from __future__ import annotations

import datetime as dt

import pytest

from escalate_helpers import COUNTY, COUNTY2, ENT, LEAGUE, cases, outbox, sh
from safegov.accountability.escalation import add_months, escalate

AS_OF = dt.datetime(2025, 1, 10, 12, tzinfo=sh(2025, 1, 1).tzinfo)


@pytest.mark.parametrize(
    "deaths, serious, loss, county_case",
    [
        (3, 0, 0, True),  # exactly 3 deaths: larger
        (2, 0, 0, False),
        (0, 10, 0, True),  # exactly 10 serious injuries
        (0, 9, 0, False),
        (0, 0, 1000, True),  # exactly 1,000 万元
        (0, 0, 999.99, False),
        (10, 0, 0, False),  # major: the league rule, not the county one
    ],
)
def test_dual_interview_county_on_grade_bounds(world, register, engine, deaths, serious, loss, county_case):
    world.accident("A1", deaths=deaths, serious=serious, loss=loss, declared=None)
    escalate(engine, register, "2024-01", "2024-12", as_of=AS_OF)
    got = cases(engine, rule_id="DUAL-INTERVIEW-COUNTY")
    assert bool(got) is county_case
    if county_case:
        c = got[0]
        assert (c.kind, c.subject_id, c.period, c.deciding_unit, c.state) == ("dual_interview", COUNTY, "A1", "150000", "awaiting_approval")
        assert c.persons == f"{COUNTY}-ps;{COUNTY}-gh"


@pytest.mark.parametrize(
    "deaths, serious, loss, league_case",
    [(10, 0, 0, True), (9, 0, 0, False), (0, 50, 0, True), (0, 49, 0, False), (0, 0, 5000, True), (0, 0, 4999.9, False), (30, 0, 0, True)],
)
def test_dual_interview_league_for_major_accidents(world, register, engine, deaths, serious, loss, league_case):
    world.accident("A1", deaths=deaths, serious=serious, loss=loss)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="DUAL-INTERVIEW-LEAGUE")
    assert bool(got) is league_case
    if league_case:
        assert (got[0].subject_id, got[0].persons, got[0].deciding_unit) == (LEAGUE, f"{LEAGUE}-ps;{LEAGUE}-gh", "150000")
        assert "discipline_commission" in got[0].details["by"]


@pytest.mark.parametrize(
    "second_day, expected",
    [
        (dt.date(2024, 9, 5), True),  # first + 6 months, the window's last day
        (dt.date(2024, 9, 6), False),  # the day after
        (dt.date(2024, 3, 5), True),  # same day, a later hour
    ],
)
def test_second_larger_accident_within_six_months(world, register, engine, second_day, expected):
    world.accident("A1", unit=COUNTY, occurred=sh(2024, 3, 5, 10), deaths=3)
    world.accident("A2", unit=COUNTY2, occurred=sh(second_day.year, second_day.month, second_day.day, 23, 30), deaths=3)
    escalate(engine, register, "2024-01", "2024-12", as_of=AS_OF)
    league = cases(engine, rule_id="DUAL-INTERVIEW-LEAGUE")
    assert [(c.period, c.details["prior_accident"]) for c in league] == ([("A2", "A1")] if expected else [])
    # Each larger accident still gives its county's dual interview.
    assert sorted(c.period for c in cases(engine, rule_id="DUAL-INTERVIEW-COUNTY")) == ["A1", "A2"]


def test_six_month_window_on_a_short_month():
    assert add_months(dt.date(2024, 8, 31), 6) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)


def test_second_larger_found_from_an_earlier_range(world, register, engine):
    """The first accident lies before the range: the league rule still sees it."""
    world.accident("A1", occurred=sh(2024, 1, 20, 8), deaths=4)
    world.accident("A2", unit=COUNTY2, occurred=sh(2024, 7, 1, 8), deaths=3)
    escalate(engine, register, "2024-07", "2024-07", as_of=AS_OF)
    assert [c.period for c in cases(engine, rule_id="DUAL-INTERVIEW-LEAGUE")] == ["A2"]


def test_persons_are_holders_on_the_accident_day(world, register, engine):
    world.leader(f"{COUNTY}-ps", COUNTY, "party_secretary", start=dt.date(2010, 1, 1), end=dt.date(2024, 3, 4))
    world.leader("NEWPS", COUNTY, "party_secretary", start=dt.date(2024, 3, 5))
    world.accident("A1", occurred=sh(2024, 3, 4, 23, 59), deaths=3)
    world.accident("A2", occurred=sh(2024, 3, 5, 0, 1), deaths=3)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = {c.period: c.persons for c in cases(engine, rule_id="DUAL-INTERVIEW-COUNTY")}
    assert got == {"A1": f"{COUNTY}-ps;{COUNTY}-gh", "A2": f"NEWPS;{COUNTY}-gh"}


@pytest.mark.parametrize(
    "delay, declared, concealed, violations",
    [
        (dt.timedelta(hours=1), "general", False, None),  # exactly 1 h is on time
        (dt.timedelta(hours=1, minutes=1), "general", False, ["late"]),
        (dt.timedelta(hours=1, seconds=1), "general", False, ["late"]),
        (dt.timedelta(minutes=5), None, False, None),  # no declared grade: nothing to compare
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
        assert (got[0].kind, got[0].state, got[0].period, got[0].deciding_unit) == ("reporting_violation", "open", "A1", "150000")


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


def test_corrected_accident_withdraws_and_reruns_are_idempotent(world, register, engine):
    world.accident("A1", deaths=3, reported=sh(2024, 3, 5, 12))  # late by 2 h
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    assert len(cases(engine)) == 2  # county dual interview + reporting violation
    # A corrected record: the figures give a general accident, reported on time.
    world.accident("A1", deaths=2, reported=sh(2024, 3, 5, 10, 30))
    out = escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    assert out["accident_withdrawn"] == 2
    assert {c.state for c in cases(engine)} == {"withdrawn"}


def test_reporting_violation_notice_goes_to_the_offices(world, register, engine):
    world.accident("A1", occurred=sh(2025, 1, 5, 10), reported=sh(2025, 1, 5, 12))
    escalate(engine, register, "2025-01", "2025-01", as_of=AS_OF)
    rows = outbox(engine, template="case_reporting_violation")
    assert sorted(r.recipient for r in rows) == ["office:150000", f"office:{COUNTY}"]
    assert {r.state for r in rows} == {"pending"}
