"""The liability_review rule: LIABILITY-TRAINING-REVIEW 〔十四〕, one verdict per accident found a
liability accident, its safety training reviewed within 20 working days of the finding."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, LEAGUE, at, d
from sqlalchemy import update
from sqlalchemy.orm import Session

from safegov.db.models import Accident, Review
from safegov.evaluation.engine import evaluate_events, evaluate_range, reevaluate_touched

OB = "LIABILITY-TRAINING-REVIEW"
AFTER = at("2026-06-01 00:00")
FOUND = "2024-09-20"  # a Friday
# 20 working days after Fri 2024-09-20: Sun 29 Sep and Sat 12 Oct are make-up working days,
# 1-7 Oct National Day → Wed 2024-10-23.
DEADLINE = "2024-10-23"


def liability_accident(build, accident_id="A-1", found_on=FOUND, unit_code=COUNTY, occurred="2024-08-02 09:00"):
    build.accident(accident_id, occurred, occurred, unit_code=unit_code)
    if found_on:
        with Session(build.engine) as s, s.begin():
            s.execute(
                update(Accident).where(Accident.accident_id == accident_id).values(liability_found_on=d(found_on))
            )


def review(build, accident_id, reviewed_on, record_id=None, unit_code=COUNTY):
    return build._rec(
        Review,
        d(reviewed_on),
        None,
        record_id=record_id or f"R-{accident_id}-{reviewed_on}",
        accident_id=accident_id,
        unit_code=unit_code,
        reviewed_on=d(reviewed_on),
        training_failures=1,
        doc_ref="倒查报告",
    )


REVIEW = [
    ("reviewed on the deadline", [DEADLINE], AFTER, "met", None, 1),
    ("reviewed the day after", ["2024-10-24"], AFTER, "met_late", "review_late", 1),
    ("reviewed twice, the first in time", ["2024-10-30", "2024-09-25"], AFTER, "met", None, 2),
    ("never reviewed, the day after the deadline", [], at("2024-10-24 00:00"), "missed", "not_reviewed", 0),
    ("never reviewed, on the deadline day", [], at(f"{DEADLINE} 18:00"), "pending", None, 0),
]


@pytest.mark.parametrize("case, reviews, as_of, status, reason, counted", REVIEW, ids=[c[0] for c in REVIEW])
def test_liability_review(build, register, case, reviews, as_of, status, reason, counted):
    liability_accident(build)
    for on in reviews:
        review(build, "A-1", on)
    evaluate_events(build.engine, register, as_of=as_of)
    r = build.evaluation(OB, "A-1", "2024-09")
    assert (r.status, r.reason, r.counted, r.subject_kind, r.unit_code) == (status, reason, counted, "accident", COUNTY)
    assert r.due_on == d(DEADLINE)


def test_an_accident_not_found_a_liability_accident_owes_no_review(build, register):
    liability_accident(build, "A-NATURAL", found_on=None)
    evaluate_events(build.engine, register, as_of=AFTER)
    from sqlalchemy import select

    from safegov.db.models import Evaluation

    with Session(build.engine) as s:
        assert s.scalars(select(Evaluation).where(Evaluation.obligation_id == OB)).all() == []


def test_the_period_is_the_month_of_the_finding_not_of_the_accident(build, register):
    liability_accident(build, "A-2", found_on="2024-11-05", occurred="2024-08-02 09:00")
    evaluate_range(build.engine, register, "2024-11", "2024-11", as_of=AFTER, obligation_ids=[OB])
    assert build.evaluation(OB, "A-2", "2024-11").status == "missed"
    assert build.evaluation(OB, "A-2", "2024-08") is None


def test_a_late_review_by_the_league_cures_the_countys_miss(build, register):
    liability_accident(build)
    evaluate_events(build.engine, register, as_of=at("2024-11-01 00:00"))
    assert build.evaluation(OB, "A-1", "2024-09").status == "missed"
    review(build, "A-1", "2024-11-04", unit_code=LEAGUE)
    touched = [{"record_type": "review", "unit_code": LEAGUE, "record_date": d("2024-11-04")}]
    reevaluate_touched(build.engine, register, touched, as_of=at("2024-11-05 00:00"))
    r = build.evaluation(OB, "A-1", "2024-09")
    assert (r.status, r.reason) == ("met_late", "review_late")


def test_a_deadline_beyond_the_calendar_keeps_the_accident_pending(build, register, holidays_file):
    # Found 2026-12-20: its 20 working days run into 2027, not entered here.
    liability_accident(build, "A-2026", found_on="2026-12-20", occurred="2026-11-02 09:00")
    evaluate_events(build.engine, register, as_of=at("2027-03-01 00:00"))
    r = build.evaluation(OB, "A-2026", "2026-12")
    assert (r.status, r.reason, r.due_on) == ("pending", "calendar_unknown", None)
