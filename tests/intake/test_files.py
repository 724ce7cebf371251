"""File-level behaviour: formats, encodings, headers, refusals, re-submissions, moves."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.intake.conftest import ENT_A, ENT_B, conserved, ingest, reasons, write_csv, write_jsonl, write_xlsx

HI = ["record_id", "enterprise_id", "inspected_on", "led_by_role", "hazards_found", "archived"]
HI_ZH = ["记录编号", "统一社会信用代码", "排查日期", "带队人身份", "发现隐患数", "是否建档"]
HI_ROWS = [
    ["R1", ENT_A, "2024-03-01", "legal_representative", "2", "是"],
    ["R2", ENT_B, "2024-03-02", "actual_controller", "0", "否"],
]


def count(engine, model, *where):
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def submission(engine, file_id):
    from safegov.db.models import SubmissionFile

    with Session(engine) as s:
        return s.get(SubmissionFile, file_id)


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_with_chinese_headers(db, inbox, encoding):
    from safegov.db.models import HazardInspection

    path = write_csv(inbox / "hazard_inspection_2024-03.csv", HI_ZH, HI_ROWS, encoding=encoding)
    (f,) = ingest(db, path).files
    assert (f.status, f.record_type) == ("processed", "hazard_inspection")
    assert conserved(db, f.file_id) == (2, 2, 0)
    with Session(db) as s:
        rows = s.execute(
            select(HazardInspection.record_id, HazardInspection.archived).order_by(HazardInspection.record_id)
        ).all()
    assert [tuple(r) for r in rows] == [("R1", True), ("R2", False)]


def test_jsonl_with_a_bad_line(db, inbox):
    path = write_jsonl(
        inbox / "hazard_inspection_2024.jsonl",
        [
            {
                "record_id": "R1",
                "enterprise_id": ENT_A,
                "inspected_on": "2024-03-01",
                "led_by_role": "other",
                "hazards_found": 3,
                "archived": True,
            },
            "{not json",
            "[1, 2]",
            {
                "记录编号": "R2",
                "统一社会信用代码": ENT_B,
                "排查日期": "2024-03-02",
                "带队人身份": "other",
                "发现隐患数": 0,
                "是否建档": False,
                "备注": "unknown columns are kept",
            },
        ],
    )
    (f,) = ingest(db, path).files
    assert conserved(db, f.file_id) == (4, 2, 2)
    assert reasons(db, f.file_id) == {2: {(None, "unreadable_row")}, 3: {(None, "unreadable_row")}}
    from safegov.db.models import RawRow

    with Session(db) as s:
        raw = s.scalars(select(RawRow.values).where(RawRow.file_id == f.file_id, RawRow.row_number == 4)).one()
    assert raw["备注"] == "unknown columns are kept" and raw["发现隐患数"] == 0


def test_xlsx_happy_path(db, inbox):
    from safegov.db.models import Hazard

    header = [
        "隐患编号",
        "统一社会信用代码",
        "发现日期",
        "隐患等级",
        "隐患描述",
        "整改责任人",
        "整改资金",
        "整改措施",
        "整改期限",
        "应急预案",
    ]
    rows = [
        ["H1", ENT_A, dt.datetime(2024, 3, 1), "major", "尾矿库", "王五", 50000, "清淤", dt.date(2024, 4, 30), "预案"],
        ["H2", ENT_B, "2024-03-02", "general", "通道堵塞", "赵六", 0.5, "清理", "2024-03-10", "预案"],
    ]
    path = write_xlsx(inbox / "hazard_2024-03.xlsx", header, rows)
    (f,) = ingest(db, path).files
    assert f.status == "processed", f.reason
    assert conserved(db, f.file_id) == (2, 2, 0)
    with Session(db) as s:
        h1 = s.scalars(select(Hazard).where(Hazard.hazard_id == "H1")).one()
    assert (h1.found_on, h1.deadline, h1.funds_cny) == (dt.date(2024, 3, 1), dt.date(2024, 4, 30), 50000.0)


def test_xlsx_formula_is_kept_as_text(db, inbox):
    from safegov.db.models import RawRow

    path = write_xlsx(inbox / "hazard_inspection_f.xlsx", HI, [["R1", ENT_A, "2024-03-01", "other", "=1+1", "true"]])
    (f,) = ingest(db, path).files
    assert reasons(db, f.file_id) == {2: {("hazards_found", "type")}}
    with Session(db) as s:
        assert s.scalars(select(RawRow.values)).one()["hazards_found"] == "=1+1"


def test_record_type_column_routes_rows(db, inbox):
    header = [
        "记录类型",
        "record_id",
        "unit_code",
        "body",
        "held_on",
        "minutes_ref",
        "milestone",
        "achieved_on",
        "doc_ref",
    ]
    rows = [
        ["会议", "M1", "150102", "safety_committee", "2024-03-05", "纪要1", "", "", ""],
        ["milestone", "K1", "150100", "", "", "", "rescue_team", "2017-11-01", "文1"],
        ["派对", "X1", "150102", "", "", "", "", "", ""],
        ["", "X2", "150102", "", "", "", "", "", ""],
    ]
    rep = ingest(db, write_csv(inbox / "submission.csv", header, rows))
    (f,) = rep.files
    assert f.status == "processed", f.reason
    assert rep.record_types == {"meeting", "milestone"}
    assert conserved(db, f.file_id) == (4, 2, 2)
    assert reasons(db, f.file_id) == {4: {("record_type", "record_type")}, 5: {("record_type", "record_type")}}


def test_registries_load_before_the_rows_that_use_them(db, inbox):
    from safegov.core.creditcode import make_credit_code
    from safegov.db.models import Enterprise, RiskAssessment

    new = make_credit_code("91150102MA0N0000Y")
    risk = write_csv(
        inbox / "risk_assessment_2024.csv",
        ["record_id", "enterprise_id", "assessed_on", "major_risks"],
        [["RA1", new, "2024-03-01", "1"]],
    )
    ent = write_csv(
        inbox / "enterprise_new.csv",
        ["enterprise_id", "name", "county_code", "registered_on", "high_risk"],
        [[new, "新公司", "150102", "2024-01-01", ""]],
    )
    rep = ingest(db, [risk, ent])
    assert [f.name for f in rep.files] == ["enterprise_new.csv", "risk_assessment_2024.csv"]
    assert all(f.quarantined == 0 for f in rep.files), [f.summary() for f in rep.files]
    assert count(db, Enterprise, Enterprise.enterprise_id == new) == 1
    assert count(db, RiskAssessment) == 1


# --------------------------------------------------------------------------- refusals


def _assert_refused(db, inbox, rep, reason_part):
    (f,) = rep.files
    assert f.status == "rejected"
    assert reason_part in f.reason
    sf = submission(db, f.file_id)
    assert (sf.status, sf.rows_total) == ("rejected", 0) and reason_part in sf.reason
    moved = inbox / "rejected" / f.name
    assert moved.exists()
    assert reason_part in (inbox / "rejected" / f"{f.name}.reason.txt").read_text(encoding="utf-8")
    assert not rep.ok
    return f


def test_empty_file(db, inbox):
    path = inbox / "meeting_empty.csv"
    path.write_bytes(b"")
    _assert_refused(db, inbox, ingest(db, path, move_to=inbox), "empty file")


def test_whitespace_only_file(db, inbox):
    path = inbox / "meeting_blank.csv"
    path.write_bytes(b"\n\n  \n")
    _assert_refused(db, inbox, ingest(db, path, move_to=inbox), "empty file")


def test_header_only_file(db, inbox):
    path = write_csv(inbox / "meeting_header.csv", ["record_id", "unit_code"], [])
    rep = ingest(db, path, move_to=inbox)
    (f,) = rep.files
    assert (f.status, f.rows_total, f.reason) == ("processed", 0, "no data rows (header only)")
    assert conserved(db, f.file_id) == (0, 0, 0)
    assert (inbox / "processed" / "meeting_header.csv").exists() and rep.ok


def test_over_limit_refused_from_stat_without_reading(db, inbox, monkeypatch):
    import safegov.intake.pipeline
    import safegov.intake.readers

    path = write_csv(inbox / "hazard_inspection_big.csv", HI, HI_ROWS * 50)

    def never(*a, **k):
        raise AssertionError("an over-limit file must not be read")

    monkeypatch.setattr(safegov.intake.pipeline, "read_file", never)
    monkeypatch.setattr(safegov.intake.readers, "read_file", never)
    rep = ingest(db, path, move_to=inbox, max_bytes=1000)
    f = _assert_refused(db, inbox, rep, "over the limit of 1000 bytes")
    assert f.sha256  # hashed in a stream, so a re-drop is recognised


def test_unknown_encoding(db, inbox):
    path = inbox / "meeting_bin.csv"
    path.write_bytes(b"record_id,unit_code\n\xff\xfe\xff\x81\x30\n")
    _assert_refused(db, inbox, ingest(db, path, move_to=inbox), "unknown encoding")


def test_unknown_file_type(db, inbox):
    path = inbox / "meeting.pdf"
    path.write_bytes(b"%PDF-1.4")
    _assert_refused(db, inbox, ingest(db, path, move_to=inbox), "unknown file type")


def test_unknown_record_type(db, inbox):
    path = write_csv(inbox / "minutes_2024.csv", ["a", "b"], [["1", "2"]])
    _assert_refused(db, inbox, ingest(db, path, move_to=inbox), "unknown record type")


def test_ambiguous_headers(db, inbox):
    path = write_csv(inbox / "meeting_amb.csv", ["unit_code", "单位代码"], [["150102", "150102"]])
    _assert_refused(db, inbox, ingest(db, path, move_to=inbox), "both mean unit_code")


def test_corrupt_xlsx(db, inbox):
    path = inbox / "hazard_broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    _assert_refused(db, inbox, ingest(db, path, move_to=inbox), "corrupt XLSX")


DTD_SHEET = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
"""


def test_xlsx_with_dtd_entity_expansion_refused(db, inbox, tmp_path):
    good = write_xlsx(tmp_path / "x.xlsx", HI, HI_ROWS)
    path = inbox / "hazard_inspection_lol.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = DTD_SHEET + body
            dst.writestr(item, data)
    f = _assert_refused(db, inbox, ingest(db, path, move_to=inbox), "DTD")
    assert "xl/worksheets/sheet1.xml" in f.reason


def test_one_bad_file_does_not_stop_the_others(db, inbox):
    bad = inbox / "hazard_bad.xlsx"
    bad.write_bytes(b"garbage")
    good = write_csv(inbox / "hazard_inspection_ok.csv", HI, HI_ROWS)
    rep = ingest(db, [bad, good], move_to=inbox)
    assert {f.name: f.status for f in rep.files} == {
        "hazard_bad.xlsx": "rejected",
        "hazard_inspection_ok.csv": "processed",
    }
    assert (inbox / "processed" / "hazard_inspection_ok.csv").exists()


# --------------------------------------------------------------------------- names and moves


def test_submitted_name_with_dotdot_stays_inside_the_inbox(db, inbox, tmp_path):
    src = write_csv(tmp_path / "upload.tmp", HI, HI_ROWS)
    rep = ingest(db, src, move_to=inbox, names={src: "../../hazard_inspection_evil.csv"})
    (f,) = rep.files
    assert f.name == "hazard_inspection_evil.csv" and f.status == "processed"
    assert (inbox / "processed" / "hazard_inspection_evil.csv").exists()
    assert not (tmp_path / "hazard_inspection_evil.csv").exists()
    assert not (inbox.parent.parent / "hazard_inspection_evil.csv").exists()


@pytest.mark.parametrize(
    "submitted, safe",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\meeting.csv", "meeting.csv"),
        ("..", "unnamed"),
        (".hidden.csv", "hidden.csv"),
        ("meeting\x00_2024.csv", "meeting_2024.csv"),
        ("会议_2024.csv", "会议_2024.csv"),
    ],
)
def test_safe_name(submitted, safe):
    from safegov.intake.pipeline import safe_name

    assert safe_name(submitted) == safe


def test_backslash_name_on_disk(db, inbox):
    path = write_csv(inbox / "..\\..\\hazard_inspection_b.csv", HI, HI_ROWS)
    rep = ingest(db, [path], move_to=inbox)
    (f,) = rep.files
    assert f.name == "hazard_inspection_b.csv"
    assert (inbox / "processed" / "hazard_inspection_b.csv").exists() and not path.exists()


def test_scan_inbox_skips_done_folders_and_notes(inbox):
    from safegov.intake.pipeline import scan_inbox

    (inbox / "processed").mkdir()
    (inbox / "processed" / "meeting_old.csv").write_text("x")
    (inbox / "meeting_a.csv").write_text("x")
    (inbox / "leader_2024.csv").write_text("x")
    (inbox / "enterprise_2024.csv").write_text("x")
    (inbox / "x.csv.reason.txt").write_text("x")
    (inbox / ".partial.csv").write_text("x")
    assert [p.name for p in scan_inbox(inbox)] == ["enterprise_2024.csv", "leader_2024.csv", "meeting_a.csv"]


# --------------------------------------------------------------------------- re-submission


def test_same_file_twice_changes_nothing(db, inbox):
    from safegov.db.models import HazardInspection, RawRow, RecordVersion

    path = write_csv(inbox / "hazard_inspection_2024.csv", HI, HI_ROWS)
    first = ingest(db, path, move_to=inbox).files[0]
    again = write_csv(inbox / "hazard_inspection_2024.csv", HI, HI_ROWS)
    rep = ingest(db, again, move_to=inbox)
    (f,) = rep.files
    assert (f.status, f.file_id) == ("skipped", first.file_id)
    assert rep.ok
    assert count(db, RawRow) == 2 and count(db, HazardInspection) == 2 and count(db, RecordVersion) == 2
    assert len(list((inbox / "processed").iterdir())) == 2  # the second copy moved aside under a new name


def test_identical_rows_in_a_new_file_change_nothing(db, inbox):
    from safegov.db.models import HazardInspection, RecordVersion

    ingest(db, write_csv(inbox / "hazard_inspection_a.csv", HI, HI_ROWS))
    (f,) = ingest(
        db,
        write_csv(inbox / "hazard_inspection_b.csv", HI, HI_ROWS + [["R3", ENT_A, "2024-03-03", "other", "1", "否"]]),
        now=dt.datetime(2024, 7, 1, tzinfo=dt.UTC),
    ).files
    assert (f.inserted, f.updated, f.unchanged) == (1, 0, 2)
    assert conserved(db, f.file_id) == (3, 3, 0)
    with Session(db) as s:
        r1 = s.scalars(select(HazardInspection).where(HazardInspection.record_id == "R1")).one()
    assert r1.version == 1 and r1.received_at == dt.datetime(2024, 6, 1, 2, 0, tzinfo=dt.UTC)
    assert count(db, RecordVersion) == 3


def test_conflicting_resubmission_new_version_and_history(db, inbox):
    from safegov.db.models import HazardInspection, RecordVersion

    ingest(db, write_csv(inbox / "hazard_inspection_a.csv", HI, HI_ROWS))
    changed = [["R1", ENT_A, "2024-03-01", "legal_representative", "5", "是"]]
    (f,) = ingest(
        db, write_csv(inbox / "hazard_inspection_b.csv", HI, changed), now=dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
    ).files
    assert (f.inserted, f.updated, f.unchanged) == (0, 1, 0)
    with Session(db) as s:
        r1 = s.scalars(select(HazardInspection).where(HazardInspection.record_id == "R1")).one()
        hist = s.execute(
            select(RecordVersion.version, RecordVersion.values)
            .where(RecordVersion.record_type == "hazard_inspection", RecordVersion.natural_key == f"{ENT_A}|R1")
            .order_by(RecordVersion.version)
        ).all()
    assert (r1.version, r1.hazards_found) == (2, 5)
    assert r1.received_at == dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
    assert [(v, vals["hazards_found"]) for v, vals in hist] == [(1, 2), (2, 5)]


def test_registry_loaded_outside_ingest_keeps_its_first_version(db, inbox):
    from safegov.db.models import Enterprise, RecordVersion

    (f,) = ingest(
        db,
        write_csv(
            inbox / "enterprise_upd.csv",
            ["enterprise_id", "name", "county_code", "registered_on"],
            [[ENT_A, "甲矿业（更名）", "150102", "2010-01-01"]],
        ),
    ).files
    assert f.updated == 1
    with Session(db) as s:
        assert s.get(Enterprise, ENT_A).version == 2
        hist = s.execute(
            select(RecordVersion.version, RecordVersion.values)
            .where(RecordVersion.natural_key == ENT_A)
            .order_by(RecordVersion.version)
        ).all()
    assert [(v, vals["name"]) for v, vals in hist] == [(1, "甲矿业"), (2, "甲矿业（更名）")]


# --------------------------------------------------------------------------- data docs


def test_data_docs_written(db, inbox, tmp_path):
    docs = tmp_path / "data_docs"
    (f,) = ingest(
        db,
        write_csv(inbox / "hazard_inspection_d.csv", HI, HI_ROWS + [["R3", ENT_A, "x", "boss", "-1", "?"]]),
        docs_dir=docs,
    ).files
    assert (docs / "index.html").exists()
    assert f.docs_url and f.docs_url.startswith("file://") and "hazard_inspection" in f.docs_url
    page = f.docs_url[len("file://") :].replace("%23", "#")
    assert "led_by_role" in open(page, encoding="utf-8").read()
