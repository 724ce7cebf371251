"""Count obligations of the clauses added by issue 16, one table each: met, met_late, missed
for each reason, exempt, pending and the boundary days of the year and its grace."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, LEAGUE, at

from safegov.evaluation.engine import evaluate_period

AFTER = at("2026-06-01 00:00")
# A year's grace: 2024-12-31 + 5 working days (1 January a holiday) = 2025-01-08.
ON_TIME = "2025-01-08 23:59:59+08:00"
LATE = "2025-01-09 00:00+08:00"
DEPT, DEPT2, NO_DUTY = "D-EM", "D-TR", "D-CULTURE"


def verdict(build, register, ob_id, subject, period, as_of=AFTER):
    evaluate_period(build.engine, register, ob_id, period, as_of=as_of, run_id="t")
    r = build.evaluation(ob_id, subject, period)
    assert r is not None, f"no evaluation {ob_id} {subject} {period}"
    return r


# --------------------------------------------------------------------------- ENFORCE-PLAN-UNIT 〔八〕

# (case, plans as (unit, effective_on, department_id, received_at), quarantined rows as
#  (day, values), period, as_of, status, reason, counted)
PLAN_UNIT = [
    ("met", [(COUNTY, "2024-01-01", None, None)], [], "2024", AFTER, "met", None, 1),
    ("met_late", [(COUNTY, "2024-01-01", None, LATE)], [], "2024", AFTER, "met_late", "late_records", 1),
    ("last moment of grace", [(COUNTY, "2024-01-01", None, ON_TIME)], [], "2024", AFTER, "met", None, 1),
    ("no plan", [], [], "2024", AFTER, "missed", "no_records", 0),
    (
        "a department's plan is not the unit's",
        [(COUNTY, "2024-01-01", DEPT, None)],
        [],
        "2024",
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    ("another unit's plan", [(LEAGUE, "2024-01-01", None, None)], [], "2024", AFTER, "missed", "no_records", 0),
    (
        "next year's plan, sent in December, is next year's",
        [(COUNTY, "2025-01-01", None, "2024-12-20 10:00+08:00")],
        [],
        "2024",
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    ("applies from 31 December: this year's", [(COUNTY, "2024-12-31", None, None)], [], "2024", AFTER, "met", None, 1),
    ("quarantined plan", [], [("2024-02-01", {})], "2024", AFTER, "missed", "evidence_rejected", 0),
    (
        "quarantined department plan is not the unit's",
        [],
        [("2024-02-01", {"department_id": DEPT})],
        "2024",
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    ("grace running", [(COUNTY, "2024-01-01", None, None)], [], "2024", at("2025-01-08 12:00"), "pending", None, 1),
    ("decided when grace ends", [], [], "2024", at("2025-01-09 00:00"), "missed", "no_records", 0),
]


@pytest.mark.parametrize(
    "case, plans, bad, period, as_of, status, reason, counted", PLAN_UNIT, ids=[c[0] for c in PLAN_UNIT]
)
def test_enforce_plan_unit(build, register, case, plans, bad, period, as_of, status, reason, counted):
    build.department(DEPT)
    for unit, day, dept, received in plans:
        build.plan(unit, day, department_id=dept, received_at=received)
    for day, values in bad:
        build.quarantined("plan", day, unit_code=COUNTY, values=values)
    r = verdict(build, register, "ENFORCE-PLAN-UNIT", COUNTY, period, as_of)
    assert (r.status, r.reason, r.counted, r.required) == (status, reason, counted, 1)
    assert r.subject_kind == "unit"


def test_enforce_plan_unit_at_every_level_and_responsible_office(build, register):
    build.leader("L-SO", COUNTY, "safety_office_director")
    build.plan("150000", "2024-02-01")
    assert verdict(build, register, "ENFORCE-PLAN-UNIT", "150000", "2024").status == "met"
    assert build.evaluation("ENFORCE-PLAN-UNIT", LEAGUE, "2024").status == "missed"
    assert build.evaluation("ENFORCE-PLAN-UNIT", COUNTY, "2024").responsible == "L-SO"


# --------------------------------------------------------------------------- ENFORCE-PLAN-DEPT 〔八〕

# (case, subject department, plans as (department_id, effective_on, received_at), quarantined
#  department ids, status, reason, counted)
PLAN_DEPT = [
    ("met", DEPT, [(DEPT, "2024-03-01", None)], [], "met", None, 1),
    ("met_late", DEPT, [(DEPT, "2024-03-01", LATE)], [], "met_late", "late_records", 1),
    ("last moment of grace", DEPT, [(DEPT, "2024-03-01", ON_TIME)], [], "met", None, 1),
    ("no plan", DEPT, [], [], "missed", "no_records", 0),
    ("the unit's plan is not the department's", DEPT, [(None, "2024-03-01", None)], [], "missed", "no_records", 0),
    ("another department's plan", DEPT, [(DEPT2, "2024-03-01", None)], [], "missed", "no_records", 0),
    ("plan of 2023", DEPT, [(DEPT, "2023-12-31", None)], [], "missed", "no_records", 0),
    ("quarantined plan of the department", DEPT, [], [DEPT], "missed", "evidence_rejected", 0),
    ("quarantined plan of another", DEPT, [], [DEPT2], "missed", "no_records", 0),
    ("no safety duty: exempt", NO_DUTY, [], [], "exempt", "no_safety_duty", 0),
]


@pytest.mark.parametrize("case, dept, plans, bad, status, reason, counted", PLAN_DEPT, ids=[c[0] for c in PLAN_DEPT])
def test_enforce_plan_dept(build, register, case, dept, plans, bad, status, reason, counted):
    build.department(DEPT)
    build.department(DEPT2)
    build.department(NO_DUTY, safety_duty=False)
    for dep, day, received in plans:
        build.plan(COUNTY, day, department_id=dep, received_at=received)
    for dep in bad:
        build.quarantined("plan", "2024-05-01", unit_code=COUNTY, values={"department_id": dep})
    r = verdict(build, register, "ENFORCE-PLAN-DEPT", dept, "2024")
    assert (r.status, r.reason, r.counted, r.required) == (status, reason, counted, 1)
    assert r.subject_kind == "department"
