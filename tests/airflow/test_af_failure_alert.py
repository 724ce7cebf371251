"""A task that fails after its retries emails the operators once per DAG run (#18): the
DAGs' ``on_failure_callback``, end to end under ``dag.test()`` (a DAG whose task fails,
built on the DAGs' own ``DEFAULT_ARGS``) and at the callback itself."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest
from afhelpers import ROOT, airflow_env, url_of
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.db.models import OutboxMessage

FAILING_DAG = textwrap.dedent(
    """
    import sys
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    from safegov.airflow.tasks import DEFAULT_ARGS, START_DATE

    def boom():
        raise RuntimeError("磁盘已满 (disk full)")

    with DAG(
        dag_id="safegov_ingest",  # a safegov DAG id: the alert names it by its Chinese title
        schedule=None,
        start_date=START_DATE,
        default_args={**DEFAULT_ARGS, "retries": 0},
    ) as dag:
        PythonOperator(task_id="ingest_inbox", python_callable=boom)
        PythonOperator(task_id="second", python_callable=boom)

    dr = dag.test()
    print("@@state", dr.state, flush=True)
    """
)


def _alerts(engine):
    with Session(engine) as s:
        return s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "task_failure")).all()


@pytest.mark.slow
# One backend: the DAG run is what is tested here; the callback's queueing and sending on
# both backends is test_the_callback_queues_and_sends_at_once.
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_failed_run_emails_each_operator_once(engine, airflow_home, mailserver, tmp_path):
    env = airflow_env(airflow_home, SAFEGOV_DATABASE_URL=url_of(engine), SAFEGOV_SENDGRID_HOST=mailserver.url)
    proc = subprocess.run(
        [sys.executable, "-c", FAILING_DAG], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert "@@state failed" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-5000:]
    rows = _alerts(engine)
    # two tasks failed in the run; the shipped config has one operator: one email
    assert [(r.to_email, r.subject_id, r.state) for r in rows] == [("ops@example.gov.cn", "safegov_ingest", "sent")]
    [sent] = mailserver.messages()
    assert sent["subject"].startswith("【safegov 运行故障】报送文件入库：任务 ")
    assert "磁盘已满" in rows[0].body_text


def test_the_callback_queues_and_sends_at_once(engine, mailserver, monkeypatch):
    import safegov.airflow.tasks as at

    monkeypatch.setattr(at, "engine", lambda: engine)
    monkeypatch.setenv("SAFEGOV_SENDGRID_HOST", mailserver.url)
    monkeypatch.setenv("SAFEGOV_NOW", "2026-12-03T08:05:00+08:00")
    context = {
        "ti": SimpleNamespace(dag_id="safegov_monthly", task_id="sc-meet-local", try_number=3),
        "dag_run": SimpleNamespace(run_id="scheduled__2026-11-01", run_type="scheduled"),
        "exception": ValueError("bad"),
    }
    at.alert_operators(context)
    at.alert_operators(context)  # the callback run again: nothing new
    assert [(r.state, r.period) for r in _alerts(engine)] == [("sent", "scheduled__2026-11-01")]
    assert len(mailserver.messages()) == 1
