"""Record types of 〔十〕 and 〔十六〕 (issue 16 items 3, 6): good rows load (under Chinese
headers too), each bad row is quarantined with its named reason, and raw = accepted +
quarantined. Ingestion happens on 2024-06-01 (tests/intake/conftest.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.intake.conftest import ENT_A, ENT_UNREGISTERED, conserved, ingest, reasons, write_csv


def _processed(report):
    (f,) = report.files
    assert f.status == "processed", f.reason
    return f


BUDGET = ["record_id", "unit_code", "fiscal_year", "fund_cny", "approved_on", "doc_ref"]
BUDGET_ZH = ["记录编号", "单位代码", "预算年度", "安全生产专项资金", "批准日期", "文号"]


def test_budget_rows_load_or_are_quarantined_with_reasons(db, inbox):
    from safegov.db.models import Budget

    rows = [
        ["B1", "150102", "2024", "500000", "2024-01-20", "财预〔2024〕1号"],
        ["B2", "150000", "2024", "8000000.50", "2023-12-28", "财预〔2024〕2号"],
        ["B3", "150102", "2024-Q1", "500000", "2024-01-20", "x"],  # a quarter is no fiscal year
        ["B4", "150102", "2024", "0", "2024-01-20", "x"],  # no fund
        ["B5", "150199", "2024", "500000", "2024-01-20", "x"],
        ["B6", "150102", "", "500000", "2024-01-20", "x"],
        ["B7", "150102", "2024", "500000", "2024-07-01", "x"],  # approved after it was sent
        ["B8", "150102", "2024", "五十万", "2024-01-20", "x"],
        ["B1", "150102", "2024", "500000", "2024-01-20", "重复"],
    ]
    f = _processed(ingest(db, write_csv(inbox / "budget_2024.csv", BUDGET, rows)))
    assert conserved(db, f.file_id) == (9, 2, 7)
    assert reasons(db, f.file_id) == {
        4: {("fiscal_year", "type")},
        5: {("fund_cny", "min")},
        6: {("unit_code", "unknown_unit")},
        7: {("fiscal_year", "required")},
        8: {("approved_on", "future_date")},
        9: {("fund_cny", "type")},
        10: {("unit_code,record_id", "duplicate_key")},
    }
    with Session(db) as s:
        got = {b.record_id: (b.unit_code, b.fiscal_year, b.fund_cny) for b in s.scalars(select(Budget))}
    assert got == {"B1": ("150102", "2024", 500000.0), "B2": ("150000", "2024", 8000000.5)}


def test_budget_with_chinese_headers_and_type_name(db, inbox):
    row = ["安全生产专项资金", "B1", "150102", "2024", "500000", "2024-01-20", "财预〔2024〕1号"]
    f = _processed(ingest(db, write_csv(inbox / "预算_2024.csv", ["记录类型", *BUDGET_ZH], [row])))
    assert conserved(db, f.file_id) == (1, 1, 0)


SAFETY_COST = ["record_id", "enterprise_id", "fiscal_year", "extracted_cny", "used_cny", "reported_on"]


def test_safety_cost_rows_load_or_are_quarantined_with_reasons(db, inbox):
    from safegov.db.models import SafetyCost

    rows = [
        ["C1", ENT_A, "2023", "1200000", "900000", "2024-01-15"],
        ["C2", ENT_A, "2022", "0", "", "2023-01-15"],  # nothing extracted: accepted, does not count
        ["C3", ENT_UNREGISTERED, "2023", "1", "", "2024-01-15"],
        ["C4", ENT_A, "2023", "-5", "", "2024-01-15"],
        ["C5", ENT_A, "2023", "100", "-1", "2024-01-15"],
        ["C6", ENT_A, "2023-12", "100", "", "2024-01-15"],
        ["C7", ENT_A, "2023", "", "", "2024-01-15"],
    ]
    f = _processed(ingest(db, write_csv(inbox / "safety_cost_2023.csv", SAFETY_COST, rows)))
    assert conserved(db, f.file_id) == (7, 2, 5)
    assert reasons(db, f.file_id) == {
        4: {("enterprise_id", "unknown_enterprise")},
        5: {("extracted_cny", "min")},
        6: {("used_cny", "min")},
        7: {("fiscal_year", "type")},
        8: {("extracted_cny", "required")},
    }
    with Session(db) as s:
        assert {c.record_id: c.extracted_cny for c in s.scalars(select(SafetyCost))} == {"C1": 1200000.0, "C2": 0.0}


def test_safety_cost_with_chinese_headers(db, inbox):
    header = ["记录编号", "统一社会信用代码", "费用年度", "本年提取安全生产费用", "本年使用安全生产费用", "填报日期"]
    f = _processed(
        ingest(db, write_csv(inbox / "safety_cost_zh.csv", header, [["C1", ENT_A, "2023", "1", "1", "2024-01-15"]]))
    )
    assert conserved(db, f.file_id) == (1, 1, 0)


REFERRAL = ["record_id", "unit_code", "period", "recipient", "sent_on", "accident_count", "doc_ref"]


def test_referral_rows_load_or_are_quarantined_with_reasons(db, inbox):
    from safegov.db.models import Referral

    rows = [
        ["R1", "150100", "2024-Q1", "discipline_inspection", "2024-04-02", "3", "报送〔2024〕1号"],
        ["R2", "150100", "2024-Q1", "organisation", "2024-04-02", "3", "报送〔2024〕2号"],
        ["R3", "150100", "2024-03", "organisation", "2024-04-02", "3", "x"],  # a month is no quarter
        ["R4", "150100", "2024-Q1", "press", "2024-04-02", "3", "x"],
        ["R5", "150100", "2024-Q1", "organisation", "2024-04-02", "-1", "x"],
        ["R6", "150100", "2024-Q1", "organisation", "", "3", "x"],
        ["R7", "150100", "2024-Q2", "organisation", "2024-07-02", "3", "x"],
    ]
    f = _processed(ingest(db, write_csv(inbox / "referral_2024Q1.csv", REFERRAL, rows)))
    assert conserved(db, f.file_id) == (7, 2, 5)
    assert reasons(db, f.file_id) == {
        4: {("period", "type")},
        5: {("recipient", "value_set")},
        6: {("accident_count", "min")},
        7: {("sent_on", "required")},
        8: {("sent_on", "future_date")},
    }
    with Session(db) as s:
        assert sorted(r.recipient for r in s.scalars(select(Referral))) == ["discipline_inspection", "organisation"]


ASSESSMENT = ["record_id", "unit_code", "industry", "assessed_on", "published_on", "doc_ref"]


def test_assessment_rows_load_or_are_quarantined_with_reasons(db, inbox):
    from safegov.db.models import Assessment

    rows = [
        ["A1", "150000", "coal_mining", "2024-03-10", "2024-03-20", "评估〔2024〕1号"],
        ["A2", "150000", "hazardous_chemicals", "2024-03-10", "", "评估〔2024〕2号"],  # not yet announced
        ["A3", "150000", "", "2024-03-10", "2024-03-20", "x"],
        ["A4", "150000", "coal_mining", "2024-03-10", "2024-03-01", "x"],  # announced before assessed
        ["A5", "150000", "coal_mining", "2024-03-10", "2024-03-20", ""],
    ]
    f = _processed(ingest(db, write_csv(inbox / "assessment_2024.csv", ASSESSMENT, rows)))
    assert conserved(db, f.file_id) == (5, 2, 3)
    assert reasons(db, f.file_id) == {
        4: {("industry", "required")},
        5: {("published_on", "date_order")},
        6: {("doc_ref", "required")},
    }
    with Session(db) as s:
        assert {a.record_id: a.published_on for a in s.scalars(select(Assessment))}["A2"] is None


def test_assessment_is_not_a_risk_assessment(db, inbox):
    """The file-name prefix picks the longest record type: risk_assessment_… stays 〔四〕's."""
    from safegov.register.records import record_type_for_filename

    assert record_type_for_filename("assessment_2024.csv") == "assessment"
    assert record_type_for_filename("risk_assessment_2024.csv") == "risk_assessment"
    header = ["记录编号", "单位代码", "行业", "评估日期", "公告日期", "文号"]
    rows = [["A1", "150000", "coal_mining", "2024-03-10", "2024-03-20", "评估〔2024〕1号"]]
    f = _processed(ingest(db, write_csv(inbox / "assessment_zh.csv", header, rows)))
    assert conserved(db, f.file_id) == (1, 1, 0)
