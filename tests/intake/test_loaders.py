"""The bulk pieces under ingestion: the canonical form that content hashes are taken of,
the driver values, the CSV reader's fast path and the optimistic COPY."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

UTC = dt.UTC


def _frame(rt, rows: list[dict]):
    """Typed columns as ``safegov.intake.validation.typed_frame`` makes them."""
    import pandas as pd

    out = {}
    for col in rt.columns:
        values = [r.get(col.name) for r in rows]
        if col.type == "date":
            out[col.name] = pd.Series(pd.to_datetime(values)).astype("datetime64[us]")
        elif col.type == "datetime":
            out[col.name] = pd.Series(pd.to_datetime(values, utc=True)).astype("datetime64[us, UTC]")
        elif col.type in ("int", "float"):
            out[col.name] = pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
        else:
            out[col.name] = pd.Series(values, dtype="object")
    return out


@pytest.mark.parametrize(
    "type_name, rows",
    [
        (
            "accident",
            [
                {
                    "accident_id": "A1",
                    "unit_code": "150102",
                    "enterprise_id": None,
                    "occurred_at": dt.datetime(2024, 3, 1, 2, 0, tzinfo=UTC),
                    "reported_at": dt.datetime(2024, 3, 1, 2, 30, 15, 250000, tzinfo=UTC),
                    "deaths": 1,
                    "serious_injuries": 0,
                    "direct_loss_10k_cny": 12.5,
                    "declared_grade": "general",
                    "concealed": False,
                    "description": 'say "no" \\ 事故\n',
                },
                {
                    "accident_id": "A2",
                    "unit_code": "150105",
                    "enterprise_id": "91150102MA0N0000AX",
                    "occurred_at": dt.datetime(2024, 3, 2, tzinfo=UTC),
                    "reported_at": dt.datetime(2024, 3, 2, 1, tzinfo=UTC),
                    "deaths": 0,
                    "serious_injuries": 3,
                    "direct_loss_10k_cny": 1e-05,
                    "declared_grade": None,
                    "concealed": None,
                    "description": "\u2028\x01 ✓",
                },
            ],
        ),
        (
            "enterprise",
            [
                {
                    "enterprise_id": "91150102MA0N0000AX",
                    "name": "甲矿业",
                    "county_code": "150102",
                    "industry": None,
                    "high_risk": True,
                    "legal_representative": None,
                    "contact_email": "a@b.cn",
                    "registered_on": dt.date(2010, 1, 1),
                    "closed_on": None,
                },
            ],
        ),
    ],
)
def test_canonical_json_is_what_json_dumps_gives(type_name, rows):
    from safegov.intake.loaders import _CANONICAL, canonical_json, canonical_values, content_hash, hash_text
    from safegov.register.records import RECORD_TYPES

    rt = RECORD_TYPES[type_name]
    got = canonical_json(rt, _frame(rt, rows))
    want = [json.dumps(canonical_values(rt, r), sort_keys=True, ensure_ascii=False, default=str) for r in rows]
    assert got == want
    assert [hash_text(t) for t in got] == [content_hash(canonical_values(rt, r)) for r in rows]
    assert _CANONICAL.encode(canonical_values(rt, rows[0])) == want[0]


def test_moment_and_date_texts():
    import pandas as pd

    from safegov.intake.loaders import date_texts, moment_texts

    moments = pd.Series(
        pd.to_datetime(["2024-03-01 02:00:00.5", None, "2024-03-01 02:00:00.5"], utc=True, format="ISO8601")
    )
    assert moment_texts(moments, "sqlite") == ["2024-03-01 02:00:00.500000", None, "2024-03-01 02:00:00.500000"]
    assert moment_texts(moments, "postgresql")[0] == "2024-03-01 02:00:00.500000+00"
    assert date_texts(pd.Series(pd.to_datetime(["2024-03-01", None]))) == ["2024-03-01", None]


def test_csv_reader_rows_full_blank_short_and_long():
    from safegov.intake.readers import read_csv_text

    text = "a,b,c\n1, x ,3\n1,  ,3\n1,2\n1,2,3,4, \n\n , ,\n"
    read = read_csv_text(text, "utf-8")
    assert [(r.row_number, r.values) for r in read.records] == [
        (2, {"a": "1", "b": " x ", "c": "3"}),
        (3, {"a": "1", "b": None, "c": "3"}),
        (4, {"a": "1", "b": "2"}),
        (5, {"a": "1", "b": "2", "c": "3", "_extra_4": "4"}),
    ]


def test_expect_new_falls_back_to_the_upsert_when_a_key_exists(engine):
    """On PostgreSQL the rows are copied straight in; a key that is there after all rolls
    the copy back to its savepoint and the ON CONFLICT path takes the rows."""
    import pandas as pd

    from safegov.db.models import RecordVersion
    from safegov.intake.loaders import insert_rows, moment_texts

    at = moment_texts(pd.Series(pd.to_datetime(["2024-06-01 00:00"], utc=True)), engine.dialect.name)[0]

    def versions(keys: list[str], content: str) -> dict:
        n = len(keys)
        return {
            "record_type": ["meeting"] * n,
            "natural_key": keys,
            "version": [1] * n,
            "content_hash": [content] * n,
            "values": ["{}"] * n,
            "received_at": [at] * n,
            "raw_row_id": list(range(n)),
            "recorded_at": [at] * n,
        }

    conflict = ["record_type", "natural_key", "version"]
    with engine.begin() as conn:
        insert_rows(conn, RecordVersion.__table__, versions(["k1"], "first"), conflict=conflict, expect_new=True)
        insert_rows(
            conn, RecordVersion.__table__, versions(["k0", "k1", "k2"], "second"), conflict=conflict, expect_new=True
        )
    with Session(engine) as s:
        got = dict(s.execute(select(RecordVersion.natural_key, RecordVersion.content_hash)).all())
        moment = s.scalars(select(RecordVersion.received_at)).first()
    assert got == {"k0": "second", "k1": "first", "k2": "second"}
    assert moment == dt.datetime(2024, 6, 1, tzinfo=UTC)
