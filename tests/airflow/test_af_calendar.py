"""Beyond the calendar's years on the Airflow path: evaluation tasks, the timetable, the warning."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import HOLIDAYS_2027

from safegov.core.periods import TZ, CalendarRangeError


@pytest.fixture
def task_env(sqlite_engine, monkeypatch, holidays_file):
    """The task callables on a fresh SQLite DB with the units loaded; the clock at 2027-01-20."""
    from safegov.core.settings import get_settings
    from safegov.db.engine import get_engine
    from safegov.org.units import sync_units

    monkeypatch.setenv("SAFEGOV_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SAFEGOV_NOW", "2027-01-20T09:00:00+08:00")
    get_settings.cache_clear()
    get_engine.cache_clear()
    with Session(sqlite_engine) as s, s.begin():
        sync_units(s)
    yield sqlite_engine
    get_settings.cache_clear()
    get_engine.cache_clear()


def _run_context(start: dt.datetime, run_after: dt.datetime, run_id: str = "manual__1") -> dict:
    dag_run = SimpleNamespace(run_id=run_id, run_after=run_after, run_type="manual")
    return {"dag_run": dag_run, "data_interval_start": start, "run_id": run_id}


def _rows(engine, obligation_id: str, period: str) -> set[tuple[str, str | None]]:
    from safegov.db.models import Evaluation

    with Session(engine) as s:
        q = select(Evaluation.status, Evaluation.reason).where(
            Evaluation.obligation_id == obligation_id, Evaluation.period == period
        )
        return set(s.execute(q).all())


def test_the_evaluation_task_leaves_calendar_unknown_and_fails_naming_the_year(task_env):
    from safegov.airflow.tasks import evaluate_obligation

    context = _run_context(dt.datetime(2026, 12, 1, tzinfo=TZ), dt.datetime(2027, 1, 20, 9, tzinfo=TZ))
    for _ in range(2):  # a retry changes nothing and fails the same way
        with pytest.raises(CalendarRangeError, match="2027年法定节假日安排未录入") as info:
            evaluate_obligation("SC-MEET-LOCAL", "monthly", 5, **context)
        assert info.value.year == 2027
        assert _rows(task_env, "SC-MEET-LOCAL", "2026-12") == {("pending", "calendar_unknown")}


def test_once_the_year_is_entered_the_same_task_decides_the_period(task_env, holidays_file):
    from safegov.airflow.tasks import evaluate_obligation

    context = _run_context(dt.datetime(2026, 12, 1, tzinfo=TZ), dt.datetime(2027, 1, 20, 9, tzinfo=TZ))
    with pytest.raises(CalendarRangeError):
        evaluate_obligation("SC-MEET-LOCAL", "monthly", 5, **context)
    holidays_file(HOLIDAYS_2027)
    counts = evaluate_obligation("SC-MEET-LOCAL", "monthly", 5, **context)
    assert counts["pending"] == 0 and counts["missed"] == 115
    assert _rows(task_env, "SC-MEET-LOCAL", "2026-12") == {("missed", "no_records")}
