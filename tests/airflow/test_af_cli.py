"""`airflow dags next-execution` on a real AIRFLOW_HOME: the plugin registers GraceTimetable,
the DAG serialises, and the scheduler-side timetable yields the PRC-calendar run times."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

from afhelpers import airflow_env, run_airflow

SH = dt.timezone(dt.timedelta(hours=8))

DAG_FILE = textwrap.dedent(
    '''
    """A test DAG on the GraceTimetable, catching up from March 2024."""
    import pendulum
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG
    from safegov.airflow.timetable import GraceTimetable

    with DAG("grace_probe", schedule=GraceTimetable("monthly", 5), catchup=True,
             start_date=pendulum.datetime(2024, 3, 1, tz="Asia/Shanghai"),
             end_date=pendulum.datetime(2024, 12, 31, tz="Asia/Shanghai")):
        EmptyOperator(task_id="noop")
    '''
)


def _instants(stdout: str) -> list[dt.datetime]:
    out = []
    for line in stdout.splitlines():
        try:
            out.append(dt.datetime.fromisoformat(line.strip()))
        except ValueError:
            continue
    return out


def _json_line(stdout: str) -> dict:
    for line in reversed(stdout.splitlines()):
        if line.startswith(("[{", "{")):
            value = json.loads(line)
            return value[0] if isinstance(value, list) else value
    raise AssertionError(f"no JSON in {stdout[-2000:]}")


def test_next_execution_via_the_cli(airflow_home):
    dags = airflow_home / "probe_dags"
    dags.mkdir()
    (dags / "grace_probe.py").write_text(DAG_FILE)
    env = airflow_env(airflow_home, AIRFLOW__CORE__DAGS_FOLDER=str(dags))
    run_airflow(env, "dags", "reserialize")
    proc = run_airflow(env, "dags", "next-execution", "grace_probe", "-n", "3")
    # logical dates = period starts (Airflow prints them in UTC or +08:00; compare instants)
    assert _instants(proc.stdout) == [dt.datetime(2024, m, 1, tzinfo=SH) for m in (3, 4, 5)]
    details = run_airflow(env, "dags", "details", "grace_probe", "-o", "json")
    data = _json_line(details.stdout)
    # March's grace ends on 8 April (Qingming, make-up Sunday 7 April): run at 9 April 00:00+08:00
    assert dt.datetime.fromisoformat(
        data.get("next_dagrun_run_after") or data["next_dagrun_create_after"]
    ) == dt.datetime(2024, 4, 9, tzinfo=SH)
    assert dt.datetime.fromisoformat(data["next_dagrun_data_interval_end"]) == dt.datetime(2024, 4, 1, tzinfo=SH)
    assert "safegov.airflow.timetable.GraceTimetable" in json.dumps(data) or "monthly" in json.dumps(data)


LIVE_DAG_FILE = DAG_FILE.replace('"grace_probe"', '"grace_live"').replace("catchup=True", "catchup=False")
LIVE_DAG_FILE = LIVE_DAG_FILE.replace('end_date=pendulum.datetime(2024, 12, 31, tz="Asia/Shanghai")', "end_date=None")


def test_schedule_hold_file_leaves_no_next_run_until_removed(airflow_home):
    """`make run` holds the schedule while it backfills the demo history: with the hold file
    the serialised DAG has no next run (the scheduler creates none); once it is removed, the
    next parse schedules the latest period whose grace has ended."""
    dags = airflow_home / "probe_dags"
    dags.mkdir()
    (dags / "grace_live.py").write_text(LIVE_DAG_FILE)
    hold = airflow_home / ".safegov-history-pending"
    hold.touch()
    env = airflow_env(airflow_home, AIRFLOW__CORE__DAGS_FOLDER=str(dags), SAFEGOV_SCHEDULE_HOLD_FILE=str(hold))
    run_airflow(env, "dags", "reserialize")
    held = _json_line(run_airflow(env, "dags", "details", "grace_live", "-o", "json").stdout)
    assert "dag_id" in held or "dag_display_name" in held, sorted(held)
    assert held.get("next_dagrun_create_after") is None and held.get("next_dagrun_run_after") is None
    hold.unlink()
    run_airflow(env, "dags", "reserialize")
    live = _json_line(run_airflow(env, "dags", "details", "grace_live", "-o", "json").stdout)
    due = live.get("next_dagrun_run_after") or live.get("next_dagrun_create_after")
    assert due is not None, sorted(live)
    # the live period is one whose grace has ended: its run is due now or in the past
    due = dt.datetime.fromisoformat(due)
    assert due <= dt.datetime.now(dt.UTC)
