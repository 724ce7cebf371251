"""The production shape (CeleryExecutor, PostgreSQL, Redis) runs the pipeline exactly like the
embedded run, and survives faults without a duplicate case or email (issue 8).

Stages of the compliance DB are kept as PostgreSQL snapshots after the month run
(``ingested``, ``evaluated``, ``escalated``) so that each fault test starts from the stage it
needs and is compared with the embedded run's dump of the stage it ends at.

Order matters: ``test_month_run`` makes the snapshots the other tests start from.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.parse

import pytest

from .conftest import record_timing
from .harness import Cluster, ClusterError, terminate_backends
from .scenario import (
    BACKFILL_FROM,
    BACKFILL_MONTHS,
    BACKFILL_TO,
    MONTH,
    NOW,
    canonical_dump,
    diff_dumps,
    duplicates,
    run_after_for,
    write_late_record,
    write_small_inbox,
)

# Module-level marks: xdist reads the group at collection, before conftest hooks could add it,
# so every cluster test shares one worker (and one cluster) under `--dist loadgroup`.
pytestmark = [pytest.mark.timeout(900), pytest.mark.distributed, pytest.mark.xdist_group("distributed")]

SNAPSHOTS: set[str] = set()
# Tables whose rows record *how* emails went (attempt by attempt), not what was decided.
DELIVERY_TABLES = ("audit_log",)


def _now() -> dt.datetime:
    return dt.datetime.fromisoformat(NOW)


def _dump(cluster: Cluster, **kw) -> dict:
    eng = cluster.compliance_engine()
    try:
        return canonical_dump(eng, **kw)
    finally:
        eng.dispose()


def _assert_same(cluster: Cluster, expected: dict, *, skip=(), tables=None, drop_columns=()) -> None:
    got = _dump(cluster, skip=skip, tables=tables)
    want = {t: rows for t, rows in expected.items() if t not in set(skip) and (tables is None or t in set(tables))}
    if drop_columns:
        got, want = _drop(got, drop_columns), _drop(want, drop_columns)
    diff = diff_dumps(want, got)
    assert not diff, "distributed (+) differs from embedded (-):\n" + diff


def _drop(dump: dict, columns) -> dict:
    out = {}
    for t, rows in dump.items():
        out[t] = sorted(
            json.dumps({k: v for k, v in json.loads(r).items() if k not in columns}, sort_keys=True, ensure_ascii=False)
            for r in rows
        )
    return out


def _assert_no_duplicates(cluster: Cluster, mail_server=None) -> None:
    eng = cluster.compliance_engine()
    try:
        dups = duplicates(eng)
    finally:
        eng.dispose()
    assert dups == {"cases": [], "outbox": []}


def _require(*names: str) -> None:
    missing = [n for n in names if n not in SNAPSHOTS]
    if missing:
        pytest.skip(f"needs the snapshots {missing} that test_month_run makes (it failed or did not run)")


def _require_hook(module: str, point: str) -> None:
    """Fail unless ``module`` calls ``maybe_pause(point)`` (the fault hook of safegov.devtools.faults)."""
    import importlib.util

    src = open(importlib.util.find_spec(module).origin, encoding="utf-8").read()  # noqa: SIM115
    assert f'maybe_pause("{point}")' in src, f"{module} lost its fault point {point!r}"


_OFFSETS = iter(range(10, 100000))


def _trigger_period(cluster: Cluster, dag_id: str, month: str, *, offset_s: int = 0, run_id: str | None = None) -> str:
    """A run of ``month`` as the GraceTimetable would create it: run_after = the grace end.

    Airflow keeps one run per logical date, so each trigger takes its own logical date a
    few seconds after the grace end; the timetable maps all of them to the same month, and
    the tasks only read the data interval and run_after (kept exact)."""
    grace_end = run_after_for(month)
    # A fresh offset per trigger (``offset_s`` only documents intent: never reuse a date).
    logical = grace_end + dt.timedelta(seconds=next(_OFFSETS) * 10 + offset_s)
    return cluster.trigger(dag_id, logical, run_after=grace_end, run_id=run_id)


def _ingest(cluster: Cluster, tag: str) -> str:
    rid = cluster.trigger("safegov_ingest", None, run_id=f"ingest_{tag}_{time.time_ns()}", run_after=_now())
    state = cluster.wait_run("safegov_ingest", rid, timeout=600)
    assert state == "success", cluster.task_states("safegov_ingest", rid)
    return rid


def _drive_escalation(cluster: Cluster, run_id: str, timeout: float = 400) -> str:
    """Wait for the escalation run; the approval form is answered the way the embedded run
    does (approve_cases marked success, no decision), so that both end identically."""
    deadline = time.monotonic() + timeout
    q = urllib.parse.quote(run_id, safe="")
    while time.monotonic() < deadline:
        states = cluster.task_states("safegov_escalation", run_id)
        approve = states.get("approve_cases", (None,))[0]
        if approve == "deferred":
            cluster.api(
                "PATCH",
                f"/api/v2/dags/safegov_escalation/dagRuns/{q}/taskInstances/approve_cases",
                {"new_state": "success"},
            )
        state = cluster.run_state("safegov_escalation", run_id)
        if state in ("success", "failed"):
            return state
        cluster.assert_alive()
        time.sleep(2)
    raise ClusterError(f"escalation {run_id} not finished: {cluster.task_states('safegov_escalation', run_id)}")


def _running_task(cluster: Cluster, dag_id: str, run_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for ti in cluster.task_instances(dag_id, run_id):
            if ti["state"] == "running":
                return ti
        time.sleep(0.5)
    raise ClusterError(f"no task of {dag_id}/{run_id} started: {cluster.task_states(dag_id, run_id)}")


def _kill_worker_running(cluster: Cluster, ti: dict | None, pid: int | None = None) -> list[str]:
    """SIGKILL the worker(s) whose process group holds the task (``pid`` from the fault
    point, else the TI's pid); both when it cannot be told. Restarts them at once."""
    wanted = {p for p in (pid, (ti or {}).get("pid")) if p}
    victims = [w for w in cluster.workers if wanted & set(cluster.worker_pids(w))] or list(cluster.workers)
    for w in victims:
        cluster.kill_worker(w)
    for w in victims:
        cluster.start_worker(w)
    return victims


def _sent_keys(mail_server) -> list[str]:
    keys = []
    for m in mail_server.messages():
        blob = json.dumps(m, ensure_ascii=False)
        keys.append(blob)
    return keys


# --------------------------------------------------------------------------- the month run


@pytest.mark.timeout(1800)  # includes starting the cluster and the embedded baseline
def test_month_run_equals_embedded(cluster, mail_server, request):
    """Ingest → monthly (2024-03) → escalation on Celery/PostgreSQL/Redis gives the tables the
    embedded ``dag.test()`` run gives on SQLite."""
    t0 = time.monotonic()
    write_small_inbox(cluster.inbox)
    _ingest(cluster, "month")
    baseline = request.getfixturevalue("baseline")  # the embedded run went on meanwhile
    _assert_same(cluster, baseline["ingested"])
    cluster.snapshot("ingested")
    SNAPSHOTS.add("ingested")

    rid = _trigger_period(cluster, "safegov_monthly", MONTH)
    assert cluster.wait_run("safegov_monthly", rid, timeout=400) == "success", cluster.task_states(
        "safegov_monthly", rid
    )
    _assert_same(cluster, baseline["evaluated"])
    cluster.snapshot("evaluated")
    SNAPSHOTS.add("evaluated")

    sent_before = len(mail_server.messages())
    rid = _trigger_period(cluster, "safegov_escalation", MONTH)
    assert _drive_escalation(cluster, rid) == "success", cluster.task_states("safegov_escalation", rid)
    _assert_same(cluster, baseline["escalated"])
    _assert_no_duplicates(cluster)
    sent = mail_server.messages()[sent_before:]
    eng = cluster.compliance_engine()
    try:
        from sqlalchemy import func, select

        from safegov.db.models import OutboxMessage

        with eng.connect() as conn:
            n_sent = conn.execute(select(func.count()).where(OutboxMessage.state == "sent")).scalar_one()
    finally:
        eng.dispose()
    assert len(sent) == n_sent  # one message per sent outbox row, none twice
    cluster.snapshot("escalated")
    SNAPSHOTS.add("escalated")
    record_timing("month_run", time.monotonic() - t0)


def test_backfill_equals_embedded(cluster, baseline):
    """`airflow backfill create` over three months: the same tables as three historical
    embedded runs (verdicts and cases identical, nothing sent)."""
    _require("escalated")
    cluster.restore("escalated")
    t0 = time.monotonic()
    bf = cluster.backfill("safegov_monthly", BACKFILL_FROM, BACKFILL_TO)
    runs = cluster.wait_backfill("safegov_monthly", bf["id"], expected_runs=len(BACKFILL_MONTHS), timeout=600)
    from safegov.core.periods import TZ

    months = sorted(
        dt.datetime.fromisoformat(r["data_interval_start"].replace("Z", "+00:00")).astimezone(TZ).strftime("%Y-%m")
        for r in runs
    )
    assert months == list(BACKFILL_MONTHS)
    assert [r["state"] for r in runs] == ["success"] * len(BACKFILL_MONTHS), runs
    _assert_same(cluster, baseline["backfill-2024-03"])
    _assert_no_duplicates(cluster)
    record_timing("backfill_3_months", time.monotonic() - t0)


# --------------------------------------------------------------------------- faults


def test_worker_killed_mid_evaluation(cluster, baseline, faults):
    _require("ingested")
    cluster.restore("ingested")
    t0 = time.monotonic()
    _require_hook("safegov.airflow.tasks", "evaluate")
    faults.pause("evaluate")
    rid = _trigger_period(cluster, "safegov_monthly", MONTH, run_id=f"kill_eval_{time.time_ns()}")
    pid = faults.wait_reached("evaluate")
    ti = _running_task(cluster, "safegov_monthly", rid)
    _kill_worker_running(cluster, ti, pid)
    faults.release("evaluate")
    assert cluster.wait_run("safegov_monthly", rid, timeout=600) == "success", cluster.task_states(
        "safegov_monthly", rid
    )
    _assert_same(cluster, baseline["evaluated"])
    _assert_no_duplicates(cluster)
    record_timing("fault_worker_killed_mid_evaluation", time.monotonic() - t0)


def test_worker_killed_mid_escalation(cluster, baseline, faults):
    _require("evaluated")
    cluster.restore("evaluated")
    t0 = time.monotonic()
    _require_hook("safegov.airflow.tasks", "escalate")
    faults.pause("escalate")
    rid = _trigger_period(cluster, "safegov_escalation", MONTH, run_id=f"kill_esc_{time.time_ns()}")
    pid = faults.wait_reached("escalate")
    ti = cluster.wait_task("safegov_escalation", rid, "escalate", ("running",), timeout=240)
    _kill_worker_running(cluster, ti, pid)
    faults.release("escalate")
    assert _drive_escalation(cluster, rid, timeout=600) == "success"
    _assert_same(cluster, baseline["escalated"])
    _assert_no_duplicates(cluster)
    record_timing("fault_worker_killed_mid_escalation", time.monotonic() - t0)


def test_worker_killed_between_send_and_mark(cluster, baseline, faults, mail_server):
    """Claim → send → (SIGKILL) → mark: at most one possible duplicate, flagged on the row."""
    _require("evaluated")
    _require_hook("safegov.notification.outbox", "after_send")
    cluster.restore("evaluated")
    t0 = time.monotonic()
    before = len(mail_server.messages())
    faults.pause("after_send")
    rid = _trigger_period(cluster, "safegov_escalation", MONTH, run_id=f"kill_send_{time.time_ns()}")
    pid = faults.wait_reached("after_send", timeout=300)
    ti = cluster.wait_task("safegov_escalation", rid, "deliver", ("running",), timeout=60)
    _kill_worker_running(cluster, ti, pid)
    faults.release("after_send")
    _drive_escalation(cluster, rid, timeout=600)
    # The next delivery after the lease expired (the daily notify run): the row in `sending`
    # is claimed again and sent again, flagged as a possible duplicate.
    from safegov.notification.mail import get_mailer
    from safegov.notification.outbox import deliver

    eng = cluster.compliance_engine()
    try:
        deliver(eng, get_mailer(host=mail_server.url, api_key="SG.test"), now=_now() + dt.timedelta(days=1))
        from sqlalchemy import select

        from safegov.db.models import OutboxMessage

        with eng.connect() as conn:
            rows = conn.execute(select(OutboxMessage.key, OutboxMessage.state, OutboxMessage.possible_duplicate)).all()
    finally:
        eng.dispose()
    assert all(state in ("sent", "suppressed", "failed") for _, state, _ in rows), rows
    assert sum(1 for *_, dup in rows if dup) <= 1
    subjects = [
        json.dumps(m.get("personalizations") or m.get("to"), sort_keys=True) + str(m.get("subject"))
        for m in mail_server.messages()[before:]
    ]
    assert len(subjects) - len(set(subjects)) <= 1  # at most the one possible duplicate
    _assert_same(cluster, baseline["escalated"], skip=DELIVERY_TABLES)
    _assert_no_duplicates(cluster)
    record_timing("fault_killed_between_send_and_mark", time.monotonic() - t0)


def test_same_period_twice_at_once(cluster, baseline):
    """Two runs for the same data interval (different run ids) triggered together."""
    _require("ingested")
    cluster.restore("ingested")
    t0 = time.monotonic()
    a = _trigger_period(cluster, "safegov_monthly", MONTH, run_id=f"twin_a_{time.time_ns()}")
    b = _trigger_period(cluster, "safegov_monthly", MONTH, offset_s=1, run_id=f"twin_b_{time.time_ns()}")
    assert cluster.wait_run("safegov_monthly", a, timeout=400) == "success"
    assert cluster.wait_run("safegov_monthly", b, timeout=400) == "success"
    _assert_same(cluster, baseline["evaluated"])
    _assert_no_duplicates(cluster)
    record_timing("fault_same_period_twice", time.monotonic() - t0)


def test_backfill_overlapping_live_runs(cluster, baseline):
    """A backfill of Jan–Mar while the live March run is going: the verdicts of each period
    are those of the embedded run (which run wrote last only changes the historical flag)."""
    _require("ingested")
    cluster.restore("ingested")
    t0 = time.monotonic()
    live = _trigger_period(cluster, "safegov_monthly", MONTH, run_id=f"live_{time.time_ns()}")
    bf = cluster.backfill("safegov_monthly", BACKFILL_FROM, BACKFILL_TO, reprocess="completed")
    assert cluster.wait_run("safegov_monthly", live, timeout=500) == "success"
    runs = cluster.wait_backfill("safegov_monthly", bf["id"], expected_runs=len(BACKFILL_MONTHS), timeout=600)
    assert all(r["state"] == "success" for r in runs), runs
    _assert_same(cluster, baseline["backfill-2024-03"], tables=("evaluation",), drop_columns=("historical",))
    _assert_no_duplicates(cluster)
    record_timing("fault_backfill_overlapping_live", time.monotonic() - t0)


def test_mail_server_down_then_back(cluster, baseline, mail_server):
    """The SendGrid server is down during the escalation run: rows wait, then go, once each."""
    _require("evaluated")
    cluster.restore("evaluated")
    t0 = time.monotonic()
    before = len(mail_server.messages())
    mail_server.stop()
    try:
        rid = _trigger_period(cluster, "safegov_escalation", MONTH, run_id=f"maildown_{time.time_ns()}")
        assert _drive_escalation(cluster, rid, timeout=600) == "success"
        assert len(mail_server.messages()) == before  # nothing could go
    finally:
        mail_server.start()
    from safegov.notification.mail import get_mailer
    from safegov.notification.outbox import deliver

    eng = cluster.compliance_engine()
    try:
        # The next delivery runs (daily notify); pinned clocks need an explicit later "now".
        for hours in (1, 6, 24, 48):
            deliver(eng, get_mailer(host=mail_server.url, api_key="SG.test"), now=_now() + dt.timedelta(hours=hours))
    finally:
        eng.dispose()
    _assert_same(cluster, baseline["escalated"], skip=DELIVERY_TABLES)
    _assert_no_duplicates(cluster)
    sent = mail_server.messages()[before:]
    blobs = [json.dumps(m, sort_keys=True, ensure_ascii=False) for m in sent]
    assert len(blobs) == len(
        {
            json.dumps(
                {k: v for k, v in m.items() if k not in ("message_id", "received_at", "id")},
                sort_keys=True,
                ensure_ascii=False,
            )
            for m in sent
        }
    )
    record_timing("fault_mail_server_down", time.monotonic() - t0)


def test_postgres_connections_killed_mid_run(cluster, baseline, faults):
    """What a PostgreSQL restart does to clients, without restarting the shared server: every
    backend of both our databases is terminated while an evaluation task runs."""
    _require("ingested")
    cluster.restore("ingested")
    t0 = time.monotonic()
    _require_hook("safegov.airflow.tasks", "evaluate")
    faults.pause("evaluate", seconds=20)
    rid = _trigger_period(cluster, "safegov_monthly", MONTH, run_id=f"pgkill_{time.time_ns()}")
    faults.wait_reached("evaluate")
    killed = 0
    for _ in range(3):
        killed += terminate_backends(cluster.sg_db) + terminate_backends(cluster.af_db)
        time.sleep(1)
    faults.release("evaluate")
    assert killed > 0
    # Processes that exit on a lost connection are started again (restart: always).
    assert cluster.wait_run("safegov_monthly", rid, timeout=600) == "success", cluster.task_states(
        "safegov_monthly", rid
    )
    print("restarted after the connection kill:", cluster.restarts)
    _assert_same(cluster, baseline["evaluated"])
    _assert_no_duplicates(cluster)
    record_timing("fault_postgres_connections_killed", time.monotonic() - t0)


def test_late_record_while_period_evaluated(cluster, baseline, faults):
    """A record for March arrives while March is being evaluated; after the re-evaluation
    the late record counts (met_late) and nothing else changed."""
    _require("ingested")
    cluster.restore("ingested")
    t0 = time.monotonic()
    _require_hook("safegov.airflow.tasks", "evaluate")
    faults.pause("evaluate", seconds=60)
    rid = _trigger_period(cluster, "safegov_monthly", MONTH, run_id=f"late_a_{time.time_ns()}")
    faults.wait_reached("evaluate")
    write_late_record(cluster.inbox)
    _ingest(cluster, "late")
    faults.release("evaluate")
    assert cluster.wait_run("safegov_monthly", rid, timeout=500) == "success"
    # A record for a closed period re-opens it (SPEC §5): the period is evaluated again.
    again = _trigger_period(cluster, "safegov_monthly", MONTH, offset_s=2, run_id=f"late_b_{time.time_ns()}")
    assert cluster.wait_run("safegov_monthly", again, timeout=400) == "success"
    eng = cluster.compliance_engine()
    try:
        from sqlalchemy import select

        from safegov.db.models import Evaluation

        with eng.connect() as conn:
            row = conn.execute(
                select(Evaluation.status, Evaluation.evidence).where(
                    Evaluation.obligation_id == "LEAD-INSPECT-COUNTY",
                    Evaluation.subject_id == "150103:government_head",
                    Evaluation.period == MONTH,
                )
            ).one()
    finally:
        eng.dispose()
    assert row.status == "met_late" and "I-Z-GH-2024-03-LATE" in (row.evidence or ""), row
    # Every other verdict is the embedded one.
    got = _dump(cluster, tables=("evaluation",))["evaluation"]
    want = baseline["evaluated"]["evaluation"]
    changed = [r for r in got if r not in want]
    assert len(changed) == 1 and "150103:government_head" in changed[0] and "LEAD-INSPECT-COUNTY" in changed[0], changed
    _assert_no_duplicates(cluster)
    record_timing("fault_late_record_during_evaluation", time.monotonic() - t0)
