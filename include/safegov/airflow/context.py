"""The run context: what a task knows about its DAG run, typed, read once from Airflow's context.

Rules every task follows (SPEC brief "idempotent and exact"):

- the period comes from the run's data interval converted to Asia/Shanghai, never from
  the clock: ``data_interval_start`` 2024-02-29T16:00Z is the start of March 2024;
- ``as_of`` is the moment the run became due (its ``run_after``), capped at the present, so
  that a backfill of a period whose grace is still running leaves it ``pending`` instead of
  deciding it early;
- ``historical`` is true for runs created by ``airflow backfill create``: verdicts and
  cases are the same, but no email is sent (the outbox stores them as suppressed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import Enum
from functools import cached_property
from typing import Any

from safegov.core.periods import TZ, Cadence, Period, grace_ends_at, period_of

BACKFILL_RUN_TYPE = "backfill"


def local(moment: dt.datetime) -> dt.datetime:
    """An aware moment in Asia/Shanghai (a naive one is read as UTC, as Airflow stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(TZ)


def now() -> dt.datetime:
    """The present in Asia/Shanghai, from the configured clock (``SAFEGOV_NOW`` in tests)."""
    from safegov.core.clock import get_clock

    return local(get_clock().now())


def period_from_context(context: Mapping[str, Any], cadence: Cadence | str) -> Period:
    """The period the run is about: its ``data_interval_start`` in Asia/Shanghai."""
    start = context.get("data_interval_start")
    if start is None:
        raise ValueError(
            "this run has no data interval; trigger it with a logical date or let the GraceTimetable infer one"
        )
    return period_of(local(start), cadence)


def run_after(context: Mapping[str, Any]) -> dt.datetime:
    """When the run became due (asset-triggered and manual runs included), in Asia/Shanghai."""
    dag_run = context.get("dag_run")
    moment = (dag_run.run_after if dag_run is not None else None) or context.get("logical_date")
    moment = moment or context.get("data_interval_end")
    if moment is None:
        raise ValueError("the run has neither run_after nor a logical date")
    return local(moment)


def is_historical(context: Mapping[str, Any]) -> bool:
    """A backfill run (``DagRunType.BACKFILL_JOB``, or its string value)."""
    dag_run = context.get("dag_run")
    if dag_run is None:
        return False
    run_type = dag_run.run_type
    return str(run_type.value if isinstance(run_type, Enum) else run_type) == BACKFILL_RUN_TYPE


def as_of_for(period: Period, grace_working_days: int) -> dt.datetime:
    """Grace end of ``period``, but never later than the present (see module docstring)."""
    return min(grace_ends_at(period, grace_working_days), now())


class RunContext:
    """One DAG run as the safegov core sees it, read from Airflow's task context.

    Each fact is read when a task first asks for it, so a task that needs only the run id
    (ingestion) does not require a data interval or a due time.
    """

    def __init__(self, context: Mapping[str, Any]):
        self._context = context

    @classmethod
    def of(cls, context: Mapping[str, Any]) -> RunContext:
        return cls(context)

    @cached_property
    def run_id(self) -> str | None:
        dag_run = self._context.get("dag_run")
        return (dag_run.run_id if dag_run is not None else None) or self._context.get("run_id")

    @cached_property
    def run_after(self) -> dt.datetime:
        """When the run became due, in Asia/Shanghai."""
        return run_after(self._context)

    @cached_property
    def historical(self) -> bool:
        return is_historical(self._context)

    def period(self, cadence: Cadence | str) -> Period:
        return period_from_context(self._context, cadence)

    @property
    def as_of(self) -> dt.datetime:
        """The moment verdicts are taken at: when the run became due, never in the future."""
        return min(self.run_after, now())
