"""〔十五〕 accident reports (issue 16 item 5): the ``accident_report`` hops and the accident's
new columns (known_from, source_ref, near_miss_larger) load, under Chinese headers too; each
bad row is quarantined with its named reason, and raw = accepted + quarantined."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.intake.conftest import conserved, ingest, reasons, write_csv

ACCIDENT = [
    "accident_id",
    "unit_code",
    "occurred_at",
    "reported_at",
    "deaths",
    "serious_injuries",
    "direct_loss_10k_cny",
    "description",
    "known_from",
    "source_ref",
    "near_miss_larger",
]
HOP = ["accident_id", "reporter", "reported_to", "reported_at"]
HOP_ZH = ["事故编号", "报送单位", "接收单位", "报告时间"]


def _processed(report):
    (f,) = report.files
    assert f.status == "processed", f.reason
    return f


def _accidents(db, inbox):
    rows = [
        ["A1", "150102", "2024-03-10 08:00", "2024-03-10 08:30", "0", "0", "1", "物体打击", "", "", ""],
        ["A2", "150102", "2024-03-11 08:00", "2024-03-11 09:00", "0", "0", "1", "坍塌", "hotline", "12350-77", "false"],
        ["A3", "150102", "2024-03-12 08:00", "2024-03-12 08:20", "0", "0", "1", "涉险", "unit", "", "是"],
        ["A4", "150102", "2024-03-13 08:00", "2024-03-13 08:20", "0", "0", "1", "x", "rumour", "", ""],
    ]
    return _processed(ingest(db, write_csv(inbox / "accident_2024-03.csv", ACCIDENT, rows)))


def test_accident_known_from_and_near_miss(db, inbox):
    from safegov.db.models import Accident

    f = _accidents(db, inbox)
    assert conserved(db, f.file_id) == (4, 3, 1)
    assert reasons(db, f.file_id) == {5: {("known_from", "value_set")}}
    with Session(db) as s:
        got = {a.accident_id: (a.known_from, a.source_ref, a.near_miss_larger) for a in s.scalars(select(Accident))}
    assert got == {"A1": (None, None, None), "A2": ("hotline", "12350-77", False), "A3": ("unit", None, True)}


def test_hops_load_or_are_quarantined_with_named_reasons(db, inbox):
    from safegov.db.models import AccidentReport

    _accidents(db, inbox)
    rows = [
        ["A1", "150102", "150100", "2024-03-10 10:00"],  # county → league
        ["A1", "D-150102-AJ", "150102", "2024-03-10 09:00"],  # a department tells its safety office
        ["A9", "150102", "150100", "2024-03-10 10:00"],  # no such accident
        ["A1", "150102", "D-NOWHERE", "2024-03-10 10:00"],  # no such recipient
        ["A1", "150102", "150000", "2024-03-10 07:59"],  # before the accident occurred
        ["A1", "150100", "150000", ""],  # no time
        ["A1", "150100", "D-150102-AJ", "10 March"],  # not a datetime
        ["A2", "150102", "150100", "2024-06-02 10:00"],  # after the file was received
        ["A1", "150102", "150100", "2024-03-10 10:05"],  # the same hop twice in one file
    ]
    f = _processed(ingest(db, write_csv(inbox / "accident_report_2024-03.csv", HOP, rows)))
    assert conserved(db, f.file_id) == (9, 2, 7)
    assert reasons(db, f.file_id) == {
        4: {("accident_id", "unknown_accident")},
        5: {("reported_to", "unknown_party")},
        6: {("reported_at", "reported_before_occurred")},
        7: {("reported_at", "required")},
        8: {("reported_at", "type")},
        9: {("reported_at", "future_date")},
        10: {("accident_id,reporter,reported_to", "duplicate_key")},
    }
    with Session(db) as s:
        hops = sorted((h.reporter, h.reported_to) for h in s.scalars(select(AccidentReport)))
    assert hops == [("150102", "150100"), ("D-150102-AJ", "150102")]


def test_hops_under_chinese_headers_and_type_name_name_the_accidents_county(db, inbox):
    _accidents(db, inbox)
    path = write_csv(
        inbox / "事故信息报送_2024-03.csv",
        ["记录类型", *HOP_ZH],
        [["事故逐级上报", "A2", "150102", "150100", "2024-03-11 10:00"]],
    )
    report = ingest(db, path)
    f = _processed(report)
    assert conserved(db, f.file_id) == (1, 1, 0)
    # A late hop re-evaluates its accident's county: the hint is the accident's unit.
    assert [(t["record_type"], t["unit_code"]) for t in report.touched] == [("accident_report", "150102")]


def test_a_resent_hop_replaces_the_earlier_version(db, inbox):
    from safegov.db.models import AccidentReport

    _accidents(db, inbox)
    ingest(db, write_csv(inbox / "accident_report_a.csv", HOP, [["A1", "150102", "150100", "2024-03-10 11:00"]]))
    ingest(db, write_csv(inbox / "accident_report_b.csv", HOP, [["A1", "150102", "150100", "2024-03-10 10:00"]]))
    with Session(db) as s:
        (hop,) = s.scalars(select(AccidentReport)).all()
    assert hop.reported_at == dt.datetime(2024, 3, 10, 2, 0, tzinfo=dt.UTC) and hop.version == 2


# --------------------------------------------------------------------------- 〔十三〕 drill (issue 16 item 8)

DRILL = ["record_id", "unit_code", "department_id", "held_on", "plan_ref", "doc_ref"]
DRILL_ZH = ["记录编号", "单位代码", "部门编号", "召开日期", "演练预案", "文号"]


def test_drill_rows_load_or_are_quarantined_with_reasons(db, inbox):
    from safegov.db.models import Drill

    rows = [
        ["DR1", "150102", "", "2024-05-10", "综合应急预案", "演练总结〔2024〕1号"],  # the government's own
        ["DR2", "150102", "D-150102-AJ", "2024-05-11", "危化品专项预案", "演练总结〔2024〕2号"],  # a department's
        ["DR3", "150199", "", "2024-05-10", "x", "x"],
        ["DR4", "150102", "D-NOWHERE", "2024-05-10", "x", "x"],
        ["DR5", "150102", "", "2024-06-02", "x", "x"],
        ["DR6", "150102", "", "2024-05-10", "", "x"],
        ["DR7", "150102", "", "10 May", "x", "x"],
        ["DR1", "150102", "", "2024-05-10", "x", "重复"],
    ]
    f = _processed(ingest(db, write_csv(inbox / "drill_2024.csv", DRILL, rows)))
    assert conserved(db, f.file_id) == (8, 2, 6)
    assert reasons(db, f.file_id) == {
        4: {("unit_code", "unknown_unit")},
        5: {("department_id", "unknown_department")},
        6: {("held_on", "future_date")},
        7: {("plan_ref", "required")},
        8: {("held_on", "type")},
        9: {("unit_code,record_id", "duplicate_key")},
    }
    with Session(db) as s:
        assert sorted((r.record_id, r.department_id) for r in s.scalars(select(Drill))) == [
            ("DR1", None),
            ("DR2", "D-150102-AJ"),
        ]


def test_drill_under_chinese_headers_and_type_name(db, inbox):
    path = write_csv(
        inbox / "应急演练_2024.csv",
        ["记录类型", *DRILL_ZH],
        [["应急演练", "DR1", "150102", "", "2024-05-10", "综合应急预案", "演练总结〔2024〕1号"]],
    )
    f = _processed(ingest(db, path))
    assert conserved(db, f.file_id) == (1, 1, 0)
