"""MAJOR-HAZARD-OVERDUE 〔十七〕〔十八〕: 诫勉谈话 of the responsible person and enforcement
against the enterprise for a major hazard not rectified by its deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, ENT, cases, outbox, sh

from safegov.accountability.escalation import escalate
from safegov.accountability.hazards import ENFORCEMENT_MEASURES

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
            assert (c.kind, c.persons, c.subject_kind, c.state) == (
                "admonishment",
                "李四",
                "hazard",
                "awaiting_approval",
            )
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
