"""Record types and registry columns of 〔十四〕 and 〔十八〕 (issue 16 items 4, 7): the accident's
liability finding, training reviews, the enterprise's actual controller. Good rows load (under
Chinese headers too), each bad row is quarantined with its named reason, raw = accepted +
quarantined."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.intake.conftest import ENT_A, conserved, ingest, reasons, write_csv

ACCIDENT = [
    "accident_id",
    "unit_code",
    "occurred_at",
    "reported_at",
    "deaths",
    "serious_injuries",
    "direct_loss_10k_cny",
    "description",
    "认定责任事故日期",
]
REVIEW = ["record_id", "accident_id", "unit_code", "reviewed_on", "training_failures", "doc_ref"]
REVIEW_ZH = ["记录编号", "事故编号", "单位代码", "倒查日期", "培训问题数", "文号"]


def _processed(report):
    (f,) = report.files
    assert f.status == "processed", f.reason
    return f


def _accidents(db, inbox, name="accident_2024-03.csv", finding=""):
    rows = [
        ["A1", "150102", "2024-03-01 09:00", "2024-03-01 09:40", "1", "0", "50", "井下运输事故", finding],
        ["A2", "150102", "2024-03-02 09:00", "2024-03-02 09:30", "0", "0", "10", "雷击", ""],
    ]
    return _processed(ingest(db, write_csv(inbox / name, ACCIDENT, rows)))


def test_an_accident_is_sent_again_with_its_liability_finding(db, inbox):
    from safegov.db.models import Accident

    first = _accidents(db, inbox)
    assert conserved(db, first.file_id) == (2, 2, 0)
    again = _accidents(db, inbox, "accident_2024-03_finding.csv", finding="2024-05-06")
    assert conserved(db, again.file_id) == (2, 2, 0)
    with Session(db) as s:
        found = {a.accident_id: a.liability_found_on for a in s.scalars(select(Accident))}
    assert found == {"A1": dt.date(2024, 5, 6), "A2": None}  # A2 (lightning) found no liability


def test_a_bad_liability_finding_is_quarantined(db, inbox):
    rows = [
        ["A1", "150102", "2024-03-01 09:00", "2024-03-01 09:40", "1", "0", "50", "x", "2024-13-01"],
        ["A2", "150102", "2024-03-01 09:00", "2024-03-01 09:40", "1", "0", "50", "x", "2024-07-01"],  # after receipt
    ]
    f = _processed(ingest(db, write_csv(inbox / "accident_bad.csv", ACCIDENT, rows)))
    assert conserved(db, f.file_id) == (2, 0, 2)
    assert reasons(db, f.file_id) == {
        2: {("liability_found_on", "type")},
        3: {("liability_found_on", "future_date")},
    }


def test_review_rows_load_or_are_quarantined_with_reasons(db, inbox):
    from safegov.db.models import Review

    _accidents(db, inbox, finding="2024-05-06")
    rows = [
        ["R1", "A1", "150102", "2024-05-20", "2", "新应急倒查〔2024〕1号"],
        ["R2", "A1", "150100", "2024-05-21", "0", "呼应急倒查〔2024〕1号"],  # the league's department
        ["R3", "A9", "150102", "2024-05-20", "0", "x"],  # no such accident
        ["R4", "A1", "150199", "2024-05-20", "0", "x"],
        ["R5", "A1", "150102", "", "0", "x"],
        ["R6", "A1", "150102", "2024-05-20", "-1", "x"],
        ["R7", "A1", "150102", "2024-07-01", "0", "x"],
        ["R8", "A1", "150102", "2024-05-20", "0", ""],
        ["R1", "A1", "150102", "2024-05-20", "2", "重复"],
    ]
    f = _processed(ingest(db, write_csv(inbox / "review_2024.csv", REVIEW, rows)))
    assert conserved(db, f.file_id) == (9, 2, 7)
    assert reasons(db, f.file_id) == {
        4: {("accident_id", "unknown_accident")},
        5: {("unit_code", "unknown_unit")},
        6: {("reviewed_on", "required")},
        7: {("training_failures", "min")},
        8: {("reviewed_on", "future_date")},
        9: {("doc_ref", "required")},
        10: {("accident_id,record_id", "duplicate_key")},
    }
    with Session(db) as s:
        assert sorted((r.record_id, r.unit_code) for r in s.scalars(select(Review))) == [
            ("R1", "150102"),
            ("R2", "150100"),
        ]


def test_review_with_chinese_headers_and_type_name(db, inbox):
    _accidents(db, inbox, finding="2024-05-06")
    row = ["倒查安全培训责任", "R1", "A1", "150102", "2024-05-20", "2", "新应急倒查〔2024〕1号"]
    f = _processed(ingest(db, write_csv(inbox / "培训责任倒查_2024.csv", ["记录类型", *REVIEW_ZH], [row])))
    assert conserved(db, f.file_id) == (1, 1, 0)


def test_enterprise_actual_controller(db, inbox):
    from safegov.db.models import Enterprise

    header = ["enterprise_id", "name", "county_code", "registered_on", "法定代表人", "实际控制人"]
    rows = [[ENT_A, "甲矿业", "150102", "2010-01-01", "张三", "王五"]]
    f = _processed(ingest(db, write_csv(inbox / "enterprise_registry.csv", header, rows)))
    assert conserved(db, f.file_id) == (1, 1, 0)
    with Session(db) as s:
        e = s.get(Enterprise, ENT_A)
        assert (e.legal_representative, e.actual_controller) == ("张三", "王五")


def test_a_review_may_name_an_accident_of_the_same_batch(db, inbox):
    accidents = write_csv(
        inbox / "accident_2024-03.csv",
        ACCIDENT,
        [["A7", "150102", "2024-03-01 09:00", "2024-03-01 09:40", "1", "0", "50", "x", "2024-05-06"]],
    )
    reviews = write_csv(
        inbox / "review_2024.csv",
        REVIEW,
        [["R1", "A7", "150102", "2024-05-20", "0", "x"], ["R2", "A8", "150102", "2024-05-20", "0", "x"]],
    )
    report = ingest(db, [accidents, reviews])
    by_name = {f.name: f for f in report.files}
    f = by_name["review_2024.csv"]
    assert conserved(db, f.file_id) == (2, 1, 1)
    assert reasons(db, f.file_id) == {3: {("accident_id", "unknown_accident")}}
