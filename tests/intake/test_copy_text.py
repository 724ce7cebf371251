"""The bulk writes of ingestion on PostgreSQL: COPY's text format (escapes, NULLs) and
the raw-row COPY that runs in a thread while ingestion prepares the loads. On SQLite the
same calls are plain ``executemany`` inserts; both backends must store the same values."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

UTC = dt.UTC

AWKWARD = [
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "cr\rhere",
    "crlf\r\n",
    "\\N",
    "\\.",
    "\\",
    'say "no"',
    "中文 ✓ \u2028",
    " padded ",
    "end\\",
]


def _raw_rows(file_id: int, texts: list[str | None], moment: str) -> dict:
    n = len(texts)
    return {
        "file_id": [file_id] * n,
        "row_number": list(range(2, n + 2)),
        "record_type": ["meeting"] * n,
        "received_at": [moment] * n,
        "values": ['{"note": "x"}'] * n,
        "natural_key": texts,
        "status": ["accepted"] * n,
        "unit_code": [None] * n,
        "enterprise_id": [None] * n,
        "leader_id": [None] * n,
        "record_date": ["2024-06-01"] * n,
    }


def _file(conn) -> int:
    from safegov.db.models import SubmissionFile

    return conn.execute(
        SubmissionFile.__table__.insert()
        .values(
            file_name="a.csv",
            sha256="0" * 64,
            record_type="meeting",
            received_at=dt.datetime(2024, 6, 1, tzinfo=UTC),
            ingested_at=dt.datetime(2024, 6, 1, tzinfo=UTC),
            status="processed",
            rows_total=0,
        )
        .returning(SubmissionFile.__table__.c.id)
    ).scalar_one()


def test_awkward_texts_are_stored_as_given(engine):
    """Backslashes, tabs, line breaks and COPY's own markers (``\\N``, ``\\.``) arrive as
    they were. Ingestion never passes an empty text (cells are stripped to None); on
    PostgreSQL one is NULL, as it was with the CSV format's FORCE_NULL."""
    import pandas as pd

    from safegov.db.models import RawRow
    from safegov.intake.loaders import insert_rows, moment_texts

    moment = moment_texts(pd.Series(pd.to_datetime(["2024-06-01 08:30:00.25"], utc=True)), engine.dialect.name)[0]
    texts = AWKWARD + [None, ""]
    with engine.begin() as conn:
        insert_rows(conn, RawRow.__table__, _raw_rows(_file(conn), texts, moment))
    with engine.connect() as conn:
        got = conn.execute(
            select(RawRow.natural_key, RawRow.received_at, RawRow.values, RawRow.record_date).order_by(
                RawRow.row_number
            )
        ).all()
    assert [r.natural_key for r in got] == AWKWARD + [None, None if engine.dialect.name == "postgresql" else ""]
    assert {r.received_at for r in got} == {dt.datetime(2024, 6, 1, 8, 30, 0, 250000, tzinfo=UTC)}
    assert {str(r.record_date) for r in got} == {"2024-06-01"}
    assert all(r.values == {"note": "x"} for r in got)


def test_text_column_numbers_and_mixed_values():
    from safegov.intake.loaders import _text_column

    assert _text_column([1, None, 2.5, True, "", "a\tb"]) == ["1", "\\N", "2.5", "True", "\\N", "a\\tb"]
    assert _text_column(["a", "b"]) == ["a", "b"]
    assert _text_column([None, ""]) == ["\\N", "\\N"]
    assert _text_column(["a\\", None]) == ["a\\\\", "\\N"]


def test_start_insert_lets_work_go_on_and_reports_a_failure(engine):
    """``start_insert``: the rows are in once ``wait()`` returns; a failure of the insert
    (here a row number twice in one file) is raised by ``wait()``, and the transaction
    rolls back whole."""
    import pandas as pd

    from safegov.db.models import RawRow, SubmissionFile
    from safegov.intake.loaders import moment_texts, start_insert

    moment = moment_texts(pd.Series(pd.to_datetime(["2024-06-01"], utc=True)), engine.dialect.name)[0]
    with engine.begin() as conn:
        wait = start_insert(conn, RawRow.__table__, _raw_rows(_file(conn), ["a", "b"], moment))
        meanwhile = sum(range(1000))
        wait()
        assert conn.scalar(select(RawRow.id).where(RawRow.natural_key == "b")) is not None
    assert meanwhile == 499500

    rows = _raw_rows(0, ["c", "d"], moment)
    rows["row_number"] = [7, 7]
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        with engine.begin() as conn:
            file_id = conn.scalar(select(SubmissionFile.id))
            rows["file_id"] = [file_id] * 2
            start_insert(conn, RawRow.__table__, rows)()
    with engine.connect() as conn:
        assert conn.scalars(select(RawRow.natural_key).order_by(RawRow.row_number)).all() == ["a", "b"]
