"""The demo's 〔十五〕 story (``safegov.devtools.demo_reports``): every accident's hops, judged
from the files as the ACCIDENT-REPORT-CHAIN rule judges them, give met, met_late and missed
verdicts — exactly the planted cases are late or missed — and the bulletins leave the
omitted accident out."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from tests.devtools.test_demo import _all_rows

from safegov.core.grades import grade_of
from safegov.core.periods import TZ
from safegov.evaluation.rules.report_chain import ChainParams, Hop, judge_chain
from safegov.register.obligations import load_register

AS_OF = dt.datetime(2027, 1, 1, tzinfo=TZ)
STORY_DOC_IDS = "include/safegov/devtools/demo_story.md"


@pytest.fixture(scope="module")
def verdicts(demo):
    inbox, summary = demo
    rows = _all_rows(inbox, summary)
    departments = {r["department_id"]: r["unit_code"] for _n, r in rows["department"]}

    def unit_of(party):
        return party if party.isdigit() and len(party) == 6 else departments.get(party)

    def moment(text):
        return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)

    hops = defaultdict(list)
    for _n, r in rows["accident_report"]:
        hops[r["accident_id"]].append(Hop(r["reporter"], r["reported_to"], moment(r["reported_at"])))
    params = ChainParams.of(load_register().get("ACCIDENT-REPORT-CHAIN"))
    out = {}
    for _n, a in rows["accident"]:
        v = judge_chain(
            county=a["unit_code"],
            grade=grade_of(int(a["deaths"]), int(a["serious_injuries"]), float(a["direct_loss_10k_cny"])),
            county_learned_at=moment(a["reported_at"]),
            known_from=a["known_from"] or None,
            near_miss_larger=a["near_miss_larger"] == "true",
            hops=hops[a["accident_id"]],
            unit_of=unit_of,
            params=params,
            as_of=AS_OF,
        )
        out[a["accident_id"]] = (v.status, ",".join(v.reasons) or None, a)
    return out


def test_exactly_the_planted_cases_are_late_or_missed(verdicts):
    not_met = sorted((status, reason) for status, reason, _a in verdicts.values() if status != "met")
    assert not_met == [
        ("met_late", "forward_late"),
        ("met_late", "not_simultaneous"),
        ("missed", "forward_missing"),
        ("missed", "omitted"),
    ]
    assert sum(status == "met" for status, _r, _a in verdicts.values()) >= 2


def test_the_omitted_accident_is_known_from_a_ticket_and_left_out_of_its_bulletins(demo, verdicts):
    inbox, summary = demo
    (omitted,) = [a for status, reason, a in verdicts.values() if reason == "omitted"]
    assert (omitted["known_from"], omitted["source_ref"]) == ("hotline", f"12350-{omitted['accident_id']}")
    month = omitted["occurred_at"][:7]
    rows = _all_rows(inbox, summary)
    county = omitted["unit_code"]
    # one accident per id: a liability finding 〔十四〕 sends an accident's row again, the later wins
    latest = {a["accident_id"]: a for _n, a in rows["accident"]}
    in_county = [a for a in latest.values() if a["unit_code"] == county and a["occurred_at"][:7] == month]
    (bulletin,) = [b for _n, b in rows["bulletin"] if b["unit_code"] == county and b["period"] == month]
    shown = [a for a in in_county if a["concealed"] != "true" and not a["known_from"]]
    assert int(bulletin["accidents_reported"]) == len(shown) == len(in_county) - 1


def test_the_larger_accident_reaches_the_league_and_stops_there(demo, verdicts):
    inbox, summary = demo
    story = {a["story"]: a["accident_id"] for a in summary["accidents"] if a["story"]}
    larger = story["larger_accident"]
    assert verdicts[larger][:2] == ("missed", "forward_missing")
    hops = [
        (r["reporter"], r["reported_to"])
        for _n, r in _all_rows(inbox, summary)["accident_report"]
        if r["accident_id"] == larger
    ]
    assert hops == [("150622", "150600")]
    assert verdicts[story["late_report"]][:2] == ("met_late", "forward_late")
