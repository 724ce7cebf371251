"""Demo data of 〔十四〕 and 〔十八〕 (issue 16 items 4, 7), written by ``demo.write_demo``.

〔十四〕 LIABILITY-TRAINING-REVIEW: the investigation of each enterprise accident concludes 45
days after it (an accident found a liability accident, 责任事故: the accident row sent again
with ``liability_found_on``, ``accident_<first>_<last>_findings.csv``), when the finding and its
review window lie in the range. Its training review (``review_<first>_<last>.csv``, Chinese
headers) comes in time for most, late (30 working days after the finding) for every fifth from
the third on, and never for every fifth from the fifth on: met, met_late and missed.

〔十八〕 HAZARD-REFUSAL-PENALTY: the story's overdue major hazard (its enterprise names an
actual controller other than its legal representative) gets an enforcement decision of its
county 25 days after its month ends, after its deadline (``penalty_hazard_<first>_<last>.csv``);
never rectified, it is refused 31 days later: a penalty recommendation naming both people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safegov.core.periods import CalendarRangeError, add_working_days, parse_period

FINDING_AFTER_DAYS = 45  # the investigation report approved 45 days after the accident (Decree 493 art. 29: 60)
REVIEW_WITHIN = 20  # LIABILITY-TRAINING-REVIEW's review_within_working_days
ENFORCED_AFTER_MONTH_DAYS = 25  # the planted hazard's deadline is at most 20 days after its month
REFUSAL_DAYS = 30  # HAZARD-REFUSAL-PENALTY's after_days
# The story enterprise's actual controller, another person than its legal representative.
STORY_CONTROLLER = "高振宇"


def actual_controller(e: Any) -> str:
    """实际控制人 of an enterprise of the generated world: the story's refusing enterprise names
    another person; high-risk enterprises register their legal representative as it; others none."""
    if e.story == "overdue_hazard":
        return STORY_CONTROLLER if e.rep != STORY_CONTROLLER else "高振华"
    return e.rep if e.high_risk else ""


def _at(day: dt.date, time: str = "10:00:00") -> str:
    return f"{day.isoformat()} {time}"


def _outcome(n: int) -> str:
    """met for most; late for the 3rd, 8th …; missed for the 5th, 10th … eligible accident."""
    return {2: "met_late", 4: "missed"}.get(n % 5, "met")


def review_plan(gen: Any) -> list[dict[str, Any]]:
    """The liability findings and reviews of the range: one dict per eligible accident."""
    last = gen.range_last
    out = []
    for a in gen.accidents:
        if not a["enterprise_id"]:
            continue
        found = a["occurred_at"].date() + dt.timedelta(days=FINDING_AFTER_DAYS)
        try:
            due = add_working_days(found, REVIEW_WITHIN)
            late_on = add_working_days(found, REVIEW_WITHIN + 10)
        except CalendarRangeError:
            continue
        if late_on + dt.timedelta(days=1) > last:
            continue  # its window (and a late review) must lie in the range
        outcome = _outcome(len(out))
        reviewed = {"met": add_working_days(found, 10), "met_late": late_on}.get(outcome)
        out.append({"accident": a, "found_on": found, "due_on": due, "outcome": outcome, "reviewed_on": reviewed})
    return out


def write(
    gen: Any, add: Callable[[str, str], Path], write_rows: Callable[[Path, str, list[tuple], bool], object]
) -> dict[str, Any]:
    """Write the findings, reviews and the hazard's enforcement decision through ``write_rows``
    (path, record type, rows, Chinese headers or not; the demo's CSV writer); returns the
    summary entries (``liability_reviews``, ``penalty_recommendations``, ``known_misses``)."""
    span = f"{gen.months[0]}_{gen.months[-1]}"
    plan = review_plan(gen)
    findings, reviews, known = [], [], []
    for n, p in enumerate(plan, 1):
        a = p["accident"]
        received = dt.datetime.combine(p["found_on"] + dt.timedelta(days=3), dt.time(10))
        findings.append(gen._accident_row({**a, "received_at": received, "liability_found_on": p["found_on"]}))
        if p["reviewed_on"] is not None:
            on = p["reviewed_on"]
            reviews.append(
                (
                    f"RV-{a['accident_id']}",
                    a["accident_id"],
                    a["unit_code"],
                    on.isoformat(),
                    str(n % 3),
                    f"{gen.unit_names[a['unit_code']]}培训倒查〔{on.year}〕{n}号",
                    _at(on + dt.timedelta(days=1)),
                )
            )
        if p["outcome"] != "met":
            known.append(
                {
                    "obligation_id": "LIABILITY-TRAINING-REVIEW",
                    "subject_kind": "accident",
                    "subject_id": a["accident_id"],
                    "periods": [p["found_on"].strftime("%Y-%m")],
                    "reason": "review_late" if p["outcome"] == "met_late" else "not_reviewed",
                    "status": p["outcome"],
                    "expect": p["outcome"] if p["outcome"] == "met_late" else "missed, notice",
                }
            )
    if findings:
        write_rows(add("accident", f"accident_{span}_findings.csv"), "accident", findings, False)
        gen.stats.rows["accident"] += len(findings)
    if reviews:
        write_rows(add("review", f"review_{span}.csv"), "review", reviews, True)
        gen.stats.rows["review"] += len(reviews)
    penalty = _hazard_penalty(gen)
    if penalty:
        write_rows(add("penalty", f"penalty_hazard_{span}.csv"), "penalty", [penalty["row"]], False)
        gen.stats.rows["penalty"] += 1
    return {
        "liability_reviews": [
            {
                "accident_id": p["accident"]["accident_id"],
                "unit_code": p["accident"]["unit_code"],
                "liability_found_on": p["found_on"].isoformat(),
                "due_on": p["due_on"].isoformat(),
                "reviewed_on": p["reviewed_on"].isoformat() if p["reviewed_on"] else None,
                "status": p["outcome"],
            }
            for p in plan
        ],
        "penalty_recommendations": [penalty["summary"]] if penalty else [],
        "known_misses": known,
    }


def _hazard_penalty(gen: Any) -> dict[str, Any] | None:
    """The county's enforcement decision on the story's overdue major hazard, when it and the
    refusal after it lie in the range."""
    if not gen.story:
        return None
    month = gen._offset_month(gen.story.hazard_offset)
    if not month:
        return None
    e = gen.story_ents["overdue_hazard"]
    hazard_id = f"H-{month.replace('-', '')}-{gen.enterprises.index(e):06d}-S"
    enforced = parse_period(month).last + dt.timedelta(days=ENFORCED_AFTER_MONTH_DAYS)
    refused = enforced + dt.timedelta(days=REFUSAL_DAYS + 1)
    if refused > gen.range_last:
        return None
    doc = f"{gen.unit_names[e.county]}应急责改〔{enforced.year}〕1号"
    row = (
        f"P{e.county}-{enforced:%Y%m}-H1",
        e.eid,
        e.county,
        enforced.isoformat(),
        "hazard",
        hazard_id,
        "50000",
        doc,
        _at(enforced + dt.timedelta(days=2)),
    )
    return {
        "row": row,
        "summary": {
            "rule_id": "HAZARD-REFUSAL-PENALTY",
            "enterprise_id": e.eid,
            "name": e.name,
            "hazard_id": hazard_id,
            "enforced_on": enforced.isoformat(),
            "refused_from": refused.isoformat(),
            "legal_representative": e.rep,
            "actual_controller": actual_controller(e),
            "deciding_unit": e.county,
            "document_ref": doc,
        },
    }
