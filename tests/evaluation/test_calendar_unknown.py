"""A period whose grace ends in a year the calendar does not cover: pending, calendar_unknown."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.core.periods import TZ, CalendarRangeError
from safegov.db.models import Evaluation
from safegov.evaluation.engine import evaluate_period, require_calendar

HOLIDAYS_2027 = "years:\n  2027:\n    notice: 国办发明电〔2026〕99号（测试）\n    days_off: [2027-01-01]\n"
AS_OF = dt.datetime(2027, 1, 20, 9, tzinfo=TZ)


def _statuses(engine, period: str) -> set[tuple[str, str | None]]:
    with Session(engine) as s:
        q = select(Evaluation.status, Evaluation.reason).where(
            Evaluation.obligation_id == "SC-MEET-LOCAL", Evaluation.period == period
        )
        return set(s.execute(q).all())


@pytest.mark.parametrize(
    "holidays, period, expected",
    [
        (None, "2026-12", {("pending", "calendar_unknown")}),  # grace runs into 2027
        (None, "2026-11", {("missed", "no_records")}),  # grace ends in December 2026
        (HOLIDAYS_2027, "2026-12", {("missed", "no_records")}),
        (HOLIDAYS_2027, "2027-01", {("pending", None)}),  # known grace, not over on 20 January
    ],
)
def test_unknown_grace_is_pending_calendar_unknown_until_the_year_is_entered(
    build, register, engine, holidays_file, holidays, period, expected
):
    if holidays:
        holidays_file(holidays)
    evaluate_period(engine, register, "SC-MEET-LOCAL", period, as_of=AS_OF, run_id="t")
    assert _statuses(engine, period) == expected


def test_require_calendar_names_the_missing_year(register, holidays_file):
    require_calendar(register, "2026-11", "2026-11", ["SC-MEET-LOCAL"])  # grace ends in December
    for ids in (["SC-MEET-LOCAL"], None):  # None: all, the quarterly and yearly 2026 periods too
        with pytest.raises(CalendarRangeError) as info:
            require_calendar(register, "2026-11", "2026-12", ids)
        assert info.value.year == 2027
    with pytest.raises(CalendarRangeError):
        require_calendar(register, "2026-11", "2026-11")  # 2026-Q4 and 2026 overlap November
    holidays_file(HOLIDAYS_2027)
    require_calendar(register, "2026-12", "2026-12", ["SC-MEET-LOCAL"])
