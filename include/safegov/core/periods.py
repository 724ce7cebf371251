"""Periods, due dates and working days in Asia/Shanghai (SPEC §5).

Period keys: month ``2024-03``, quarter ``2024-Q1``, half ``2024-H1``, year ``2024``.
A moment belongs to the period that contains it *in Asia/Shanghai*: 2024-03-31 23:30+08:00
is March even though it is 15:30 UTC, and 2024-02-29T16:00Z is 1 March local.

Month arithmetic (``add_months``, ``month_index``) is here too: every calendar-month step in
the product (ladder windows, the 6-month accident window, blacklist expiry) goes through it.

Working days follow the official PRC calendar (法定节假日 and 调休 make-up working days)
through the ``chinese-calendar`` package, and for the years after it from the State Council
notices the office enters in ``config/holidays.yaml`` (``safegov.core.holidays``); outside
the years either covers we raise ``CalendarRangeError`` naming the year rather than guess.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

# Callers import it from here, where working days are asked for.
from safegov.core.errors import CalendarRangeError  # noqa: F401

TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


class Cadence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    ONCE = "once"
    EVENT = "event"


PERIODIC = (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.HALF_YEARLY, Cadence.YEARLY)
MONTHS_PER = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.HALF_YEARLY: 6, Cadence.YEARLY: 12}


class PeriodKeyError(ValueError):
    """A malformed period key."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period in Asia/Shanghai; ``first`` and ``last`` are inclusive dates."""

    first: dt.date
    last: dt.date
    cadence: Cadence
    key: str

    @property
    def start(self) -> dt.datetime:
        """Aware start of the period (00:00 +08:00 on its first day)."""
        return dt.datetime.combine(self.first, dt.time(), TZ)

    @property
    def end(self) -> dt.datetime:
        """Aware exclusive end (00:00 +08:00 on the day after its last day)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), TZ)

    @property
    def due_on(self) -> dt.date:
        """The duty must be done within the period: its last day is the due date."""
        return self.last

    def next(self) -> Period:
        return period_of(self.last + dt.timedelta(days=1), self.cadence)

    def previous(self) -> Period:
        return period_of(self.first - dt.timedelta(days=1), self.cadence)

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def __str__(self) -> str:
        return self.key


def to_local(moment: dt.datetime | dt.date) -> dt.datetime | dt.date:
    """Aware datetime → Asia/Shanghai; naive datetimes are taken as Asia/Shanghai (SPEC §3)."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            return moment.replace(tzinfo=TZ)
        return moment.astimezone(TZ)
    return moment


def local_date(moment: dt.datetime | dt.date) -> dt.date:
    """The Asia/Shanghai calendar date of a moment (dates pass through)."""
    local = to_local(moment)
    return local.date() if isinstance(local, dt.datetime) else local


def month_index(day: dt.date) -> int:
    """Months since year 0 (``year * 12 + month - 1``): month distances are differences of these."""
    return day.year * 12 + day.month - 1


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (earlier when negative); a day that does
    not exist in the target month becomes its last day (2024-02-29 + 12 months = 2025-02-28;
    2024-08-31 + 6 months = 2025-02-28)."""
    year, month0 = divmod(month_index(day) + months, 12)
    return dt.date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _key(first: dt.date, cadence: Cadence) -> str:
    if cadence is Cadence.MONTHLY:
        return f"{first.year:04d}-{first.month:02d}"
    if cadence is Cadence.QUARTERLY:
        return f"{first.year:04d}-Q{(first.month - 1) // 3 + 1}"
    if cadence is Cadence.HALF_YEARLY:
        return f"{first.year:04d}-H{(first.month - 1) // 6 + 1}"
    return f"{first.year:04d}"


def period_of(moment: dt.datetime | dt.date, cadence: Cadence | str) -> Period:
    """The period of ``cadence`` containing ``moment`` (judged in Asia/Shanghai)."""
    cadence = Cadence(cadence)
    if cadence not in PERIODIC:
        raise ValueError(f"cadence {cadence} has no calendar periods")
    day = local_date(moment)
    span = MONTHS_PER[cadence]
    first_month = (day.month - 1) // span * span + 1
    first = dt.date(day.year, first_month, 1)
    return Period(first, add_months(first, span) - dt.timedelta(days=1), cadence, _key(first, cadence))


_KEY_RE = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>0[1-9]|1[0-2])|Q(?P<q>[1-4])|H(?P<h>[12])))?$")


def parse_period(key: str) -> Period:
    """``2024-03`` | ``2024-Q1`` | ``2024-H1`` | ``2024`` → Period."""
    m = _KEY_RE.match(str(key).strip())
    if not m:
        raise PeriodKeyError(f"bad period key {key!r}: expected YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY")
    year = int(m["y"])
    if m["m"]:
        return period_of(dt.date(year, int(m["m"]), 1), Cadence.MONTHLY)
    if m["q"]:
        return period_of(dt.date(year, (int(m["q"]) - 1) * 3 + 1, 1), Cadence.QUARTERLY)
    if m["h"]:
        return period_of(dt.date(year, (int(m["h"]) - 1) * 6 + 1, 1), Cadence.HALF_YEARLY)
    return period_of(dt.date(year, 1, 1), Cadence.YEARLY)


def periods_between(first: dt.date | str, last: dt.date | str, cadence: Cadence | str) -> list[Period]:
    """Every period of ``cadence`` that overlaps [first, last] (keys or dates)."""
    cadence = Cadence(cadence)
    lo = parse_period(first).first if isinstance(first, str) else first
    hi = parse_period(last).last if isinstance(last, str) else last
    out: list[Period] = []
    p = period_of(lo, cadence)
    while p.first <= hi:
        out.append(p)
        p = p.next()
    return out


# --------------------------------------------------------------------------- working days


def calendar_years() -> tuple[int, int]:
    """First year of the official working-day calendar and the last year covered without a
    gap (the package, then the years entered in ``config/holidays.yaml``)."""
    from safegov.core.holidays import holiday_calendar

    cal = holiday_calendar()
    return cal.first_year, cal.first_uncovered() - 1


@lru_cache(maxsize=20000)
def _package_working_day(day: dt.date) -> bool:
    import chinese_calendar

    return chinese_calendar.is_workday(day)


def is_working_day(day: dt.date) -> bool:
    """Official working day: weekdays that are not holidays, plus 调休 make-up days.

    The package's years are answered from a process cache: ``config/holidays.yaml`` may not
    disagree with them. Later years are read from the file's current version, so a year
    entered while the scheduler runs is used without a restart.
    """
    from safegov.core.holidays import holiday_calendar, package_years

    lo, hi = package_years()
    if lo <= day.year <= hi:
        return _package_working_day(day)
    return holiday_calendar().is_working_day(day)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``n`` = 0 returns ``day`` itself).

    Negative ``n`` counts back: the ``|n|``-th working day before ``day``.
    """
    if n == 0:
        return day
    step = dt.timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    current = day
    while remaining:
        current += step
        if is_working_day(current):
            remaining -= 1
    return current


def grace_ends_on(period: Period, working_days: int) -> dt.date:
    """Last day on which records for ``period`` still count as on time."""
    return add_working_days(period.last, working_days)


def grace_ends_at(period: Period, working_days: int) -> dt.datetime:
    """Exclusive aware moment at which grace is over (00:00 +08:00 after the last grace day)."""
    return dt.datetime.combine(grace_ends_on(period, working_days) + dt.timedelta(days=1), dt.time(), TZ)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end] — e.g. how many working days a ticket took."""
    if end <= start:
        return 0
    n, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            n += 1
    return n
