"""Issue #17: XLSX resource caps — the declared dimension is ignored; shared strings,
cells, expanded bytes and reading time are bounded; an over-cap file is refused whole."""

from __future__ import annotations

import re
import time
import zipfile

import pytest
from tests.intake.conftest import conserved, ingest, write_xlsx

MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]
ROWS = [[f"M{i}", "150102", "safety_committee", "2024-03-05", f"纪要{i}"] for i in range(1, 4)]


def _with_dimension(path, ref: str):
    """The workbook with its first sheet's declared dimension replaced by ``ref``."""
    out = path.with_name("meeting_dim.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
                assert n == 1
            dst.writestr(info, data)
    path.unlink()
    return out


def test_declared_dimension_is_ignored(db, inbox):
    path = _with_dimension(write_xlsx(inbox / "meeting_src.xlsx", MEETING, ROWS), "A1:XFD1048576")
    started = time.perf_counter()
    (f,) = ingest(db, path, move_to=inbox).files
    assert time.perf_counter() - started < 60
    assert f.status == "processed" and conserved(db, f.file_id) == (3, 3, 0)


def test_shared_strings_cap(db, inbox, monkeypatch):
    from safegov.intake import readers

    monkeypatch.setattr(readers, "XLSX_MAX_SHARED_STRINGS", 3)
    path = write_xlsx(inbox / "meeting_sst.xlsx", MEETING, ROWS)
    # openpyxl writes inline strings: add a shared-strings part (Excel's usual form).
    table = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1">'
    table += "<si><t>x</t></si>" * 4 + "</sst>"
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/sharedStrings.xml", table)
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.status == "rejected" and "shared strings" in f.reason


@pytest.mark.parametrize(
    ("cap", "value", "reason"),
    [
        ("XLSX_MAX_CELLS", 10, "cells"),
        ("XLSX_MAX_EXPANDED_BYTES", 2000, "expands to over"),
    ],
)
def test_caps_refuse_the_file(db, inbox, monkeypatch, cap, value, reason):
    from safegov.intake import readers

    monkeypatch.setattr(readers, cap, value)
    path = write_xlsx(inbox / "meeting_big.xlsx", MEETING, ROWS)
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.status == "rejected" and reason in f.reason
    assert (inbox / "rejected" / "meeting_big.xlsx.reason.txt").exists()


def test_time_budget_refuses_the_file(db, inbox, monkeypatch):
    from safegov.intake import readers

    monkeypatch.setattr(readers, "XLSX_TIME_BUDGET_SECONDS", -1.0)
    rows = [[f"M{i}", "150102", "safety_committee", "2024-03-05", "纪要"] for i in range(1, 1200)]
    path = write_xlsx(inbox / "meeting_slow.xlsx", MEETING, rows)
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.status == "rejected" and "to read" in f.reason
