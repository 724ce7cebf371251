"""Fixtures for the ingestion tests: a compliance database with registries, an inbox,
and helpers to write submission files and to check that no row was lost."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safegov.core.creditcode import make_credit_code

TZ8 = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2024, 6, 1, 10, 0, tzinfo=TZ8)
ENT_A = make_credit_code("91150102MA0N0000A")
ENT_B = make_credit_code("91150105MA0N0000B")
ENT_UNREGISTERED = make_credit_code("91150105MA0N0000C")


@pytest.fixture
def db(engine):
    """The migrated database with units, two enterprises, leaders and a department."""
    return with_registries(engine)


def with_registries(engine):
    """``engine``'s database given the ``db`` fixture's units, enterprises, leaders and department."""
    from safegov.db.models import Department, Enterprise, Leader
    from safegov.org.units import sync_units

    with Session(engine) as s, s.begin():
        sync_units(s)
        s.add_all(
            [
                Enterprise(enterprise_id=ENT_A, name="甲矿业", county_code="150102", registered_on=dt.date(2010, 1, 1)),
                Enterprise(enterprise_id=ENT_B, name="乙化工", county_code="150105", registered_on=dt.date(2012, 1, 1)),
                Department(department_id="D-150102-AJ", unit_code="150102", name="应急管理局", safety_duty=True),
                Leader(
                    leader_id="L1",
                    name="张三",
                    unit_code="150102",
                    role="party_secretary",
                    term_start=dt.date(2021, 1, 1),
                    term_end=dt.date(2024, 3, 31),
                ),
                Leader(
                    leader_id="L2",
                    name="李四",
                    unit_code="150102",
                    role="government_head",
                    term_start=dt.date(2022, 5, 1),
                ),
            ]
        )
    return engine


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """A SQLite compliance database and an inbox configured through the environment."""
    from safegov.core.settings import get_settings
    from safegov.db.engine import get_engine, make_engine, migrate
    from safegov.org.units import sync_units

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("SAFEGOV_DATABASE_URL", url)
    monkeypatch.setenv("SAFEGOV_INBOX", str(inbox))
    monkeypatch.setenv("SAFEGOV_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SAFEGOV_NOW", "2024-06-01T10:00:00+08:00")
    get_settings.cache_clear()
    get_engine.cache_clear()
    eng = make_engine(url)
    migrate(eng)
    with Session(eng) as s, s.begin():
        sync_units(s)
    eng.dispose()
    yield inbox
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def inbox(tmp_path):
    p = tmp_path / "inbox"
    p.mkdir()
    return p


def write_csv(path: Path, header: list[str], rows: list[list], *, encoding: str = "utf-8") -> Path:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_jsonl(path: Path, objs: list) -> Path:
    path.write_text(
        "\n".join(o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objs) + "\n", encoding="utf-8"
    )
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_xls(path: Path, header: list[str], rows: list[list]) -> Path:
    """An Excel 97-2003 (BIFF8) workbook, as WPS and old Excel save it; dates as date cells,
    None as no cell at all."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for i, row in enumerate([header, *rows]):
        for j, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                ws.write(i, j, value, date_style)
            else:
                ws.write(i, j, value)
    wb.save(str(path))
    return path


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _ods_cell(value) -> str:
    from xml.sax.saxutils import escape

    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):
        kind = f'office:value-type="boolean" office:boolean-value="{str(value).lower()}"'
    elif isinstance(value, dt.date):
        kind = f'office:value-type="date" office:date-value="{value.isoformat()}"'
    elif isinstance(value, (int, float)):
        kind = f'office:value-type="float" office:value="{value}"'
    else:
        kind = 'office:value-type="string"'
    return f"<table:table-cell {kind}><text:p>{escape(str(value))}</text:p></table:table-cell>"


def write_ods(path: Path, header: list[str], rows: list[list], *, after: str = "", prolog: str = "") -> Path:
    """An OpenDocument spreadsheet as LibreOffice lays it out (stored ``mimetype`` first, then
    ``content.xml`` and the manifest), typed cells (dates as dates); ``after``: raw XML after
    the rows (repeated rows …), ``prolog``: raw XML before the root element."""
    import zipfile

    table = "".join("<table:table-row>" + "".join(map(_ods_cell, r)) + "</table:table-row>" for r in [header, *rows])
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<office:document-content {_ODS_NS} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Sheet1">{table}{after}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def ingest(engine, paths, **kw):
    from safegov.intake.pipeline import ingest_paths

    kw.setdefault("docs_dir", None)
    kw.setdefault("now", NOW)
    return ingest_paths(engine, paths if isinstance(paths, list) else [paths], **kw)


def conserved(engine, file_id: int) -> tuple[int, int, int]:
    """raw rows, accepted, quarantined of a file — and assert raw = accepted + quarantined."""
    from safegov.db.models import RawRow, Rejection, SubmissionFile

    with Session(engine) as s:
        raw = s.scalar(select(func.count()).select_from(RawRow).where(RawRow.file_id == file_id))
        acc = s.scalar(
            select(func.count()).select_from(RawRow).where(RawRow.file_id == file_id, RawRow.status == "accepted")
        )
        qua = s.scalar(
            select(func.count()).select_from(RawRow).where(RawRow.file_id == file_id, RawRow.status == "quarantined")
        )
        sf = s.get(SubmissionFile, file_id)
        # every quarantined row has at least one reason; no accepted row has one
        with_reason = s.scalar(
            select(func.count(func.distinct(Rejection.raw_row_id)))
            .join(RawRow, RawRow.id == Rejection.raw_row_id)
            .where(RawRow.file_id == file_id)
        )
    assert raw == acc + qua
    assert (sf.rows_total, sf.rows_accepted, sf.rows_quarantined) == (raw, acc, qua)
    assert with_reason == qua
    return raw, acc, qua


def reasons(engine, file_id: int) -> dict[int, set[tuple[str | None, str]]]:
    """row number → {(column, rule)} for the file's quarantined rows."""
    from safegov.db.models import RawRow, Rejection

    out: dict[int, set] = {}
    with Session(engine) as s:
        for n, col, rule in s.execute(
            select(RawRow.row_number, Rejection.column, Rejection.rule)
            .join(Rejection, Rejection.raw_row_id == RawRow.id)
            .where(RawRow.file_id == file_id)
        ):
            out.setdefault(n, set()).add((col, rule))
    return out
