"""Late data re-decides closed periods only (SPEC §5): a record for a period that was never
evaluated leaves it to the periodic run or a backfill, so loading history opens no live case."""

from __future__ import annotations

from evalkit import COUNTY, COUNTY2, at, d
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safegov.db.models import Evaluation
from safegov.evaluation.engine import evaluate_period, reevaluate_touched

AFTER = at("2026-06-01 00:00")


def _meeting_touch(unit: str, day: str) -> dict:
    return {
        "record_type": "meeting",
        "unit_code": unit,
        "enterprise_id": None,
        "leader_id": None,
        "department_id": None,
        "record_date": d(day),
    }


def test_undecided_period_is_left_to_its_periodic_run(build, register, engine):
    build.meeting(COUNTY, "2024-03-20", record_id="M-1")
    res = reevaluate_touched(engine, register, [_meeting_touch(COUNTY, "2024-03-20")], as_of=AFTER, run_id="late")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Evaluation)) == 0
    assert res["changed"] == 0


def test_decided_period_takes_new_subjects_and_leaves_other_periods(build, register, engine):
    evaluate_period(engine, register, "SC-MEET-LOCAL", "2024-03", as_of=AFTER, run_id="periodic")
    build.meeting(COUNTY, "2024-03-20", record_id="M-1")
    build.meeting(COUNTY2, "2024-04-20", record_id="M-2")
    touched = [_meeting_touch(COUNTY, "2024-03-20"), _meeting_touch(COUNTY2, "2024-04-20")]
    reevaluate_touched(engine, register, touched, as_of=AFTER, run_id="late")
    r = build.evaluation("SC-MEET-LOCAL", COUNTY, "2024-03")
    assert (r.status, r.run_id) == ("met", "late")
    with Session(engine) as s:
        april = s.scalar(select(func.count()).select_from(Evaluation).where(Evaluation.period == "2024-04"))
    assert april == 0  # 2024-04 was never decided: its periodic run will do it
