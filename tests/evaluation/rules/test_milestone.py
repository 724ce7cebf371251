"""The milestone rule: one-off obligations (cadence once) counted by their due date."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, LEAGUE, REGION, at, d
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.db.models import Milestone
from safegov.evaluation.engine import evaluate_events, evaluate_range

AFTER = at("2026-06-01 00:00")


# --------------------------------------------------------------------------- milestones (once)

BASES = [
    ("two bases by the due date", ["2018-05-01", "2018-12-31"], "met", None, 2),
    ("one base", ["2018-05-01"], "missed", "below_quota: 1 of 2", 1),
    (
        "four bases: still met, recorded",
        ["2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01"],
        "met",
        "above_quota_max: 4 of 3",
        4,
    ),
    # The second base came after the due date: the deadline was missed.
    ("second base in 2019", ["2018-05-01", "2019-03-01"], "missed", "late_completion", 2),
    ("none", [], "missed", "no_records", 0),
]


@pytest.mark.parametrize("case, days, status, reason, counted", BASES, ids=[c[0] for c in BASES])
def test_rescue_bases(build, register, case, days, status, reason, counted):
    for day in days:
        build.milestone(REGION, "rescue_base", day)
    build.milestone(REGION, "rescue_team", "2018-01-01")  # another milestone
    evaluate_range(build.engine, register, "2018-01", "2018-12", as_of=AFTER, obligation_ids=["RESCUE-BASES-2018"])
    r = build.evaluation("RESCUE-BASES-2018", REGION, "2018")
    assert (r.status, r.reason, r.counted, r.required, r.due_on) == (status, reason, counted, 2, d("2018-12-31"))


def test_milestones_per_level(build, register):
    build.milestone(LEAGUE, "rescue_team", "2017-06-01")
    build.milestone(COUNTY, "enforcement_agency", "2017-12-31", received_at="2018-01-05 10:00+08:00")
    evaluate_events(build.engine, register, as_of=AFTER)
    assert build.evaluation("RESCUE-TEAM-2017", LEAGUE, "2017").status == "met"
    assert build.evaluation("RESCUE-TEAM-2017", COUNTY, "2017") is None  # leagues only
    # 2017-12-31 + 5 working days = 2018-01-08 (New Year 1 Jan): on time.
    ag = build.evaluation("ENFORCEMENT-AGENCY-2017", COUNTY, "2017")
    assert (ag.status, ag.grace_ends_on) == ("met", d("2018-01-08"))
    assert build.evaluation("ENFORCEMENT-AGENCY-2017", LEAGUE, "2017").reason == "no_records"
    # A range that does not reach the due year leaves once obligations alone.
    res = evaluate_range(build.engine, register, "2024-01", "2024-12", as_of=AFTER, obligation_ids=["RESCUE-TEAM-2017"])
    assert res["by_obligation"] == {}


AGENCY_ID = "ENFORCEMENT-AGENCY-2017"
# 〔九〕 "2017年年底前…全部设立": due 2017-12-31, grace 5 working days → 2018-01-08 (New Year).
AGENCY = [
    # (case, achieved_on or None, received_at or None (noon of the day), status, reason)
    ("set up on the due day", "2017-12-31", None, "met", None),
    ("set up the day after the due day", "2018-01-01", None, "missed", "late_completion"),
    ("set up a year late", "2018-12-20", None, "missed", "late_completion"),
    ("set up in time, reported after the grace", "2017-12-20", "2018-01-09 10:00+08:00", "met_late", "late_records"),
    ("set up in time, reported on the grace's last day", "2017-12-20", "2018-01-08 10:00+08:00", "met", None),
    ("not set up", None, None, "missed", "no_records"),
]


@pytest.mark.parametrize("case, day, received_at, status, reason", AGENCY, ids=[c[0] for c in AGENCY])
def test_enforcement_agency_deadline(build, register, case, day, received_at, status, reason):
    if day:
        build.milestone(COUNTY, "enforcement_agency", day, received_at=received_at)
    evaluate_range(build.engine, register, "2017-01", "2017-12", as_of=AFTER, obligation_ids=[AGENCY_ID])
    r = build.evaluation(AGENCY_ID, COUNTY, "2017")
    assert (r.status, r.reason, r.due_on) == (status, reason, d("2017-12-31"))
    # The evidence names the record, and so keeps its completion date (achieved_on).
    with Session(build.engine) as s:
        done = s.scalars(select(Milestone.achieved_on).where(Milestone.record_id == r.evidence)).all()
    assert done == ([d(day)] if day else [])
    assert r.counted == (1 if day else 0)
