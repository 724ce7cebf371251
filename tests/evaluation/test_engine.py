"""Engine behaviour: idempotence, history and audit, late cure, touched re-evaluation,
backfill = direct evaluation, and the evaluations export."""

from __future__ import annotations

from evalkit import COUNTY, COUNTY2, ENT, ENT2, LEAGUE, at, d
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safegov.db import audit
from safegov.db.models import AuditLog, Evaluation, EvaluationHistory
from safegov.evaluation.engine import evaluate_period, evaluate_range, reevaluate_touched
from safegov.reports.exports import EVALUATION_COLUMNS, export_evaluations, render_rows

AFTER = at("2026-06-01 00:00")


def counts(engine):
    with Session(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Evaluation)),
            s.scalar(select(func.count()).select_from(EvaluationHistory)),
            s.scalar(select(func.count()).select_from(AuditLog)),
        )


def audited_changes(engine) -> int:
    with Session(engine) as s:
        payloads = s.scalars(select(AuditLog.payload).where(AuditLog.entity == "evaluation")).all()
    return sum(len(p["changes"]) for p in payloads)


def test_second_run_writes_nothing(build, register):
    build.enterprise()
    build.enterprise(ENT2)
    build.selfcheck("2024-03-02", record_id="B")
    build.selfcheck("2024-03-01", record_id="A")
    build.selfcheck("2024-03-03", record_id="C", archived=False)
    build.meeting(COUNTY, "2024-03-05", record_id="Z")
    build.meeting(COUNTY, "2024-03-04", record_id="Y")
    first = evaluate_range(build.engine, register, "2024-01", "2024-06", as_of=AFTER, run_id="r1")
    assert first["changed"] > 0
    before = counts(build.engine)
    assert before[1] == 0  # a first decision is written once: nothing replaced, nothing archived
    assert audited_changes(build.engine) == before[0]  # and each change in the audit chain
    stamp = build.evaluation("ENT-HAZARD-SELFCHECK", ENT, "2024-03").evaluated_at
    second = evaluate_range(build.engine, register, "2024-01", "2024-06", as_of=AFTER, run_id="r2")
    assert second["changed"] == 0
    assert counts(build.engine) == before
    r = build.evaluation("ENT-HAZARD-SELFCHECK", ENT, "2024-03")
    assert (r.evidence, r.run_id, r.evaluated_at) == ("A;B", "r1", stamp)
    assert build.evaluation("SC-MEET-LOCAL", COUNTY, "2024-03").evidence == "Y;Z"
    with Session(build.engine) as s:
        assert audit.verify(s).ok


def test_audit_streams_changes_in_batches(build, register, engine, monkeypatch):
    """Changes reach the audit chain in (period, subject) order, batch by batch, each once."""
    from safegov.evaluation import engine as evaluate

    monkeypatch.setattr(evaluate, "AUDIT_BATCH", 2)
    monkeypatch.setattr(evaluate, "AUDIT_LINKS_PER_APPEND", 2)
    enterprises = [f"91150102MA00000{i:02d}X" for i in range(5)]
    for e in enterprises:
        build.enterprise(e)
    build.selfcheck("2024-02-10", enterprise_id=enterprises[0])
    evaluate_range(engine, register, "2024-02", "2024-03", as_of=AFTER, obligation_ids=["ENT-HAZARD-SELFCHECK"])
    with Session(engine) as s:
        payloads = s.scalars(
            select(AuditLog.payload).where(AuditLog.entity == "evaluation").order_by(AuditLog.id)
        ).all()
        assert audit.verify(s).ok
    assert [len(p["changes"]) for p in payloads] == [2, 2, 2, 2, 2]
    keys = [(c[1], c[0]) for p in payloads for c in p["changes"]]  # fields: subject_id, period, …
    assert keys == sorted((period, e) for period in ("2024-02", "2024-03") for e in enterprises)


def test_records_outside_the_run_are_not_counted(build, register, engine):
    """The run reads its own dates only: a record of the month before or after counts for
    that month, never for the evaluated one."""
    build.enterprise()
    build.selfcheck("2024-02-29", record_id="FEB")
    build.selfcheck("2024-04-01", record_id="APR")
    evaluate_period(engine, register, "ENT-HAZARD-SELFCHECK", "2024-03", as_of=AFTER)
    r = build.evaluation("ENT-HAZARD-SELFCHECK", ENT, "2024-03")
    assert (r.status, r.counted, r.evidence) == ("missed", 0, None)
    evaluate_range(engine, register, "2024-02", "2024-04", as_of=AFTER, obligation_ids=["ENT-HAZARD-SELFCHECK"])
    evidence = [build.evaluation("ENT-HAZARD-SELFCHECK", ENT, p).evidence for p in ("2024-02", "2024-03", "2024-04")]
    assert evidence == ["FEB", None, "APR"]


def test_backfill_equals_direct_evaluation(build, register, engine):
    """as_of only decides pending vs decided: a late as_of and a backfill agree."""
    build.enterprise()
    build.selfcheck("2024-03-05", received_at="2024-05-02 10:00+08:00")
    evaluate_period(engine, register, "ENT-HAZARD-SELFCHECK", "2024-03", as_of=at("2024-04-09 00:00"), historical=True)
    backfill = build.evaluation("ENT-HAZARD-SELFCHECK", ENT, "2024-03")
    assert (backfill.status, backfill.historical) == ("met_late", True)
    evaluate_period(engine, register, "ENT-HAZARD-SELFCHECK", "2024-03", as_of=AFTER)
    assert build.evaluation("ENT-HAZARD-SELFCHECK", ENT, "2024-03").status == "met_late"


def test_pending_then_missed_then_cured_keeps_history(build, register, engine):
    ob = "SC-MEET-LOCAL"
    evaluate_period(engine, register, ob, "2024-03", as_of=at("2024-04-01 10:00"), run_id="during-grace")
    assert build.evaluation(ob, COUNTY, "2024-03").status == "pending"
    evaluate_period(engine, register, ob, "2024-03", as_of=at("2024-04-09 00:00"), run_id="grace-over")
    assert build.evaluation(ob, COUNTY, "2024-03").status == "missed"
    build.meeting(COUNTY, "2024-03-20", record_id="LATE-1", received_at="2024-04-15 09:00+08:00")
    touched = [
        {
            "record_type": "meeting",
            "unit_code": COUNTY,
            "enterprise_id": None,
            "leader_id": None,
            "department_id": None,
            "record_date": d("2024-03-20"),
        }
    ]
    reevaluate_touched(engine, register, touched, as_of=at("2024-04-15 09:05"), run_id="late")
    r = build.evaluation(ob, COUNTY, "2024-03")
    assert (r.status, r.evidence, r.run_id) == ("met_late", "LATE-1", "late")
    steps = [(h.previous_status, h.status, h.run_id) for h in build.history(ob, COUNTY)]
    assert steps == [
        (None, "pending", "during-grace"),
        ("pending", "missed", "grace-over"),
        ("missed", "met_late", "late"),
    ]
    assert build.history(ob, COUNTY)[-1].evidence == "LATE-1"
    # The replaced verdicts are archived as they stood, with who replaced them and when.
    with Session(engine) as s:
        archived = s.scalars(
            select(EvaluationHistory).where(EvaluationHistory.subject_id == COUNTY).order_by(EvaluationHistory.id)
        ).all()
    assert [(h.status, h.run_id, h.replaced_by_run, h.evidence) for h in archived] == [
        ("pending", "during-grace", "grace-over", None),
        ("missed", "grace-over", "late", None),
    ]
    assert [h.replaced_at for h in archived] == [at("2024-04-09 00:00"), at("2024-04-15 09:05")]
    assert [v.current for v in build.history(ob, COUNTY)] == [False, False, True]
    with Session(engine) as s:
        payloads = s.scalars(
            select(AuditLog.payload).where(AuditLog.entity == "evaluation").order_by(AuditLog.id)
        ).all()
        # A link lists its fields once, then each change's values.
        changes = [
            dict(zip(p["fields"], c, strict=True)) for p in payloads if p["obligation_id"] == ob for c in p["changes"]
        ]
        mine = [(c["from"], c["to"]) for c in changes if c["subject_id"] == COUNTY and c["period"] == "2024-03"]
        assert mine == [(None, "pending"), ("pending", "missed"), ("missed", "met_late")]
        assert audit.verify(s).ok


def test_reevaluate_touched_only_the_affected_rows(build, register, engine):
    build.leader("PS", COUNTY, "party_secretary")
    evaluate_range(engine, register, "2024-03", "2024-03", as_of=AFTER, run_id="full")
    # New records for two units and a post; only one unit and the post are reported touched.
    build.meeting(COUNTY, "2024-03-10")
    build.meeting(COUNTY2, "2024-03-10")
    build.inspection("PS", "2024-03-11")
    touched = [
        {"record_type": "meeting", "unit_code": COUNTY, "record_date": "2024-03-10"},
        {"record_type": "inspection", "unit_code": COUNTY2, "leader_id": "PS", "record_date": d("2024-03-11")},
    ]
    res = reevaluate_touched(engine, register, touched, as_of=AFTER, run_id="late")
    assert build.evaluation("SC-MEET-LOCAL", COUNTY, "2024-03").status == "met"
    assert build.evaluation("SC-MEET-LOCAL", COUNTY2, "2024-03").status == "missed"  # not touched
    post = build.evaluation("LEAD-INSPECT-COUNTY", f"{COUNTY}:party_secretary", "2024-03")
    assert (post.status, post.run_id) == ("met", "late")
    with Session(engine) as s:
        late_rows = s.scalars(
            select(Evaluation.obligation_id + "|" + Evaluation.subject_id).where(Evaluation.run_id == "late")
        ).all()
    assert sorted(late_rows) == [f"LEAD-INSPECT-COUNTY|{COUNTY}:party_secretary", f"SC-MEET-LOCAL|{COUNTY}"]
    assert res["changed"] == 2


def test_reevaluate_touched_quarantined_and_events(build, register, engine):
    build.enterprise()
    evaluate_period(engine, register, "ENT-HAZARD-SELFCHECK", "2024-03", as_of=AFTER)
    build.quarantined("hazard_inspection", "2024-03-07", enterprise_id=ENT)
    build.hazard("HZ-9", "2024-03-15", rectified_on="2024-03-10")
    touched = [
        {"record_type": "hazard_inspection", "enterprise_id": ENT, "record_date": d("2024-03-07")},
        {"record_type": "hazard", "enterprise_id": ENT, "record_date": d("2024-01-05")},
    ]
    reevaluate_touched(engine, register, touched, as_of=AFTER)
    assert build.evaluation("ENT-HAZARD-SELFCHECK", ENT, "2024-03").reason == "evidence_rejected"
    assert build.evaluation("HAZARD-RECTIFY", "HZ-9", "2024-03").status == "met"


def test_registry_change_reevaluates_scope(build, register, engine):
    build.enterprise()
    evaluate_period(engine, register, "ENT-HAZARD-SELFCHECK", "2024-03", as_of=AFTER)
    assert build.evaluation("ENT-HAZARD-SELFCHECK", ENT, "2024-03").status == "missed"
    with Session(engine) as s, s.begin():
        from safegov.db.models import Enterprise

        s.get(Enterprise, ENT).closed_on = d("2024-02-01")
    touched = [{"record_type": "enterprise", "enterprise_id": ENT, "record_date": None}]
    reevaluate_touched(engine, register, touched, as_of=AFTER)
    r = build.evaluation("ENT-HAZARD-SELFCHECK", ENT, "2024-03")
    assert (r.status, r.reason) == ("exempt", "closed")


def test_export_columns_and_range_overlap(build, register, engine):
    build.meeting(LEAGUE, "2024-03-01", body="party_standing_committee", heard_safety_report=True, record_id="P1")
    evaluate_range(
        engine,
        register,
        "2024-01",
        "2024-12",
        as_of=AFTER,
        obligation_ids=["PARTY-HEARS-SAFETY", "LEAD-INSPECT-LEAGUE", "SC-MEET-LOCAL"],
    )
    with Session(engine) as s:
        rows = export_evaluations(s, "2024-02", "2024-02")
    assert rows and all(tuple(r) == EVALUATION_COLUMNS for r in rows)
    periods = {(r["obligation_id"], r["period"]) for r in rows}
    # February overlaps Q1 and the year, not Q2 or other months.
    assert ("LEAD-INSPECT-LEAGUE", "2024-Q1") in periods and ("PARTY-HEARS-SAFETY", "2024") in periods
    assert ("SC-MEET-LOCAL", "2024-02") in periods
    assert not {p for _, p in periods} - {"2024-02", "2024-Q1", "2024"}
    party = next(r for r in rows if r["obligation_id"] == "PARTY-HEARS-SAFETY" and r["subject_id"] == LEAGUE)
    assert party == {
        "obligation_id": "PARTY-HEARS-SAFETY",
        "subject_kind": "unit",
        "subject_id": LEAGUE,
        "period": "2024",
        "status": "missed",
        "counted": 1,
        "required": 2,
        "due_on": d("2024-12-31"),
        "reason": "below_quota: 1 of 2",
        "evidence": "P1",
    }
    csv_text = render_rows([party], EVALUATION_COLUMNS, "csv")
    assert csv_text.splitlines()[1] == (
        f"PARTY-HEARS-SAFETY,unit,{LEAGUE},2024,missed,1,2,2024-12-31,below_quota: 1 of 2,P1"
    )
