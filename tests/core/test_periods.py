"""Calendar: periods in Asia/Shanghai and working days on the official PRC calendar."""

import datetime as dt

import pytest

from safegov.core.periods import (
    TZ,
    UTC,
    CalendarRangeError,
    PeriodKeyError,
    add_working_days,
    grace_ends_at,
    grace_ends_on,
    is_working_day,
    parse_period,
    period_of,
    periods_between,
)

D = dt.date


@pytest.mark.parametrize(
    "moment, cadence, key",
    [
        (dt.datetime(2024, 3, 31, 23, 30, tzinfo=TZ), "monthly", "2024-03"),
        (dt.datetime(2024, 3, 31, 15, 30, tzinfo=UTC), "monthly", "2024-03"),  # same moment in UTC
        (dt.datetime(2024, 2, 29, 16, 0, tzinfo=UTC), "monthly", "2024-03"),  # 00:00 +08:00 on 1 March
        (dt.datetime(2024, 2, 29, 15, 59, 59, tzinfo=UTC), "monthly", "2024-02"),  # leap day, last second
        (dt.datetime(2024, 3, 31, 23, 59, 59, tzinfo=TZ), "quarterly", "2024-Q1"),
        (dt.datetime(2024, 4, 1, 0, 0, tzinfo=TZ), "quarterly", "2024-Q2"),
        (dt.datetime(2024, 6, 30, 16, 0, tzinfo=UTC), "half_yearly", "2024-H2"),
        (dt.datetime(2024, 12, 31, 15, 59, tzinfo=UTC), "yearly", "2024"),
        (dt.datetime(2024, 12, 31, 16, 0, tzinfo=UTC), "yearly", "2025"),
        (dt.datetime(2024, 12, 31, 23, 0), "yearly", "2024"),  # naive = Asia/Shanghai
        (D(2024, 2, 29), "monthly", "2024-02"),
        (D(2024, 7, 1), "half_yearly", "2024-H2"),
        (D(2024, 9, 30), "quarterly", "2024-Q3"),
    ],
)
def test_period_of(moment, cadence, key):
    assert period_of(moment, cadence).key == key


@pytest.mark.parametrize(
    "key, first, last",
    [
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),
        ("2023-02", D(2023, 2, 1), D(2023, 2, 28)),
        ("2024-Q1", D(2024, 1, 1), D(2024, 3, 31)),
        ("2024-Q4", D(2024, 10, 1), D(2024, 12, 31)),
        ("2024-H1", D(2024, 1, 1), D(2024, 6, 30)),
        ("2024-H2", D(2024, 7, 1), D(2024, 12, 31)),
        ("2024", D(2024, 1, 1), D(2024, 12, 31)),
    ],
)
def test_parse_period_bounds(key, first, last):
    p = parse_period(key)
    assert (p.first, p.last, p.key) == (first, last, key)
    assert p.start == dt.datetime(first.year, first.month, first.day, tzinfo=TZ)
    assert p.end.astimezone(UTC) == dt.datetime.combine(last, dt.time(16), UTC)


@pytest.mark.parametrize("bad", ["2024-13", "2024-Q5", "2024-H3", "24-01", "2024/01", "", "2024-1"])
def test_parse_period_rejects(bad):
    with pytest.raises(PeriodKeyError, match="bad period key"):
        parse_period(bad)


def test_periods_between_and_neighbours():
    keys = [p.key for p in periods_between("2023-11", "2024-02", "monthly")]
    assert keys == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert parse_period("2024-Q1").previous().key == "2023-Q4"
    assert parse_period("2024-H2").next().key == "2025-H1"


@pytest.mark.parametrize(
    "period, n, ends",
    [
        ("2024-Q1", 5, D(2024, 4, 8)),  # Qingming 4–6 April; Sunday 7 April is a make-up working day
        ("2024-03", 5, D(2024, 4, 8)),
        ("2024-04", 5, D(2024, 5, 10)),  # Labour Day 1–5 May
        ("2024-09", 5, D(2024, 10, 12)),  # National Day; Saturday 12 Oct is a make-up working day
        ("2024-01", 5, D(2024, 2, 6)),  # Sunday 4 Feb 2024 is a make-up working day
        ("2024-02", 5, D(2024, 3, 7)),  # leap month end
        ("2024-12", 5, D(2025, 1, 8)),  # New Year 1 Jan 2025; year end
        ("2024", 5, D(2025, 1, 8)),
        ("2025-01", 5, D(2025, 2, 10)),  # Spring Festival 28 Jan – 4 Feb 2025; Saturday 8 Feb works
        ("2024-06", 0, D(2024, 6, 30)),
    ],
)
def test_grace_end(period, n, ends):
    assert grace_ends_on(parse_period(period), n) == ends
    assert grace_ends_at(parse_period(period), n) == dt.datetime.combine(ends + dt.timedelta(days=1), dt.time(), TZ)


@pytest.mark.parametrize(
    "day, working",
    [
        (D(2024, 10, 12), True),  # make-up Saturday
        (D(2024, 10, 1), False),
        (D(2024, 4, 7), True),  # make-up Sunday
        (D(2024, 4, 4), False),  # Qingming, a Thursday
        (D(2024, 5, 11), True),
        (D(2024, 5, 13), True),
        (D(2024, 5, 12), False),
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day) is working


def test_add_working_days_backwards():
    assert add_working_days(D(2024, 10, 8), -1) == D(2024, 9, 30)
    assert add_working_days(D(2024, 10, 8), -2) == D(2024, 9, 29)  # make-up Sunday


@pytest.mark.parametrize("day", [D(2003, 12, 31), D(2030, 1, 2)])
def test_outside_calendar_is_a_clear_error(day):
    with pytest.raises(CalendarRangeError, match="2004"):
        is_working_day(day)
