"""`safegov ingest`, `safegov export quarantine` and the quality summary."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy.orm import Session
from tests.intake.conftest import ingest, write_csv

MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]


def test_cli_ingest_and_export_quarantine(cli_env, tmp_path, capsys):
    from safegov.cli.main import main

    inbox = cli_env
    write_csv(
        inbox / "meeting_2024-03.csv",
        MEETING,
        [
            ["M1", "150102", "safety_committee", "2024-03-05", "纪要1"],
            ["M2", "=cmd|' /C calc'!A0", "safety_committee", "2024-03-06", "-1+2"],
        ],
    )
    assert main(["ingest", str(inbox), "--no-docs"]) == 0
    out = capsys.readouterr().out
    assert "meeting_2024-03.csv: processed [meeting] rows 2: accepted 1" in out
    assert "quarantined 1 (type 1, unknown_unit 1)" in out
    assert (inbox / "processed" / "meeting_2024-03.csv").exists()

    target = tmp_path / "q.csv"
    assert main(["export", "quarantine", "--from", "2024-06", "--to", "2024-06", "--out", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"), newline="")))
    assert {(r["row_number"], r["column"], r["rule"], r["value"]) for r in rows} == {
        ("3", "unit_code", "type", "'=cmd|' /C calc'!A0"),
        ("3", "unit_code", "unknown_unit", "'=cmd|' /C calc'!A0"),
    }
    assert all(r["raw"].startswith("{") for r in rows)

    assert main(["export", "quarantine", "--from", "2024-05", "--to", "2024-05", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_cli_ingest_exit_2_on_refused_file(cli_env, capsys):
    from safegov.cli.main import main

    inbox = cli_env
    (inbox / "meeting_empty.csv").write_bytes(b"")
    write_csv(inbox / "meeting_ok.csv", MEETING, [["M1", "150102", "safety_committee", "2024-03-05", "纪要1"]])
    assert main(["ingest", str(inbox), "--no-docs"]) == 2
    captured = capsys.readouterr()
    assert "meeting_ok.csv: processed" in captured.out
    assert captured.err.strip() == "safegov ingest: 1 file(s) refused; first: meeting_empty.csv: empty file (0 bytes)"
    assert (inbox / "rejected" / "meeting_empty.csv.reason.txt").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ingest", "/no/such/file.csv"], "no such file or folder"),
        (["ingest", "x.csv", "--received-at", "yesterday"], "--received-at 'yesterday'"),
        (["ingest", "x.csv", "--received-at", "2030-01-01 00:00"], "is in the future"),
        (["export", "quarantine", "--from", "2024-13", "--to", "2024-12"], "--from '2024-13'"),
        (["export", "quarantine", "--from", "2024-05", "--to", "2024-01"], "is after --to"),
    ],
)
def test_cli_bad_arguments(cli_env, capsys, argv, message):
    from safegov.cli.main import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_quality_summary_by_unit_and_month(db, inbox):
    from safegov.intake.quality import quality_summary

    rows = [
        ["M1", "150102", "safety_committee", "2024-03-05", "纪要1"],
        ["M2", "150102", "tea", "2024-03-06", ""],
        ["M3", "150105", "safety_committee", "2024-03-07", "纪要3"],
    ]
    ingest(db, write_csv(inbox / "meeting_a.csv", MEETING, rows))
    # 2024-06-30 20:00 UTC is July 1st in Asia/Shanghai
    ingest(
        db,
        write_csv(inbox / "meeting_b.csv", MEETING, [["M4", "150102", "safety_committee", "2024-06-05", ""]]),
        now=dt.datetime(2024, 6, 30, 20, 0, tzinfo=dt.UTC),
    )
    with Session(db) as s:
        got = quality_summary(s)
        only_july = quality_summary(s, "2024-07", "2024-07")
    assert got == [
        {
            "unit_code": "150102",
            "month": "2024-06",
            "received": 2,
            "accepted": 1,
            "rejected": 1,
            "reasons": {"value_set": 1, "required": 1},
        },
        {"unit_code": "150105", "month": "2024-06", "received": 1, "accepted": 1, "rejected": 0, "reasons": {}},
        {
            "unit_code": "150102",
            "month": "2024-07",
            "received": 1,
            "accepted": 0,
            "rejected": 1,
            "reasons": {"required": 1},
        },
    ]
    assert only_july == got[2:]


def test_export_quarantine_function(db, inbox):
    from safegov.reports.exports import QUARANTINE_COLUMNS, export_quarantine, render_rows

    ingest(db, write_csv(inbox / "meeting_a.csv", MEETING, [["M2", "150102", "@tea", "2024-03-06", "纪要"]]))
    with Session(db) as s:
        rows = export_quarantine(s, "2024-06", "2024-06")
    assert [(r["record_type"], r["column"], r["rule"], r["value"], r["unit_code"]) for r in rows] == [
        ("meeting", "body", "value_set", "@tea", "150102")
    ]
    text = render_rows(rows, QUARANTINE_COLUMNS, "csv")
    assert ",'@tea," in text
