"""DAG integrity: every DAG file parses, stays light, and carries the house rules."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from afhelpers import DAGS, ROOT, airflow_env

# xdist_group: the DAG folder is parsed once (a module fixture), by one worker.
pytestmark = pytest.mark.xdist_group("dag_integrity")

EXPECTED_DAGS = {
    "safegov_ingest",
    "safegov_monthly",
    "safegov_quarterly",
    "safegov_half_yearly",
    "safegov_yearly",
    "safegov_events",
    "safegov_late_data",
    "safegov_escalation",
    "safegov_notify",
    "safegov_bulletin",
    "safegov_history_review",
}
FORBIDDEN_MODULES = ("great_expectations", "pandas", "sendgrid")

# Parses the DAG folder in a fresh interpreter with sockets, engines, connections and
# variables booby-trapped *after* Airflow itself is imported (Airflow sets up its own ORM at
# import), then reports import errors, trap hits and newly imported heavy modules.
PARSE_SCRIPT = textwrap.dedent(
    """
    import json, socket, sys
    from airflow.dag_processing.dagbag import DagBag
    import sqlalchemy, sqlalchemy.engine
    from airflow.sdk import BaseHook, Variable

    hits = []
    def trap(name):
        def _raise(*a, **k):
            hits.append(name)
            raise RuntimeError(f"{name} at DAG parse time")
        return _raise

    socket.socket.connect = trap("socket.connect")
    socket.create_connection = trap("socket.create_connection")
    sqlalchemy.create_engine = trap("sqlalchemy.create_engine")
    sqlalchemy.engine.create_engine = trap("sqlalchemy.engine.create_engine")
    sqlalchemy.engine.Engine.connect = trap("Engine.connect")
    BaseHook.get_connection = classmethod(trap("BaseHook.get_connection"))
    Variable.get = staticmethod(trap("Variable.get"))

    before = set(sys.modules)
    bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
    new = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in {FORBIDDEN})
    already = sorted(m for m in before if m.split(".")[0] in {FORBIDDEN})
    out = {
        "import_errors": {k: str(v)[-2000:] for k, v in bag.import_errors.items()},
        "hits": hits,
        "new_heavy": new,
        "heavy_before": already,
        "dags": {},
    }
    for dag_id, dag in bag.dags.items():
        out["dags"][dag_id] = {
            "fileloc": dag.fileloc,
            "tags": sorted(dag.tags or []),
            "owners": sorted({t.owner for t in dag.tasks}),
            "retries": sorted({t.retries for t in dag.tasks}),
            "doc_md": dag.doc_md or "",
            "description": dag.description or "",
            "timezone": str(dag.timezone.name if hasattr(dag.timezone, "name") else dag.timezone),
            "start_date": dag.start_date.isoformat() if dag.start_date else None,
            "tasks": [t.task_id for t in dag.tasks],
            "pools": {t.task_id: t.pool for t in dag.tasks},
            "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
            "on_failure": sorted({
                cb.__name__
                for t in dag.tasks
                for cb in (
                    t.on_failure_callback if isinstance(t.on_failure_callback, list) else [t.on_failure_callback]
                )
            }),
            "catchup": dag.catchup,
            "timetable": type(dag.timetable).__name__,
            "timetable_data": dag.timetable.serialize() if hasattr(dag.timetable, "serialize") else None,
        }
    print("@@" + json.dumps(out))
    """
).replace("{FORBIDDEN}", repr(set(FORBIDDEN_MODULES)))


def parse_dags(home: Path, **env: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PARSE_SCRIPT, str(DAGS)],
        env=airflow_env(home, **env),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("@@"))
    return json.loads(line[2:])


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    return parse_dags(tmp_path_factory.mktemp("parse_home"), SAFEGOV_NOW="2026-12-03T12:00:00+08:00")


def test_every_dag_file_imports_without_error(parsed):
    assert parsed["import_errors"] == {}
    assert set(parsed["dags"]) == EXPECTED_DAGS


def test_no_database_connection_or_network_at_parse_time(parsed):
    assert parsed["hits"] == []


def test_no_heavy_imports_at_parse_time(parsed):
    assert parsed["new_heavy"] == [], "a DAG file imports GX, pandas or sendgrid at top level"


def test_every_dag_file_is_free_of_heavy_top_level_imports():
    """Static belt and braces: the DAG files never name the heavy modules at top level."""
    for path in DAGS.glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("import ", "from ")):
                assert not any(m in line for m in FORBIDDEN_MODULES), f"{path.name}: {line}"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_house_rules(parsed, dag_id):
    dag = parsed["dags"][dag_id]
    assert dag["tags"] and "safegov" in dag["tags"]
    assert dag["owners"] == ["safegov"]
    assert min(dag["retries"]) >= 2
    assert len(dag["doc_md"]) > 80
    assert dag["timezone"] == "Asia/Shanghai"
    assert dt.datetime.fromisoformat(dag["start_date"]) == dt.datetime(
        2017, 2, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    assert dag["catchup"] is False
    assert Path(dag["fileloc"]).parent == DAGS


@pytest.mark.parametrize("cadence", ["monthly", "quarterly", "half_yearly", "yearly"])
def test_periodic_dags_follow_the_register(parsed, cadence):
    from safegov.register.obligations import get_register

    obligations = get_register().by_cadence(cadence)
    dag = parsed["dags"][f"safegov_{cadence}"]
    assert dag["tasks"] == [ob.id.lower() for ob in obligations] + ["announce_evaluations"]
    assert dag["timetable"] == "GraceTimetable"
    assert dag["timetable_data"] == {
        "cadence": cadence,
        "grace_working_days": max(ob.grace_working_days for ob in obligations),
    }


def test_escalation_has_an_approval_then_delivery(parsed):
    dag = parsed["dags"]["safegov_escalation"]
    assert dag["tasks"] == ["escalate", "approve_cases", "deliver", "checkpoint_audit"]
    # the audit checkpoint is signed right after escalation, not after the office's answer
    assert dag["upstream"] == {
        "escalate": [],
        "approve_cases": ["escalate"],
        "deliver": ["approve_cases"],
        "checkpoint_audit": ["escalate"],
    }


def test_notify_signs_the_audit_chain_after_delivery(parsed):
    dag = parsed["dags"]["safegov_notify"]
    assert dag["upstream"]["checkpoint_audit"] == ["deliver", "watch_calendar"]


def test_every_task_alerts_the_operators_under_a_chinese_dag_title(parsed):
    """A failed task of any DAG emails the operators (on_failure_callback), who read the DAG's name in Chinese."""
    from safegov.airflow.tasks import DAG_TITLES

    assert set(parsed["dags"]) == set(DAG_TITLES)
    for dag_id, dag in parsed["dags"].items():
        assert dag["on_failure"] == ["alert_operators"], dag_id


def test_heavy_writers_and_senders_run_in_their_pools(parsed):
    """safegov_db for the compliance DB's heavy writers, sendgrid for what sends mail (README)."""
    from safegov.airflow.pools import DB_POOL, SENDGRID_POOL

    pools = {(dag_id, task): pool for dag_id, dag in parsed["dags"].items() for task, pool in dag["pools"].items()}
    senders = {key for key in pools if key[1] == "deliver"}
    writers = {
        key
        for key in pools
        if key[0] in {"safegov_monthly", "safegov_quarterly", "safegov_half_yearly", "safegov_yearly"}
        and key[1] != "announce_evaluations"
    }
    writers |= {
        ("safegov_ingest", "ingest_inbox"),
        ("safegov_escalation", "escalate"),
        ("safegov_events", "evaluate_events"),
        ("safegov_late_data", "reevaluate_touched"),
        ("safegov_notify", "sweep_event_deadlines"),
    }
    assert senders == {("safegov_escalation", "deliver"), ("safegov_notify", "deliver")}
    assert {key: pools[key] for key in senders} == dict.fromkeys(senders, SENDGRID_POOL)
    assert {key: pools[key] for key in writers} == dict.fromkeys(writers, DB_POOL)
    assert {pools[key] for key in set(pools) - senders - writers} == {"default_pool"}


def test_a_dag_whose_next_run_cannot_be_computed_says_why(parsed, tmp_path):
    """On 3 December 2026 the next quarter, half and year end in December, so their grace
    runs into 2027, not yet entered: those DAGs say so in their description and doc. The
    monthly DAG's next run is November's (grace ends in December): no notice until
    November's grace has ended. The bulletin (grace 0) runs at the period's end, known
    without the calendar."""
    empty = tmp_path / "holidays.yaml"
    empty.write_text("years: {}\n", encoding="utf-8")
    (tmp_path / "home").mkdir()
    later = parse_dags(tmp_path / "home", SAFEGOV_NOW="2026-12-20T12:00:00+08:00", SAFEGOV_HOLIDAYS=str(empty))
    for dags, dag_id, key in (
        (parsed, "safegov_quarterly", "2026-Q4"),
        (parsed, "safegov_half_yearly", "2026-H2"),
        (parsed, "safegov_yearly", "2026"),
        (later, "safegov_monthly", "2026-12"),
    ):
        for field in ("description", "doc_md"):
            text = dags["dags"][dag_id][field]
            assert f"暂无法排程：{key} 的宽限期截止日" in text and "2027年法定节假日安排未录入" in text, (dag_id, field)
    for dags, dag_id in ((parsed, "safegov_monthly"), (parsed, "safegov_bulletin"), (later, "safegov_bulletin")):
        assert "暂无法排程" not in dags["dags"][dag_id]["description"] + dags["dags"][dag_id]["doc_md"], dag_id
