"""The approval flow end to end (issue #4): ``dag.test()`` of safegov_escalation, its
human-in-the-loop form answered once with Approve and once with Reject.

A larger accident (3 deaths) in a county opens a dual-interview case (双约谈) naming the
county's party secretary and government head, so it waits for the office's approval. The
escalation DAG runs under ``dag.test()`` in a subprocess (Airflow reads its configuration
once per process). Airflow 3.3 parks a HITL task in ``awaiting_input`` and ``dag.test()``
waits for an answer it never gives itself, so a thread of that process answers the form as
the Required Actions UI does: through Airflow's own response handler (``update_hitl_detail``
of the public HITL API) on the shared metadata DB, which resumes the task.

The compliance DB is the shared ``engine`` fixture (SQLite and PostgreSQL). ``deliver`` sends
through a local SendGrid (``safegov.devtools.mailserver``) on a free port. The clock is not pinned:
Airflow stamps the answer with the wall clock, and the outbox only sends rows due by the
safegov clock, so the accident is placed a few days before today.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import textwrap

import pytest
from afhelpers import DAGS, ROOT, airflow_env, answer_form_run, url_of

from safegov.core.periods import TZ

pytestmark = pytest.mark.slow

OFFICE_USER = "region_office"  # mapped to 150000, the deciding office, in config/dashboard_users.yaml

DAG_TEST = textwrap.dedent(
    """
    import json, os, sys, threading, time, traceback
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=sys.argv[1], safe_mode=False)
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["safegov_escalation"]
    answer = json.loads(sys.argv[2])
    user = sys.argv[3]

    # Imported here, before the thread starts: a thread importing these while dag.test()
    # imports in the main thread deadlocked once on an import lock (both threads parked).
    from sqlalchemy import select
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
    from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from airflow.api_fastapi.app import init_auth_manager

    # the form is assigned to the deciding office's users: the answer is checked by the auth
    # manager, as the API server does (SimpleAuthManager: the user's name is its id)
    init_auth_manager()

    def answer_the_form():
        while True:
            with create_session() as session:
                ti = session.scalar(select(TaskInstance).where(
                    TaskInstance.dag_id == dag.dag_id, TaskInstance.task_id == "approve_cases",
                    TaskInstance.state == TaskInstanceState.AWAITING_INPUT))
                if ti is not None:
                    form = session.get(HITLDetail, ti.id)
                    print("@@form", json.dumps({"options": form.options, "body": form.body,
                                               "assigned": [u["id"] for u in form.assigned_users or []]}), flush=True)
                    update_hitl_detail(dag_id=ti.dag_id, dag_run_id=ti.run_id, task_id=ti.task_id,
                                       map_index=ti.map_index, session=session,
                                       update_hitl_detail_payload=UpdateHITLDetailPayload(**answer),
                                       user=SimpleAuthManagerUser(username=user, role="admin"))
                    return
            time.sleep(0.5)

    def office():
        try:
            answer_the_form()
        except BaseException:
            traceback.print_exc()
            os._exit(3)  # unanswered, dag.test() would wait for ever

    threading.Thread(target=office, daemon=True).start()
    dr = dag.test()
    states = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
    print("@@run", json.dumps({"state": str(dr.state), "tasks": states}), flush=True)
    """
)


def _escalate_helpers():
    """tests/accountability/escalate_helpers.py (the escalation tests' builders), loaded by path."""
    spec = importlib.util.spec_from_file_location(
        "safegov_escalate_builders", ROOT / "tests" / "accountability" / "escalate_helpers.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


eh = _escalate_helpers()


@pytest.fixture
def larger_accident(engine):
    """Units, the posts of the region, league and county, and a larger accident three days ago."""
    from safegov.db.engine import session_scope
    from safegov.org.units import sync_units

    with session_scope(engine) as s:
        sync_units(s)
    world = eh.World(engine)
    for unit in ("150000", eh.LEAGUE, eh.COUNTY):
        world.posts(unit)
    occurred = dt.datetime.combine(dt.datetime.now(TZ).date() - dt.timedelta(days=3), dt.time(10), TZ)
    world.accident("A1", unit=eh.COUNTY, occurred=occurred, deaths=3)


@pytest.fixture
def run_flow(engine, larger_accident, airflow_home, mailserver):
    """Run the escalation DAG with ``dag.test()``, answering its form with ``answer``."""

    def run(answer: dict) -> tuple[dict, dict]:
        env = airflow_env(airflow_home, SAFEGOV_DATABASE_URL=url_of(engine), SAFEGOV_SENDGRID_HOST=mailserver.url)
        return answer_form_run(DAG_TEST, DAGS / "safegov_escalation.py", answer, OFFICE_USER, env)

    return run


def _the_case(engine):
    [case] = eh.cases(engine)
    return case


def test_approve_opens_the_case_and_sends_its_notices(run_flow, engine, mailserver):
    form, run = run_flow({"chosen_options": ["批准"], "params_input": {"reason": ""}})

    assert form["options"] == ["批准", "驳回"]
    assert form["assigned"] == ["admin", OFFICE_USER]  # the users of the deciding office, 150000
    # The persons by name (the leader registry's), the rule by its title with its id after.
    assert "（DUAL-INTERVIEW-COUNTY）" in form["body"] and f"name-{eh.COUNTY}-ps、name-{eh.COUNTY}-gh" in form["body"]
    assert run == {
        "state": "success",
        "tasks": {
            "escalate": "success",
            "approve_cases": "success",
            "deliver": "success",
            "checkpoint_audit": "success",
        },
    }
    case = _the_case(engine)
    assert (case.kind, case.state, case.decided_by, case.decision_reason) == (
        "dual_interview",
        "approved",
        OFFICE_USER,
        None,
    )
    rows = eh.outbox(engine)
    # the two persons named and the offices of the county and the region, each once
    assert sorted(r.recipient for r in rows) == sorted(
        [f"{eh.COUNTY}-ps", f"{eh.COUNTY}-gh", "office:150000", f"office:{eh.COUNTY}"]
    )
    assert {(r.template, r.subject_id, r.period, r.state) for r in rows} == {
        ("case_dual_interview", eh.COUNTY, "A1", "sent")
    }
    sent = mailserver.messages()
    assert sorted(m["custom_args"]["outbox_key"] for m in sent) == sorted(r.key for r in rows)


def test_reject_records_the_reason_and_sends_nothing(run_flow, engine, mailserver):
    form, run = run_flow({"chosen_options": ["驳回"], "params_input": {"reason": "figures under review"}})

    assert "DUAL-INTERVIEW-COUNTY" in form["body"]
    assert run == {
        "state": "success",
        "tasks": {
            "escalate": "success",
            "approve_cases": "success",
            "deliver": "success",
            "checkpoint_audit": "success",
        },
    }
    case = _the_case(engine)
    assert (case.state, case.decided_by, case.decision_reason) == ("rejected", OFFICE_USER, "figures under review")
    assert eh.outbox(engine) == []
    assert mailserver.messages() == []
