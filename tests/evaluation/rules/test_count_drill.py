"""GOV-EMERGENCY-DRILL 〔十三〕 (issue 16 item 8, the count rule): each government holds at least
one emergency drill a year — met, met_late, missed for each reason, pending, and the boundary
days of the year and its grace."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, LEAGUE, at, d

from safegov.db.models import Drill
from safegov.evaluation.engine import evaluate_period

AFTER = at("2026-06-01 00:00")
# A year's grace: 2024-12-31 + 5 working days (1 January a holiday) = 2025-01-08.
ON_TIME = "2025-01-08 23:59:59+08:00"
LATE = "2025-01-09 00:00+08:00"
DEPT = "D-EM"


def drill(build, unit_code, held_on, department_id=None, received_at=None):
    day = d(held_on)
    build._rec(
        Drill,
        day,
        received_at,
        record_id=f"DR{unit_code}-{held_on}-{department_id or ''}",
        unit_code=unit_code,
        department_id=department_id,
        held_on=day,
        plan_ref="生产安全事故综合应急预案",
        doc_ref="演练总结",
    )


# (case, drills as (unit, held_on, department_id, received_at), quarantined days, as_of, status, reason, counted)
DRILL = [
    ("met", [(COUNTY, "2024-06-12", None, None)], [], AFTER, "met", None, 1),
    ("met_late", [(COUNTY, "2024-06-12", None, LATE)], [], AFTER, "met_late", "late_records", 1),
    ("last moment of grace", [(COUNTY, "2024-06-12", None, ON_TIME)], [], AFTER, "met", None, 1),
    ("no drill", [], [], AFTER, "missed", "no_records", 0),
    ("on 1 January", [(COUNTY, "2024-01-01", None, None)], [], AFTER, "met", None, 1),
    ("on 31 December", [(COUNTY, "2024-12-31", None, None)], [], AFTER, "met", None, 1),
    ("the year before", [(COUNTY, "2023-12-31", None, None)], [], AFTER, "missed", "no_records", 0),
    (
        "a department's drill is not the government's",
        [(COUNTY, "2024-06-12", DEPT, None)],
        [],
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    ("another unit's drill", [(LEAGUE, "2024-06-12", None, None)], [], AFTER, "missed", "no_records", 0),
    ("quarantined drill", [], ["2024-05-01"], AFTER, "missed", "evidence_rejected", 0),
    ("grace still running", [], [], at("2025-01-08 12:00"), "pending", None, 0),
]


@pytest.mark.parametrize("case, drills, bad, as_of, status, reason, counted", DRILL, ids=[c[0] for c in DRILL])
def test_gov_emergency_drill(build, register, case, drills, bad, as_of, status, reason, counted):
    build.department(DEPT)
    for unit, day, dept, received in drills:
        drill(build, unit, day, dept, received)
    for day in bad:
        build.quarantined("drill", day, unit_code=COUNTY)
    evaluate_period(build.engine, register, "GOV-EMERGENCY-DRILL", "2024", as_of=as_of, run_id="t")
    r = build.evaluation("GOV-EMERGENCY-DRILL", COUNTY, "2024")
    assert (r.status, r.reason, r.counted, r.required, r.subject_kind) == (status, reason, counted, 1, "unit")


def test_every_level_and_the_government_head_is_responsible(build, register):
    build.leader("L-GH", COUNTY, "government_head")
    drill(build, "150000", "2024-09-01")
    evaluate_period(build.engine, register, "GOV-EMERGENCY-DRILL", "2024", as_of=AFTER, run_id="t")
    assert build.evaluation("GOV-EMERGENCY-DRILL", "150000", "2024").status == "met"
    assert build.evaluation("GOV-EMERGENCY-DRILL", LEAGUE, "2024").status == "missed"
    assert build.evaluation("GOV-EMERGENCY-DRILL", COUNTY, "2024").responsible == "L-GH"
