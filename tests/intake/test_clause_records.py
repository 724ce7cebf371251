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
