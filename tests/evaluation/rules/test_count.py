"""Count obligations (unit bodies, posts, departments, enterprises, bulletins): one table per
obligation — met, met_late, missed for each reason, exempt, pending and boundary moments."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, COUNTY2, ENT, LEAGUE, REGION, at, d

from safegov.evaluation.engine import evaluate_period

AFTER = at("2026-06-01 00:00")  # every 2024 grace is over


def run(build, register, ob_id, period, as_of=AFTER):
    evaluate_period(build.engine, register, ob_id, period, as_of=as_of, run_id="t")


def row(build, ob_id, subject, period):
    r = build.evaluation(ob_id, subject, period)
    assert r is not None, f"no evaluation {ob_id} {subject} {period}"
    return r


# --------------------------------------------------------------------------- SC-MEET-LOCAL

# (case, meetings as (held_on, received_at or None), quarantined dates, period, as_of,
#  expected status, reason, counted)
SC_MEET_LOCAL = [
    ("met", [("2024-03-15", None)], [], "2024-03", AFTER, "met", None, 1),
    ("met_late", [("2024-03-15", "2024-04-09 00:00+08:00")], [], "2024-03", AFTER, "met_late", "late_records", 1),
    (
        "last moment of grace is on time",
        [("2024-03-15", "2024-04-08 23:59:59+08:00")],
        [],
        "2024-03",
        AFTER,
        "met",
        None,
        1,
    ),
    ("no records", [], [], "2024-03", AFTER, "missed", "no_records", 0),
    ("quarantined only", [], ["2024-03-09"], "2024-03", AFTER, "missed", "evidence_rejected", 0),
    ("quarantined of another month", [], ["2024-04-09"], "2024-03", AFTER, "missed", "no_records", 0),
    ("grace running", [("2024-03-15", None)], [], "2024-03", at("2024-04-08 12:00"), "pending", None, 1),
    ("grace running, nothing yet", [], [], "2024-03", at("2024-03-20 12:00"), "pending", None, 0),
    (
        "month end 23:59:59 local is March",
        [("2024-03-31", "2024-03-31 23:59:59+08:00")],
        [],
        "2024-03",
        AFTER,
        "met",
        None,
        1,
    ),
    (
        "1st 00:00 local (16:00 UTC the day before) is April",
        [("2024-04-01", "2024-04-01 00:00+08:00")],
        [],
        "2024-03",
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    ("and counts for April", [("2024-04-01", "2024-03-31 16:00+00:00")], [], "2024-04", AFTER, "met", None, 1),
    ("leap day", [("2024-02-29", None)], [], "2024-02", AFTER, "met", None, 1),
    # 2024-09: Oct 1-7 holiday, grace ends on the make-up working Saturday 2024-10-12.
    (
        "grace ends on a make-up Saturday",
        [("2024-09-30", "2024-10-12 20:00+08:00")],
        [],
        "2024-09",
        AFTER,
        "met",
        None,
        1,
    ),
    (
        "after the make-up Saturday",
        [("2024-09-30", "2024-10-13 00:00+08:00")],
        [],
        "2024-09",
        AFTER,
        "met_late",
        "late_records",
        1,
    ),
    ("pending until the make-up Saturday ends", [], [], "2024-09", at("2024-10-12 23:00"), "pending", None, 0),
    ("decided right after it", [], [], "2024-09", at("2024-10-13 00:00"), "missed", "no_records", 0),
    (
        "other body does not count",
        [("2024-03-15", None, "party_standing_committee")],
        [],
        "2024-03",
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    (
        "two meetings, one late: met on time",
        [("2024-03-01", None), ("2024-03-02", "2024-06-01 00:00+08:00")],
        [],
        "2024-03",
        AFTER,
        "met",
        None,
        2,
    ),
]


@pytest.mark.parametrize(
    "case, meetings, bad, period, as_of, status, reason, counted", SC_MEET_LOCAL, ids=[c[0] for c in SC_MEET_LOCAL]
)
def test_sc_meet_local(build, register, case, meetings, bad, period, as_of, status, reason, counted):
    for m in meetings:
        body = m[2] if len(m) > 2 else "safety_committee"
        build.meeting(COUNTY, m[0], body=body, received_at=m[1])
    for day in bad:
        build.quarantined("meeting", day, unit_code=COUNTY)
    run(build, register, "SC-MEET-LOCAL", period, as_of)
    r = row(build, "SC-MEET-LOCAL", COUNTY, period)
    assert (r.status, r.reason, r.counted, r.required) == (status, reason, counted, 1)
    assert r.subject_kind == "unit" and r.unit_code == COUNTY


def test_sc_meet_local_due_and_grace_dates(build, register):
    run(build, register, "SC-MEET-LOCAL", "2024-09")
    r = row(build, "SC-MEET-LOCAL", COUNTY, "2024-09")
    assert r.due_on == d("2024-09-30") and r.grace_ends_on == d("2024-10-12")
    run(build, register, "SC-MEET-LOCAL", "2024-03")
    # Qingming 4-6 April; Sunday 7 April 2024 is a make-up working day.
    assert row(build, "SC-MEET-LOCAL", COUNTY, "2024-03").grace_ends_on == d("2024-04-08")


def test_sc_meet_local_levels_and_evidence(build, register):
    m1 = build.meeting(COUNTY, "2024-03-02", record_id="M-B")
    m2 = build.meeting(COUNTY, "2024-03-01", record_id="M-A")
    run(build, register, "SC-MEET-LOCAL", "2024-03")
    assert row(build, "SC-MEET-LOCAL", COUNTY, "2024-03").evidence == "M-A;M-B"
    assert build.evaluation("SC-MEET-LOCAL", REGION, "2024-03") is None  # region meets quarterly
    assert row(build, "SC-MEET-LOCAL", LEAGUE, "2024-03").status == "missed"
    assert m1 and m2


def test_sc_meet_region_quarterly(build, register):
    build.meeting(REGION, "2024-02-10")
    run(build, register, "SC-MEET-REGION", "2024-Q1")
    assert row(build, "SC-MEET-REGION", REGION, "2024-Q1").status == "met"
    run(build, register, "SC-MEET-REGION", "2024-Q2")
    assert row(build, "SC-MEET-REGION", REGION, "2024-Q2").reason == "no_records"


# --------------------------------------------------------------------------- SC-CASE-REVIEW

CASE_REVIEW = [
    ("met", dict(heard_case_reports=True, published_on="2024-02-20"), "met", None),
    ("not published", dict(heard_case_reports=True), "missed", "not_published"),
    ("cases not heard", dict(heard_case_reports=False, published_on="2024-02-20"), "missed", "no_records"),
]


@pytest.mark.parametrize("case, kw, status, reason", CASE_REVIEW, ids=[c[0] for c in CASE_REVIEW])
def test_sc_case_review(build, register, case, kw, status, reason):
    build.meeting(REGION, "2024-02-10", **kw)
    run(build, register, "SC-CASE-REVIEW", "2024-Q1")
    r = row(build, "SC-CASE-REVIEW", REGION, "2024-Q1")
    assert (r.status, r.reason) == (status, reason)


# --------------------------------------------------------------------------- PARTY/GOV-HEARS-SAFETY

HEARS = [
    ("two meetings", [("2024-03-01", True, None), ("2024-09-01", True, None)], "met", None, 2),
    ("one meeting", [("2024-03-01", True, None)], "missed", "below_quota: 1 of 2", 1),
    (
        "one did not hear safety",
        [("2024-03-01", True, None), ("2024-09-01", False, None)],
        "missed",
        "below_quota: 1 of 2",
        1,
    ),
    (
        "second reported late",
        [("2024-03-01", True, None), ("2024-12-30", True, "2025-02-01 09:00+08:00")],
        "met_late",
        "late_records",
        2,
    ),
    (
        "December meeting within grace",
        [("2024-03-01", True, None), ("2024-12-31", True, "2025-01-08 18:00+08:00")],
        "met",
        None,
        2,
    ),
]


@pytest.mark.parametrize(
    "ob_id, body",
    [("PARTY-HEARS-SAFETY", "party_standing_committee"), ("GOV-HEARS-SAFETY", "government_executive_meeting")],
)
@pytest.mark.parametrize("case, meetings, status, reason, counted", HEARS, ids=[c[0] for c in HEARS])
def test_hears_safety_twice_a_year(build, register, ob_id, body, case, meetings, status, reason, counted):
    for day, heard, received in meetings:
        build.meeting(LEAGUE, day, body=body, heard_safety_report=heard, received_at=received)
    build.meeting(LEAGUE, "2024-05-01", body="safety_committee", heard_safety_report=True)  # another body
    run(build, register, ob_id, "2024")
    r = row(build, ob_id, LEAGUE, "2024")
    assert (r.status, r.reason, r.counted, r.required) == (status, reason, counted, 2)


def test_hears_safety_responsible_is_the_chairing_post(build, register):
    build.leader("PS", LEAGUE, "party_secretary")
    build.leader("GH", LEAGUE, "government_head")
    run(build, register, "PARTY-HEARS-SAFETY", "2024")
    run(build, register, "GOV-HEARS-SAFETY", "2024")
    assert row(build, "PARTY-HEARS-SAFETY", LEAGUE, "2024").responsible == "PS"
    assert row(build, "GOV-HEARS-SAFETY", LEAGUE, "2024").responsible == "GH"


# --------------------------------------------------------------------------- posts


def test_posts_are_separate_subjects(build, register):
    build.leader("PS", COUNTY, "party_secretary")
    build.leader("GH", COUNTY, "government_head")
    build.inspection("PS", "2024-03-10", unit_code=COUNTY2)  # the unit inspected does not matter
    run(build, register, "LEAD-INSPECT-COUNTY", "2024-03")
    ps = row(build, "LEAD-INSPECT-COUNTY", f"{COUNTY}:party_secretary", "2024-03")
    gh = row(build, "LEAD-INSPECT-COUNTY", f"{COUNTY}:government_head", "2024-03")
    assert (ps.status, ps.responsible, ps.subject_kind, ps.unit_code) == ("met", "PS", "post", COUNTY)
    assert (gh.status, gh.reason, gh.responsible) == ("missed", "no_records", "GH")
    assert build.evaluation("LEAD-INSPECT-COUNTY", f"{COUNTY2}:party_secretary", "2024-03").status == "missed"


POST_TERMS = [
    # (case, terms [(leader, start, end)], inspections [(leader, led_on)], status, responsible)
    (
        "holder changes mid-period: responsible is the holder at the due date",
        [("A", "2020-01-01", "2024-03-15"), ("B", "2024-03-16", None)],
        [("A", "2024-03-10")],
        "met",
        "B",
    ),
    (
        "vacancy at the due date: whoever held it last",
        [("A", "2020-01-01", "2024-03-20")],
        [("A", "2024-03-10")],
        "met",
        "A",
    ),
    (
        "inspection after the term ended does not count for the post",
        [("A", "2020-01-01", "2024-03-05")],
        [("A", "2024-03-10")],
        "missed",
        "A",
    ),
    (
        "successor appointed after the due date is not responsible",
        [("A", "2020-01-01", "2024-03-20"), ("B", "2024-04-02", None)],
        [],
        "missed",
        "A",
    ),
    ("no holder ever", [], [], "missed", None),
]


@pytest.mark.parametrize("case, terms, inspections, status, responsible", POST_TERMS, ids=[c[0] for c in POST_TERMS])
def test_post_holder_and_terms(build, register, case, terms, inspections, status, responsible):
    for leader_id, start, end in terms:
        build.leader(leader_id, COUNTY, "party_secretary", term_start=start, term_end=end)
    for leader_id, day in inspections:
        build.inspection(leader_id, day)
    run(build, register, "LEAD-INSPECT-COUNTY", "2024-03")
    r = row(build, "LEAD-INSPECT-COUNTY", f"{COUNTY}:party_secretary", "2024-03")
    assert (r.status, r.responsible) == (status, responsible)


def test_league_and_region_post_cadences(build, register):
    build.leader("LPS", LEAGUE, "party_secretary")
    build.leader("RGH", REGION, "government_head")
    build.inspection("LPS", "2024-02-01")
    build.inspection("RGH", "2024-06-30")
    run(build, register, "LEAD-INSPECT-LEAGUE", "2024-Q1")
    run(build, register, "LEAD-INSPECT-REGION", "2024-H1")
    assert row(build, "LEAD-INSPECT-LEAGUE", f"{LEAGUE}:party_secretary", "2024-Q1").status == "met"
    assert row(build, "LEAD-INSPECT-LEAGUE", f"{LEAGUE}:government_head", "2024-Q1").status == "missed"
    assert row(build, "LEAD-INSPECT-REGION", f"{REGION}:government_head", "2024-H1").status == "met"
    assert build.evaluation("LEAD-INSPECT-LEAGUE", f"{COUNTY}:party_secretary", "2024-Q1") is None


# --------------------------------------------------------------------------- departments


def test_department_heads(build, register):
    build.department("D-ON", safety_duty=True)
    build.department("D-OFF", safety_duty=False)
    build.department("D-MISS", safety_duty=True)
    build.leader("H1", COUNTY, "department_head", department_id="D-ON")
    build.leader("H2", COUNTY, "department_head", department_id="D-MISS")
    build.leader("PS", COUNTY, "party_secretary")
    build.inspection("H1", "2024-03-03")
    build.inspection("PS", "2024-03-03")  # a party secretary is no department head
    run(build, register, "DEPT-HEAD-INSPECT", "2024-03")
    on = row(build, "DEPT-HEAD-INSPECT", "D-ON", "2024-03")
    assert (on.status, on.responsible, on.subject_kind, on.unit_code) == ("met", "H1", "department", COUNTY)
    off = row(build, "DEPT-HEAD-INSPECT", "D-OFF", "2024-03")
    assert (off.status, off.reason) == ("exempt", "no_safety_duty")
    miss = row(build, "DEPT-HEAD-INSPECT", "D-MISS", "2024-03")
    assert (miss.status, miss.reason, miss.responsible) == ("missed", "no_records", "H2")


# --------------------------------------------------------------------------- bulletins

BULLETIN = [
    ("issued in the next month for March", "2024-03", "2024-04-03", None, "met", None),
    ("issued on the last grace day", "2024-03", "2024-04-08", None, "met", None),
    ("issued after grace", "2024-03", "2024-04-09", None, "met_late", "late_records"),
    ("issued in time but received late", "2024-03", "2024-04-03", "2024-04-20 10:00+08:00", "met_late", "late_records"),
    ("a bulletin for another month", "2024-02", "2024-03-05", None, "missed", "no_records"),
]


@pytest.mark.parametrize(
    "case, period_col, issued_on, received, status, reason", BULLETIN, ids=[c[0] for c in BULLETIN]
)
def test_bulletin_placed_by_its_period(build, register, case, period_col, issued_on, received, status, reason):
    build.bulletin(COUNTY, period_col, issued_on, received_at=received)
    run(build, register, "BULLETIN-MONTHLY", "2024-03")
    r = row(build, "BULLETIN-MONTHLY", COUNTY, "2024-03")
    assert (r.status, r.reason) == (status, reason)


# --------------------------------------------------------------------------- enterprises

SELFCHECK = [
    ("met", [dict(inspected_on="2024-03-05")], "met", None),
    ("not archived", [dict(inspected_on="2024-03-05", archived=False)], "missed", "not_archived"),
    (
        "led by someone else",
        [dict(inspected_on="2024-03-05", led_by_role="other")],
        "missed",
        "not_led_by_responsible_person",
    ),
    (
        "both",
        [dict(inspected_on="2024-03-05", led_by_role="other", archived=False)],
        "missed",
        "not_archived,not_led_by_responsible_person",
    ),
    ("actual controller counts", [dict(inspected_on="2024-03-05", led_by_role="actual_controller")], "met", None),
    (
        "one bad one good",
        [dict(inspected_on="2024-03-05", archived=False), dict(inspected_on="2024-03-25")],
        "met",
        None,
    ),
    ("late", [dict(inspected_on="2024-03-05", received_at="2024-05-01 10:00+08:00")], "met_late", "late_records"),
    ("none", [], "missed", "no_records"),
]


@pytest.mark.parametrize("case, checks, status, reason", SELFCHECK, ids=[c[0] for c in SELFCHECK])
def test_enterprise_selfcheck(build, register, case, checks, status, reason):
    build.enterprise()
    for kw in checks:
        build.selfcheck(**kw)
    run(build, register, "ENT-HAZARD-SELFCHECK", "2024-03")
    r = row(build, "ENT-HAZARD-SELFCHECK", ENT, "2024-03")
    assert (r.status, r.reason, r.subject_kind, r.unit_code) == (status, reason, "enterprise", COUNTY)


def test_selfcheck_evidence_rejected(build, register):
    build.enterprise()
    build.quarantined("hazard_inspection", "2024-03-05", enterprise_id=ENT)
    run(build, register, "ENT-HAZARD-SELFCHECK", "2024-03")
    r = row(build, "ENT-HAZARD-SELFCHECK", ENT, "2024-03")
    assert (r.status, r.reason) == ("missed", "evidence_rejected") and r.evidence.startswith("raw:")


SCOPE = [
    # (registered_on, closed_on, status, reason) for March 2024
    ("2020-01-01", None, "missed", "no_records"),
    ("2024-03-01", None, "missed", "no_records"),  # existed on every day of March
    ("2024-03-10", None, "exempt", "registered_in_period"),
    ("2024-05-01", None, "exempt", "not_registered"),
    ("2020-01-01", "2024-02-10", "exempt", "closed"),
    ("2020-01-01", "2024-03-20", "exempt", "closed_in_period"),
    ("2020-01-01", "2024-03-31", "missed", "no_records"),  # closed on the last day: owed
]


@pytest.mark.parametrize("registered_on, closed_on, status, reason", SCOPE)
def test_enterprise_scope(build, register, registered_on, closed_on, status, reason):
    build.enterprise(registered_on=registered_on, closed_on=closed_on)
    run(build, register, "ENT-HAZARD-SELFCHECK", "2024-03")
    r = row(build, "ENT-HAZARD-SELFCHECK", ENT, "2024-03")
    assert (r.status, r.reason) == (status, reason)


def test_risk_assess_quarterly_and_publish_yearly(build, register):
    build.enterprise()
    build.risk("2023-12-20", published_on="2024-01-10")
    build.risk("2024-02-10")
    run(build, register, "ENT-RISK-ASSESS", "2024-Q1")
    run(build, register, "ENT-RISK-ASSESS", "2024-Q2")
    assert row(build, "ENT-RISK-ASSESS", ENT, "2024-Q1").status == "met"
    assert row(build, "ENT-RISK-ASSESS", ENT, "2024-Q2").reason == "no_records"
    run(build, register, "ENT-RISK-PUBLISH", "2024")
    run(build, register, "ENT-RISK-PUBLISH", "2023")
    assert row(build, "ENT-RISK-PUBLISH", ENT, "2024").status == "met"  # placed by published_on
    assert row(build, "ENT-RISK-PUBLISH", ENT, "2023").reason == "no_records"
