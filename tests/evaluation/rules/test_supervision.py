"""The supervision rule (ENT-SUPERVISOR 〔八〕): once a year per county, every enterprise open on
31 December names a supervising department with safety duties; the miss lists those without."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, COUNTY2, ENT, ENT2, at, d

from safegov.evaluation.engine import evaluate_period

OB = "ENT-SUPERVISOR"
AFTER = at("2026-06-01 00:00")
DEPT, NO_DUTY = "D-EM", "D-CULTURE"
# 2024-12-31 + 5 working days (1 January a holiday) = 2025-01-08: grace ends at its midnight.
ON_TIME = "2025-01-08 23:59:59+08:00"
LATE = "2025-01-09 00:00+08:00"

# (case, enterprises as dicts of Builder.enterprise keywords, as_of,
#  expected status, reason, counted, required, evidence)
CASES = [
    ("met", [dict(supervising_department_id=DEPT)], AFTER, "met", None, 1, 1, None),
    (
        "named on the last moment of grace: met",
        [dict(supervising_department_id=DEPT, received_at=ON_TIME)],
        AFTER,
        "met",
        None,
        1,
        1,
        None,
    ),
    (
        "named after grace: met_late",
        [dict(supervising_department_id=DEPT, received_at=LATE)],
        AFTER,
        "met_late",
        "late_records",
        1,
        1,
        ENT,
    ),
    ("none named: missed", [dict()], AFTER, "missed", "unsupervised: 1", 0, 1, ENT),
    (
        "a department without safety duties is no supervising body",
        [dict(supervising_department_id=NO_DUTY)],
        AFTER,
        "missed",
        "unsupervised: 1",
        0,
        1,
        ENT,
    ),
    (
        "one of two unsupervised: listed",
        [dict(supervising_department_id=DEPT), dict(enterprise_id=ENT2)],
        AFTER,
        "missed",
        "unsupervised: 1",
        1,
        2,
        ENT2,
    ),
    (
        "both unsupervised: both listed, ordered",
        [dict(enterprise_id=ENT2), dict()],
        AFTER,
        "missed",
        "unsupervised: 2",
        0,
        2,
        f"{ENT};{ENT2}",
    ),
    ("no enterprises: exempt", [], AFTER, "exempt", "no_enterprises", 0, 0, None),
    ("enterprise of another county", [dict(county_code=COUNTY2)], AFTER, "exempt", "no_enterprises", 0, 0, None),
    (
        "registered on 31 December (boundary): judged",
        [dict(registered_on="2024-12-31")],
        AFTER,
        "missed",
        "unsupervised: 1",
        0,
        1,
        ENT,
    ),
    (
        "registered 1 January: next year's",
        [dict(registered_on="2025-01-01")],
        AFTER,
        "exempt",
        "no_enterprises",
        0,
        0,
        None,
    ),
    (
        "closed on 31 December: not judged",
        [dict(closed_on="2024-12-31")],
        AFTER,
        "exempt",
        "no_enterprises",
        0,
        0,
        None,
    ),
    ("closed 1 January: judged", [dict(closed_on="2025-01-01")], AFTER, "missed", "unsupervised: 1", 0, 1, ENT),
    ("grace running", [dict()], at("2025-01-08 23:00"), "pending", None, 0, 1, ENT),
    ("decided when grace ends", [dict()], at("2025-01-09 00:00"), "missed", "unsupervised: 1", 0, 1, ENT),
]


@pytest.mark.parametrize(
    "case, ents, as_of, status, reason, counted, required, evidence", CASES, ids=[c[0] for c in CASES]
)
def test_supervision(build, register, case, ents, as_of, status, reason, counted, required, evidence):
    build.department(DEPT)
    build.department(NO_DUTY, safety_duty=False)
    for kw in ents:
        build.enterprise(**{"received_at": "2024-06-01 10:00", **kw})
    evaluate_period(build.engine, register, OB, "2024", as_of=as_of, run_id="t")
    r = build.evaluation(OB, COUNTY, "2024")
    assert (r.status, r.reason, r.counted, r.required, r.evidence) == (
        status,
        reason,
        counted,
        required,
        evidence,
    )
    assert (r.subject_kind, r.unit_code, r.due_on, r.grace_ends_on) == (
        "unit",
        COUNTY,
        d("2024-12-31"),
        d("2025-01-08"),
    )


def test_first_version_naming_the_department_decides_lateness(build, register):
    """A later re-submission (a new e-mail) after grace does not make an on-time naming late."""
    build.department(DEPT)
    build.enterprise(supervising_department_id=DEPT, received_at="2025-03-01 10:00")
    build.registry_version("enterprise", ENT, 1, "2024-05-01 10:00", supervising_department_id=None)
    build.registry_version("enterprise", ENT, 2, "2024-06-01 10:00", supervising_department_id=DEPT)
    build.registry_version("enterprise", ENT, 3, "2025-03-01 10:00", supervising_department_id=DEPT)
    evaluate_period(build.engine, register, OB, "2024", as_of=AFTER, run_id="t")
    assert build.evaluation(OB, COUNTY, "2024").status == "met"


def test_counties_only_and_the_responsible_head(build, register):
    build.leader("L-GH", COUNTY, "government_head")
    build.enterprise()
    evaluate_period(build.engine, register, OB, "2024", as_of=AFTER, run_id="t")
    assert build.evaluation(OB, COUNTY, "2024").responsible == "L-GH"
    assert build.evaluation(OB, "150100", "2024") is None  # leagues are not judged


def test_a_cured_miss_becomes_met_late_on_rerun(build, register):
    build.department(DEPT)
    build.enterprise()
    evaluate_period(build.engine, register, OB, "2024", as_of=AFTER, run_id="t")
    assert build.evaluation(OB, COUNTY, "2024").status == "missed"
    build.registry_version("enterprise", ENT, 2, "2025-02-01 10:00", supervising_department_id=DEPT)
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from safegov.db.models import Enterprise

    with Session(build.engine) as s, s.begin():
        s.execute(update(Enterprise).values(supervising_department_id=DEPT, received_at=at("2025-02-01 10:00")))
    evaluate_period(build.engine, register, OB, "2024", as_of=AFTER, run_id="t2")
    r = build.evaluation(OB, COUNTY, "2024")
    assert (r.status, r.reason, r.evidence) == ("met_late", "late_records", ENT)
    assert [h.status for h in build.history(OB, COUNTY)] == ["missed", "met_late"]
