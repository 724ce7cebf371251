"""``GraceTimetable``: one DAG run per period, created when the period's grace has ended.

SPEC §5: "the evaluation of a period runs when its grace ends (a custom timetable)".

- data interval = the period (month / quarter / half / year) in Asia/Shanghai, e.g.
  2024-03 → [2024-03-01 00:00+08:00, 2024-04-01 00:00+08:00);
- run_after = the moment grace is over: 00:00+08:00 after the N-th working day (工作日)
  following the period's last day, on the official PRC calendar with its 调休 make-up days
  (``safegov.core.periods.grace_ends_at``). March 2024 with 5 working days: Qingming closes
  4–6 April, Sunday 7 April is a make-up working day, so grace ends on 8 April and the run
  is created at 2024-04-09 00:00+08:00.

Choices where Airflow leaves room:

- The first run is the first period *starting* at or after ``start_date`` (Airflow's own
  alignment rule for interval timetables); backfills use the same rule with
  ``--from-date``, so to include the whole year 2017 in a yearly backfill start at
  2017-01-01T00:00:00+08:00.
- ``catchup=False`` starts with the latest period whose grace has already ended.
- Beyond the years the working-day calendar covers (the ``chinese-calendar`` package, 2004–2026
  in the pinned version, then the years the office enters in ``config/holidays.yaml``) the
  grace end cannot be known without guessing holidays. ``next_dagrun_info`` then returns
  ``None`` (no run is scheduled) and logs, at ERROR level and in Chinese, which period waits
  for which year and the notice to enter; it never raises into the scheduler. Nothing is
  ever scheduled on a guessed date. A malformed ``holidays.yaml`` is logged the same way.
- Once the year is entered (the file is re-read when it changes: no restart), the waiting
  periods are scheduled in order, one after the other, even with ``catchup=False``: that
  setting skips periods a paused DAG missed, not periods held back by the calendar. The
  rule that tells them apart: after the last automated run, a period whose grace ends in a
  year beyond the package's is one the calendar held back, so it is never skipped.
- A period whose grace end is unknown is not *closed*: a manual trigger takes the latest
  period whose grace is known to have ended.
- While the file named by ``SAFEGOV_SCHEDULE_HOLD_FILE`` exists, no scheduled run is created
  (``next_dagrun_info`` returns ``None`` for the DAG's own ``catchup=False`` scheduling);
  backfills (which ask with ``catchup=True``) and manual runs go on. ``make run`` holds the
  schedule while it backfills the demo's history, so that the live period is decided after
  it; removing the file lets the next parse schedule the latest closed period. Unset (the
  production default), nothing is held.
- A scheduled run's id carries its period key: ``scheduled__2024-03``, ``scheduled__2024-Q1``,
  ``scheduled__2024-H1``, ``scheduled__2024``; a period has one scheduled run, so the id is
  unique. Manual and backfill runs keep Airflow's ids (``manual__<run_after>``,
  ``backfill__<run_after>``): a period may be triggered by hand more than once, and Airflow
  3.3 names a backfill's runs itself (``DagRun.generate_run_id``, not the timetable) except
  for a partitioned DAG's re-run, which this timetable is not.

The class is registered by ``plugins/safegov_plugin.py`` so that the scheduler can
deserialize it. It imports only ``safegov.core`` (``holidays.yaml`` is read only for a year
beyond the package).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

import pendulum
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable
from airflow.utils.types import DagRunType

from safegov.core.errors import SafegovError
from safegov.core.periods import (
    PERIODIC,
    Cadence,
    CalendarRangeError,
    Period,
    grace_ends_at,
    period_of,
)

log = logging.getLogger(__name__)

TZ_NAME = "Asia/Shanghai"
_TZ = pendulum.timezone(TZ_NAME)

_LABEL = {
    Cadence.MONTHLY: "month",
    Cadence.QUARTERLY: "quarter",
    Cadence.HALF_YEARLY: "half-year",
    Cadence.YEARLY: "year",
}
_LABEL_ZH = {
    Cadence.MONTHLY: "每月",
    Cadence.QUARTERLY: "每季度",
    Cadence.HALF_YEARLY: "每半年",
    Cadence.YEARLY: "每年",
}


def _pendulum(moment: dt.datetime) -> pendulum.DateTime:
    return pendulum.instance(moment).in_timezone(_TZ)


def _local(moment: dt.datetime) -> dt.datetime:
    """An aware moment in Asia/Shanghai (Airflow hands the timetable UTC datetimes)."""
    if moment.tzinfo is None:  # Airflow guarantees aware values; be defensive anyway
        moment = moment.replace(tzinfo=dt.UTC)
    return pendulum.instance(moment).in_timezone(_TZ)


SCHEDULE_HOLD_ENV = "SAFEGOV_SCHEDULE_HOLD_FILE"


def schedule_held() -> bool:
    """Whether the file named by ``SAFEGOV_SCHEDULE_HOLD_FILE`` exists (module docstring)."""
    path = os.environ.get(SCHEDULE_HOLD_ENV)
    return bool(path) and Path(path).exists()


def _now() -> dt.datetime:
    """The scheduler's present (a function so that tests can pin it)."""
    return pendulum.now("UTC")


class GraceTimetable(Timetable):
    """Periods of ``cadence`` in Asia/Shanghai; each run waits for ``grace_working_days``."""

    def __init__(self, cadence: Cadence | str = Cadence.MONTHLY, grace_working_days: int = 5) -> None:
        cadence = Cadence(cadence)
        if cadence not in PERIODIC:
            raise ValueError(f"GraceTimetable needs a periodic cadence, not {cadence.value}")
        if grace_working_days < 0:
            raise ValueError("grace_working_days must be ≥ 0")
        self.cadence = cadence
        self.grace_working_days = int(grace_working_days)

    # ------------------------------------------------------------------ serialisation

    def serialize(self) -> dict[str, Any]:
        return {"cadence": self.cadence.value, "grace_working_days": self.grace_working_days}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> GraceTimetable:
        return cls(data["cadence"], data["grace_working_days"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GraceTimetable):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((self.cadence, self.grace_working_days))

    def __repr__(self) -> str:
        return f"GraceTimetable({self.cadence.value!r}, {self.grace_working_days})"

    @property
    def summary(self) -> str:
        return f"{self.cadence.value} + {self.grace_working_days} working days"

    @property
    def description(self) -> str:  # type: ignore[override]
        return (
            f"Once per {_LABEL[self.cadence]} (Asia/Shanghai), when {self.grace_working_days} PRC working "
            f"days of grace after the {_LABEL[self.cadence]} have passed "
            f"({_LABEL_ZH[self.cadence]}，期满后{self.grace_working_days}个工作日)"
        )

    # ------------------------------------------------------------------ periods

    def period_for(self, moment: dt.datetime) -> Period:
        """The period containing ``moment`` once converted to Asia/Shanghai."""
        return period_of(_local(moment), self.cadence)

    def grace_end(self, period: Period) -> dt.datetime:
        """Raises ``CalendarRangeError`` beyond the official calendar's years."""
        return grace_ends_at(period, self.grace_working_days)

    def info_for(self, period: Period) -> DagRunInfo:
        return DagRunInfo(
            run_after=_pendulum(self.grace_end(period)),
            data_interval=DataInterval(_pendulum(period.start), _pendulum(period.end)),
        )

    def closed_by(self, period: Period, moment: dt.datetime) -> bool:
        """Whether ``period``'s grace had ended at ``moment``; not while its end is unknown."""
        try:
            return self.grace_end(period) <= moment
        except CalendarRangeError:
            return False

    def latest_closed(self, moment: dt.datetime) -> Period:
        """The latest period whose grace had ended at ``moment``."""
        from safegov.core.holidays import holiday_calendar

        first_year = holiday_calendar().first_year
        period = self.period_for(moment).previous()
        while not self.closed_by(period, moment):
            period = period.previous()
            if period.last.year < first_year:
                # Nothing before the calendar's first year can close: say so, never loop.
                raise CalendarRangeError(holiday_calendar().missing_message(period.last.year), year=period.last.year)
        return period

    def held_by_calendar(self, period: Period) -> bool:
        """Whether ``period``'s grace ends in a year beyond the chinesecalendar package:
        its run could not be scheduled until the office entered that year (module docstring)."""
        from safegov.core.holidays import package_years

        return self.grace_end(period).year > package_years()[1]

    def next_grace_end_problem(self, moment: dt.datetime) -> str | None:
        """Why the grace end of the next period to run after ``moment`` cannot be computed,
        in Chinese; ``None`` when it can.

        The next period is the latest one whose grace had not ended at ``moment``: the
        previous period until its grace ends, the current one after. Called by the DAG file
        at parse time, so it stays cheap: no database, and ``holidays.yaml`` is read only
        when the grace end falls beyond the package's years.
        """
        period = self.period_for(moment).previous()
        for _ in range(2):
            try:
                if self.grace_end(period) > moment:
                    return None
            except (CalendarRangeError, SafegovError) as exc:
                return f"⚠ 暂无法排程：{period.key} 的宽限期截止日无法计算（{exc}）；录入后自动按顺序排程。"
            period = period.next()
        return None  # unreachable: the current period's grace ends after ``moment``

    # ------------------------------------------------------------------ Airflow API

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        """A manual run evaluates the latest period whose grace has ended by ``run_after``."""
        period = self.latest_closed(_local(run_after))
        return DataInterval(_pendulum(period.start), _pendulum(period.end))

    def generate_run_id(
        self,
        *,
        run_type: DagRunType,
        run_after: pendulum.DateTime,
        data_interval: DataInterval | None,
        **extra: Any,
    ) -> str:
        """``scheduled__<period key>`` for a scheduled run; Airflow's id otherwise (module docstring)."""
        if run_type == DagRunType.SCHEDULED and data_interval is not None:
            return run_type.generate_run_id(suffix=self.period_for(data_interval.start).key)
        return super().generate_run_id(run_type=run_type, run_after=run_after, data_interval=data_interval, **extra)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        if not restriction.catchup and schedule_held():
            log.info("%r：%s 存在，暂不排程（回填历史期间）", self, os.environ[SCHEDULE_HOLD_ENV])
            return None
        try:
            return self._next(last_automated_data_interval, restriction)
        except (CalendarRangeError, SafegovError) as exc:
            # No guessing of holidays: schedule nothing for now and say why (module
            # docstring); the scheduler asks again at the next parse or run. SafegovError is
            # a malformed holidays.yaml (HolidaysError), caught by its base class so that the
            # plugin does not load the file's schema when the scheduler starts.
            log.error("%r：暂不排程下一次运行：%s", self, exc)
            return None

    def _next(self, last: DataInterval | None, restriction: TimeRestriction) -> DagRunInfo | None:
        if last is not None:
            # Step from the last period *in Asia/Shanghai*: its start arrives as 16:00 UTC the
            # day before, which in UTC would fall into the previous period.
            period = self.period_for(last.start).next()
        elif restriction.earliest is not None:
            period = self._first_at_or_after(_local(restriction.earliest))
        else:
            return None  # no start_date: nothing to schedule automatically
        if restriction.earliest is not None:
            earliest = self._first_at_or_after(_local(restriction.earliest))
            period = max(period, earliest, key=lambda p: p.first)
        if not restriction.catchup:
            now = _local(_now())
            latest_closed = self.latest_closed(now)
            if latest_closed.first > period.first and not (last is not None and self.held_by_calendar(period)):
                period = latest_closed
        if restriction.latest is not None and period.start > _local(restriction.latest):
            return None
        try:
            return self.info_for(period)
        except CalendarRangeError as exc:
            log.error("%r：%s 的宽限期截止日无法计算，待该年录入后按顺序排程：%s", self, period.key, exc)
            return None

    def _first_at_or_after(self, moment: dt.datetime) -> Period:
        period = period_of(moment, self.cadence)
        return period if period.start >= moment else period.next()


def with_schedule_notice(
    timetable: GraceTimetable, description: str, doc_md: str, moment: dt.datetime
) -> tuple[str, str]:
    """``description`` and ``doc_md`` with the reason appended when the DAG's next run
    cannot be computed at ``moment`` (``next_grace_end_problem``), so that the UI says why
    nothing is scheduled; unchanged otherwise. The DAG file calls it at each parse: the
    notice disappears at the first parse after the year is entered."""
    problem = timetable.next_grace_end_problem(moment)
    if problem is None:
        return description, doc_md
    return f"{description} {problem}", f"> **{problem}**\n\n{doc_md}"


def dag_timetable(cadence: Cadence | str, register=None) -> GraceTimetable:
    """The timetable of a cadence's DAG: the largest grace among its obligations.

    The largest grace, because a run decides every obligation of the cadence and none may
    be decided before its own grace is over.
    """
    cadence = Cadence(cadence)
    if register is None:
        from safegov.register.obligations import get_register

        register = get_register()
    graces = [ob.grace_working_days for ob in register.by_cadence(cadence)]
    return GraceTimetable(cadence, max(graces, default=5))
