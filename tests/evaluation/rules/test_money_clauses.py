"""Count obligations of 〔十〕 and 〔十六〕 (issue 16 items 3, 6), one table each: met,
met_late, missed for each reason, exempt, pending and the boundary days of the period and
its grace. The safety fund in the budget and the safety costs are placed by their fiscal
year, a referral by the quarter it reports on, an assessment by the day it was made."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, ENT, ENT2, LEAGUE, REGION, at, d

from safegov.db.models import Assessment, Budget, Enterprise, Referral, SafetyCost
from safegov.evaluation.engine import evaluate_period

AFTER = at("2026-06-01 00:00")
# A year's grace: 2024-12-31 + 5 working days (1 January a holiday) = 2025-01-08.
ON_TIME = "2025-01-08 23:59:59+08:00"
LATE = "2025-01-09 00:00+08:00"


def verdict(build, register, ob_id, subject, period, as_of=AFTER):
    evaluate_period(build.engine, register, ob_id, period, as_of=as_of, run_id="t")
    r = build.evaluation(ob_id, subject, period)
    assert r is not None, f"no evaluation {ob_id} {subject} {period}"
    return r


def budget(build, unit, fiscal_year, approved_on, received_at=None):
    build._rec(
        Budget,
        d(approved_on),
        received_at,
        record_id=f"B{next(build._ids)}",
        unit_code=unit,
        fiscal_year=fiscal_year,
        fund_cny=500000.0,
        approved_on=d(approved_on),
        doc_ref="预算",
    )


def safety_cost(build, fiscal_year, reported_on, extracted=120000.0, received_at=None, enterprise_id=ENT):
    build._rec(
        SafetyCost,
        d(reported_on),
        received_at,
        record_id=f"SC{next(build._ids)}",
        enterprise_id=enterprise_id,
        fiscal_year=fiscal_year,
        extracted_cny=extracted,
        used_cny=None,
        reported_on=d(reported_on),
    )


def referral(build, unit, period, recipient, sent_on, received_at=None):
    build._rec(
        Referral,
        d(sent_on),
        received_at,
        record_id=f"RF{next(build._ids)}",
        unit_code=unit,
        period=period,
        recipient=recipient,
        sent_on=d(sent_on),
        accident_count=2,
        doc_ref="报送",
    )


def assessment(build, unit, assessed_on, published_on, received_at=None):
    build._rec(
        Assessment,
        d(assessed_on),
        received_at,
        record_id=f"AS{next(build._ids)}",
        unit_code=unit,
        industry="coal_mining",
        assessed_on=d(assessed_on),
        published_on=d(published_on) if published_on else None,
        doc_ref="评估公告",
    )


def enterprise(build, industry, enterprise_id=ENT, registered_on="2020-01-01", closed_on=None):
    build._add(
        Enterprise(
            enterprise_id=enterprise_id,
            name="企业",
            county_code=COUNTY,
            industry=industry,
            registered_on=d(registered_on),
            closed_on=d(closed_on) if closed_on else None,
        )
    )


# --------------------------------------------------------------------------- SAFETY-FUND-BUDGET 〔十〕

# (case, budgets as (unit, fiscal_year, approved_on, received_at), quarantined (day, values),
#  as_of, status, reason, counted)
BUDGET = [
    ("met", [(COUNTY, "2024", "2024-01-20", None)], [], AFTER, "met", None, 1),
    (
        "approved the December before: the fiscal year's",
        [(COUNTY, "2024", "2023-12-28", None)],
        [],
        AFTER,
        "met",
        None,
        1,
    ),
    ("sent on the last moment of grace", [(COUNTY, "2024", "2024-01-20", ON_TIME)], [], AFTER, "met", None, 1),
    ("sent after grace: met_late", [(COUNTY, "2024", "2024-01-20", LATE)], [], AFTER, "met_late", "late_records", 1),
    ("approved on the grace's last day", [(COUNTY, "2024", "2025-01-08", ON_TIME)], [], AFTER, "met", None, 1),
    ("no budget", [], [], AFTER, "missed", "no_records", 0),
    (
        "next year's budget is not this year's",
        [(COUNTY, "2025", "2024-12-20", None)],
        [],
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    ("another unit's budget", [(LEAGUE, "2024", "2024-01-20", None)], [], AFTER, "missed", "no_records", 0),
    ("quarantined budget row", [], [("2024-01-20", {})], AFTER, "missed", "evidence_rejected", 0),
    ("grace running", [(COUNTY, "2024", "2024-01-20", None)], [], at("2025-01-08 23:00"), "pending", None, 1),
    ("decided when grace ends", [], [], at("2025-01-09 00:00"), "missed", "no_records", 0),
]


@pytest.mark.parametrize("case, budgets, bad, as_of, status, reason, counted", BUDGET, ids=[c[0] for c in BUDGET])
def test_safety_fund_budget(build, register, case, budgets, bad, as_of, status, reason, counted):
    build.leader("L-GH", COUNTY, "government_head")
    for unit, year, approved, received in budgets:
        budget(build, unit, year, approved, received)
    for day, values in bad:
        build.quarantined("budget", day, unit_code=COUNTY, values=values)
    r = verdict(build, register, "SAFETY-FUND-BUDGET", COUNTY, "2024", as_of)
    assert (r.status, r.reason, r.counted, r.required) == (status, reason, counted, 1)
    assert (r.subject_kind, r.responsible, r.due_on, r.grace_ends_on) == (
        "unit",
        "L-GH",
        d("2024-12-31"),
        d("2025-01-08"),
    )


def test_safety_fund_budget_at_every_level(build, register):
    budget(build, REGION, "2024", "2024-01-20")
    assert verdict(build, register, "SAFETY-FUND-BUDGET", REGION, "2024").status == "met"
    assert build.evaluation("SAFETY-FUND-BUDGET", LEAGUE, "2024").status == "missed"


# --------------------------------------------------------------------------- ENT-SAFETY-COST 〔十〕

# 20 working days after 2024-12-31 (the Spring Festival of 2025 and its 调休 Sunday 26
# January counted): 2025-02-05.
COST_ON_TIME = "2025-02-05 23:59:59+08:00"
COST_LATE = "2025-02-06 00:00+08:00"

# (case, industry, registered_on, closed_on, reports as (fiscal_year, reported_on, extracted,
#  received_at), quarantined, period, as_of, status, reason, counted)
COST = [
    (
        "coal mine extracts: met",
        "coal_mining",
        None,
        None,
        [("2024", "2025-01-15", 1e5, None)],
        0,
        "2024",
        AFTER,
        "met",
        None,
        1,
    ),
    (
        "reported on the last moment of grace",
        "coal_mining",
        None,
        None,
        [("2024", "2025-02-05", 1e5, COST_ON_TIME)],
        0,
        "2024",
        AFTER,
        "met",
        None,
        1,
    ),
    (
        "reported after grace: met_late",
        "construction",
        None,
        None,
        [("2024", "2025-02-05", 1e5, COST_LATE)],
        0,
        "2024",
        AFTER,
        "met_late",
        "late_records",
        1,
    ),
    ("no report: missed", "hazardous_chemicals", None, None, [], 0, "2024", AFTER, "missed", "no_records", 0),
    (
        "nothing extracted: missed",
        "metallurgy",
        None,
        None,
        [("2024", "2025-01-15", 0.0, None)],
        0,
        "2024",
        AFTER,
        "missed",
        "nothing_extracted",
        0,
    ),
    (
        "last year's report is not this year's",
        "coal_mining",
        None,
        None,
        [("2023", "2024-01-15", 1e5, None)],
        0,
        "2024",
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    ("quarantined report", "coal_mining", None, None, [], 1, "2024", AFTER, "missed", "evidence_rejected", 0),
    ("retail is no high-risk industry", "retail", None, None, [], 0, "2024", AFTER, "exempt", "not_high_risk", 0),
    ("no industry in the registry", None, None, None, [], 0, "2024", AFTER, "exempt", "not_high_risk", 0),
    (
        "gas supply is named by neither rule",
        "gas_supply",
        None,
        None,
        [],
        0,
        "2024",
        AFTER,
        "exempt",
        "not_high_risk",
        0,
    ),
    # 电力生产与供应 joined with 财资〔2022〕136号 from 2022-11-21: judged by the version in
    # force on 31 December.
    (
        "power in 2021: 财企〔2012〕16号, exempt",
        "power",
        None,
        None,
        [],
        0,
        "2021",
        AFTER,
        "exempt",
        "not_high_risk",
        0,
    ),
    ("power in 2022: 财资〔2022〕136号, owed", "power", None, None, [], 0, "2022", AFTER, "missed", "no_records", 0),
    (
        "registered in the year: not owed",
        "coal_mining",
        "2024-03-01",
        None,
        [],
        0,
        "2024",
        AFTER,
        "exempt",
        "registered_in_period",
        0,
    ),
    (
        "closed in the year: not owed",
        "coal_mining",
        None,
        "2024-06-30",
        [],
        0,
        "2024",
        AFTER,
        "exempt",
        "closed_in_period",
        0,
    ),
    (
        "grace running",
        "coal_mining",
        None,
        None,
        [],
        0,
        "2024",
        at("2025-02-05 23:00"),
        "pending",
        None,
        0,
    ),
    (
        "decided when grace ends",
        "coal_mining",
        None,
        None,
        [],
        0,
        "2024",
        at("2025-02-06 00:00"),
        "missed",
        "no_records",
        0,
    ),
]


@pytest.mark.parametrize(
    "case, industry, registered, closed, reports, n_bad, period, as_of, status, reason, counted",
    COST,
    ids=[c[0] for c in COST],
)
def test_enterprise_safety_cost(
    build, register, case, industry, registered, closed, reports, n_bad, period, as_of, status, reason, counted
):
    enterprise(build, industry, registered_on=registered or "2020-01-01", closed_on=closed)
    for year, reported, extracted, received in reports:
        safety_cost(build, year, reported, extracted, received)
    for _ in range(n_bad):
        build.quarantined("safety_cost", f"{int(period) + 1}-01-15", enterprise_id=ENT)
    r = verdict(build, register, "ENT-SAFETY-COST", ENT, period, as_of)
    assert (r.status, r.reason, r.counted, r.required) == (status, reason, counted, 1)
    assert (r.subject_kind, r.unit_code) == ("enterprise", COUNTY)


def test_safety_cost_scope_follows_the_registry_industry(build, register):
    """Only the high-risk enterprise of two owes the report; the other is exempt, not missed."""
    enterprise(build, "coal_mining")
    enterprise(build, "food_processing", enterprise_id=ENT2)
    evaluate_period(build.engine, register, "ENT-SAFETY-COST", "2024", as_of=AFTER, run_id="t")
    assert (
        build.evaluation("ENT-SAFETY-COST", ENT, "2024").status,
        build.evaluation("ENT-SAFETY-COST", ENT2, "2024").reason,
    ) == (
        "missed",
        "not_high_risk",
    )


def test_the_version_in_force_on_the_due_date_decides(register):
    ob = register.get("ENT-SAFETY-COST")
    assert "power" not in ob.industries_on(d("2022-11-20"))
    assert "power" in ob.industries_on(d("2022-11-21"))
    assert ob.industries_on(d("2011-12-31")) == frozenset()  # before 财企〔2012〕16号: none named
    assert [s.valid_from for s in ob.industry_scopes] == [d("2012-02-14"), d("2022-11-21")]
    assert all(s.source for s in ob.industry_scopes)


# --------------------------------------------------------------------------- ACCIDENT-REFERRAL-* 〔十六〕

# 2024-Q1 ends 2024-03-31; 5 working days (清明 4–6 April off, Sunday 7 April worked): 2024-04-08.
Q_ON_TIME = "2024-04-08 23:59:59+08:00"
Q_LATE = "2024-04-09 00:00+08:00"
DISC, ORG = "discipline_inspection", "organisation"

# (case, obligation, referrals as (unit, period, recipient, sent_on, received_at), quarantined
#  (values), as_of, status, reason, counted)
REFERRAL = [
    ("met", "ACCIDENT-REFERRAL-DISCIPLINE", [(LEAGUE, "2024-Q1", DISC, "2024-04-02", None)], [], AFTER, "met", None, 1),
    ("org met", "ACCIDENT-REFERRAL-ORG", [(LEAGUE, "2024-Q1", ORG, "2024-04-02", None)], [], AFTER, "met", None, 1),
    (
        "sent on the last moment of grace",
        "ACCIDENT-REFERRAL-ORG",
        [(LEAGUE, "2024-Q1", ORG, "2024-04-08", Q_ON_TIME)],
        [],
        AFTER,
        "met",
        None,
        1,
    ),
    (
        "sent after grace: met_late",
        "ACCIDENT-REFERRAL-DISCIPLINE",
        [(LEAGUE, "2024-Q1", DISC, "2024-04-09", Q_LATE)],
        [],
        AFTER,
        "met_late",
        "late_records",
        1,
    ),
    (
        "sent to the other recipient only",
        "ACCIDENT-REFERRAL-DISCIPLINE",
        [(LEAGUE, "2024-Q1", ORG, "2024-04-02", None)],
        [],
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    (
        "the next quarter's referral is not this one's",
        "ACCIDENT-REFERRAL-ORG",
        [(LEAGUE, "2024-Q2", ORG, "2024-04-02", None)],
        [],
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    ("none", "ACCIDENT-REFERRAL-ORG", [], [], AFTER, "missed", "no_records", 0),
    ("quarantined, recipient unreadable", "ACCIDENT-REFERRAL-ORG", [], [{}], AFTER, "missed", "evidence_rejected", 0),
    (
        "quarantined referral to the other recipient",
        "ACCIDENT-REFERRAL-ORG",
        [],
        [{"recipient": DISC}],
        AFTER,
        "missed",
        "no_records",
        0,
    ),
    (
        "grace running",
        "ACCIDENT-REFERRAL-ORG",
        [(LEAGUE, "2024-Q1", ORG, "2024-04-02", None)],
        [],
        at("2024-04-08 12:00"),
        "pending",
        None,
        1,
    ),
    ("decided when grace ends", "ACCIDENT-REFERRAL-ORG", [], [], at("2024-04-09 00:00"), "missed", "no_records", 0),
]


@pytest.mark.parametrize(
    "case, ob_id, referrals, bad, as_of, status, reason, counted", REFERRAL, ids=[c[0] for c in REFERRAL]
)
def test_accident_referral(build, register, case, ob_id, referrals, bad, as_of, status, reason, counted):
    build.leader("L-SO", LEAGUE, "safety_office_director")
    for unit, period, recipient, sent_on, received in referrals:
        referral(build, unit, period, recipient, sent_on, received)
    for values in bad:
        build.quarantined("referral", "2024-04-02", unit_code=LEAGUE, values=values)
    r = verdict(build, register, ob_id, LEAGUE, "2024-Q1", as_of)
    assert (r.status, r.reason, r.counted, r.required) == (status, reason, counted, 1)
    assert (r.responsible, r.due_on, r.grace_ends_on) == ("L-SO", d("2024-03-31"), d("2024-04-08"))


def test_referrals_are_owed_by_the_region_and_leagues_only(build, register):
    referral(build, REGION, "2024-Q1", DISC, "2024-04-02")
    assert verdict(build, register, "ACCIDENT-REFERRAL-DISCIPLINE", REGION, "2024-Q1").status == "met"
    assert build.evaluation("ACCIDENT-REFERRAL-DISCIPLINE", COUNTY, "2024-Q1") is None


# --------------------------------------------------------------------------- KEY-INDUSTRY-ASSESS 〔十六〕

# (case, assessments as (unit, assessed_on, published_on, received_at), as_of, status, reason, counted)
ASSESS = [
    ("assessed and announced", [(REGION, "2024-09-10", "2024-09-20", None)], AFTER, "met", None, 1),
    ("assessed on 31 December (boundary)", [(REGION, "2024-12-31", "2024-12-31", None)], AFTER, "met", None, 1),
    ("assessed 1 January: next year's", [(REGION, "2025-01-01", "2025-01-02", None)], AFTER, "missed", "no_records", 0),
    ("never announced", [(REGION, "2024-09-10", None, None)], AFTER, "missed", "not_published", 0),
    ("sent after grace: met_late", [(REGION, "2024-09-10", "2024-09-20", LATE)], AFTER, "met_late", "late_records", 1),
    ("sent on the last moment of grace", [(REGION, "2024-09-10", "2024-09-20", ON_TIME)], AFTER, "met", None, 1),
    ("another unit's", [(LEAGUE, "2024-09-10", "2024-09-20", None)], AFTER, "missed", "no_records", 0),
    ("none", [], AFTER, "missed", "no_records", 0),
    ("grace running", [], at("2025-01-08 23:00"), "pending", None, 0),
]


@pytest.mark.parametrize("case, rows, as_of, status, reason, counted", ASSESS, ids=[c[0] for c in ASSESS])
def test_key_industry_assessment(build, register, case, rows, as_of, status, reason, counted):
    for unit, assessed, published, received in rows:
        assessment(build, unit, assessed, published, received)
    r = verdict(build, register, "KEY-INDUSTRY-ASSESS", REGION, "2024", as_of)
    assert (r.status, r.reason, r.counted, r.required) == (status, reason, counted, 1)


def test_a_quarantined_assessment_is_evidence_rejected(build, register):
    build.quarantined("assessment", "2024-09-10", unit_code=REGION)
    assert verdict(build, register, "KEY-INDUSTRY-ASSESS", REGION, "2024").reason == "evidence_rejected"


# --------------------------------------------------------------------------- late arrivals


def test_a_late_budget_redecides_its_fiscal_year_not_the_year_of_its_approval(build, register):
    """Approved on 28 December 2024 for 2025 and sent after 2025's grace: the miss of 2025 (not
    of 2024) becomes met_late on re-evaluation of the touched row."""
    from safegov.evaluation.engine import reevaluate_touched

    as_of = at("2026-03-01 00:00")
    for year in ("2024", "2025"):
        evaluate_period(build.engine, register, "SAFETY-FUND-BUDGET", year, as_of=as_of, run_id="t")
    budget(build, COUNTY, "2025", "2024-12-28", received_at="2026-02-01 10:00")
    touched = [{"record_type": "budget", "unit_code": COUNTY, "record_date": d("2024-12-28")}]
    reevaluate_touched(build.engine, register, touched, as_of=as_of, run_id="late")
    assert build.evaluation("SAFETY-FUND-BUDGET", COUNTY, "2025").status == "met_late"
    assert build.evaluation("SAFETY-FUND-BUDGET", COUNTY, "2024").status == "missed"


def test_a_late_safety_cost_report_cures_the_enterprise_year(build, register):
    from safegov.evaluation.engine import reevaluate_touched

    as_of = at("2026-03-01 00:00")
    enterprise(build, "coal_mining")
    evaluate_period(build.engine, register, "ENT-SAFETY-COST", "2024", as_of=as_of, run_id="t")
    assert build.evaluation("ENT-SAFETY-COST", ENT, "2024").status == "missed"
    safety_cost(build, "2024", "2025-03-01", received_at="2025-03-01 10:00")
    touched = [{"record_type": "safety_cost", "enterprise_id": ENT, "record_date": d("2025-03-01")}]
    reevaluate_touched(build.engine, register, touched, as_of=as_of, run_id="late")
    assert build.evaluation("ENT-SAFETY-COST", ENT, "2024").status == "met_late"
    assert [h.status for h in build.history("ENT-SAFETY-COST", ENT)] == ["missed", "met_late"]
