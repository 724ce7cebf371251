"""`make run`'s first-run plan: the demo's months, the history to backfill and the live
periods, as a pure function of the present (safegov.devtools.first_run)."""

from __future__ import annotations

import datetime as dt

import pytest

from safegov.core.periods import TZ, Cadence, grace_ends_at, parse_period
from safegov.devtools.first_run import latest_closed, plan_first_run

GRACES = {c: 5 for c in ("monthly", "quarterly", "half_yearly", "yearly")}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


# October 2026's grace (5 working days; National Day closes 1–7 October, so that is about
# November) ends with 6 November: its run is due at 2026-11-07 00:00+08:00 (checked below).
@pytest.mark.parametrize(
    ("now", "until", "live"),
    [
        # the issue's day: November's grace still running → October is the last month
        (
            "2026-12-03T10:00:00",
            "2026-10",
            {"monthly": "2026-10", "quarterly": "2026-Q3", "half_yearly": "2026-H1", "yearly": "2025"},
        ),
        # one second before October's grace end: September
        (
            "2026-11-06T23:59:59",
            "2026-09",
            {"monthly": "2026-09", "quarterly": "2026-Q3", "half_yearly": "2026-H1", "yearly": "2025"},
        ),
        # the grace end itself: closed (the run is due at that moment)
        (
            "2026-11-07T00:00:00",
            "2026-10",
            {"monthly": "2026-10", "quarterly": "2026-Q3", "half_yearly": "2026-H1", "yearly": "2025"},
        ),
        # first day of a month: the previous month's grace has hardly begun
        (
            "2026-12-01T00:00:00",
            "2026-10",
            {"monthly": "2026-10", "quarterly": "2026-Q3", "half_yearly": "2026-H1", "yearly": "2025"},
        ),
        # New Year in Shanghai: December's grace running, 2026 not yet closed
        (
            "2027-01-01T00:30:00",
            "2026-11",
            {"monthly": "2026-11", "quarterly": "2026-Q3", "half_yearly": "2026-H1", "yearly": "2025"},
        ),
    ],
)
def test_plan_boundary_days(now, until, live):
    plan = plan_first_run(at(now), GRACES)
    assert plan.demo_until.key == until
    assert {c.value: p.key for c, p in plan.live.items()} == live
    assert plan.live[Cadence.MONTHLY] == plan.demo_until  # the demo's last month is decided live


def test_october_grace_end_is_the_boundary_used_above():
    assert grace_ends_at(parse_period("2026-10"), 5) == at("2026-11-07T00:00:00")


@pytest.mark.parametrize(
    "now", ["2026-12-03T10:00:00", "2026-11-07T00:00:00", "2026-11-06T23:59:59", "2027-01-01T00:30:00"]
)
def test_history_is_closed_inside_the_demo_and_before_the_live_period(now):
    """Every backfilled period lies wholly in the demo's months, its grace has ended, and it
    comes before its cadence's live period; consecutive, with nothing left out."""
    moment = at(now)
    plan = plan_first_run(moment, GRACES)
    for cadence, periods in plan.history.items():
        for p in periods:
            assert plan.demo_first.first <= p.first and p.last <= plan.demo_until.last
            assert grace_ends_at(p, 5) <= moment
            assert p.first < plan.live[cadence].first
        assert all(a.next() == b for a, b in zip(periods, periods[1:]))
        if periods:  # the last one is right before the live period (or the demo's end)
            assert periods[-1].next() in (plan.live[cadence],) or periods[-1].next().last > plan.demo_until.last


def test_plan_on_the_issue_day_in_full():
    plan = plan_first_run(at("2026-12-03T10:00:00"), GRACES)
    assert plan.demo_first.key == "2024-11"
    assert [p.key for p in plan.history[Cadence.MONTHLY]][:2] == ["2024-11", "2024-12"]
    assert plan.history[Cadence.MONTHLY][-1].key == "2026-09"
    # 2024-Q4 is only partly in the demo (no October 2024): not backfilled
    assert [p.key for p in plan.history[Cadence.QUARTERLY]] == [
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
    ]
    assert [p.key for p in plan.history[Cadence.HALF_YEARLY]] == ["2025-H1", "2025-H2"]
    assert plan.history[Cadence.YEARLY] == ()  # 2025 is the live year
    requests = plan.backfills()
    monthly = [b for b in requests if b.dag_id == "safegov_monthly"]
    assert [len(b.periods) for b in monthly] == [3] * 7 + [2]
    assert monthly[0].from_date == "2024-11-01T00:00:00+08:00"
    assert monthly[-1].to_date == "2026-09-01T00:00:00+08:00"  # the last period's start
    lines = plan.shell_lines()
    assert lines[0] == "until 2026-10"
    assert "live safegov_monthly 2026-10" in lines
    assert "backfill safegov_half_yearly 2025-01-01T00:00:00+08:00 2025-07-01T00:00:00+08:00" in lines


def test_a_larger_monthly_grace_moves_the_demo_back():
    """The monthly DAG's grace decides too: with 25 working days October is not closed on 3 December."""
    plan = plan_first_run(at("2026-12-03T10:00:00"), {**GRACES, "monthly": 25})
    assert plan.demo_until.key == "2026-09"
    assert plan.live[Cadence.MONTHLY].key == "2026-09"


def test_latest_closed_refuses_to_guess_beyond_the_calendar():
    with pytest.raises(ValueError, match="no monthly period"):
        latest_closed(at("2031-06-15T00:00:00"), "monthly", 5)
