"""DUAL-INTERVIEW-COUNTY 〔十七〕: a larger (较大) accident in a county → 双约谈 of its leaders."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, cases, sh

from safegov.accountability.escalation import escalate

AS_OF = dt.datetime(2025, 1, 10, 12, tzinfo=sh(2025, 1, 1).tzinfo)


@pytest.mark.parametrize(
    "deaths, serious, loss, county_case",
    [
        (3, 0, 0, True),  # exactly 3 deaths: larger
        (2, 0, 0, False),
        (0, 10, 0, True),  # exactly 10 serious injuries
        (0, 9, 0, False),
        (0, 0, 1000, True),  # exactly 1,000 万元
        (0, 0, 999.99, False),
        (10, 0, 0, False),  # major: the league rule, not the county one
    ],
)
def test_dual_interview_county_on_grade_bounds(world, register, engine, deaths, serious, loss, county_case):
    world.accident("A1", deaths=deaths, serious=serious, loss=loss, declared=None)
    escalate(engine, register, "2024-01", "2024-12", as_of=AS_OF)
    got = cases(engine, rule_id="DUAL-INTERVIEW-COUNTY")
    assert bool(got) is county_case
    if county_case:
        c = got[0]
        assert (c.kind, c.subject_id, c.period, c.deciding_unit, c.state) == (
            "dual_interview",
            COUNTY,
            "A1",
            "150000",
            "awaiting_approval",
        )
        assert c.persons == f"{COUNTY}-ps;{COUNTY}-gh"


def test_persons_are_holders_on_the_accident_day(world, register, engine):
    world.leader(f"{COUNTY}-ps", COUNTY, "party_secretary", start=dt.date(2010, 1, 1), end=dt.date(2024, 3, 4))
    world.leader("NEWPS", COUNTY, "party_secretary", start=dt.date(2024, 3, 5))
    world.accident("A1", occurred=sh(2024, 3, 4, 23, 59), deaths=3)
    world.accident("A2", occurred=sh(2024, 3, 5, 0, 1), deaths=3)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    got = {c.period: c.persons for c in cases(engine, rule_id="DUAL-INTERVIEW-COUNTY")}
    assert got == {"A1": f"{COUNTY}-ps;{COUNTY}-gh", "A2": f"NEWPS;{COUNTY}-gh"}
