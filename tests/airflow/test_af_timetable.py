"""GraceTimetable: periods in Asia/Shanghai, runs when grace ends on the official PRC calendar."""

from __future__ import annotations

import datetime as dt
import logging

import pendulum
import pytest
from airflow.timetables.base import DataInterval, TimeRestriction

from safegov.airflow.timetable import GraceTimetable, dag_timetable

SH = "Asia/Shanghai"


def sh(*args) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=SH)


def runs(tt: GraceTimetable, earliest, latest, n: int = 50) -> list[tuple[str, str, str]]:
    """(period start date, period end date, run_after) in Asia/Shanghai, as strings."""
    restriction = TimeRestriction(earliest, latest, catchup=True)
    info, out = None, []
    for _ in range(n):
        info = tt.next_dagrun_info(last_automated_data_interval=info and info.data_interval, restriction=restriction)
        if info is None:
            break
        di = info.data_interval
        out.append(
            (
                di.start.in_timezone(SH).to_date_string(),
                di.end.in_timezone(SH).to_date_string(),
                info.run_after.in_timezone(SH).to_iso8601_string(),
            )
        )
    return out


@pytest.mark.parametrize(
    ("cadence", "period_start", "period_end", "run_after"),
    [
        # Qingming 2024: 4–6 April off, Sunday 7 April a make-up working day.
        ("monthly", "2024-03-01", "2024-04-01", "2024-04-09T00:00:00+08:00"),
        # Labour Day 2024: 1–5 May off, Saturday 11 May a make-up day; grace ends on 10 May.
        ("monthly", "2024-04-01", "2024-05-01", "2024-05-11T00:00:00+08:00"),
        # National Day 2024: 1–7 October off; grace ends on make-up Saturday 12 October.
        ("monthly", "2024-09-01", "2024-10-01", "2024-10-13T00:00:00+08:00"),
        # New Year 2025 (1 January off) — 2, 3, 6, 7, 8 January.
        ("monthly", "2024-12-01", "2025-01-01", "2025-01-09T00:00:00+08:00"),
        # Spring Festival 2025: 28 Jan – 4 Feb off, make-up Sundays 26 Jan and Saturday 8 Feb.
        ("monthly", "2025-01-01", "2025-02-01", "2025-02-11T00:00:00+08:00"),
        # National Day + Mid-Autumn 2025: 1–8 October off, make-up Saturday 11 October.
        ("monthly", "2025-09-01", "2025-10-01", "2025-10-15T00:00:00+08:00"),
        ("quarterly", "2024-01-01", "2024-04-01", "2024-04-09T00:00:00+08:00"),
        ("quarterly", "2024-07-01", "2024-10-01", "2024-10-13T00:00:00+08:00"),
        ("quarterly", "2025-07-01", "2025-10-01", "2025-10-15T00:00:00+08:00"),
        ("half_yearly", "2024-01-01", "2024-07-01", "2024-07-06T00:00:00+08:00"),
        ("half_yearly", "2024-07-01", "2025-01-01", "2025-01-09T00:00:00+08:00"),
        ("yearly", "2024-01-01", "2025-01-01", "2025-01-09T00:00:00+08:00"),
        ("yearly", "2025-01-01", "2026-01-01", "2026-01-09T00:00:00+08:00"),
    ],
)
def test_runs_over_the_2024_and_2025_holidays(cadence, period_start, period_end, run_after):
    tt = GraceTimetable(cadence, 5)
    got = runs(tt, sh(2024, 1, 1), sh(2025, 12, 31))
    assert (period_start, period_end, run_after) in got


def test_monthly_sequence_is_contiguous_and_ordered():
    got = runs(GraceTimetable("monthly", 5), sh(2024, 1, 1), sh(2025, 12, 31))
    assert [g[0] for g in got] == [f"{y}-{m:02d}-01" for y in (2024, 2025) for m in range(1, 13)]
    assert all(a[1] == b[0] for a, b in zip(got, got[1:]))
    assert [g[2] for g in got] == sorted(g[2] for g in got)


def test_grace_zero_runs_at_period_end():
    got = runs(GraceTimetable("monthly", 0), sh(2024, 9, 1), sh(2024, 9, 30))
    assert got == [("2024-09-01", "2024-10-01", "2024-10-01T00:00:00+08:00")]


def test_last_interval_given_in_utc_steps_in_shanghai():
    """March 2024 starts at 2024-02-29T16:00Z; stepping in UTC would give March again."""
    tt = GraceTimetable("monthly", 5)
    last = DataInterval(pendulum.datetime(2024, 2, 29, 16, tz="UTC"), pendulum.datetime(2024, 3, 31, 16, tz="UTC"))
    info = tt.next_dagrun_info(last_automated_data_interval=last, restriction=TimeRestriction(None, None, True))
    assert info.data_interval.start == sh(2024, 4, 1)
    assert info.data_interval.end == sh(2024, 5, 1)
    assert info.run_after == sh(2024, 5, 11)


@pytest.mark.parametrize(
    ("earliest", "first"),
    [
        (sh(2017, 2, 1), "2017-02-01"),  # exactly a period start: included
        (sh(2017, 2, 1, 0, 0, 1), "2017-03-01"),  # inside February: the next whole period
        (pendulum.datetime(2017, 1, 31, 16, tz="UTC"), "2017-02-01"),  # same instant given in UTC
    ],
)
def test_start_date_is_honoured(earliest, first):
    got = runs(GraceTimetable("monthly", 5), earliest, sh(2017, 6, 30), n=1)
    assert got[0][0] == first


def test_yearly_first_run_from_start_date_is_the_next_whole_year():
    got = runs(GraceTimetable("yearly", 5), sh(2017, 2, 1), sh(2019, 12, 31))
    assert [g[0] for g in got] == ["2018-01-01", "2019-01-01"]


def test_latest_stops_the_sequence():
    got = runs(GraceTimetable("quarterly", 5), sh(2024, 1, 1), sh(2024, 7, 1))
    assert [g[0] for g in got] == ["2024-01-01", "2024-04-01", "2024-07-01"]


def pin_now(monkeypatch, moment):
    monkeypatch.setattr("safegov.airflow.timetable._now", lambda: moment)


def test_catchup_false_starts_with_the_latest_period_whose_grace_ended(monkeypatch):
    tt = GraceTimetable("monthly", 5)
    # 2024-10-12 is within September's grace (it ends that day): August is the latest closed.
    pin_now(monkeypatch, sh(2024, 10, 12, 12))
    info = tt.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(sh(2017, 2, 1), None, catchup=False)
    )
    assert info.data_interval.start == sh(2024, 8, 1)
    pin_now(monkeypatch, sh(2024, 10, 13, 0, 0, 1))
    info = tt.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(sh(2017, 2, 1), None, catchup=False)
    )
    assert info.data_interval.start == sh(2024, 9, 1)
    assert info.run_after == sh(2024, 10, 13)


def test_schedule_hold_file_holds_scheduling_but_not_backfills(monkeypatch, tmp_path):
    """While the hold file exists the DAG's own (catchup=False) scheduling yields nothing; a
    backfill (catchup=True) still gets its periods; without the file the live period returns."""
    tt = GraceTimetable("monthly", 5)
    hold = tmp_path / ".safegov-history-pending"
    monkeypatch.setenv("SAFEGOV_SCHEDULE_HOLD_FILE", str(hold))
    pin_now(monkeypatch, sh(2024, 10, 13, 0, 0, 1))
    live = TimeRestriction(sh(2017, 2, 1), None, catchup=False)
    backfill = TimeRestriction(sh(2024, 3, 1), sh(2024, 3, 1), catchup=True)
    hold.touch()
    assert tt.next_dagrun_info(last_automated_data_interval=None, restriction=live) is None
    assert tt.next_dagrun_info(last_automated_data_interval=None, restriction=backfill).data_interval.start == sh(
        2024, 3, 1
    )
    hold.unlink()
    assert tt.next_dagrun_info(last_automated_data_interval=None, restriction=live).data_interval.start == sh(
        2024, 9, 1
    )
    monkeypatch.delenv("SAFEGOV_SCHEDULE_HOLD_FILE")
    hold.touch()  # the file alone holds nothing: production never sets the variable
    assert tt.next_dagrun_info(last_automated_data_interval=None, restriction=live) is not None


def test_catchup_false_after_a_long_pause_skips_to_the_latest_closed_period(monkeypatch):
    tt = GraceTimetable("monthly", 5)
    last = DataInterval(sh(2023, 1, 1), sh(2023, 2, 1))
    pin_now(monkeypatch, sh(2024, 5, 20))
    info = tt.next_dagrun_info(
        last_automated_data_interval=last, restriction=TimeRestriction(sh(2017, 2, 1), None, catchup=False)
    )
    assert info.data_interval.start == sh(2024, 4, 1)
    # catchup=True keeps the sequence instead
    info = tt.next_dagrun_info(
        last_automated_data_interval=last, restriction=TimeRestriction(sh(2017, 2, 1), None, catchup=True)
    )
    assert info.data_interval.start == sh(2023, 2, 1)


@pytest.mark.parametrize(
    ("run_after", "period_start"),
    [
        (sh(2024, 4, 8, 23, 59), "2024-02-01"),  # March's grace not over yet
        (sh(2024, 4, 9), "2024-03-01"),  # the moment it ends
        (pendulum.datetime(2024, 4, 8, 16, tz="UTC"), "2024-03-01"),  # same instant in UTC
        (sh(2024, 4, 30), "2024-03-01"),
    ],
)
def test_manual_run_takes_the_latest_period_whose_grace_ended(run_after, period_start):
    di = GraceTimetable("monthly", 5).infer_manual_data_interval(run_after=run_after)
    assert di.start.in_timezone(SH).to_date_string() == period_start


def test_beyond_the_calendar_no_run_is_guessed(caplog, holidays_file):
    tt = GraceTimetable("monthly", 5)
    restriction = TimeRestriction(sh(2026, 11, 1), None, catchup=True)
    info = tt.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.data_interval.start == sh(2026, 11, 1)  # November 2026's grace ends in December
    with caplog.at_level(logging.ERROR, logger="safegov.airflow.timetable"):
        after = tt.next_dagrun_info(last_automated_data_interval=info.data_interval, restriction=restriction)
    assert after is None  # December 2026's grace runs into 2027, which the calendar lacks
    assert "2026-12" in caplog.text and "2027年法定节假日安排未录入" in caplog.text


def test_serialisation_round_trip():
    for cadence in ("monthly", "quarterly", "half_yearly", "yearly"):
        tt = GraceTimetable(cadence, 7)
        data = tt.serialize()
        assert data == {"cadence": cadence, "grace_working_days": 7}
        back = GraceTimetable.deserialize(data)
        assert back == tt and back.serialize() == data
        assert cadence in back.summary and "7" in back.summary
        assert "Asia/Shanghai" in back.description


def test_serialisation_through_airflow_encoder(monkeypatch):
    """Airflow's own encoder/decoder find the class through the plugin registry."""
    from airflow.serialization import decoders, encoders, helpers

    registry = {"safegov.airflow.timetable.GraceTimetable": GraceTimetable}
    monkeypatch.setattr("airflow.plugins_manager.get_timetables_plugins", lambda: registry)
    encoded = encoders.encode_timetable(GraceTimetable("quarterly", 5))
    assert encoded["__type"] == "safegov.airflow.timetable.GraceTimetable"
    assert decoders.decode_timetable(encoded) == GraceTimetable("quarterly", 5)
    assert helpers.find_registered_custom_timetable("safegov.airflow.timetable.GraceTimetable") is GraceTimetable


def test_rejects_non_periodic_cadences():
    with pytest.raises(ValueError):
        GraceTimetable("event", 5)
    with pytest.raises(ValueError):
        GraceTimetable("monthly", -1)


def test_dag_timetable_uses_the_largest_grace_of_the_cadence():
    from safegov.register.obligations import get_register

    reg = get_register()
    for cadence in ("monthly", "quarterly", "half_yearly", "yearly"):
        expected = max(ob.grace_working_days for ob in reg.by_cadence(cadence))
        assert dag_timetable(cadence, reg) == GraceTimetable(cadence, expected)


def test_periods_never_depend_on_the_process_timezone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        got = runs(GraceTimetable("monthly", 5), sh(2024, 3, 1), sh(2024, 3, 31))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert got == [("2024-03-01", "2024-04-01", "2024-04-09T00:00:00+08:00")]
    assert dt.datetime(2024, 4, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))).isoformat() == got[0][2]


@pytest.mark.parametrize(
    ("cadence", "start", "run_id"),
    [
        ("monthly", sh(2024, 3, 1), "scheduled__2024-03"),
        ("quarterly", sh(2024, 1, 1), "scheduled__2024-Q1"),
        ("half_yearly", sh(2024, 7, 1), "scheduled__2024-H2"),
        ("yearly", sh(2024, 1, 1), "scheduled__2024"),
    ],
)
def test_scheduled_run_id_carries_the_period_key(cadence, start, run_id):
    from airflow.utils.types import DagRunType

    tt = GraceTimetable(cadence, 5)
    info = tt.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(start, None, catchup=True)
    )
    # The interval arrives in UTC (16:00 the day before): the key is the Shanghai period's.
    interval = DataInterval(info.data_interval.start.in_timezone("UTC"), info.data_interval.end.in_timezone("UTC"))
    got = tt.generate_run_id(
        run_type=DagRunType.SCHEDULED, run_after=info.run_after, data_interval=interval, partition_key=None
    )
    assert got == run_id


def test_manual_and_backfill_run_ids_stay_airflows():
    from airflow.utils.types import DagRunType

    tt = GraceTimetable("monthly", 5)
    interval = DataInterval(sh(2024, 3, 1), sh(2024, 4, 1))
    after = sh(2024, 4, 20, 10)
    assert tt.generate_run_id(run_type=DagRunType.MANUAL, run_after=after, data_interval=interval) == (
        f"manual__{after.isoformat()}"
    )
    assert tt.generate_run_id(run_type=DagRunType.BACKFILL_JOB, run_after=after, data_interval=interval) == (
        f"backfill__{after.isoformat()}"
    )


def test_next_grace_end_problem_names_the_period_and_the_missing_year(holidays_file):
    from safegov.airflow.timetable import with_schedule_notice

    tt = GraceTimetable("monthly", 5)
    # 3 December 2026: the next run is November's, whose grace ends in December — known.
    assert tt.next_grace_end_problem(sh(2026, 12, 3, 12)) is None
    assert with_schedule_notice(tt, "d", "doc", sh(2026, 12, 3, 12)) == ("d", "doc")
    # After November's grace: December's runs into 2027, which the calendar lacks.
    problem = tt.next_grace_end_problem(sh(2026, 12, 20))
    assert "2026-12" in problem and "2027年法定节假日安排未录入" in problem
    description, doc = with_schedule_notice(tt, "d", "doc", sh(2026, 12, 20))
    assert description == f"d {problem}" and doc.startswith(f"> **{problem}**") and doc.endswith("doc")
    assert GraceTimetable("yearly", 5).next_grace_end_problem(sh(2024, 6, 1)) is None
