"""DUAL-INTERVIEW-LEAGUE 〔十七〕: a major+ accident in a league/city, or a second larger one
there within 6 months → 双约谈 of its leaders."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, COUNTY2, LEAGUE, cases, sh

from safegov.accountability.escalation import escalate
from safegov.core.periods import add_months

AS_OF = dt.datetime(2025, 1, 10, 12, tzinfo=sh(2025, 1, 1).tzinfo)


@pytest.mark.parametrize(
    "deaths, serious, loss, league_case",
    [
        (10, 0, 0, True),
        (9, 0, 0, False),
        (0, 50, 0, True),
        (0, 49, 0, False),
        (0, 0, 5000, True),
        (0, 0, 4999.9, False),
        (30, 0, 0, True),
    ],
)
def test_dual_interview_league_for_major_accidents(world, register, engine, deaths, serious, loss, league_case):
    world.accident("A1", deaths=deaths, serious=serious, loss=loss)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = cases(engine, rule_id="DUAL-INTERVIEW-LEAGUE")
    assert bool(got) is league_case
    if league_case:
        assert (got[0].subject_id, got[0].persons, got[0].deciding_unit) == (
            LEAGUE,
            f"{LEAGUE}-ps;{LEAGUE}-gh",
            "150000",
        )
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
