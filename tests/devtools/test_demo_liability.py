"""The demo's 〔十四〕 and 〔十八〕 story (devtools.demo_liability), ingested and judged: liability
accidents reviewed in time, late and never (met, met_late, missed), and the refusing
enterprise's penalty recommendation naming its legal representative and actual controller."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.core.periods import TZ

NOW = dt.datetime(2026, 11, 7, 9, tzinfo=TZ)  # the first-run moment of the demo until 2026-10


def test_the_demo_plans_every_outcome(demo):
    _inbox, summary = demo
    assert {r["status"] for r in summary["liability_reviews"]} == {"met", "met_late", "missed"}
    [p] = summary["penalty_recommendations"]
    assert p["legal_representative"] and p["actual_controller"]
    assert p["legal_representative"] != p["actual_controller"]
    assert p["hazard_id"] == summary["overdue_major_hazard"]["hazard_id"]


def test_the_demo_story_is_judged_as_planned(demo, engine):
    from safegov.accountability.escalation import escalate
    from safegov.db.models import Case, Evaluation
    from safegov.evaluation.engine import evaluate_events
    from safegov.intake.pipeline import ingest_paths
    from safegov.org.units import sync_units
    from safegov.register.obligations import get_register

    inbox, summary = demo
    hazard_month = summary["overdue_major_hazard"]["hazard_id"].split("-")[1]
    wanted = [
        n
        for n in summary["files"]
        if n.endswith("_registry.csv")
        or n.startswith(("enterprise_", "accident_", "review_", "penalty_"))
        or n == f"hazard_{hazard_month[:4]}-{hazard_month[4:]}.csv"
    ]
    with Session(engine) as s, s.begin():
        sync_units(s)
    report = ingest_paths(engine, [inbox / n for n in wanted], now=NOW, docs_dir=None)
    assert all(f.status == "processed" for f in report.files), [(f.name, f.reason) for f in report.files]
    register = get_register()
    evaluate_events(engine, register, as_of=NOW)
    with Session(engine) as s:
        got = {
            e.subject_id: (e.status, e.due_on.isoformat() if e.due_on else None)
            for e in s.scalars(select(Evaluation).where(Evaluation.obligation_id == "LIABILITY-TRAINING-REVIEW"))
        }
    assert got == {r["accident_id"]: (r["status"], r["due_on"]) for r in summary["liability_reviews"]}

    [p] = summary["penalty_recommendations"]
    month = p["refused_from"][:7]
    escalate(engine, register, month, month, as_of=NOW)
    with Session(engine) as s:
        [case] = s.scalars(select(Case).where(Case.rule_id == "HAZARD-REFUSAL-PENALTY")).all()
    assert (case.subject_id, case.period, case.state, case.deciding_unit) == (
        p["enterprise_id"],
        p["hazard_id"],
        "awaiting_approval",
        p["deciding_unit"],
    )
    assert case.persons == f"{p['legal_representative']};{p['actual_controller']}"
    assert case.details["document_ref"] == p["document_ref"]
