"""MAJOR-HAZARD-OVERDUE 〔十七〕〔十八〕: 诫勉谈话 of the officials supervising the enterprise
(its county's government head, the head of the department with safety duty for its
industry), decided by the league/city, and enforcement against the enterprise, for a major
hazard not rectified by its deadline — chased while it stays overdue, however long."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, ENT, LEAGUE, cases, outbox, sh
from sqlalchemy.orm import Session

from safegov.accountability.escalation import escalate
from safegov.accountability.hazards import ENFORCEMENT_MEASURES
from safegov.db.engine import session_scope, upsert
from safegov.db.models import Department, Enterprise, Leader

DEADLINE = dt.date(2024, 3, 15)
GOV, DEPT = "admonishment-government", "admonishment-department"


def department(engine, dep_id, unit, duty, *, head=None, safety_duty=True, start=dt.date(2010, 1, 1), end=None):
    """A department with safety duty ``duty`` (``department.industry``) and, when given, its head."""
    with session_scope(engine) as s:
        upsert(
            s,
            Department.__table__,
            [
                {
                    "department_id": dep_id,
                    "unit_code": unit,
                    "name": f"部门{dep_id}",
                    "industry": duty,
                    "safety_duty": safety_duty,
                    "version": 1,
                }
            ],
            keys=["department_id"],
        )
        if head:
            upsert(
                s,
                Leader.__table__,
                [
                    {
                        "leader_id": head,
                        "name": f"name-{head}",
                        "unit_code": unit,
                        "role": "department_head",
                        "department_id": dep_id,
                        "email": f"{head}@gov.example",
                        "term_start": start,
                        "term_end": end,
                        "version": 1,
                    }
                ],
                keys=["leader_id"],
            )


def industry(engine, value):
    with Session(engine) as s, s.begin():
        s.get(Enterprise, ENT).industry = value


@pytest.mark.parametrize(
    "grade, rectified, as_of_day, expected",
    [
        ("major", None, dt.date(2024, 3, 16), {GOV, DEPT, "enforcement"}),
        ("major", None, DEADLINE, set()),  # the deadline day itself is not yet overdue
        ("major", DEADLINE, dt.date(2024, 4, 10), set()),  # rectified on the deadline: in time
        ("major", dt.date(2024, 3, 16), dt.date(2024, 4, 10), {GOV, DEPT}),  # late, but rectified by as_of
        ("major", dt.date(2024, 4, 20), dt.date(2024, 4, 10), {GOV, DEPT, "enforcement"}),  # rectified after as_of
        ("general", None, dt.date(2024, 4, 10), set()),
    ],
)
def test_major_hazard_overdue(world, register, engine, grade, rectified, as_of_day, expected):
    world.enterprise()
    department(engine, "D-EM", COUNTY, "emergency", head="dh-em")
    world.hazard("H1", grade=grade, deadline=DEADLINE, rectified=rectified)
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(as_of_day.year, as_of_day.month, as_of_day.day, 12))
    got = cases(engine, rule_id="MAJOR-HAZARD-OVERDUE")
    assert {c.step for c in got} == expected
    for c in got:
        assert c.period == "H1" and c.unit_code == COUNTY
        assert c.details["responsible_person"] == "李四"  # the enterprise's contact, kept, never admonished
        if c.kind == "admonishment":
            assert (c.subject_kind, c.subject_id, c.deciding_unit, c.state) == (
                "hazard",
                "H1",
                LEAGUE,
                "awaiting_approval",
            )
            assert c.persons == {GOV: f"{COUNTY}-gh", DEPT: "dh-em"}[c.step]
        else:
            assert (c.kind, c.subject_kind, c.subject_id, c.state, c.deciding_unit) == (
                "enforcement",
                "enterprise",
                ENT,
                "open",
                COUNTY,
            )
            assert c.details["measures"] == list(ENFORCEMENT_MEASURES)


# (enterprise industry, departments [(id, unit, duty, head, safety duty)], department chosen, head named)
EM = ("D-EM", COUNTY, "emergency", "dh-em", True)
CO = ("D-CO", COUNTY, "construction", "dh-co", True)
LC = ("D-LC", LEAGUE, "coal_mining", "dh-lc", True)
NAMING = [
    ("construction", [CO], "D-CO", "dh-co"),
    ("gas_supply", [CO], "D-CO", "dh-co"),  # 城镇燃气: 住建
    ("mining", [EM, CO], "D-EM", "dh-em"),  # an industry the register does not list: emergency
    (None, [EM], "D-EM", "dh-em"),  # no industry on record
    ("construction", [EM, CO], "D-CO", "dh-co"),
    ("construction", [EM], "D-EM", "dh-em"),  # no such department in the county: its emergency one
    ("coal_mining", [LC], "D-LC", "dh-lc"),  # none in the county at all: the league's
    ("coal_mining", [EM, LC], "D-EM", "dh-em"),  # the county's own supervisor comes first
    ("construction", [CO[:4] + (False,)], None, None),  # no safety duty: not a supervisor
    ("construction", [CO[:3] + (None, True)], "D-CO", None),  # head not registered: the case names nobody
    ("construction", [], None, None),
]


@pytest.mark.parametrize("ind, departments, dep_id, head", NAMING)
def test_the_supervising_officials_are_named(world, register, engine, ind, departments, dep_id, head):
    world.enterprise()
    industry(engine, ind)
    for did, unit, duty, dep_head, duty_flag in departments:
        department(engine, did, unit, duty, head=dep_head, safety_duty=duty_flag)
    world.hazard("H1", deadline=DEADLINE)
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 1, 12))
    got = {c.step: c for c in cases(engine, rule_id="MAJOR-HAZARD-OVERDUE", kind="admonishment")}
    assert set(got) == {GOV, DEPT}
    assert (got[GOV].persons, got[GOV].details["post"]) == (f"{COUNTY}-gh", f"{COUNTY}:government_head")
    assert (got[DEPT].details["department_id"], got[DEPT].persons) == (dep_id, head)
    assert {c.deciding_unit for c in got.values()} == {LEAGUE}


def test_the_officials_are_those_in_office_on_the_deadline(world, register, engine):
    world.enterprise()
    world.leader("gh-new", COUNTY, "government_head", start=DEADLINE + dt.timedelta(days=1))
    world.leader(f"{COUNTY}-gh", COUNTY, "government_head", end=DEADLINE)
    department(engine, "D-EM", COUNTY, "emergency", head="dh-old", end=DEADLINE - dt.timedelta(days=1))
    department(engine, "D-EM", COUNTY, "emergency", head="dh-now", start=DEADLINE - dt.timedelta(days=1))
    world.hazard("H1", deadline=DEADLINE)
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 1, 12))
    got = {c.step: c.persons for c in cases(engine, rule_id="MAJOR-HAZARD-OVERDUE", kind="admonishment")}
    assert got == {GOV: f"{COUNTY}-gh", DEPT: "dh-now"}


def test_enforcement_is_queued_to_office_and_enterprise(world, register, engine):
    world.enterprise()
    world.hazard("H1", deadline=dt.date(2025, 1, 2))
    escalate(engine, register, "2025-01", "2025-01", as_of=sh(2025, 1, 10, 12))
    rows = outbox(engine, template="case_enforcement")
    assert sorted(r.recipient for r in rows) == [f"enterprise:{ENT}", f"office:{COUNTY}"]
    assert not outbox(engine, template="case_admonishment")  # waits for approval


# A hazard is chased while it is overdue, however long: (deadline, rectified, the months run in
# order as (month, as_of day), the cases there after each run, by step).
CHASE = [
    # Never rectified, first seen by a run half a year after its deadline: opened then, its
    # enforcement sent (not aged out by the outbox's history horizon), once.
    (
        dt.date(2024, 1, 15),
        None,
        [("2024-07", dt.date(2024, 8, 1)), ("2024-08", dt.date(2024, 9, 1)), ("2025-01", dt.date(2025, 2, 1))],
        [{GOV, DEPT, "enforcement"}] * 3,
    ),
    # Rectified late, before the run that would have chased it: nothing to chase.
    (dt.date(2024, 1, 15), dt.date(2024, 6, 1), [("2024-07", dt.date(2024, 8, 1))], [set()]),
    # Chased in July, rectified in August: the cases stay (no withdrawal by a later range).
    (
        dt.date(2024, 1, 15),
        dt.date(2024, 8, 10),
        [("2024-07", dt.date(2024, 7, 31)), ("2024-08", dt.date(2024, 9, 1))],
        [{GOV, DEPT, "enforcement"}] * 2,
    ),
    # A deadline after the range is not judged yet.
    (dt.date(2024, 8, 15), None, [("2024-07", dt.date(2024, 8, 1))], [set()]),
]


@pytest.mark.parametrize("deadline, rectified, runs, expected", CHASE)
def test_an_overdue_hazard_is_chased_without_horizon(world, register, engine, deadline, rectified, runs, expected):
    world.enterprise()
    department(engine, "D-EM", COUNTY, "emergency", head="dh-em")
    world.hazard("H1", deadline=deadline, rectified=rectified)
    for (month, day), want in zip(runs, expected):
        escalate(engine, register, month, month, as_of=sh(day.year, day.month, day.day, 12))
        got = cases(engine, rule_id="MAJOR-HAZARD-OVERDUE")
        assert sorted(c.step for c in got) == sorted(want)  # one case per hazard and person, not per run
        assert {c.state for c in got} <= {"awaiting_approval", "open"}
    if expected[-1]:
        rows = outbox(engine, template="case_enforcement")
        assert len(rows) == 2 and {r.state for r in rows} == {"pending"}  # office and enterprise, not suppressed
