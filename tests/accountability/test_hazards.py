"""MAJOR-HAZARD-OVERDUE 〔十七〕〔十八〕 and overdue 12350 tickets 〔二十〕."""

from __future__ import annotations

import datetime as dt

import pytest

from escalate_helpers import COUNTY, ENT, cases, outbox, sh
from safegov.accountability.escalation import ENFORCEMENT_MEASURES, escalate

DEADLINE = dt.date(2024, 3, 15)


@pytest.mark.parametrize(
    "grade, rectified, as_of_day, expected",
    [
        ("major", None, dt.date(2024, 3, 16), {"admonishment", "enforcement"}),
        ("major", None, DEADLINE, set()),  # the deadline day itself is not yet overdue
        ("major", DEADLINE, dt.date(2024, 4, 10), set()),  # rectified on the deadline: in time
        ("major", dt.date(2024, 3, 16), dt.date(2024, 4, 10), {"admonishment"}),  # late, but rectified by as_of
        ("major", dt.date(2024, 4, 20), dt.date(2024, 4, 10), {"admonishment", "enforcement"}),  # rectified after as_of
        ("general", None, dt.date(2024, 4, 10), set()),
    ],
)
def test_major_hazard_overdue(world, register, engine, grade, rectified, as_of_day, expected):
    world.enterprise()
    world.hazard("H1", grade=grade, deadline=DEADLINE, rectified=rectified)
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(as_of_day.year, as_of_day.month, as_of_day.day, 12))
    got = cases(engine, rule_id="MAJOR-HAZARD-OVERDUE")
    assert {c.step for c in got} == expected
    for c in got:
        assert c.period == "H1" and c.unit_code == COUNTY
        if c.step == "admonishment":
            assert (c.kind, c.persons, c.subject_kind, c.state) == ("admonishment", "李四", "hazard", "awaiting_approval")
        else:
            assert (c.kind, c.subject_kind, c.subject_id, c.state) == ("enforcement", "enterprise", ENT, "open")
            assert c.details["measures"] == list(ENFORCEMENT_MEASURES)


def test_enforcement_is_queued_to_office_and_enterprise(world, register, engine):
    world.enterprise()
    world.hazard("H1", deadline=dt.date(2025, 1, 2))
    escalate(engine, register, "2025-01", "2025-01", as_of=sh(2025, 1, 10, 12))
    rows = outbox(engine, template="case_enforcement")
    assert sorted(r.recipient for r in rows) == [f"enterprise:{ENT}", f"office:{COUNTY}"]
    assert not outbox(engine, template="case_admonishment")  # waits for approval


def test_overdue_ticket_opens_a_notice_to_the_units_office(world, register, engine):
    world.complaint("T1", received=dt.date(2024, 3, 4))
    world.evaluation("HOTLINE-CONCLUDE", "ticket", "T1", "2024-03", "missed", unit_code=COUNTY, due_on=dt.date(2024, 3, 25), reason="not_concluded")
    world.evaluation("HOTLINE-CONCLUDE", "ticket", "T2", "2024-03", "met", unit_code=COUNTY, due_on=dt.date(2024, 3, 25))
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    got = cases(engine, rule_id="HOTLINE-CONCLUDE")
    assert [(c.kind, c.subject_id, c.period, c.deciding_unit, c.state) for c in got] == [("notice", "T1", "T1", COUNTY, "open")]
    # Concluded late after all: the evaluation becomes met_late, the notice is withdrawn.
    world.evaluation("HOTLINE-CONCLUDE", "ticket", "T1", "2024-03", "met_late", unit_code=COUNTY, due_on=dt.date(2024, 3, 25))
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    assert [c.state for c in cases(engine, rule_id="HOTLINE-CONCLUDE")] == ["withdrawn"]


def test_ticket_due_date_taken_from_the_complaint_when_missing(world, register, engine):
    world.complaint("T1", received=dt.date(2024, 3, 4))
    world.evaluation("HOTLINE-CONCLUDE", "ticket", "T1", "T1", "missed", unit_code=COUNTY)
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    got = cases(engine, rule_id="HOTLINE-CONCLUDE")
    # 15 working days after 2024-03-04 is 2024-03-25.
    assert [(c.subject_id, c.period_start) for c in got] == [("T1", dt.date(2024, 3, 25))]


def test_once_obligation_missed_opens_a_notice(world, register, engine):
    world.evaluation("ENFORCEMENT-AGENCY-2017", "unit", COUNTY, "2017", "missed", unit_code=COUNTY)
    escalate(engine, register, "2017-11", "2017-11", as_of=sh(2018, 1, 10, 12))
    assert cases(engine) == []  # the due date 2017-12-31 is not in November
    escalate(engine, register, "2017-12", "2017-12", as_of=sh(2018, 1, 10, 12))
    got = cases(engine, rule_id="ENFORCEMENT-AGENCY-2017")
    assert [(c.kind, c.subject_id, c.period, c.period_start, c.deciding_unit) for c in got] == [("notice", COUNTY, "2017", dt.date(2017, 12, 31), "150100")]


def test_hazard_admonishment_does_not_veto_the_county(world, register, engine):
    from sqlalchemy.orm import Session

    from safegov.accountability.cases import decide_cases
    from safegov.accountability.escalation import veto_report

    world.enterprise()
    world.hazard("H1", deadline=dt.date(2024, 3, 15))
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    adm = cases(engine, step="admonishment")[0]
    decide_cases(engine, [adm.id], approve=True, decided_by="county office", at=sh(2024, 4, 11, 9))
    with Session(engine) as s:
        assert not any(r["flagged"] for r in veto_report(s, 2024))
