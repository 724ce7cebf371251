"""Event obligations (hazards, accidents, 12350 tickets) and one-off milestones."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from evalkit import COUNTY, LEAGUE, REGION, at, d
from safegov.evaluation.engine import evaluate_events, evaluate_range
from safegov.core.grades import GRADES, grade_case, grade_of

AFTER = at("2026-06-01 00:00")


# --------------------------------------------------------------------------- grades (Decree 493)

GRADE_TABLE = [
    (0, 0, 0.0, "general"),
    (2, 9, 999.99, "general"),
    (3, 0, 0.0, "larger"),
    (0, 10, 0.0, "larger"),
    (0, 0, 1000.0, "larger"),
    (9, 49, 4999.0, "larger"),
    (10, 0, 0.0, "major"),
    (0, 50, 0.0, "major"),
    (0, 0, 5000.0, "major"),
    (29, 99, 9999.0, "major"),
    (30, 0, 0.0, "especially_major"),
    (0, 100, 0.0, "especially_major"),
    (0, 0, 10000.0, "especially_major"),
    (1, 0, 20000.0, "especially_major"),  # the highest figure decides
]


@pytest.mark.parametrize("deaths, injuries, loss, grade", GRADE_TABLE)
def test_grade_of(deaths, injuries, loss, grade):
    assert grade_of(deaths, injuries, loss) == grade


def test_grade_case_agrees_with_grade_of(engine):
    from sqlalchemy import literal

    with engine.connect() as conn:
        for deaths, injuries, loss, grade in GRADE_TABLE:
            expr = grade_case(literal(deaths), literal(injuries), literal(loss))
            assert conn.execute(select(expr)).scalar() == grade
    assert set(g for *_, g in GRADE_TABLE) == set(GRADES)


# --------------------------------------------------------------------------- HAZARD-RECTIFY

HAZARD = [
    ("rectified on the deadline", "2024-03-15", AFTER, "met", None, 1),
    ("rectified early", "2024-03-01", AFTER, "met", None, 1),
    ("rectified after the deadline", "2024-03-16", AFTER, "met_late", "rectified_late", 1),
    ("not rectified, deadline passed", None, at("2024-03-16 00:00"), "missed", "not_rectified", 0),
    ("not rectified, deadline day still running", None, at("2024-03-15 23:00"), "pending", None, 0),
]


@pytest.mark.parametrize("case, rectified_on, as_of, status, reason, counted", HAZARD, ids=[c[0] for c in HAZARD])
def test_hazard_rectify(build, register, case, rectified_on, as_of, status, reason, counted):
    build.enterprise()
    build.hazard("HZ-1", "2024-03-15", rectified_on=rectified_on)
    evaluate_events(build.engine, register, as_of=as_of)
    r = build.evaluation("HAZARD-RECTIFY", "HZ-1", "2024-03")  # period: month of the deadline
    assert (r.status, r.reason, r.counted, r.subject_kind) == (status, reason, counted, "hazard")
    assert (r.due_on, r.unit_code, r.evidence) == (d("2024-03-15"), COUNTY, "HZ-1")


# --------------------------------------------------------------------------- ACCIDENT-REPORT-TIMELY

ACCIDENT = [
    # (case, occurred, reported, deaths, injuries, loss, declared, concealed, period, status, reason)
    ("exactly one hour is on time", "2024-03-10 08:00", "2024-03-10 09:00", 0, 0, 0, "general", False, "2024-03", "met", None),
    ("one hour and a second is late", "2024-03-10 08:00", "2024-03-10 09:00:01", 0, 0, 0, "general", False, "2024-03", "missed", "late_report"),
    ("three deaths declared general", "2024-03-10 08:00", "2024-03-10 08:30", 3, 0, 0, "general", False, "2024-03", "missed", "under_graded"),
    ("loss at the larger bound declared larger", "2024-03-10 08:00", "2024-03-10 08:30", 0, 0, 1000.0, "larger", False, "2024-03", "met", None),
    ("declared above its figures is fine", "2024-03-10 08:00", "2024-03-10 08:30", 0, 0, 0, "major", False, "2024-03", "met", None),
    ("undeclared grade of a major accident", "2024-03-10 08:00", "2024-03-10 08:30", 10, 0, 0, None, False, "2024-03", "missed", "under_graded"),
    ("concealed", "2024-03-10 08:00", "2024-03-10 08:30", 0, 0, 0, "general", True, "2024-03", "missed", "concealed"),
    ("all three", "2024-03-10 08:00", "2024-03-10 12:00", 30, 0, 0, "larger", True, "2024-03", "missed", "late_report,under_graded,concealed"),
    ("23:30 local on 31 March is March (15:30 UTC)", "2024-03-31 23:30", "2024-04-01 00:10", 0, 0, 0, "general", False, "2024-03", "met", None),
    ("00:00 local on 1 April is April", "2024-03-31 16:00+00:00", "2024-03-31 16:30+00:00", 0, 0, 0, "general", False, "2024-04", "met", None),
    ("leap day", "2024-02-29 12:00", "2024-02-29 12:59", 0, 0, 0, "general", False, "2024-02", "met", None),
]


@pytest.mark.parametrize(
    "case, occurred, reported, deaths, injuries, loss, declared, concealed, period, status, reason",
    ACCIDENT, ids=[c[0] for c in ACCIDENT],
)
def test_accident_report(build, register, case, occurred, reported, deaths, injuries, loss, declared, concealed, period, status, reason):
    build.accident("AC-1", occurred, reported, deaths=deaths, serious_injuries=injuries, loss=loss,
                   declared_grade=declared, concealed=concealed)
    evaluate_events(build.engine, register, as_of=AFTER)
    r = build.evaluation("ACCIDENT-REPORT-TIMELY", "AC-1", period)
    assert r is not None, "placed in the wrong month"
    assert (r.status, r.reason, r.subject_kind, r.unit_code) == (status, reason, "accident", COUNTY)


# --------------------------------------------------------------------------- HOTLINE-CONCLUDE

# Received Fri 2024-09-20; 15 working days: Sun 29 Sep and Sat 12 Oct are make-up working
# days, 1-7 Oct National Day → deadline Wed 2024-10-16.
TICKET = [
    ("concluded on the deadline", "2024-10-16", AFTER, "met", None, 1),
    ("concluded the day after", "2024-10-17", AFTER, "met_late", "concluded_late", 1),
    ("open after the deadline", None, at("2024-10-17 00:00"), "missed", "not_concluded", 0),
    ("open on the deadline day", None, at("2024-10-16 18:00"), "pending", None, 0),
]


@pytest.mark.parametrize("case, concluded_on, as_of, status, reason, counted", TICKET, ids=[c[0] for c in TICKET])
def test_ticket_conclusion(build, register, case, concluded_on, as_of, status, reason, counted):
    build.ticket("T-1", "2024-09-20", concluded_on=concluded_on)
    evaluate_events(build.engine, register, as_of=as_of)
    r = build.evaluation("HOTLINE-CONCLUDE", "T-1", "2024-09")
    assert (r.status, r.reason, r.counted, r.subject_kind) == (status, reason, counted, "ticket")
    assert r.due_on == d("2024-10-16")


def test_events_in_a_range_only(build, register):
    build.ticket("T-IN", "2024-03-05")
    build.ticket("T-OUT", "2024-05-05")
    evaluate_range(build.engine, register, "2024-03", "2024-03", as_of=AFTER, obligation_ids=["HOTLINE-CONCLUDE"])
    assert build.evaluation("HOTLINE-CONCLUDE", "T-IN", "2024-03") is not None
    assert build.evaluation("HOTLINE-CONCLUDE", "T-OUT", "2024-05") is None


# --------------------------------------------------------------------------- milestones (once)

BASES = [
    ("two bases by the due date", ["2018-05-01", "2018-12-31"], "met", None, 2),
    ("one base", ["2018-05-01"], "missed", "below_quota: 1 of 2", 1),
    ("four bases: still met, recorded", ["2018-01-01", "2018-02-01", "2018-03-01", "2018-04-01"], "met", "above_quota_max: 4 of 3", 4),
    ("second base in 2019", ["2018-05-01", "2019-03-01"], "met_late", "late_records", 2),
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
