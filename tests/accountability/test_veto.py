"""The one-vote-veto report 〔十六〕: major+ accidents and approved admonishments of leaders."""

from __future__ import annotations

import datetime as dt

from escalate_helpers import COUNTY, cases, sh
from sqlalchemy.orm import Session

from safegov.accountability.escalation import escalate


def test_hazard_admonishment_does_not_veto_the_county(world, register, engine):
    from sqlalchemy.orm import Session

    from safegov.accountability.cases import decide_cases
    from safegov.accountability.veto import veto_report

    world.enterprise()
    world.hazard("H1", deadline=dt.date(2024, 3, 15))
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    adm = cases(engine, step="admonishment")[0]
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
