"""The one-vote-veto report 〔十六〕: major+ accidents and approved admonishments of leaders."""

from __future__ import annotations

import datetime as dt

from escalate_helpers import COUNTY, COUNTY2, backfilled_quarter_of_misses, cases, outbox, sh
from sqlalchemy.orm import Session

from safegov.accountability.escalation import escalate


def test_hazard_admonishment_does_not_veto_the_county(world, register, engine):
    from sqlalchemy.orm import Session

    from safegov.accountability.cases import decide_cases
    from safegov.accountability.veto import veto_report

    world.enterprise()
    world.hazard("H1", deadline=dt.date(2024, 3, 15))
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    adm = cases(engine, step="admonishment-government")[0]  # the county government head, named since #15
    decide_cases(engine, [adm.id], approve=True, decided_by="county office", at=sh(2024, 4, 11, 9))
    with Session(engine) as s:
        assert not any(r["flagged"] for r in veto_report(s, 2024))


def test_veto_counts_approved_admonishments(world, register, engine):
    from safegov.accountability.cases import decide_cases
    from safegov.accountability.escalation import escalate
    from safegov.accountability.veto import veto_report

    for p in ("2024-01", "2024-02", "2024-03"):
        world.evaluation(
            "LEAD-INSPECT-COUNTY",
            "post",
            f"{COUNTY}:party_secretary",
            p,
            "missed",
            responsible=f"{COUNTY}-ps",
            unit_code=COUNTY,
        )
    escalate(engine, register, "2024-01", "2024-03", as_of=sh(2024, 4, 10, 12))
    adm = cases(engine, step="admonishment")[0]
    with Session(engine) as s:
        assert not next(r for r in veto_report(s, 2024) if r["unit_code"] == COUNTY)["flagged"]
    decide_cases(engine, [adm.id], approve=True, decided_by="league office", at=sh(2024, 4, 12, 10))
    with Session(engine) as s:
        row = next(r for r in veto_report(s, 2024) if r["unit_code"] == COUNTY)
    assert row["flagged"] and row["admonishments"] == str(adm.id)
    assert row["reason"] == f"领导干部被诫勉谈话（已批准）：案件{adm.id}"


def test_backfilled_admonishments_flag_no_unit_until_reviewed(world, register, engine):
    from safegov.accountability.cases import decide_historical
    from safegov.accountability.veto import unreviewed_left_out, veto_report

    adm = backfilled_quarter_of_misses(world, engine, register)
    assert len(adm) == 2 and {c.state for c in cases(engine, step="admonishment")} == {"unreviewed"}
    with Session(engine) as s:
        rows = veto_report(s, 2024)
    assert [r["unit_code"] for r in rows if r["flagged"]] == []
    by_unit = {r["unit_code"]: r for r in rows}
    assert [by_unit[u]["unreviewed_admonishments"] for u in (COUNTY, COUNTY2)] == [str(i) for i in sorted(adm)]
    assert unreviewed_left_out(rows).startswith("未计入2件未经复核的历史诫勉谈话案件（涉及2个单位）")

    # The office reviews March: both admonishments approved; nothing is sent for history.
    at = sh(2025, 1, 10, 9)
    assert decide_historical(engine, "2024-03", approve=True, decided_by="呼和浩特市安委办", at=at) == 2
    assert decide_historical(engine, "2024-03", approve=True, decided_by="呼和浩特市安委办", at=at) == 0
    assert {(c.state, c.decided_by) for c in cases(engine, step="admonishment")} == {("approved", "呼和浩特市安委办")}
    assert {c.state for c in cases(engine, step="interview")} == {"unreviewed"}  # February: not reviewed yet
    assert outbox(engine) == []
    with Session(engine) as s:
        rows = veto_report(s, 2024)
    assert sorted(r["unit_code"] for r in rows if r["flagged"]) == sorted([COUNTY, COUNTY2])
    assert unreviewed_left_out(rows) is None


def test_rejected_history_never_counts(world, register, engine):
    import pytest

    from safegov.accountability.cases import decide_cases, decide_historical
    from safegov.accountability.veto import veto_report
    from safegov.core.errors import SafegovError

    backfilled_quarter_of_misses(world, engine, register)
    at = sh(2025, 1, 10, 9)
    with pytest.raises(SafegovError, match="reason"):
        decide_historical(engine, "2024-03", approve=False, decided_by="呼和浩特市安委办", at=at)
    with pytest.raises(SafegovError, match="month"):
        decide_historical(engine, "2024-Q1", approve=True, decided_by="呼和浩特市安委办", at=at)
    n = decide_historical(engine, "2024-03", approve=False, decided_by="呼和浩特市安委办", reason="当时已作处理", at=at)
    assert n == 2 and {c.state for c in cases(engine, step="admonishment")} == {"rejected"}
    with pytest.raises(SafegovError, match="--historical --period 2024-02"):
        decide_cases(engine, [c.id for c in cases(engine, step="interview")], approve=True, decided_by="x", at=at)
    # Rejected history is a decision too: approving the month afterwards changes nothing.
    assert decide_historical(engine, "2024-03", approve=True, decided_by="自治区安委办", at=at) == 0
    with Session(engine) as s:
        assert not any(r["flagged"] for r in veto_report(s, 2024))
