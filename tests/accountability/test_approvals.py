"""Approvals of cases that name a person (SPEC §6): approve, reject, remind."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, LEAGUE, cases, outbox, sh
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.accountability.cases import cases_awaiting_approval, close_cases, decide_cases, remind_stale_approvals
from safegov.accountability.escalation import escalate
from safegov.core.errors import SafegovError
from safegov.db.models import CaseEvent

AS_OF = sh(2025, 1, 10, 12)
DECIDED = sh(2025, 1, 13, 15)


@pytest.fixture
def larger_accident(world, register, engine):
    world.accident("A1", occurred=sh(2025, 1, 5, 10), deaths=3)
    escalate(engine, register, "2025-01", "2025-01", as_of=AS_OF)
    return cases(engine, rule_id="DUAL-INTERVIEW-COUNTY")[0]


def test_awaiting_list_and_approve(engine, larger_accident):
    with Session(engine) as s:
        waiting = cases_awaiting_approval(s)
    assert [w["case_id"] for w in waiting] == [larger_accident.id]
    assert waiting[0]["persons"] == [f"{COUNTY}-ps", f"{COUNTY}-gh"]
    assert decide_cases(engine, [larger_accident.id], approve=True, decided_by="region office", at=DECIDED) == 1
    c = cases(engine, id=larger_accident.id)[0]
    assert (c.state, c.decided_by) == ("approved", "region office")
    # Approving twice is a no-op; deciding the other way now is an error.
    assert decide_cases(engine, [larger_accident.id], approve=True, decided_by="region office", at=DECIDED) == 0
    with pytest.raises(SafegovError, match="is approved, not awaiting approval"):
        decide_cases(engine, [larger_accident.id], approve=False, decided_by="x", reason="r", at=DECIDED)
    with Session(engine) as s:
        assert cases_awaiting_approval(s) == []
        ev = s.scalars(select(CaseEvent).where(CaseEvent.case_id == c.id).order_by(CaseEvent.id)).all()
        assert [(e.from_state, e.to_state) for e in ev] == [
            (None, "awaiting_approval"),
            ("awaiting_approval", "approved"),
        ]


def test_approval_queues_the_notices(engine, larger_accident):
    assert not outbox(engine, template="case_dual_interview")
    decide_cases(engine, [larger_accident.id], approve=True, decided_by="region office", at=DECIDED)
    rows = outbox(engine, template="case_dual_interview")
    assert sorted(r.recipient for r in rows) == [f"{COUNTY}-gh", f"{COUNTY}-ps", "office:150000", f"office:{COUNTY}"]
    assert {r.state for r in rows} == {"pending"}


def test_reject_needs_a_reason_and_records_it(engine, larger_accident):
    with pytest.raises(SafegovError, match="reason"):
        decide_cases(engine, [larger_accident.id], approve=False, decided_by="region office", at=DECIDED)
    assert (
        decide_cases(
            engine,
            [larger_accident.id],
            approve=False,
            decided_by="region office",
            reason="figures under review",
            at=DECIDED,
        )
        == 1
    )
    c = cases(engine, id=larger_accident.id)[0]
    assert (c.state, c.decision_reason) == ("rejected", "figures under review")
    assert not outbox(engine, template="case_dual_interview")


def test_unknown_case_is_an_error_and_changes_nothing(engine, larger_accident):
    with pytest.raises(SafegovError, match="no case with id 999"):
        decide_cases(engine, [larger_accident.id, 999], approve=True, decided_by="x", at=DECIDED)
    assert cases(engine, id=larger_accident.id)[0].state == "awaiting_approval"


def test_notice_cannot_be_approved(world, register, engine):
    world.evaluation(
        "LEAD-INSPECT-COUNTY",
        "post",
        f"{COUNTY}:party_secretary",
        "2024-12",
        "missed",
        responsible=f"{COUNTY}-ps",
        unit_code=COUNTY,
    )
    escalate(engine, register, "2024-12", "2024-12", as_of=AS_OF)
    notice = cases(engine, step="notice")[0]
    with pytest.raises(SafegovError, match="is open, not awaiting approval"):
        decide_cases(engine, [notice.id], approve=True, decided_by="x", at=DECIDED)
    assert close_cases(engine, [notice.id], closed_by="county office", at=DECIDED) == 1
    assert cases(engine, id=notice.id)[0].state == "closed"


def test_stale_approvals_remind_the_deciding_office(engine, larger_accident):
    opened = larger_accident.opened_on  # 2025-01-10, a Friday
    assert opened == dt.date(2025, 1, 10)
    # 5 working days later (2025-01-17) is not yet past 5.
    assert remind_stale_approvals(engine, on=dt.date(2025, 1, 17)) == 0
    assert remind_stale_approvals(engine, on=dt.date(2025, 1, 20)) == 1
    assert remind_stale_approvals(engine, on=dt.date(2025, 1, 20)) == 0  # same day, re-run
    assert remind_stale_approvals(engine, on=dt.date(2025, 1, 21)) == 0  # same block
    rows = outbox(engine, template="approval_reminder")
    assert [(r.recipient, r.to_email) for r in rows] == [("office:150000", "150000-so@gov.example")]
    decide_cases(engine, [larger_accident.id], approve=True, decided_by="region office", at=DECIDED)
    assert remind_stale_approvals(engine, on=dt.date(2025, 2, 20)) == 0


def test_league_case_persons_and_deciding_unit(world, register, engine):
    world.accident("A9", occurred=sh(2025, 1, 6, 10), deaths=12)
    escalate(engine, register, "2025-01", "2025-01", as_of=AS_OF)
    c = cases(engine, rule_id="DUAL-INTERVIEW-LEAGUE")[0]
    assert (c.subject_id, c.persons, c.state) == (LEAGUE, f"{LEAGUE}-ps;{LEAGUE}-gh", "awaiting_approval")


def test_withdrawn_case_is_skipped_by_a_decision(world, register, engine):
    post = f"{COUNTY}:party_secretary"
    for p in ("2024-11", "2024-12"):
        world.evaluation("LEAD-INSPECT-COUNTY", "post", post, p, "missed", responsible=f"{COUNTY}-ps", unit_code=COUNTY)
    escalate(engine, register, "2024-11", "2024-12", as_of=AS_OF)
    interview = cases(engine, step="interview")[0]
    world.evaluation(
        "LEAD-INSPECT-COUNTY", "post", post, "2024-12", "met_late", responsible=f"{COUNTY}-ps", unit_code=COUNTY
    )
    escalate(engine, register, "2024-12", "2024-12", as_of=AS_OF)
    assert decide_cases(engine, [interview.id], approve=True, decided_by="league office", at=DECIDED) == 0
    assert cases(engine, id=interview.id)[0].state == "withdrawn"


def test_every_case_state_has_a_chinese_name():
    from safegov.accountability.cases import STATES
    from safegov.cli.commands.cases import STATES as CLI_STATES
    from safegov.core.words import WORDS

    assert CLI_STATES == STATES
    assert "unreviewed" in STATES
    for state in STATES:
        zh = WORDS[state][0]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), (state, zh)
