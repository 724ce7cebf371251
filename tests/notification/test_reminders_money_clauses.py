"""Reminders of 〔十〕 and 〔十六〕 (issue 16 items 3, 6), 5 working days before the due date,
only to the subjects whose duty is not yet done: units without the year's safety fund, only
high-risk enterprises without a safety-cost report that extracted something, leagues without
the quarter's referral to each recipient, units without an announced assessment."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.core.periods import TZ
from safegov.db.models import Assessment, Budget, Enterprise, Leader, OutboxMessage, Referral, SafetyCost
from safegov.register.obligations import get_register

COUNTY, OTHER, LEAGUE, REGION = "150102", "150103", "150100", "150000"
CREATED = dt.datetime(2024, 12, 24, 9, 0, tzinfo=TZ)
ON = dt.date(2024, 12, 24)  # 2024-12-31 − 5 working days
COAL, FOOD, POWER, ZERO = "91150102MA00000001", "91150102MA00000002", "91150102MA00000003", "91150102MA00000004"


def _leader(lid, unit, role):
    return Leader(
        leader_id=lid,
        name=f"领导{lid}",
        unit_code=unit,
        role=role,
        email=f"{lid.lower()}@example.gov.cn",
        term_start=dt.date(2020, 1, 1),
    )


def _rec(n):
    return {"received_at": dt.datetime(2024, 12, 1, tzinfo=TZ), "raw_row_id": n, "content_hash": f"h{n}"}


def _ent(eid, industry):
    return Enterprise(
        enterprise_id=eid,
        name=f"{industry}企业",
        county_code=COUNTY,
        industry=industry,
        registered_on=dt.date(2019, 1, 1),
        contact_email=f"{eid[-2:]}@example.com",
    )


@pytest.fixture
def world(engine):
    from safegov.org.units import sync_units

    with Session(engine) as s, s.begin():
        sync_units(s)
        s.add_all(
            [
                _leader("GH1", COUNTY, "government_head"),
                _leader("GH2", OTHER, "government_head"),
                _leader("SO-L", LEAGUE, "safety_office_director"),
                _ent(COAL, "coal_mining"),
                _ent(FOOD, "food_processing"),
                _ent(POWER, "power"),
                _ent(ZERO, "metallurgy"),
                Budget(
                    record_id="B1",
                    unit_code=COUNTY,
                    fiscal_year="2024",
                    fund_cny=1e6,
                    approved_on=dt.date(2024, 1, 20),
                    doc_ref="预算",
                    **_rec(1),
                ),
                SafetyCost(
                    record_id="C1",
                    enterprise_id=COAL,
                    fiscal_year="2024",
                    extracted_cny=1e5,
                    reported_on=dt.date(2024, 12, 1),
                    **_rec(2),
                ),
                SafetyCost(
                    record_id="C2",
                    enterprise_id=ZERO,
                    fiscal_year="2024",
                    extracted_cny=0,
                    reported_on=dt.date(2024, 12, 1),
                    **_rec(3),
                ),
                Referral(
                    record_id="R1",
                    unit_code=LEAGUE,
                    period="2024-Q4",
                    recipient="discipline_inspection",
                    sent_on=dt.date(2024, 12, 20),
                    accident_count=1,
                    doc_ref="报送",
                    **_rec(4),
                ),
                Assessment(
                    record_id="A1",
                    unit_code=LEAGUE,
                    industry="coal_mining",
                    assessed_on=dt.date(2024, 9, 1),
                    published_on=None,  # not announced: does not count
                    doc_ref="评估",
                    **_rec(5),
                ),
            ]
        )
    return engine


def _reminded(engine, oid):
    from safegov.notification.reminders import queue_reminders

    queue_reminders(engine, get_register(), on=ON, created_at=CREATED)
    with Session(engine) as s:
        rows = s.execute(
            select(OutboxMessage.subject_id, OutboxMessage.recipient, OutboxMessage.step).where(
                OutboxMessage.purpose == f"reminder:{oid}"
            )
        ).all()
    return {r.subject_id: (r.recipient, r.step) for r in rows}


def test_the_unit_with_its_fund_in_the_budget_is_not_reminded(world):
    reminded = _reminded(world, "SAFETY-FUND-BUDGET")
    assert COUNTY not in reminded and reminded[OTHER] == ("GH2", "remind-5") and REGION in reminded


def test_only_high_risk_enterprises_without_an_extraction_are_reminded(world):
    # COAL extracted; FOOD is no high-risk industry; POWER is under 财资〔2022〕136号 only (2024:
    # in force); ZERO reported nothing extracted.
    assert _reminded(world, "ENT-SAFETY-COST") == {POWER: (POWER, "remind-5"), ZERO: (ZERO, "remind-5")}


def test_a_league_is_reminded_of_the_recipient_it_has_not_sent_to(world):
    assert LEAGUE not in _reminded(world, "ACCIDENT-REFERRAL-DISCIPLINE")
    assert _reminded(world, "ACCIDENT-REFERRAL-ORG")[LEAGUE] == ("SO-L", "remind-5")
    assert COUNTY not in _reminded(world, "ACCIDENT-REFERRAL-ORG")  # counties owe no referral


def test_an_unannounced_assessment_does_not_spare_the_reminder(world):
    assert _reminded(world, "KEY-INDUSTRY-ASSESS")[LEAGUE] == ("SO-L", "remind-5")
