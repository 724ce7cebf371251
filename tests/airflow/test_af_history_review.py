"""The history review end to end (#15 item 5): ``dag.test()`` of safegov_history_review for a
backfilled month, its human-in-the-loop form answered as the Required Actions UI does.

A backfill of three months without leader inspections leaves each of two counties' party
secretaries with an unreviewed admonishment (诫勉谈话) for 2024-03. The region's office reviews
the month: the form lists the cases by name and is assigned to the office's users; the answer
(all, or the chosen ids) decides them, recording the answering user. The runner is the
approval flow's (``test_af_approval_flow.DAG_TEST``), pointed at this DAG and its form.
"""

from __future__ import annotations

import pytest
from afhelpers import DAGS, airflow_env, answer_form_run, url_of
from test_af_approval_flow import DAG_TEST, OFFICE_USER, eh

pytestmark = pytest.mark.slow

RUN_CONF = {"period": "2024-03", "office": "150000"}
REVIEW_TEST = (
    DAG_TEST.replace('bag.dags["safegov_escalation"]', 'bag.dags["safegov_history_review"]')
    .replace('TaskInstance.task_id == "approve_cases"', 'TaskInstance.task_id == "review_history"')
    .replace("dr = dag.test()", f"dr = dag.test(run_conf={RUN_CONF!r})")
)


@pytest.fixture
def backfilled(engine):
    from safegov.db.engine import session_scope
    from safegov.org.units import sync_units
    from safegov.register.obligations import load_register

    with session_scope(engine) as s:
        sync_units(s)
    world = eh.World(engine)
    for unit in ("150000", eh.LEAGUE, eh.COUNTY, eh.COUNTY2):
        world.posts(unit)
    return eh.backfilled_quarter_of_misses(world, engine, load_register())


def _review(engine, airflow_home, answer):
    env = airflow_env(airflow_home, SAFEGOV_DATABASE_URL=url_of(engine))
    return answer_form_run(REVIEW_TEST, DAGS / "safegov_history_review.py", answer, OFFICE_USER, env)


# Each answer on one backend (the form's path is the same; the decisions are written by the
# core, tested on both backends in tests/accountability).
@pytest.mark.parametrize(
    "engine,chosen",
    [("sqlite", "all"), pytest.param("postgresql", "first", marks=pytest.mark.postgres)],
    indirect=["engine"],
)
def test_an_office_reviews_a_month_in_the_form(backfilled, engine, airflow_home, chosen):
    march = sorted(backfilled)
    ids = "" if chosen == "all" else str(march[0])
    form, run = _review(
        engine, airflow_home, {"chosen_options": ["批准"], "params_input": {"case_ids": ids, "reason": ""}}
    )
    assert run == {"state": "success", "tasks": {"list_unreviewed": "success", "review_history": "success"}}
    assert form["options"] == ["批准", "驳回"]
    assert OFFICE_USER in form["assigned"]
    for words in ("2024-03 未复核的历史案件 2 件", "新城区", "回民区", f"name-{eh.COUNTY}-ps", "诫勉谈话"):
        assert words in form["body"]
    got = {c.id: (c.state, c.decided_by) for c in eh.cases(engine, step="admonishment")}
    approved = march if chosen == "all" else march[:1]
    assert got == {i: ("approved", OFFICE_USER) if i in approved else ("unreviewed", None) for i in march}
    assert eh.outbox(engine) == []  # history: nothing is sent
