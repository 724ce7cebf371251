"""The monthly DAG end to end: ``dag.test()`` and a real backfill give direct evaluation's verdicts.

The compliance DB is the shared ``engine`` fixture (SQLite and PostgreSQL); Airflow's metadata
DB is SQLite in a temporary AIRFLOW_HOME. Airflow runs in a subprocess (its configuration is
read once per process). The same small data set goes into a second database evaluated
directly with ``safegov.evaluation.engine.evaluate_range``; the verdicts must be identical.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from afhelpers import DAGS, ROOT, VENV_BIN, airflow_env, run_airflow, url_of
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.airflow.pools import pool_specs
from safegov.core.periods import TZ, parse_period

MONTHS = ["2024-03", "2024-04", "2024-05"]
NOW = "2024-07-01T09:00:00+08:00"  # every month above is past its grace
COLUMNS = (
    "obligation_id",
    "subject_kind",
    "subject_id",
    "period",
    "status",
    "counted",
    "required",
    "reason",
    "evidence",
)


def _builder_module():
    path = ROOT / "tests" / "evaluation" / "evalkit.py"
    spec = importlib.util.spec_from_file_location("safegov_eval_builders", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def populate(engine) -> None:
    """Three months of a league and two counties: met, met late, missed, exempt."""
    b = _builder_module()
    B = b.Builder(engine).units()
    for unit in (b.COUNTY, b.COUNTY2, b.LEAGUE):
        B.leader(f"PS{unit}", unit, "party_secretary")
        B.leader(f"GH{unit}", unit, "government_head")
    B.department("D1", b.COUNTY)
    B.leader("DH1", b.COUNTY, "department_head", department_id="D1")
    B.enterprise(b.ENT, b.COUNTY)
    B.enterprise(b.ENT2, b.COUNTY, registered_on="2024-04-15")  # exempt in March
    B.meeting(b.COUNTY, "2024-03-10")
    B.meeting(b.COUNTY, "2024-04-28", received_at="2024-05-20 09:00")  # after grace: met_late
    B.meeting(b.COUNTY2, "2024-03-29")
    B.meeting(b.LEAGUE, "2024-05-06")
    B.inspection(f"PS{b.COUNTY}", "2024-03-12")
    B.inspection(f"GH{b.COUNTY}", "2024-04-02", received_at="2024-04-03 10:00")
    B.inspection("DH1", "2024-05-15")
    B.bulletin(b.COUNTY, "2024-03", "2024-04-03")
    B.selfcheck("2024-03-20", enterprise_id=b.ENT)
    B.selfcheck("2024-04-20", enterprise_id=b.ENT2, led_by_role="other")  # does not count


def snapshot(engine, periods: list[str] | None = None) -> list[tuple]:
    from safegov.db.models import Evaluation

    query = select(*[getattr(Evaluation, c) for c in COLUMNS])
    if periods is not None:
        query = query.where(Evaluation.period.in_(periods))
    with Session(engine) as s:
        rows = s.execute(query).all()
    return sorted(tuple(r) for r in rows)


def direct(engine) -> None:
    from safegov.evaluation.engine import evaluate_range
    from safegov.register.obligations import get_register

    reg = get_register()
    ids = [ob.id for ob in reg.by_cadence("monthly")]
    evaluate_range(engine, reg, MONTHS[0], MONTHS[-1], as_of=dt.datetime.fromisoformat(NOW), obligation_ids=ids)


DAG_TEST = textwrap.dedent(
    """
    import sys
    from airflow.dag_processing.dagbag import DagBag
    from safegov.core.periods import grace_ends_at, parse_period
    bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["safegov_monthly"]
    dag.deadline = None
    for key in sys.argv[2:]:
        # a manual run at the moment grace ends: the timetable infers exactly that month
        dr = dag.test(logical_date=grace_ends_at(parse_period(key), 5))
        print("@@", key, dr.state, dr.data_interval_start.isoformat())
    """
)


def test_dag_test_equals_direct_evaluation(engine, twin_engine, airflow_home):
    populate(engine)
    populate(twin_engine)
    env = airflow_env(airflow_home, SAFEGOV_DATABASE_URL=url_of(engine), SAFEGOV_NOW=NOW)
    proc = subprocess.run(
        [sys.executable, "-c", DAG_TEST, str(DAGS / "safegov_periodic.py"), *MONTHS],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    results = [ln.split() for ln in proc.stdout.splitlines() if ln.startswith("@@")]
    assert [r[1] for r in results] == MONTHS
    assert all(r[2] == "success" for r in results), results
    # data_interval_start is each month's first day in Asia/Shanghai
    for r, key in zip(results, MONTHS):
        assert dt.datetime.fromisoformat(r[3]) == parse_period(key).start

    direct(twin_engine)
    via_airflow, expected = snapshot(engine), snapshot(twin_engine)
    assert expected, "the direct evaluation produced no verdicts"
    assert {r[4] for r in expected} >= {"met", "missed"}
    assert via_airflow == expected


# --------------------------------------------------------------------------- real backfill


def _wait_for(predicate, timeout: float, what: str, step: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
# SQLite only: this is `make run`'s shape (LocalExecutor, SQLite); the same backfill on
# PostgreSQL through Celery workers is tests/distributed' test_backfill_equals_embedded.
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_backfill_through_a_running_scheduler_equals_direct_evaluation(engine, twin_engine, airflow_home):
    """`airflow backfill create` over two months, executed by a real scheduler (LocalExecutor),
    then the last of them reprocessed: nothing changes. (Every task of a run takes its turn in
    the one-slot SQLite pool: each month costs about half a minute here.)"""
    months = ["2024-02", "2024-03"]
    populate(engine)
    populate(twin_engine)
    port = _free_port()
    # Only the periodic DAGs: the other pipelines would run on their own schedules here.
    dags = airflow_home / "dags"
    dags.mkdir()
    shutil.copy(DAGS / "safegov_periodic.py", dags / "safegov_periodic.py")
    env = airflow_env(
        airflow_home,
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        SAFEGOV_DATABASE_URL=url_of(engine),
        SAFEGOV_NOW="2024-08-01T09:00:00+08:00",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__CORE__PARALLELISM="2",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
    )
    # the evaluation tasks run in safegov_db (1 slot on SQLite): a missing pool is never scheduled
    for spec in pool_specs(env):
        run_airflow(env, *spec.cli_args())
    run_airflow(env, "dags", "reserialize")
    run_airflow(
        env,
        "backfill",
        "create",
        "--dag-id",
        "safegov_monthly",
        "--from-date",
        "2024-02-01T00:00:00+08:00",
        "--to-date",
        "2024-03-31T00:00:00+08:00",
    )
    logs = airflow_home / "proc-logs"
    logs.mkdir()
    procs = []
    try:

        def start(name: str) -> None:
            out = open(logs / f"{name}.log", "w")
            procs.append(
                subprocess.Popen(
                    [str(VENV_BIN / "airflow"), name],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=ROOT,
                    start_new_session=True,
                )
            )

        def api_up() -> bool:
            import urllib.request

            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) as resp:
                    return resp.status == 200
            except OSError:
                return False

        # Tasks talk to the Execution API: start the scheduler only once the API answers.
        start("api-server")
        _wait_for(api_up, timeout=600, what="the API server", step=3)
        start("scheduler")

        def runs_now() -> list[dict]:
            # Read the metadata DB directly: spawning the CLI every few seconds costs more
            # than the runs themselves on a busy machine.
            import sqlite3

            try:
                with sqlite3.connect(f"file:{airflow_home / 'airflow.db'}?mode=ro", uri=True, timeout=30) as conn:
                    rows = conn.execute(
                        "select run_id, state, run_type, end_date from dag_run "
                        "where dag_id = 'safegov_monthly' and run_type = 'backfill'"
                    ).fetchall()
            except sqlite3.OperationalError:
                return []
            return [
                {
                    "run_id": r[0],
                    "state": r[1],
                    "run_type": r[2],
                    "end_date": (r[3] + "+00:00") if r[3] and "+" not in r[3] else r[3],
                }
                for r in rows
            ]

        def done_after(moment: dt.datetime | None):
            def check() -> bool:
                runs = runs_now()
                states = [r["state"] for r in runs]
                if "failed" in states:
                    raise AssertionError(f"a backfill run failed: {runs}")
                if len(runs) != len(months) or any(s != "success" for s in states):
                    return False
                if moment is None:
                    return True
                # the reprocessed run (March) ended again after the request; February did not run
                ended = [r for r in runs if r.get("end_date") and dt.datetime.fromisoformat(r["end_date"]) > moment]
                return len(ended) == 1

            return check

        _wait_for(done_after(None), timeout=1500, what="two backfill runs", step=2)
        runs = runs_now()
        assert {r["run_type"] for r in runs} == {"backfill"}
        first_pass = snapshot(engine, months)

        # Again, reprocessing the completed run of March: nothing changes.
        again = dt.datetime.now(dt.UTC)
        # (retried: the first backfill counts as running until the scheduler marks it completed)
        _wait_for(
            lambda: (
                run_airflow(
                    env,
                    "backfill",
                    "create",
                    "--dag-id",
                    "safegov_monthly",
                    "--reprocess-behavior",
                    "completed",
                    "--from-date",
                    "2024-03-01T00:00:00+08:00",
                    "--to-date",
                    "2024-03-31T00:00:00+08:00",
                    check=False,
                ).returncode
                == 0
            ),
            timeout=600,
            what="the second backfill request",
            step=3,
        )
        _wait_for(done_after(again), timeout=1500, what="the reprocessed backfill", step=2)
        assert snapshot(engine, months) == first_pass
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)

    from safegov.db.models import Evaluation
    from safegov.evaluation.engine import evaluate_range
    from safegov.register.obligations import get_register

    reg = get_register()
    ids = [ob.id for ob in reg.by_cadence("monthly")]
    evaluate_range(
        twin_engine, reg, months[0], months[-1], as_of=dt.datetime(2024, 8, 1, 9, tzinfo=TZ), obligation_ids=ids
    )
    # safegov_monthly's own scheduled run (catchup=False: the latest closed month) is not
    # part of the comparison; the backfilled months are.
    assert snapshot(engine, months) == snapshot(twin_engine, months)
    assert snapshot(engine, months)
    with Session(engine) as s:  # backfill runs are historical
        assert set(s.scalars(select(Evaluation.historical).where(Evaluation.period.in_(months)))) == {True}
