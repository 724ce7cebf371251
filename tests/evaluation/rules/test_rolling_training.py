"""The rolling_training rule (STAFF-ROTATION-TRAINING 〔九〕 每3年轮训一次): per officer and year, a
training in the 3 years up to 31 December; the window's first and last days are the boundary."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, at, d

from safegov.evaluation.engine import evaluate_period, reevaluate_touched
from safegov.evaluation.rules.rolling_training import window_first

OB = "STAFF-ROTATION-TRAINING"
AFTER = at("2026-06-01 00:00")
ON_TIME = "2025-01-08 23:59:59+08:00"  # 2024's grace: 2025-01-08 (1 January a holiday)
LATE = "2025-01-09 00:00+08:00"

# (case, staff keywords, trainings as (trained_on, received_at), as_of, status, reason, counted, evidence?)
CASES = [
    ("met", {}, [("2023-05-10", None)], AFTER, "met", None, 1),
    ("window's first day counts", {}, [("2022-01-01", None)], AFTER, "met", None, 1),
    ("the day before it does not", {}, [("2021-12-31", None)], AFTER, "missed", "no_records", 0),
    ("window's last day counts", {}, [("2024-12-31", ON_TIME)], AFTER, "met", None, 1),
    ("next year's training does not", {}, [("2025-01-02", None)], AFTER, "missed", "no_records", 0),
    ("reported after grace: met_late", {}, [("2024-06-01", LATE)], AFTER, "met_late", "late_records", 1),
    ("one on time, one late: met", {}, [("2022-06-01", None), ("2024-06-01", LATE)], AFTER, "met", None, 2),
    ("no training", {}, [], AFTER, "missed", "no_records", 0),
    ("joined on the window's first day: judged", {"joined_on": "2022-01-01"}, [], AFTER, "missed", "no_records", 0),
    ("joined the day after: first cycle", {"joined_on": "2022-01-02"}, [], AFTER, "exempt", "first_cycle", 0),
    ("left on 31 December: not in service", {"left_on": "2024-12-31"}, [], AFTER, "exempt", "not_in_service", 0),
    ("left 1 January: judged", {"left_on": "2025-01-01"}, [], AFTER, "missed", "no_records", 0),
    ("joined next year", {"joined_on": "2025-03-01"}, [], AFTER, "exempt", "not_in_service", 0),
    ("grace running", {}, [("2023-05-10", None)], at("2025-01-08 23:00"), "pending", None, 1),
    ("decided when grace ends", {}, [], at("2025-01-09 00:00"), "missed", "no_records", 0),
]


@pytest.mark.parametrize("case, staff, trainings, as_of, status, reason, counted", CASES, ids=[c[0] for c in CASES])
def test_rolling_training(build, register, case, staff, trainings, as_of, status, reason, counted):
    build.staff("S1", **staff)
    build.staff("S2")  # another officer's trainings never count for S1
    build.training("S2", "2024-03-01")
    for day, received in trainings:
        build.training("S1", day, received_at=received)
    evaluate_period(build.engine, register, OB, "2024", as_of=as_of, run_id="t")
    r = build.evaluation(OB, "S1", "2024")
    assert (r.status, r.reason, r.counted, r.required) == (status, reason, counted, 1)
    assert (r.subject_kind, r.unit_code, r.due_on, r.grace_ends_on) == (
        "staff",
        COUNTY,
        d("2024-12-31"),
        d("2025-01-08"),
    )


@pytest.mark.parametrize(
    "due, first", [("2024-12-31", "2022-01-01"), ("2024-02-29", "2021-03-01"), ("2025-12-31", "2023-01-01")]
)
def test_window_first(due, first):
    assert window_first(d(due), 3) == d(first)


def test_responsible_is_the_department_head_else_the_safety_office(build, register):
    build.department("D1")
    build.leader("L-DH", COUNTY, "department_head", department_id="D1")
    build.leader("L-SO", COUNTY, "safety_office_director")
    build.staff("S1", department_id="D1")
    build.staff("S2")
    evaluate_period(build.engine, register, OB, "2024", as_of=AFTER, run_id="t")
    assert build.evaluation(OB, "S1", "2024").responsible == "L-DH"
    assert build.evaluation(OB, "S2", "2024").responsible == "L-SO"


def test_a_late_training_redecides_the_years_of_its_window(build, register):
    build.staff("S1")
    for year in ("2024", "2025"):
        evaluate_period(build.engine, register, OB, year, as_of=at("2026-03-01 00:00"), run_id="t")
    build.training("S1", "2024-06-01", received_at="2025-12-01 10:00+08:00")
    touched = [{"record_type": "training", "unit_code": None, "record_date": d("2024-06-01")}]
    reevaluate_touched(build.engine, register, touched, as_of=at("2026-03-01 00:00"))
    assert build.evaluation(OB, "S1", "2024").status == "met_late"
    assert build.evaluation(OB, "S1", "2025").status == "met"  # received within 2025's grace
