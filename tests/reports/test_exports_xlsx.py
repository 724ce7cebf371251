"""Issue #19 item 1: ``--format xlsx`` of every export and the veto report. Each workbook is
opened with openpyxl and held against the CSV of the same command: the same rows and values,
ids, credit codes and dates as text cells, submitted formulas as strings, Chinese headers over
the English column ids, frozen and filtered."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from safegov.core.periods import TZ
from safegov.db.models import (
    Accident,
    BlacklistEntry,
    Case,
    Enterprise,
    Evaluation,
    Leader,
    RawRow,
    Rejection,
    SubmissionFile,
)

# All digits: as a number cell Excel would show 9.11501E+17 and lose the last three digits.
CODE = "911501020000000012"
FORMULA = '=HYPERLINK("http://evil.example","x")'
AT = dt.datetime(2024, 3, 5, 9, tzinfo=TZ)


def _seed(s: Session) -> None:
    s.add(
        Enterprise(
            enterprise_id=CODE, name="青城测试煤矿有限公司", county_code="150102", registered_on=dt.date(2010, 1, 1)
        )
    )
    s.add(
        Evaluation(
            obligation_id="ENT-HAZARD-SELFCHECK",
            subject_kind="enterprise",
            subject_id=CODE,
            period="2024-03",
            status="missed",
            counted=0,
            required=1,
            due_on=dt.date(2024, 3, 31),
            reason=FORMULA,
            evaluated_at=AT,
        )
    )
    s.add(
        Case(
            case_key="k1",
            kind="reminder",
            rule_id="ladder_reminder",
            subject_kind="enterprise",
            subject_id=CODE,
            unit_code="150102",
            period="2024-03",
            period_start=dt.date(2024, 3, 1),
            step="reminder",
            persons=FORMULA,
            state="open",
            opened_on=dt.date(2024, 4, 2),
        )
    )
    s.add(
        BlacklistEntry(
            enterprise_id=CODE,
            trigger="false_report",
            trigger_ref=FORMULA,
            state="listed",
            candidate_on=dt.date(2024, 3, 10),
            listed_on=dt.date(2024, 4, 1),
            scopes=["bidding", "honours"],
        )
    )
    f = SubmissionFile(
        file_name=FORMULA + ".csv",
        sha256="b" * 64,
        received_at=AT,
        ingested_at=AT,
        status="processed",
    )
    s.add(f)
    s.flush()
    row = RawRow(
        file_id=f.id,
        row_number=2,
        record_type="hazard",
        received_at=AT,
        values={"enterprise_id": CODE, "x": FORMULA},
        status="quarantined",
        unit_code="150102",
        enterprise_id=CODE,
        record_date=dt.date(2024, 3, 4),
    )
    s.add(row)
    s.flush()
    s.add(Rejection(raw_row_id=row.id, column="x", rule="not_a_date", value=FORMULA, message="不是日期"))
    s.add(
        Accident(
            accident_id=FORMULA,
            unit_code="150102",
            occurred_at=AT,
            reported_at=AT + dt.timedelta(minutes=30),
            deaths=12,
            serious_injuries=0,
            direct_loss_10k_cny=0.0,
            description="generated",
            received_at=AT,
            raw_row_id=900_001,
            content_hash="a" * 64,
            version=1,
        )
    )


PERIOD = ["--from", "2024-01", "--to", "2024-12"]

# kind: (command, column of the credit code or unit code, a date column, a column holding FORMULA)
CASES = {
    "evaluations": (["export", "evaluations", *PERIOD], "subject_id", "due_on", "reason"),
    "cases": (["export", "cases", *PERIOD], "subject_id", "opened_on", "persons"),
    "blacklist": (["export", "blacklist", *PERIOD], "enterprise_id", "listed_on", None),
    "quarantine": (["export", "quarantine", *PERIOD], "enterprise_id", "record_date", "value"),
    "veto": (["report", "veto", "--year", "2024"], "unit_code", None, "major_accidents"),
}


def _run(argv: list[str], out) -> None:
    from safegov.cli.main import main

    assert main([*argv, "--out", str(out)]) == 0


@pytest.fixture
def seeded(units_db):
    with Session(units_db) as s, s.begin():
        _seed(s)
    return units_db


@pytest.mark.parametrize("kind", CASES)
def test_xlsx_export_is_the_csv_in_a_readable_workbook(seeded, tmp_path, kind):
    argv, code_col, date_col, formula_col = CASES[kind]
    _run([*argv, "--format", "csv"], tmp_path / "x.csv")
    _run([*argv, "--format", "xlsx"], tmp_path / "x.xlsx")
    csv_rows = list(csv.DictReader(io.StringIO((tmp_path / "x.csv").read_text(encoding="utf-8-sig"))))
    assert csv_rows

    ws = load_workbook(tmp_path / "x.xlsx").active
    zh = [c.value for c in ws[1]]
    ids = [c.value for c in ws[2]]
    # Row 1 in Chinese, row 2 the CSV's column ids in the CSV's order (names and translations added).
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in zh), zh
    assert [c for c in ids if c in csv_rows[0]] == list(csv_rows[0])
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == f"A2:{ws.cell(2, len(ids)).column_letter}{len(csv_rows) + 2}"

    body = list(ws.iter_rows(min_row=3))
    assert len(body) == len(csv_rows)
    for cells, want in zip(body, csv_rows, strict=True):
        got = dict(zip(ids, cells, strict=True))
        for col, text in want.items():
            cell = got[col]
            # The CSV neutralises formulas with an apostrophe; the workbook keeps the text as a
            # string. The veto CSV spells booleans as Python does (True), the workbook as the
            # exports' CSV does (true).
            value = str(cell.value if cell.value is not None else "")
            assert value == (text.lower() if text in ("True", "False") else text.removeprefix("'")), (col, value)
            if cell.data_type != "n":
                assert cell.data_type == "s", (col, cell.data_type)

    # Pick the seeded row (the veto report has one row per unit).
    row = next(dict(zip(ids, r, strict=True)) for r in body if str(r[ids.index(code_col)].value) in (CODE, "150102"))
    assert row[code_col].data_type == "s" and row[code_col].value in (CODE, "150102")
    if date_col:
        assert row[date_col].data_type == "s" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[date_col].value)
    if formula_col:
        assert row[formula_col].data_type == "s" and FORMULA in row[formula_col].value
        formulas = [c for r in body for c in r if isinstance(c.value, str) and c.value.startswith("=")]
        assert formulas and all(c.data_type == "s" and c.quotePrefix for c in formulas)


def test_xlsx_translates_codes_and_names_ids(seeded, tmp_path):
    _run(["export", "blacklist", *PERIOD, "--format", "xlsx"], tmp_path / "b.xlsx")
    ws = load_workbook(tmp_path / "b.xlsx").active
    ids = [c.value for c in ws[2]]
    row = dict(zip(ids, [c.value for c in ws[3]], strict=True))
    assert row["enterprise_name"] == "青城测试煤矿有限公司"
    assert (row["state_zh"], row["state"]) == ("已列入", "listed")
    assert row["trigger_zh"] == "瞒报、谎报生产安全事故" and row["trigger"] == "false_report"
    assert row["scopes_zh"] == "招投标、授予荣誉"
    assert ids.index("state_zh") + 1 == ids.index("state")  # the code right after its words
    # Widths set, not Excel's default 8.43: a credit code and an enterprise name fit.
    width = {i: ws.column_dimensions[ws.cell(2, n).column_letter].width for n, i in enumerate(ids, start=1)}
    assert width["enterprise_id"] >= 20 and width["enterprise_name"] >= 2 * len("青城测试煤矿有限公司")

    _run(["export", "evaluations", *PERIOD, "--format", "xlsx"], tmp_path / "e.xlsx")
    ws = load_workbook(tmp_path / "e.xlsx").active
    row = dict(zip([c.value for c in ws[2]], [c.value for c in ws[3]], strict=True))
    assert (row["status_zh"], row["subject_name"]) == ("未履职", "青城测试煤矿有限公司")
    assert (row["subject_kind_zh"], row["subject_kind"]) == ("企业", "enterprise")
    assert row["counted"] == 0  # whole numbers stay numbers


def test_xlsx_names_the_persons_of_a_case(seeded, tmp_path):
    with Session(seeded) as s, s.begin():
        s.add(Leader(leader_id="L-1", name="张三", unit_code="150102", role="party_secretary", term_start=AT.date()))
        s.add(
            Case(
                case_key="k2",
                kind="interview",
                rule_id="ladder_interview",
                subject_kind="post",
                subject_id="150102:party_secretary",
                unit_code="150102",
                period="2024-05",
                period_start=dt.date(2024, 5, 1),
                step="interview",
                persons="L-1;李四",
                state="awaiting_approval",
                opened_on=dt.date(2024, 6, 2),
            )
        )
    _run(["export", "cases", *PERIOD, "--format", "xlsx"], tmp_path / "c.xlsx")
    ws = load_workbook(tmp_path / "c.xlsx").active
    ids = [c.value for c in ws[2]]
    row = next(
        r
        for r in (dict(zip(ids, [c.value for c in x], strict=True)) for x in ws.iter_rows(min_row=3))
        if r["rule_id"] == "ladder_interview"
    )
    assert (row["persons"], row["persons_names"]) == ("L-1;李四", "张三；李四")
    assert (row["state_zh"], row["kind_zh"]) == ("待审批", "约谈")


def test_veto_workbook_says_flagged_and_level_in_chinese(seeded, tmp_path):
    _run(["report", "veto", "--year", "2024", "--format", "xlsx"], tmp_path / "v.xlsx")
    ws = load_workbook(tmp_path / "v.xlsx").active
    ids = [c.value for c in ws[2]]
    rows = [dict(zip(ids, [c.value for c in r], strict=True)) for r in ws.iter_rows(min_row=3)]
    county = next(r for r in rows if r["unit_code"] == "150102")
    assert (county["flagged_zh"], county["level_zh"], county["year"]) == ("是", "旗县（市、区）", 2024)
    assert "reason_zh" not in ids  # the report's reason is Chinese already


def test_the_writer_keeps_formula_text_out_of_formulas(tmp_path):
    """openpyxl on its own stores "=…" as a formula: the writer must force string cells."""
    from safegov.reports.exports import FORMULA_PREFIXES
    from safegov.reports.xlsx import write_xlsx

    cells = [p + "SUM(1,2)" for p in FORMULA_PREFIXES]
    cols = [f"c{i}" for i in range(len(cells))]
    path = tmp_path / "f.xlsx"
    write_xlsx([dict(zip(cols, cells, strict=True))], cols, path, labels={c: "列" for c in cols})
    got = list(load_workbook(path).active.iter_rows(min_row=3))[0]
    # openpyxl writes through lxml (locked for python-docx), which keeps a carriage return as
    # &#13;: every cell reads back as written, and as text.
    assert [(c.value, c.data_type, c.quotePrefix) for c in got] == [(v, "s", True) for v in cells]


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "cases", *PERIOD, "--format", "xls"],
        ["export", "cases", *PERIOD, "--format", "xlsx"],  # a workbook to the terminal
        ["report", "veto", "--year", "2024", "--format", "XLSX"],
    ],
    ids=["unknown", "no-out", "veto-case"],
)
def test_bad_format_is_a_one_line_error(units_db, capsys, argv):
    from safegov.cli.main import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--format" in err
