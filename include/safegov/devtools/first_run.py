"""What ``make run`` does on its first start: the demo's months, the history it backfills and
the live period each periodic DAG decides itself — a pure function of the present moment.

``scripts/run.sh`` asks :func:`plan_first_run` once and follows it:

- the demo covers the 24 months up to the latest month whose grace has *ended* (the monthly
  DAG's live period), so no row's ``received_at`` lies after the present (ingestion would
  quarantine it as ``future_date``);
- *history* is every period of a cadence that lies wholly inside the demo's months and ends
  before that cadence's live period: only periods whose grace has ended, so every backfill
  run can start at once and every backfill completes (a backfill over a period whose grace
  is still running waits for it, and Airflow allows one running backfill per DAG);
- the *live* period of a cadence is the latest one whose grace has ended — the one the
  scheduler creates (``catchup=False``) when the DAG may schedule again, after the history,
  so that the escalation ladder counts the history's misses and its steps appear at once.

Wholly inside the months, because the timetable aligns a backfill's ``--from-date`` to the
first period *starting* at or after it (``GraceTimetable``): a quarter the demo covers only in
part would be decided on missing months.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from safegov.core.periods import (
    PERIODIC,
    Cadence,
    CalendarRangeError,
    Period,
    add_months,
    grace_ends_at,
    period_of,
    to_local,
)

# Backfill requests of a few periods each: one big request inserts many runs in one SQLite
# transaction and loses the write lock to the scheduler.
CHUNK = {Cadence.MONTHLY: 3, Cadence.QUARTERLY: 4, Cadence.HALF_YEARLY: 4, Cadence.YEARLY: 4}


def latest_closed(moment: dt.datetime, cadence: Cadence | str, grace_working_days: int) -> Period:
    """The latest period of ``cadence`` whose grace had ended at ``moment`` (Asia/Shanghai).

    A grace end the calendar cannot compute yet is not ended (nothing is decided on a guessed
    holiday); a year of periods back without one closed is an error, never a guess.
    """
    period = period_of(moment, cadence).previous()
    for _ in range(12):
        try:
            if grace_ends_at(period, grace_working_days) <= moment:
                return period
        except CalendarRangeError:
            pass
        period = period.previous()
    raise ValueError(
        f"no {Cadence(cadence).value} period's grace of {grace_working_days} working days ended by {moment}"
    )


@dataclass(frozen=True)
class BackfillRequest:
    """One ``airflow backfill create`` of consecutive periods of one cadence's DAG."""

    cadence: Cadence
    periods: tuple[Period, ...]

    @property
    def dag_id(self) -> str:
        return f"safegov_{self.cadence.value}"

    @property
    def from_date(self) -> str:
        return self.periods[0].start.isoformat()

    @property
    def to_date(self) -> str:
        # the last period's start: the timetable takes the periods *starting* in the range
        return self.periods[-1].start.isoformat()


@dataclass(frozen=True)
class FirstRunPlan:
    now: dt.datetime
    demo_first: Period  # the demo's first month
    demo_until: Period  # its last month: the monthly live period
    history: Mapping[Cadence, tuple[Period, ...]]
    live: Mapping[Cadence, Period]

    def backfills(self) -> list[BackfillRequest]:
        """The history in requests of ``CHUNK`` periods, per cadence in order."""
        out = []
        for cadence, periods in self.history.items():
            size = CHUNK[cadence]
            out.extend(BackfillRequest(cadence, periods[i : i + size]) for i in range(0, len(periods), size))
        return out

    def shell_lines(self) -> list[str]:
        """``until <YYYY-MM>``, ``live <dag_id> <period>`` and ``backfill <dag_id> <from> <to>``
        lines, read by ``scripts/run.sh``."""
        lines = [f"until {self.demo_until.key}"]
        lines += [f"live safegov_{c.value} {p.key}" for c, p in self.live.items()]
        lines += [f"backfill {b.dag_id} {b.from_date} {b.to_date}" for b in self.backfills()]
        return lines


def plan_first_run(now: dt.datetime, graces: Mapping[Cadence | str, int], *, months: int = 24) -> FirstRunPlan:
    """The first run's plan at ``now`` (module docstring); ``graces`` are the working days of
    grace of each periodic DAG (``dag_timetable``: the largest of its obligations)."""
    from safegov.devtools.demo import GRACE_DAYS

    if months < 1:
        raise ValueError("months must be ≥ 1")
    now = to_local(now)
    grace = {Cadence(c): g for c, g in graces.items()}
    live = {c: latest_closed(now, c, grace[c]) for c in PERIODIC if c in grace}
    # The demo's rows of a month arrive until GRACE_DAYS working days after it: its last month
    # must be closed under both that and the monthly DAG's grace.
    until = latest_closed(now, Cadence.MONTHLY, max(GRACE_DAYS, grace.get(Cadence.MONTHLY, GRACE_DAYS)))
    first = period_of(add_months(until.first, -(months - 1)), Cadence.MONTHLY)
    history = {}
    for cadence, live_period in live.items():
        period, periods = period_of(first.first, cadence), []
        if period.first < first.first:
            period = period.next()
        while period.first < live_period.first and period.last <= until.last:
            periods.append(period)
            period = period.next()
        history[cadence] = tuple(periods)
    return FirstRunPlan(now=now, demo_first=first, demo_until=until, history=history, live=live)


def main(argv: list[str] | None = None) -> int:
    """``python -m safegov.devtools.first_run [MONTHS]``: the plan at the clock's now (SAFEGOV_NOW
    pins it) for the register's DAGs, one line per step (``FirstRunPlan.shell_lines``)."""
    import sys

    from safegov.airflow.timetable import dag_timetable
    from safegov.core.clock import get_clock

    args = sys.argv[1:] if argv is None else argv
    graces = {cadence: dag_timetable(cadence).grace_working_days for cadence in PERIODIC}
    plan = plan_first_run(get_clock().now(), graces, months=int(args[0]) if args else 24)
    print("\n".join(plan.shell_lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
