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
