"""The embedded run: the same DAGs executed with ``dag.test()`` on a fresh SQLite database.

Run as a separate process (``python -m`` style: ``python embedded.py SPEC.json``) so that its
Airflow settings (a SQLite metadata DB copied from a migrated template) and its compliance
settings (``SAFEGOV_DATABASE_URL``) never leak into the pytest process or the cluster.

The spec names the steps; after each step the canonical dump of the compliance DB is
written to ``out`` as ``{step_name: dump}``. Steps:

- ``{"name": ..., "dag": "safegov_ingest"}`` — ingest the inbox;
- ``{"name": ..., "dag": "safegov_monthly", "month": "2024-03"}`` — the run the
  GraceTimetable creates for that month (logical date and run_after = its grace end);
- ``{"name": ..., "dag": "safegov_escalation", "month": "2024-03"}`` — escalation as
  triggered after that month; the approval task is marked success without a decision
  (``mark_success_pattern``), as the distributed test does through the REST API;
- ``{"name": ..., "dag": "safegov_monthly", "month": ..., "historical": true}`` — one run of
  a backfill. ``dag.test()`` always creates *manual* runs; a backfill's only difference for
  the tasks is ``is_historical``, which is forced here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def airflow_env(home: Path) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    sys.path.insert(0, str(HERE.parent))
    from distributed.scenario import canonical_dump, run_after_for
    from safegov.db.engine import make_engine, migrate, session_scope
    from safegov.devtools.mailserver import MailServer
    from safegov.org.units import sync_units

    mail = MailServer(port=0, record_path=Path(spec["mail_record"])).start()
    os.environ["SAFEGOV_SENDGRID_HOST"] = mail.url
    engine = make_engine(os.environ["SAFEGOV_DATABASE_URL"])
    migrate(engine)
    with session_scope(engine) as s:
        sync_units(s)

    from airflow.dag_processing.dagbag import DagBag

    import safegov.airflow.context as run_context

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    real_is_historical = run_context.is_historical
    out: dict[str, dict] = {}
    try:
        for step in spec["steps"]:
            dag = bag.dags[step["dag"]]
            dag.deadline = None  # dag.test() crashes at the end on a DAG with a deadline
            run_context.is_historical = (lambda ctx: True) if step.get("historical") else real_is_historical
            kwargs = {}
            if step.get("month"):
                moment = run_after_for(step["month"])
                kwargs = {"logical_date": moment, "run_after": moment}
            else:
                import datetime as dt

                kwargs = {"logical_date": dt.datetime.fromisoformat(spec["now"])}
            if step["dag"] == "safegov_escalation":
                kwargs["mark_success_pattern"] = "approve_cases"
            dr = dag.test(**kwargs)
            state = str(getattr(dr, "state", ""))
            if "success" not in state:
                raise SystemExit(f"embedded {step['name']} ended {state}")
            out[step["name"]] = canonical_dump(engine)
    finally:
        run_context.is_historical = real_is_historical
        mail.stop()
        engine.dispose()
    Path(spec["out"]).write_text(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
