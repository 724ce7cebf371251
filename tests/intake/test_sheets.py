"""Issue 19 item 2: ``.xls``, ``.ods`` and WPS ``.et`` submissions, read through python-calamine
with the XLSX reader's caps (file size, expansion, grid and cells, time, cell length) and the
same row-level verdicts: some rows loaded, the others quarantined with their reasons."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.intake.conftest import (
    ENT_A,
    ENT_B,
    ENT_UNREGISTERED,
    conserved,
    ingest,
    reasons,
    write_ods,
    write_xls,
    write_xlsx,
)

HI_ZH = ["记录编号", "统一社会信用代码", "排查日期", "带队人身份", "发现隐患数", "是否建档"]
# Row 2: a date cell; row 3: the date typed as text and a record id that looks like a number;
# row 4: an impossible date; row 5: an enterprise not in the registry; row 6 is empty
# (skipped, like in XLSX); row 7: a count typed as a fraction.
HI_ROWS = [
    ["R1", ENT_A, dt.date(2024, 3, 1), "legal_representative", 2, "是"],
    ["0012", ENT_B, "2024-03-02", "actual_controller", 0, "否"],
    ["R3", ENT_A, "2024-13-01", "other", 1, "是"],
    ["R4", ENT_UNREGISTERED, dt.date(2024, 3, 4), "other", 1, "是"],
    [None, None, None, None, None, None],
    ["R6", ENT_B, dt.date(2024, 3, 6), "other", 1.5, "否"],
]
WRITERS = {"xls": write_xls, "ods": write_ods}


def raw_values(engine, file_id: int) -> dict[int, dict]:
    from safegov.db.models import RawRow

    with Session(engine) as s:
        return dict(s.execute(select(RawRow.row_number, RawRow.values).where(RawRow.file_id == file_id)).all())


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_sheet_rows_are_loaded_or_quarantined(db, inbox, fmt):
    from safegov.db.models import HazardInspection

    path = WRITERS[fmt](inbox / f"hazard_inspection_2024-03.{fmt}", HI_ZH, HI_ROWS)
    (f,) = ingest(db, path, move_to=inbox).files
    assert (f.status, f.record_type) == ("processed", "hazard_inspection"), f.reason
    assert conserved(db, f.file_id) == (5, 2, 3)
    assert reasons(db, f.file_id) == {
        4: {("inspected_on", "type")},
        5: {("enterprise_id", "unknown_enterprise")},
        7: {("hazards_found", "type")},
    }
    with Session(db) as s:
        loaded = s.execute(
            select(HazardInspection.record_id, HazardInspection.enterprise_id, HazardInspection.inspected_on)
        ).all()
    assert sorted(map(tuple, loaded)) == [("0012", ENT_B, dt.date(2024, 3, 2)), ("R1", ENT_A, dt.date(2024, 3, 1))]
    raw = raw_values(db, f.file_id)
    # Ids and dates survive as text: the 18-character code whole, the date cell as ISO.
    assert raw[2]["统一社会信用代码"] == ENT_A and raw[2]["排查日期"] == "2024-03-01"
    assert raw[3]["记录编号"] == "0012" and raw[2]["发现隐患数"] == "2"
    assert (inbox / "processed" / path.name).exists()


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_a_resent_sheet_is_taken_once(db, inbox, fmt):
    path = WRITERS[fmt](inbox / f"hazard_inspection_a.{fmt}", HI_ZH, HI_ROWS[:2])
    copy = shutil.copyfile(path, inbox / f"hazard_inspection_b.{fmt}")
    first, second = ingest(db, [path, copy]).files
    assert (first.status, second.status) == ("processed", "skipped")


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_over_long_cell_quarantines_its_row(db, inbox, fmt):
    rows = [
        ["R1", ENT_A, "2024-03-01", "other", 1, "是", "短"],
        ["R2", ENT_B, "2024-03-02", "other", 1, "否", "长" * 201],
    ]
    path = WRITERS[fmt](inbox / f"hazard_inspection_l.{fmt}", [*HI_ZH, "备注"], rows)
    (f,) = ingest(db, path, max_cell_chars=200).files
    assert conserved(db, f.file_id) == (2, 1, 1)
    assert reasons(db, f.file_id) == {3: {("备注", "cell_too_long")}}


# --------------------------------------------------------------------------- WPS .et


def test_et_in_its_binary_form_is_read(db, inbox):
    # WPS writes .et as an OLE2/BIFF compound file: the same bytes as an .xls.
    path = write_xls(inbox / "src.xls", HI_ZH, HI_ROWS[:2]).rename(inbox / "hazard_inspection_wps.et")
    (f,) = ingest(db, path).files
    assert (f.status, conserved(db, f.file_id)) == ("processed", (2, 2, 0)), f.reason


def test_et_in_its_zip_form_is_read(db, inbox):
    path = write_xlsx(inbox / "src.xlsx", HI_ZH, HI_ROWS[:2]).rename(inbox / "hazard_inspection_wps.et")
    (f,) = ingest(db, path).files
    assert (f.status, conserved(db, f.file_id)) == ("processed", (2, 2, 0)), f.reason


# --------------------------------------------------------------------------- refusals and caps


def refused(db, inbox, path, *needles: str):
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.status == "rejected", f.reason
    for needle in needles:
        assert needle in f.reason
    assert (inbox / "rejected" / f"{path.name}.reason.txt").exists()
    return f


@pytest.mark.parametrize(
    ("name", "content", "needles"),
    [
        ("hazard_inspection_web.xls", b"<html><table><tr><td>1</td></tr></table></html>", ("an HTML page", ".xlsx")),
        ("hazard_inspection_bad.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 truncated", ("XLS could not be read",)),
        ("hazard_inspection_bad.et", b"WPS? no, nothing we know", ("WPS ET refused", "另存为 .xlsx")),
        ("hazard_inspection_bad.ods", b"PK\x03\x04 not really a zip", ("corrupt ODS",)),
    ],
)
def test_unreadable_sheets_are_refused_with_what_to_do(db, inbox, name, content, needles):
    path = inbox / name
    path.write_bytes(content)
    refused(db, inbox, path, *needles)


def test_ods_with_a_dtd_is_refused(db, inbox):
    path = write_ods(inbox / "hazard_inspection_lol.ods", HI_ZH, HI_ROWS[:1], prolog='<!DOCTYPE x [<!ENTITY a "a">]>')
    refused(db, inbox, path, "ODS refused", "content.xml", "DTD")


def test_ods_whose_mimetype_is_not_a_spreadsheet_is_refused(db, inbox, tmp_path):
    import zipfile

    path = inbox / "hazard_inspection_text.ods"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<x/>")
    refused(db, inbox, path, "not an OpenDocument spreadsheet")


def test_xls_whose_grid_is_huge_is_refused(db, inbox):
    # Two cells, A1 and IV65536: 5.6 KB on disk, 16.7 M cells in calamine's grid (about 1 GB).
    path = write_xls(inbox / "hazard_inspection_far.xls", HI_ZH, [])
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    ws.write(0, 0, "记录编号")
    ws.write(65535, 255, "x")
    wb.save(str(path))
    refused(db, inbox, path, "XLS could not be read: needs over 1024 MB of memory", "memory allocation of")


@pytest.mark.parametrize(
    ("cap", "value", "needle"),
    [
        ("SHEET_MAX_CELLS", 1000, "rows × 256 columns, over 1000 cells"),
        ("SHEET_MAX_MEMORY_BYTES", 300 * 1024 * 1024, "memory"),
    ],
)
def test_xls_grid_caps(db, inbox, monkeypatch, cap, value, needle):
    import xlwt

    from safegov.intake import sheets

    monkeypatch.setattr(sheets, cap, value)
    if cap == "SHEET_MAX_MEMORY_BYTES":
        monkeypatch.setattr(sheets, "SHEET_MAX_CELLS", 100_000_000)
    path = inbox / "hazard_inspection_far.xls"
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    ws.write(0, 0, "记录编号")
    ws.write(60000 if cap == "SHEET_MAX_MEMORY_BYTES" else 9, 255, "x")
    wb.save(str(path))
    refused(db, inbox, path, needle)


def test_ods_repeated_rows_cannot_expand_without_bound(db, inbox):
    # 100,000 copies of a row of 1,000 filled cells, from a file of about 1 KB.
    bomb = (
        '<table:table-row table:number-rows-repeated="100000"><table:table-cell table:number-columns-repeated="1000"'
        ' office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
    )
    path = write_ods(inbox / "hazard_inspection_bomb.ods", HI_ZH, HI_ROWS[:1], after=bomb)
    refused(db, inbox, path, "ODS could not be read")


def test_ods_trailing_empty_rows_as_libreoffice_writes_them_are_fine(db, inbox):
    empty = (
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
    )
    path = write_ods(inbox / "hazard_inspection_tail.ods", HI_ZH, HI_ROWS[:2], after=empty)
    (f,) = ingest(db, path).files
    assert (f.status, conserved(db, f.file_id)) == ("processed", (2, 2, 0)), f.reason


@pytest.mark.parametrize(
    ("fmt", "cap", "value", "needle"),
    [
        ("xls", "XLSX_MAX_CELLS", 10, "XLS has over 10 cells"),
        ("ods", "XLSX_MAX_CELLS", 10, "ODS has over 10 cells"),
        # An .xls is not compressed: what it holds is bounded by the file size cap.
        ("ods", "XLSX_MAX_EXPANDED_BYTES", 500, "ODS expands to over 500 bytes"),
        ("xls", "XLSX_TIME_BUDGET_SECONDS", 0.0, "took over 0 s to read"),
        ("ods", "XLSX_TIME_BUDGET_SECONDS", 0.0, "took over 0 s to read"),
    ],
)
def test_xlsx_caps_hold_for_sheets(db, inbox, monkeypatch, fmt, cap, value, needle):
    from safegov.intake import readers

    monkeypatch.setattr(readers, cap, value)
    refused(db, inbox, WRITERS[fmt](inbox / f"hazard_inspection_cap.{fmt}", HI_ZH, HI_ROWS), needle)


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_file_size_cap_holds_for_sheets(db, inbox, fmt):
    path = WRITERS[fmt](inbox / f"hazard_inspection_size.{fmt}", HI_ZH, HI_ROWS)
    (f,) = ingest(db, path, move_to=inbox, max_bytes=100).files
    assert f.status == "rejected" and "over the limit of 100 bytes" in f.reason


# --------------------------------------------------------------------------- the command


MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]
MEETING_ROWS = [
    ["M1", "150102", "safety_committee", dt.date(2024, 3, 5), "纪要1"],
    ["M2", "999999", "safety_committee", "2024-03-06", "纪要2"],
    ["M3", "150102", "safety_committee", "2024-02-30", "纪要3"],
]


def test_cli_ingests_xls_and_ods_with_row_verdicts(cli_env, capsys):
    from safegov.cli.main import main

    inbox = cli_env
    write_xls(inbox / "meeting_2024-03.xls", MEETING, MEETING_ROWS)
    write_ods(inbox / "meeting_2024-03b.ods", MEETING, [[f"N{r[0]}", *r[1:]] for r in MEETING_ROWS])
    assert main(["ingest", str(inbox), "--no-docs"]) == 0
    out = capsys.readouterr().out
    for name in ("meeting_2024-03.xls", "meeting_2024-03b.ods"):
        assert f"{name}: processed [meeting] rows 3: accepted 1 (new 1, changed 0, unchanged 0), " in out
        assert (inbox / "processed" / name).exists()
    assert out.count("quarantined 2 (type 1, unknown_unit 1)") == 2
    assert "2 file(s): 2 row(s) accepted, 4 quarantined" in out
