"""HAZARD-REFUSAL-PENALTY 〔十八〕: an enterprise that refuses to remove a hazard after
enforcement — a major hazard with an enforcement decision recorded on it (a penalty, basis_kind
hazard) still unrectified 30 days after the first one — gets a penalty recommendation naming
its legal representative and actual controller, approved by the unit that decided."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, ENT, LEAGUE, cases, outbox, sh
from sqlalchemy.orm import Session

from plainwords import problems
from safegov.accountability.cases import cases_awaiting_approval, decide_cases
from safegov.accountability.escalation import escalate
from safegov.db.engine import session_scope, upsert
from safegov.db.models import Department, Enterprise

RULE = "HAZARD-REFUSAL-PENALTY"
ENFORCED = dt.date(2024, 4, 1)
REFUSED = dt.date(2024, 5, 2)  # the first day of refusal: decision + 30 days + 1


def enterprise(world, engine, *, controller="王五", rep="张三"):
    world.enterprise(rep=rep)
    with Session(engine) as s, s.begin():
        s.get(Enterprise, ENT).actual_controller = controller


# (hazard grade, what the penalty is about, rectified on, as_of day, a case expected)
TABLE = [
    ("major", "hazard", None, REFUSED, True),
    ("major", "hazard", None, REFUSED - dt.timedelta(days=1), False),  # 30 days not yet over
    ("major", "hazard", REFUSED - dt.timedelta(days=1), dt.date(2024, 5, 20), False),  # removed on day 30
    ("major", "hazard", REFUSED, dt.date(2024, 5, 20), True),  # removed only on day 31: refused
    ("general", "hazard", None, dt.date(2024, 5, 20), False),  # the register's grade: major
    ("major", "accident", None, dt.date(2024, 5, 20), False),  # a penalty for something else
]


@pytest.mark.parametrize("grade, basis_kind, rectified, as_of_day, expected", TABLE)
def test_hazard_refusal_penalty(world, register, engine, grade, basis_kind, rectified, as_of_day, expected):
    enterprise(world, engine)
    world.hazard("H1", grade=grade, deadline=dt.date(2024, 3, 15), rectified=rectified)
    world.penalty("P1", "H1", basis_kind=basis_kind, decided_on=ENFORCED)
    escalate(engine, register, "2024-05", "2024-05", as_of=sh(as_of_day.year, as_of_day.month, as_of_day.day, 12))
    got = cases(engine, rule_id=RULE)
    assert len(got) == (1 if expected else 0)
    if expected:
        c = got[0]
        assert (c.kind, c.subject_kind, c.subject_id, c.period, c.step) == (
            "penalty_recommendation",
            "enterprise",
            ENT,
            "H1",
            "penalty_recommendation",
        )
        assert (c.period_start, c.unit_code, c.deciding_unit, c.state) == (
            REFUSED,
            COUNTY,
            COUNTY,
            "awaiting_approval",
        )
        assert c.persons == "张三;王五"
        d = c.details
        assert (d["legal_representative"], d["actual_controller"], d["penalty_id"], d["enforced_on"]) == (
            "张三",
            "王五",
            "P1",
            "2024-04-01",
        )


def test_a_department_decided_it_its_unit_approves(world, register, engine):
    enterprise(world, engine)
    with session_scope(engine) as s:
        upsert(
            s,
            Department.__table__,
            [{"department_id": "D-LEM", "unit_code": LEAGUE, "name": "市应急局", "safety_duty": True, "version": 1}],
            keys=["department_id"],
        )
    world.hazard("H1")
    world.penalty("P1", "H1", basis_kind="hazard", decided_by="D-LEM", decided_on=ENFORCED)
    escalate(engine, register, "2024-05", "2024-05", as_of=sh(2024, 6, 1, 12))
    assert [c.deciding_unit for c in cases(engine, rule_id=RULE)] == [LEAGUE]


def test_the_first_enforcement_decision_starts_the_30_days(world, register, engine):
    enterprise(world, engine)
    world.hazard("H1")
    world.penalty("P2", "H1", basis_kind="hazard", decided_on=dt.date(2024, 4, 20))
    world.penalty("P1", "H1", basis_kind="hazard", decided_on=ENFORCED)
    escalate(engine, register, "2024-05", "2024-05", as_of=sh(2024, 5, 2, 12))
    [c] = cases(engine, rule_id=RULE)
    assert (c.details["penalty_id"], c.period_start) == ("P1", REFUSED)


def test_an_unregistered_controller_is_not_invented(world, register, engine):
    enterprise(world, engine, controller=None)
    world.hazard("H1")
    world.penalty("P1", "H1", basis_kind="hazard", decided_on=ENFORCED)
    escalate(engine, register, "2024-05", "2024-05", as_of=sh(2024, 5, 2, 12))
    [c] = cases(engine, rule_id=RULE)
    assert (c.persons, c.details["actual_controller"]) == ("张三", None)


def test_still_refusing_it_is_chased_once_by_later_runs(world, register, engine):
    enterprise(world, engine)
    world.hazard("H1")
    world.penalty("P1", "H1", basis_kind="hazard", decided_on=ENFORCED)
    for month, day in (("2024-08", dt.date(2024, 9, 1)), ("2024-09", dt.date(2024, 10, 1))):
        escalate(engine, register, month, month, as_of=sh(day.year, day.month, day.day, 12))
        assert [(c.period, c.period_start) for c in cases(engine, rule_id=RULE)] == [("H1", REFUSED)]


def test_a_backfill_stores_it_unreviewed(world, register, engine):
    enterprise(world, engine)
    world.hazard("H1")
    world.penalty("P1", "H1", basis_kind="hazard", decided_on=ENFORCED)
    escalate(engine, register, "2024-05", "2024-05", as_of=sh(2025, 1, 1, 12), historical=True)
    assert [c.state for c in cases(engine, rule_id=RULE)] == ["unreviewed"]
    assert outbox(engine, template="case_penalty_recommendation") == []


def test_approved_the_mails_name_the_enterprise_and_the_people(world, register, engine):
    enterprise(world, engine)
    world.hazard("H1")
    world.penalty("P1", "H1", basis_kind="hazard", decided_on=ENFORCED, document_ref="新应急责改〔2024〕7号")
    escalate(engine, register, "2024-05", "2024-05", as_of=sh(2024, 5, 2, 12))
    with Session(engine) as s:
        # (the overdue hazard's admonishments of MAJOR-HAZARD-OVERDUE wait beside it)
        [listed] = [c for c in cases_awaiting_approval(s) if c["rule_id"] == RULE]
    assert listed["rule_id"] == RULE and listed["persons"] == ["张三", "王五"]
    assert outbox(engine, template="case_penalty_recommendation") == []  # nothing before approval
    decide_cases(engine, [listed["case_id"]], approve=True, decided_by="新城区安委办", at=sh(2024, 5, 6, 10))
    rows = outbox(engine, template="case_penalty_recommendation")
    assert sorted(r.recipient for r in rows) == [f"enterprise:{ENT}", f"office:{COUNTY}"]
    for r in rows:
        assert "企业01X" in r.mail_subject
        assert "法定代表人张三" in r.body_text and "实际控制人王五" in r.body_text
        assert "新应急责改〔2024〕7号" in r.body_text
        assert "执法决定作出30日后仍拒不消除事故隐患" in r.body_text
        assert problems(r.mail_subject, "zh") == [] and problems(r.body_text, "zh") == []


def test_the_approval_form_names_the_enterprise_and_the_people(world, register, engine):
    from safegov.airflow.tasks import approval_body
    from safegov.notification.wording import Names

    enterprise(world, engine)
    world.hazard("H1")
    world.penalty("P1", "H1", basis_kind="hazard", decided_on=ENFORCED)
    escalate(engine, register, "2024-05", "2024-05", as_of=sh(2024, 5, 2, 12))
    with Session(engine) as s:
        listed = [c for c in cases_awaiting_approval(s) if c["rule_id"] == RULE]
        body = approval_body(listed, Names.load(s, [("", c) for c in listed]))
    [row] = [line for line in body.splitlines() if RULE in line]
    assert "| 处罚建议 |" in row and "企业01X" in row and "张三、王五" in row and "事故隐患 H1" in row


def test_the_history_review_form_names_the_kind_in_words(world, register, engine):
    from safegov.accountability.cases import unreviewed_cases
    from safegov.airflow.tasks import review_body

    enterprise(world, engine)
    world.hazard("H1")
    world.penalty("P1", "H1", basis_kind="hazard", decided_on=ENFORCED)
    escalate(engine, register, "2024-05", "2024-05", as_of=sh(2025, 1, 1, 12), historical=True)
    with Session(engine) as s:
        rows = [r for r in unreviewed_cases(s, "2024-05", units={COUNTY, LEAGUE}) if r["rule_id"] == RULE]
    body = review_body("2024-05", "新城区", rows)
    assert "| 处罚建议 |" in body and "penalty_recommendation" not in body
