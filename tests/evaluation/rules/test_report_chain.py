"""The report_chain rule: ACCIDENT-REPORT-CHAIN 〔十五〕, each hop of an accident's report judged
(Decree 493 art. 10–11: each level within 2 hours; a department tells its own safety office at
the same time; 较大涉险 straight to the region; 漏报 of an accident known from elsewhere)."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, LEAGUE, REGION, at

from safegov.db.models import Accident, AccidentReport
from safegov.evaluation.engine import evaluate_events

AFTER = at("2024-06-01 00:00")
OCCURRED = "2024-03-10 08:00"
LEARNED = "2024-03-10 08:30"  # the county-level department got the first report: the chain's clock starts
DC, DL = "D-COUNTY-EM", "D-LEAGUE-EM"  # a county department and a league/city department


def accident(build, accident_id="AC-1", *, deaths=0, known_from=None, near_miss=False, occurred=OCCURRED):
    occ = at(occurred)
    return build._rec(
        Accident,
        occ.date(),
        occ,
        accident_id=accident_id,
        unit_code=COUNTY,
        enterprise_id=None,
        occurred_at=occ,
        known_at=None,
        reported_at=at(LEARNED) if occurred == OCCURRED else occ,
        deaths=deaths,
        serious_injuries=0,
        direct_loss_10k_cny=0.0,
        declared_grade="larger" if deaths >= 3 else "general",
        concealed=False,
        description="事故",
        known_from=known_from,
        near_miss_larger=near_miss,
    )


def hop(build, reporter, reported_to, when, accident_id="AC-1"):
    moment = at(f"2024-03-10 {when}")
    build._rec(
        AccidentReport,
        moment.date(),
        moment,
        accident_id=accident_id,
        reporter=reporter,
        reported_to=reported_to,
        reported_at=moment,
    )


CHAIN = [
    # (case, deaths, known_from, near_miss, hops, as_of, status, reason)
    ("county forwards at exactly 2 h: on time", 0, None, False, [(COUNTY, LEAGUE, "10:30")], None, "met", None),
    (
        "one second over 2 h is late",
        0,
        None,
        False,
        [(COUNTY, LEAGUE, "10:30:01")],
        None,
        "met_late",
        "forward_late",
    ),
    ("never forwarded to the league", 0, None, False, [], None, "missed", "forward_missing"),
    ("still inside the 2 h at the evaluation: pending", 0, None, False, [], at("2024-03-10 10:29"), "pending", None),
    (
        "nothing by exactly the deadline: missed",
        0,
        None,
        False,
        [],
        at("2024-03-10 10:30"),
        "missed",
        "forward_missing",
    ),
    (
        "a county department's report to the league's department is the county's hop, office told at once",
        0,
        None,
        False,
        [(DC, DL, "09:00"), (DC, COUNTY, "09:00")],
        None,
        "met",
        None,
    ),
    (
        "the department tells its office exactly 30 min later: same time",
        0,
        None,
        False,
        [(DC, DL, "09:00"), (DC, COUNTY, "09:30")],
        None,
        "met",
        None,
    ),
    (
        "the department tells its office 31 min later: not simultaneous",
        0,
        None,
        False,
        [(DC, DL, "09:00"), (DC, COUNTY, "09:31")],
        None,
        "met_late",
        "not_simultaneous",
    ),
    (
        "the department never tells its office",
        0,
        None,
        False,
        [(DC, DL, "09:00")],
        None,
        "missed",
        "office_not_told",
    ),
    (
        "a larger accident goes on to the region within 2 h of the league",
        3,
        None,
        False,
        [(COUNTY, LEAGUE, "09:00"), (LEAGUE, REGION, "11:00")],
        None,
        "met",
        None,
    ),
    (
        "the league forwards a larger accident 2 h 1 min later",
        3,
        None,
        False,
        [(COUNTY, LEAGUE, "09:00"), (LEAGUE, REGION, "11:01")],
        None,
        "met_late",
        "forward_late",
    ),
    (
        "the league never forwards a larger accident",
        3,
        None,
        False,
        [(COUNTY, LEAGUE, "09:00")],
        None,
        "missed",
        "forward_missing",
    ),
    (
        "the county skips to the region in time (越级上报)",
        3,
        None,
        False,
        [(COUNTY, LEAGUE, "09:00"), (COUNTY, REGION, "09:05")],
        None,
        "met",
        None,
    ),
    (
        "较大涉险 straight to the region at exactly 1 h",
        0,
        None,
        True,
        [(COUNTY, LEAGUE, "09:00"), (COUNTY, REGION, "09:30")],
        None,
        "met",
        None,
    ),
    (
        "较大涉险 to the region 1 min after the hour",
        0,
        None,
        True,
        [(COUNTY, LEAGUE, "09:00"), (COUNTY, REGION, "09:31")],
        None,
        "met_late",
        "direct_late",
    ),
    (
        "较大涉险 only through the league",
        0,
        None,
        True,
        [(COUNTY, LEAGUE, "09:00"), (LEAGUE, REGION, "09:10")],
        None,
        "missed",
        "direct_missing",
    ),
    (
        "known from a 12350 ticket, never reported by the county: 漏报",
        0,
        "hotline",
        False,
        [],
        None,
        "missed",
        "omitted",
    ),
    (
        "known only from the league department's report: 漏报",
        0,
        "department",
        False,
        [(DL, LEAGUE, "09:00"), (DL, REGION, "09:00")],
        None,
        "missed",
        "omitted",
    ),
    (
        "known from a later bulletin, but the county did report it (late)",
        0,
        "bulletin",
        False,
        [(COUNTY, LEAGUE, "11:00")],
        None,
        "met_late",
        "forward_late",
    ),
    ("the county's own report, never forwarded, is no 漏报", 0, "unit", False, [], None, "missed", "forward_missing"),
]


@pytest.mark.parametrize(
    "case, deaths, known_from, near_miss, hops, as_of, status, reason", CHAIN, ids=[c[0] for c in CHAIN]
)
def test_report_chain(build, register, case, deaths, known_from, near_miss, hops, as_of, status, reason):
    build.department(DC, COUNTY)
    build.department(DL, LEAGUE)
    accident(build, deaths=deaths, known_from=known_from, near_miss=near_miss)
    for reporter, reported_to, when in hops:
        hop(build, reporter, reported_to, when)
    evaluate_events(build.engine, register, as_of=as_of or AFTER)
    r = build.evaluation("ACCIDENT-REPORT-CHAIN", "AC-1", "2024-03")
    assert r is not None
    assert (r.status, r.reason, r.subject_kind, r.unit_code) == (status, reason, "accident", COUNTY)


def test_counts_the_hops_made_and_required_and_names_them(build, register):
    accident(build, deaths=3)
    hop(build, COUNTY, LEAGUE, "09:00")
    evaluate_events(build.engine, register, as_of=AFTER)
    r = build.evaluation("ACCIDENT-REPORT-CHAIN", "AC-1", "2024-03")
    assert (r.counted, r.required, r.evidence, str(r.due_on)) == (1, 2, f"{COUNTY}>{LEAGUE}", "2024-03-10")


def test_accident_before_the_regulation_is_exempt(build, register):
    accident(build, "AC-OLD", occurred="2007-05-31 10:00")
    evaluate_events(build.engine, register, as_of=AFTER)
    r = build.evaluation("ACCIDENT-REPORT-CHAIN", "AC-OLD", "2007-05")
    assert (r.status, r.reason) == ("exempt", "not_in_force")


def test_rerun_writes_nothing_and_a_late_hop_cures_the_miss(build, register):
    accident(build)
    first = evaluate_events(build.engine, register, as_of=AFTER)
    assert first["by_obligation"]["ACCIDENT-REPORT-CHAIN"]["missed"] == 1
    again = evaluate_events(build.engine, register, as_of=AFTER)
    assert again["by_obligation"]["ACCIDENT-REPORT-CHAIN"].get("changed", 0) == 0
    hop(build, COUNTY, LEAGUE, "12:00")
    evaluate_events(build.engine, register, as_of=AFTER)
    r = build.evaluation("ACCIDENT-REPORT-CHAIN", "AC-1", "2024-03")
    assert (r.status, r.reason) == ("met_late", "forward_late")
