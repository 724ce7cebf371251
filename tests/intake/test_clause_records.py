"""Record types and registry columns of the clauses added by issue 16 (SPEC §3 style): good
rows load (under Chinese headers too), each bad row is quarantined with its named reason,
and raw = accepted + quarantined."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.intake.conftest import ENT_A, conserved, ingest, reasons, write_csv

from safegov.core.creditcode import make_credit_code

PLAN = ["record_id", "unit_code", "department_id", "effective_on", "approved_on", "doc_ref"]
PLAN_ZH = ["记录编号", "单位代码", "部门编号", "执行起始日期", "批准日期", "文号"]


def _processed(report):
    (f,) = report.files
    assert f.status == "processed", f.reason
    return f


def test_plan_rows_load_or_are_quarantined_with_reasons(db, inbox):
    from safegov.db.models import Plan

    rows = [
        ["P1", "150102", "", "2024-01-01", "2023-12-20", "执法计划〔2024〕1号"],  # the unit's own
        ["P2", "150102", "D-150102-AJ", "2024-01-01", "2024-01-10", "应急〔2024〕2号"],  # a department's
        ["P3", "150102", "", "2025-01-01", "2024-05-30", "执法计划〔2025〕1号"],  # next year's: not future
        ["P4", "150102", "D-NOWHERE", "2024-01-01", "2024-01-10", "x"],
        ["P5", "150199", "", "2024-01-01", "2024-01-10", "x"],
        ["P6", "150102", "", "2024-01-01", "", "x"],
        ["P7", "150102", "", "2024-13-01", "2024-01-10", "x"],
        ["P8", "150102", "", "2024-01-01", "2024-07-01", "x"],
        ["P1", "150102", "", "2024-01-01", "2023-12-20", "重复"],
    ]
    f = _processed(ingest(db, write_csv(inbox / "plan_2024.csv", PLAN, rows)))
    assert conserved(db, f.file_id) == (9, 3, 6)
    assert reasons(db, f.file_id) == {
        5: {("department_id", "unknown_department")},
        6: {("unit_code", "unknown_unit")},
        7: {("approved_on", "required")},
        8: {("effective_on", "type")},
        9: {("approved_on", "future_date")},
        10: {("unit_code,record_id", "duplicate_key")},
    }
    with Session(db) as s:
        plans = {p.record_id: p for p in s.scalars(select(Plan))}
    assert (plans["P1"].department_id, plans["P2"].department_id) == (None, "D-150102-AJ")
    assert plans["P3"].effective_on == dt.date(2025, 1, 1)


def test_plan_with_chinese_headers_and_type_name(db, inbox):
    rows = [["P1", "150102", "", "2024-01-01", "2023-12-20", "执法计划〔2024〕1号"]]
    f = _processed(
        ingest(db, write_csv(inbox / "年度执法计划_2024.csv", ["记录类型", *PLAN_ZH], [["执法计划", *rows[0]]]))
    )
    assert conserved(db, f.file_id) == (1, 1, 0)


def test_enterprise_supervising_department(db, inbox):
    from safegov.db.models import Enterprise

    ent_c = make_credit_code("91150102MA0N0000D")
    header = ["enterprise_id", "name", "county_code", "registered_on", "监管部门编号"]
    rows = [
        [ENT_A, "甲矿业", "150102", "2010-01-01", "D-150102-AJ"],
        [ent_c, "丙建材", "150102", "2015-01-01", "D-NOWHERE"],
    ]
    f = _processed(ingest(db, write_csv(inbox / "enterprise_registry.csv", header, rows)))
    assert conserved(db, f.file_id) == (2, 1, 1)
    assert reasons(db, f.file_id) == {3: {("supervising_department_id", "unknown_department")}}
    with Session(db) as s:
        assert s.get(Enterprise, ENT_A).supervising_department_id == "D-150102-AJ"


# --------------------------------------------------------------------------- 〔九〕 staff, training, officers

STAFF = ["staff_id", "name", "unit_code", "department_id", "certified_on", "certificate_no", "joined_on", "left_on"]
STAFF_ROWS = [
    ["S1", "赵执法", "150102", "D-150102-AJ", "2020-01-01", "蒙执〔2020〕001", "2019-06-01", ""],
    ["S2", "钱未考", "150102", "", "", "", "2023-01-01", ""],  # no certificate yet
    ["S3", "孙调离", "150102", "", "2018-01-01", "蒙执〔2018〕003", "2017-06-01", "2024-02-01"],
    ["S4", "李新证", "150102", "", "2024-04-01", "蒙执〔2024〕004", "2024-01-02", ""],
]


def _staff(db, inbox):
    f = _processed(ingest(db, write_csv(inbox / "staff_registry.csv", STAFF, STAFF_ROWS)))
    assert conserved(db, f.file_id) == (4, 4, 0)


def test_staff_registry_bad_rows_are_quarantined(db, inbox):
    rows = [
        ["S5", "周", "150199", "", "", "", "2020-01-01", ""],
        ["S6", "吴", "150102", "D-NOWHERE", "", "", "2020-01-01", ""],
        ["S7", "郑", "150102", "", "", "", "2020-01-01", "2019-01-01"],
        ["S8", "王", "150102", "", "", "", "", ""],
    ]
    f = _processed(ingest(db, write_csv(inbox / "staff_registry.csv", STAFF, rows)))
    assert conserved(db, f.file_id) == (4, 0, 4)
    assert reasons(db, f.file_id) == {
        2: {("unit_code", "unknown_unit")},
        3: {("department_id", "unknown_department")},
        4: {("left_on", "date_order")},
        5: {("joined_on", "required")},
    }


def test_training_rows(db, inbox):
    _staff(db, inbox)
    header = ["记录编号", "执法人员编号", "培训日期", "培训内容"]
    rows = [
        ["T1", "S1", "2023-05-10", "安全生产执法轮训"],
        ["T2", "S9", "2023-05-10", "轮训"],
        ["T3", "S1", "2023-06-01", ""],
    ]
    f = _processed(ingest(db, write_csv(inbox / "training_2023.csv", header, rows)))
    assert conserved(db, f.file_id) == (3, 1, 2)
    assert reasons(db, f.file_id) == {3: {("staff_id", "unknown_staff")}, 4: {("course", "required")}}


def test_inspection_naming_an_uncertified_officer_is_quarantined(db, inbox):
    _staff(db, inbox)
    header = ["record_id", "leader_id", "unit_code", "led_on", "targets", "issues_found", "report_ref", "officer_ids"]
    base = ["L2", "150102", "2024-03-05", "煤矿", "1", "报告"]
    rows = [
        ["I1", *base, "S1"],
        ["I2", *base, ""],  # officers not given: nothing to check
        ["I3", *base, "S1;S2"],  # S2 holds no certificate
        ["I4", *base, "S3"],  # S3 left on 2024-02-01
        ["I5", *base, "S4"],  # S4 certified only on 2024-04-01
        ["I6", *base, "S9"],  # not a member of the staff
        ["I7", *base, "S1；S4"],  # full-width separator, S4 still uncertified
    ]
    f = _processed(ingest(db, write_csv(inbox / "inspection_2024-03.csv", header, rows)))
    assert conserved(db, f.file_id) == (7, 2, 5)
    bad = {("officer_ids", "uncertified_officer")}
    assert reasons(db, f.file_id) == {4: bad, 5: bad, 6: bad, 7: bad, 8: bad}
