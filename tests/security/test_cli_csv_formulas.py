"""Issue #17: every CSV the package writes for people neutralises formula cells, the veto
report's included (one writer: ``safegov.reports.exports.csv_writer``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets

import pytest
from sqlalchemy.orm import Session

from safegov.core.periods import TZ
from safegov.db.models import Accident
from safegov.reports.exports import FORMULA_PREFIXES, csv_writer


def _formulas() -> list[str]:
    """A formula cell per prefix a spreadsheet runs, with a fresh link each time."""
    return [f'{p}HYPERLINK("http://{secrets.token_hex(4)}.example","x")' for p in FORMULA_PREFIXES]


def _accident(accident_id: str, i: int) -> Accident:
    at = dt.datetime(2024, 5, 1 + i, 9, tzinfo=TZ)
    return Accident(
        accident_id=accident_id,
        unit_code="150102",
        occurred_at=at,
        reported_at=at + dt.timedelta(minutes=30),
        deaths=12,  # major (10–29 deaths): the report flags the unit and names the accident
        serious_injuries=0,
        direct_loss_10k_cny=0.0,
        description="generated",
        received_at=at + dt.timedelta(hours=1),
        raw_row_id=800_000 + i,
        content_hash="a" * 64,
        version=1,
    )


def test_veto_csv_neutralises_submitted_formulas(cli_db, tmp_path, capsys):
    from safegov.cli.main import main

    with Session(cli_db) as s, s.begin():
        s.add_all(_accident(f, i) for i, f in enumerate(_formulas()))
    out = tmp_path / "veto.csv"
    assert main(["report", "veto", "--year", "2024", "--format", "csv", "--out", str(out)]) == 0

    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    cells = [v for r in rows for v in r.values()]
    assert not [v for v in cells if v.startswith(FORMULA_PREFIXES)]
    county = next(r for r in rows if r["unit_code"] == "150102")
    assert county["major_accidents"].startswith("'")
    assert county["flagged"] == "True"  # the rest of the format as before

    # The same to standard output.
    assert main(["report", "veto", "--year", "2024", "--format", "csv"]) == 0
    printed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert not [v for r in printed for v in r if v.startswith(FORMULA_PREFIXES)]


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES, ids=["eq", "plus", "minus", "at", "tab", "cr"])
def test_the_one_writer_neutralises_every_formula_prefix(prefix):
    cell = next(f for f in _formulas() if f.startswith(prefix))
    buf = io.StringIO()
    csv_writer(buf).writerow(["ok", cell, -5, None])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["ok", "'" + cell, "-5", ""]


def test_no_csv_writer_outside_the_one_home():
    """Every CSV the product writes for people goes through ``csv_writer`` (the devtools
    generators write submission files, the pipeline's input)."""
    from pathlib import Path

    import safegov

    root = Path(safegov.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if ("csv.writer(" in p.read_text(encoding="utf-8") or "csv.DictWriter(" in p.read_text(encoding="utf-8"))
        and p.relative_to(root).parts[0] != "devtools"
        and p.name != "exports.py"
    ]
    assert offenders == []
