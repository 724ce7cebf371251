"""The accident_report rule: ACCIDENT-REPORT-TIMELY, one verdict per accident."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, at

from safegov.evaluation.engine import evaluate_events

AFTER = at("2026-06-01 00:00")


# --------------------------------------------------------------------------- ACCIDENT-REPORT-TIMELY

ACCIDENT = [
    # (case, occurred, reported, deaths, injuries, loss, declared, concealed, period, status, reason)
    (
        "exactly one hour is on time",
        "2024-03-10 08:00",
        "2024-03-10 09:00",
        0,
        0,
        0,
        "general",
        False,
        "2024-03",
        "met",
        None,
    ),
    (
        "one hour and a second is late",
        "2024-03-10 08:00",
        "2024-03-10 09:00:01",
        0,
        0,
        0,
        "general",
        False,
        "2024-03",
        "missed",
        "late_report",
    ),
    (
        "three deaths declared general",
        "2024-03-10 08:00",
        "2024-03-10 08:30",
        3,
        0,
        0,
        "general",
        False,
        "2024-03",
        "missed",
        "under_graded",
    ),
    (
        "loss at the larger bound declared larger",
        "2024-03-10 08:00",
        "2024-03-10 08:30",
        0,
        0,
        1000.0,
        "larger",
        False,
        "2024-03",
        "met",
        None,
    ),
    (
        "declared above its figures is fine",
        "2024-03-10 08:00",
        "2024-03-10 08:30",
        0,
        0,
        0,
        "major",
        False,
        "2024-03",
        "met",
        None,
    ),
    (
        "undeclared grade of a major accident",
        "2024-03-10 08:00",
        "2024-03-10 08:30",
        10,
        0,
        0,
        None,
        False,
        "2024-03",
        "missed",
        "grade_not_declared",
    ),
    (
        "undeclared grade of a general accident",
        "2024-03-10 08:00",
        "2024-03-10 08:30",
        0,
        0,
        0,
        None,
        False,
        "2024-03",
        "missed",
        "grade_not_declared",
    ),
    (
        "late, undeclared and concealed",
        "2024-03-10 08:00",
        "2024-03-10 10:00",
        0,
        0,
        0,
        None,
        True,
        "2024-03",
        "missed",
        "late_report,grade_not_declared,concealed",
    ),
    ("concealed", "2024-03-10 08:00", "2024-03-10 08:30", 0, 0, 0, "general", True, "2024-03", "missed", "concealed"),
    (
        "all three",
        "2024-03-10 08:00",
        "2024-03-10 12:00",
        30,
        0,
        0,
        "larger",
        True,
        "2024-03",
        "missed",
        "late_report,under_graded,concealed",
    ),
    (
        "23:30 local on 31 March is March (15:30 UTC)",
        "2024-03-31 23:30",
        "2024-04-01 00:10",
        0,
        0,
        0,
        "general",
        False,
        "2024-03",
        "met",
        None,
    ),
    (
        "00:00 local on 1 April is April",
        "2024-03-31 16:00+00:00",
        "2024-03-31 16:30+00:00",
        0,
        0,
        0,
        "general",
        False,
        "2024-04",
        "met",
        None,
    ),
    ("leap day", "2024-02-29 12:00", "2024-02-29 12:59", 0, 0, 0, "general", False, "2024-02", "met", None),
]


@pytest.mark.parametrize(
    "case, occurred, reported, deaths, injuries, loss, declared, concealed, period, status, reason",
    ACCIDENT,
    ids=[c[0] for c in ACCIDENT],
)
def test_accident_report(
    build, register, case, occurred, reported, deaths, injuries, loss, declared, concealed, period, status, reason
):
    build.accident(
        "AC-1",
        occurred,
        reported,
        deaths=deaths,
        serious_injuries=injuries,
        loss=loss,
        declared_grade=declared,
        concealed=concealed,
    )
    evaluate_events(build.engine, register, as_of=AFTER)
    r = build.evaluation("ACCIDENT-REPORT-TIMELY", "AC-1", period)
    assert r is not None, "placed in the wrong month"
    assert (r.status, r.reason, r.subject_kind, r.unit_code) == (status, reason, "accident", COUNTY)


# Decree 493 art. 9: the one hour runs from when the unit's principal learned of the accident.
KNOWN = [
    # (case, occurred, known_at, reported, status, reason)
    (
        "90 min after it, 30 min after it was known",
        "2024-03-10 08:00",
        "2024-03-10 09:00",
        "2024-03-10 09:30",
        "met",
        None,
    ),
    (
        "known at once, reported 90 min later",
        "2024-03-10 08:00",
        "2024-03-10 08:00",
        "2024-03-10 09:30",
        "missed",
        "late_report",
    ),
    (
        "no known_at: the clock starts when it occurred",
        "2024-03-10 08:00",
        None,
        "2024-03-10 09:30",
        "missed",
        "late_report",
    ),
    ("exactly one hour after it was known", "2024-03-10 08:00", "2024-03-10 09:00", "2024-03-10 10:00", "met", None),
    (
        "one hour and a second after it was known",
        "2024-03-10 08:00",
        "2024-03-10 09:00",
        "2024-03-10 10:00:01",
        "missed",
        "late_report",
    ),
]


@pytest.mark.parametrize("case, occurred, known_at, reported, status, reason", KNOWN, ids=[c[0] for c in KNOWN])
def test_accident_report_clock_starts_when_known(build, register, case, occurred, known_at, reported, status, reason):
    build.accident("AC-1", occurred, reported, known_at=known_at)
    evaluate_events(build.engine, register, as_of=AFTER)
    r = build.evaluation("ACCIDENT-REPORT-TIMELY", "AC-1", "2024-03")
    assert (r.status, r.reason) == (status, reason)


# Decree 493 art. 13: deaths that rise in the 30-day 补报 do not make a truthful report false;
# 谎报 is judged on the version of the record current when the report was made.
SUPPLEMENT = [
    # (case, [(deaths, received_at)] versions in order, deaths as reported, status, reason)
    ("truthful report, a third death in the 补报", [(2, "2024-03-10 08:40"), (3, "2024-03-20 09:00")], 2, "met", None),
    ("three deaths at the report", [(3, "2024-03-10 08:40")], 3, "missed", "under_graded"),
    (
        "three deaths at the report, a fourth later",
        [(3, "2024-03-10 08:40"), (4, "2024-03-20 09:00")],
        3,
        "missed",
        "under_graded",
    ),
    ("received the minute it was reported", [(2, "2024-03-10 08:30"), (3, "2024-03-10 08:31")], 2, "met", None),
]


@pytest.mark.parametrize("case, versions, as_reported, status, reason", SUPPLEMENT, ids=[c[0] for c in SUPPLEMENT])
def test_under_grading_judged_on_the_version_at_the_report(
    build, register, case, versions, as_reported, status, reason
):
    from sqlalchemy.orm import Session

    from safegov.accountability.accidents import figures_as_reported
    from safegov.db.models import Accident, RecordVersion

    build.accident("AC-1", "2024-03-10 08:00", "2024-03-10 08:30", deaths=versions[-1][0], declared_grade="general")
    with Session(build.engine) as s, s.begin():
        for i, (deaths, received) in enumerate(versions, 1):
            values = {"accident_id": "AC-1", "deaths": deaths, "serious_injuries": 0, "direct_loss_10k_cny": 0.0}
            s.add(
                RecordVersion(
                    record_type="accident",
                    natural_key="AC-1",
                    version=i,
                    content_hash=f"v{i}",
                    values=values,
                    received_at=at(received),
                    raw_row_id=i,
                    recorded_at=at(received),
                )
            )
    evaluate_events(build.engine, register, as_of=AFTER)
    r = build.evaluation("ACCIDENT-REPORT-TIMELY", "AC-1", "2024-03")
    assert (r.status, r.reason) == (status, reason)
    # The escalation reads the same history the same way (one rule, two forms).
    with Session(build.engine) as s:
        assert figures_as_reported(s, [s.query(Accident).one()])["AC-1"] == (as_reported, 0, 0.0)
