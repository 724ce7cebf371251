"""Issue #17: ambiguous headers, deeply nested JSON, mis-decoded text, over-long cells."""

from __future__ import annotations

import json

import pytest
from tests.intake.conftest import conserved, ingest, reasons, write_csv, write_jsonl, write_xlsx

MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]
ROW = ["M1", "150102", "safety_committee", "2024-03-05", "纪要"]


def test_duplicate_csv_header_is_refused(db, inbox):
    path = write_csv(inbox / "meeting_dup.csv", [*MEETING, "unit_code"], [[*ROW, "150105"]])
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.status == "rejected" and f.reason.startswith("ambiguous_header") and "'unit_code'" in f.reason
    assert (inbox / "rejected" / "meeting_dup.csv.reason.txt").exists()


def test_duplicate_xlsx_header_is_refused(db, inbox):
    path = write_xlsx(inbox / "meeting_dup.xlsx", ["record_id", *MEETING[1:], "record_id"], [[*ROW, "M2"]])
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.status == "rejected" and "ambiguous_header" in f.reason


@pytest.mark.parametrize("depth", [40, 200_000])
def test_deeply_nested_json_row_is_quarantined(db, inbox, depth):
    good = dict(zip(MEETING, ROW))
    deep = "[" * depth + "]" * depth
    line = json.dumps({**good, "record_id": "M2"}, ensure_ascii=False)[:-1] + f', "extra": {deep}}}'
    path = write_jsonl(inbox / "meeting_deep.jsonl", [good, line])
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.status == "processed"
    assert conserved(db, f.file_id) == (2, 1, 1)
    assert reasons(db, f.file_id) == {2: {(None, "unreadable_row")}}
    # Not failing forever: it left the inbox.
    assert not path.exists()


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("big5", "會議紀錄：安全生產委員會審議通過"), ("shift_jis", "会議の記録、安全管理責任者の確認")],
)
def test_big5_and_shift_jis_are_refused(db, inbox, encoding, text):
    path = write_csv(inbox / "meeting_enc.csv", MEETING, [[*ROW[:4], text]], encoding=encoding)
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.status == "rejected" and f.reason.startswith("unknown encoding")


def test_gb18030_chinese_still_read():
    from safegov.intake.readers import decode

    text = "记录编号,单位代码\nM1,安全生产委员会会议纪要（张三、李四签字）\n"
    assert decode(text.encode("gb18030")) == (text, "gb18030")


def test_long_cell_quarantines_its_row(db, inbox):
    path = write_csv(
        inbox / "meeting_long.csv",
        [*MEETING, "note"],
        [[*ROW, "x" * 50], [*ROW[:0], "M2", *ROW[1:], "short"], ["M3", *ROW[1:4], "纪" * 51, "ok"]],
    )
    (f,) = ingest(db, path, move_to=inbox, max_cell_chars=50).files
    assert f.status == "processed"
    assert conserved(db, f.file_id) == (3, 2, 1)
    assert reasons(db, f.file_id) == {4: {("minutes_ref", "cell_too_long")}}
    assert f.rejections_by_rule == {"cell_too_long": 1}


def test_cell_limit_setting():
    from pydantic import ValidationError

    from safegov.core.settings import load_settings

    assert load_settings({}).max_cell_chars == 10_000
    with pytest.raises(ValidationError):
        load_settings({"SAFEGOV_MAX_CELL_CHARS": "0"})
