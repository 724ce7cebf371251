"""Helpers for the Airflow side: a throw-away AIRFLOW_HOME and helpers to run Airflow in it.

Airflow reads its configuration once per process, so everything that needs a metadata
database (the CLI, ``dag.test()``, the scheduler) runs in a subprocess with its own
environment; in-process tests only parse DAG files and call timetables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
PLUGINS = ROOT / "plugins"
VENV_BIN = Path(sys.executable).parent


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of scripts/airflow_env.sh, pointed at ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "SAFEGOV_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(PLUGINS),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__DEFAULT_TIMEZONE="Asia/Shanghai",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        SAFEGOV_DATA_DIR=str(home / "data"),
        SAFEGOV_DATABASE_URL=f"sqlite:///{home / 'data' / 'safegov.db'}",
        SAFEGOV_INBOX=str(home / "data" / "inbox"),
        SAFEGOV_CONFIG_DIR=str(ROOT / "config"),
        # The tests write a file and run the ingest task at once: no settling time.
        SAFEGOV_INBOX_SETTLE_SECONDS="0",
    )
    env.update(extra)
    return env


def run_airflow(
    env: dict[str, str], *args: str, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(VENV_BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"airflow {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def url_of(engine) -> str:
    """The SAFEGOV_DATABASE_URL of ``engine`` for a subprocess (a PostgreSQL test schema kept in search_path)."""
    from sqlalchemy import text

    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("select current_schema()")).scalar()
        url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    return url


def answer_form_run(script: str, dag_file: Path, answer: dict, user: str, env: dict[str, str]) -> tuple[dict, dict]:
    """Run ``script`` (a ``dag.test()`` runner that answers the DAG's form as ``user`` and prints
    ``@@form`` and ``@@run`` lines) in a subprocess; returns (form, run)."""
    import json

    proc = subprocess.run(
        [sys.executable, "-c", script, str(dag_file), json.dumps(answer), user],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    found = {
        line[2:].split(" ", 1)[0]: json.loads(line.split(" ", 1)[1])
        for line in proc.stdout.splitlines()
        if line.startswith("@@")
    }
    assert set(found) == {"form", "run"}, proc.stdout[-3000:] + proc.stderr[-5000:]
    return found["form"], found["run"]
