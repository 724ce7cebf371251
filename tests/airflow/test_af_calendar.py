"""Beyond the calendar's years on the Airflow path: evaluation tasks, the timetable, the warning."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pendulum
import pytest
from airflow.timetables.base import TimeRestriction
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import HOLIDAYS_2027

from safegov.core.periods import TZ, CalendarRangeError


@pytest.fixture
def task_env(units_db, monkeypatch, holidays_file):
    """The task callables on a fresh SQLite DB with the units loaded; the clock at 2027-01-20."""
    monkeypatch.setenv("SAFEGOV_NOW", "2027-01-20T09:00:00+08:00")
    return units_db


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


# --------------------------------------------------------------------------- the timetable


def sh(*args) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="Asia/Shanghai")


def _sequence(tt, last, restriction, n: int = 6) -> list[tuple[str, str]]:
    """(period start, run_after) of the next runs the scheduler would create, in Asia/Shanghai."""
    out = []
    for _ in range(n):
        info = tt.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None:
            break
        out.append(
            (info.data_interval.start.in_timezone("Asia/Shanghai").to_date_string(), info.run_after.to_date_string())
        )
        last = info.data_interval
    return out


@pytest.mark.parametrize("catchup", [False, True])
def test_the_timetable_waits_for_the_year_then_schedules_the_waiting_periods_in_order(
    monkeypatch, caplog, holidays_file, catchup
):
    from safegov.airflow.timetable import GraceTimetable

    monkeypatch.setattr("safegov.airflow.timetable._now", lambda: sh(2027, 3, 15, 9))
    tt = GraceTimetable("monthly", 5)
    november = tt.info_for(tt.period_for(sh(2026, 11, 1))).data_interval
    restriction = TimeRestriction(sh(2017, 2, 1), None, catchup=catchup)
    with caplog.at_level("ERROR", logger="safegov.airflow.timetable"):
        assert tt.next_dagrun_info(last_automated_data_interval=november, restriction=restriction) is None
    assert "2026-12 的宽限期截止日无法计算" in caplog.text and "2027年法定节假日安排未录入" in caplog.text

    holidays_file(HOLIDAYS_2027)  # entered while the scheduler runs: no restart
    assert _sequence(tt, november, restriction, n=4) == [
        ("2026-12-01", "2027-01-09"),  # 1 January off, grace 4–8 January
        ("2027-01-01", "2027-02-06"),
        ("2027-02-01", "2027-03-06"),
        ("2027-03-01", "2027-04-08"),  # the future: 2027 has no Qingming in the test file
    ]


def test_a_manual_trigger_beyond_the_calendar_takes_the_latest_known_closed_period(holidays_file):
    from safegov.airflow.timetable import GraceTimetable

    di = GraceTimetable("monthly", 5).infer_manual_data_interval(run_after=sh(2027, 1, 20, 9))
    assert di.start.in_timezone("Asia/Shanghai").to_date_string() == "2026-11-01"


# --------------------------------------------------------------------------- the warning email


def _watch(day: dt.date, run_id: str) -> dict:
    from safegov.airflow.tasks import calendar_watch_task

    moment = dt.datetime.combine(day, dt.time(8), TZ)
    context = {"dag_run": SimpleNamespace(run_id=run_id, run_after=moment, run_type="scheduled"), "run_id": run_id}
    return calendar_watch_task(**context)


def _calendar_rows(engine) -> list:
    from safegov.db.models import OutboxMessage

    with Session(engine) as s:
        q = select(OutboxMessage.key, OutboxMessage.state, OutboxMessage.to_email, OutboxMessage.mail_subject)
        return s.execute(q.where(OutboxMessage.purpose == "calendar").order_by(OutboxMessage.id)).all()


def _register_director(engine) -> None:
    """The region's safety office director, who receives the warning."""
    from safegov.db.models import Leader

    with Session(engine) as s, s.begin():
        s.add(
            Leader(
                leader_id="L-150000-SO",
                name="张三",
                unit_code="150000",
                role="safety_office_director",
                email="anweiban@example.gov.cn",
                term_start=dt.date(2020, 1, 1),
            )
        )


@pytest.fixture
def office(task_env):
    """A database whose region has its safety office director."""
    _register_director(task_env)
    return task_env


KEY = "calendar|150000|2027|150000:safety_office_director|{}"


@pytest.mark.parametrize(
    "days, entered, keys",
    [
        ([dt.date(2026, 10, 31)], False, []),  # before 1 November
        ([dt.date(2026, 12, 3), dt.date(2026, 12, 3)], False, ["12-01"]),  # run twice: one row
        ([dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 12, 1)], False, ["11-01", "12-01"]),
        ([dt.date(2026, 12, 15), dt.date(2026, 12, 31), dt.date(2027, 1, 2)], False, ["12-15", "overdue"]),
        ([dt.date(2026, 12, 3)], True, []),  # entered: nothing to say
    ],
)
def test_the_warning_is_queued_once_per_stage(office, holidays_file, days, entered, keys):
    if entered:
        holidays_file(HOLIDAYS_2027)
    for i, day in enumerate(days):
        _watch(day, f"scheduled__{i}")
    rows = _calendar_rows(office)
    assert [r.key for r in rows] == [KEY.format(k) for k in keys]
    for r in rows:
        assert r.state == "pending" and r.to_email == "anweiban@example.gov.cn"
        assert r.mail_subject.startswith("【日历预警】2027年法定节假日安排尚未录入")


def test_the_warning_waits_for_an_addressable_director_and_is_then_sent_once(task_env, holidays_file):
    """A first run: the calendar check runs before the leader registry is ingested. Nothing is
    queued (a message without an address could only fail, and would spend the stage); the
    next daily run after the director is registered queues it, once."""
    waiting = _watch(dt.date(2026, 12, 3), "scheduled__1")
    assert waiting == {"on": "2026-12-03", "missing_year": 2027, "stage": "12-01", "queued": 0, "waiting": "no_address"}
    assert _calendar_rows(task_env) == []
    _register_director(task_env)
    for i, day in enumerate((dt.date(2026, 12, 4), dt.date(2026, 12, 5)), start=2):
        _watch(day, f"scheduled__{i}")
    rows = _calendar_rows(task_env)
    assert [(r.key, r.state, r.to_email) for r in rows] == [(KEY.format("12-01"), "pending", "anweiban@example.gov.cn")]


def test_the_warning_names_the_year_and_the_notice(office, holidays_file):
    from safegov.db.models import OutboxMessage

    result = _watch(dt.date(2026, 12, 3), "scheduled__1")
    assert result == {"on": "2026-12-03", "missing_year": 2027, "stage": "12-01", "queued": 1}
    with Session(office) as s:
        text = s.scalar(select(OutboxMessage.body_text).where(OutboxMessage.purpose == "calendar"))
    assert "张三同志" in text
    assert "《国务院办公厅关于2027年部分节假日安排的通知》" in text
    assert "覆盖至2026年" in text


def test_a_manual_trigger_before_the_calendar_is_a_named_error_not_a_loop(holidays_file):
    from safegov.airflow.timetable import GraceTimetable

    with pytest.raises(CalendarRangeError, match="早于官方工作日日历的起始年"):
        GraceTimetable("monthly", 5).infer_manual_data_interval(run_after=sh(2004, 1, 3))


def test_a_malformed_holidays_file_is_logged_not_raised_into_the_scheduler(monkeypatch, caplog, holidays_file):
    from safegov.airflow.timetable import GraceTimetable

    monkeypatch.setattr("safegov.airflow.timetable._now", lambda: sh(2027, 1, 20, 9))
    holidays_file("years:\n  2027:\n    notice: N\n    workdays: [2027-01-04]\n")
    tt = GraceTimetable("monthly", 5)
    november = tt.info_for(tt.period_for(sh(2026, 11, 1))).data_interval
    with caplog.at_level("ERROR", logger="safegov.airflow.timetable"):
        info = tt.next_dagrun_info(
            last_automated_data_interval=november, restriction=TimeRestriction(sh(2017, 2, 1), None, catchup=True)
        )
    assert info is None
    assert "years.2027.workdays[0]" in caplog.text and "调休上班日只能是周六或周日" in caplog.text
