"""The demo goes through ingestion with exactly its planted bad rows quarantined."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.slow

INGEST_NOW = dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
# The ingest rule each planted defect must trigger (safegov.intake.validation rule names).
EXPECTED_RULE = {
    "unknown_unit": "unknown_unit",
    "invalid_credit_code": "credit_code",
    "missing_element": "five_elements",
    "deadline_before_found": "date_order",
    "future_date": "future_date",
}


def _id_of(values: dict, id_column: str, back: dict[str, str]) -> str | None:
    for header, value in values.items():
        if header == id_column or back.get(header) == id_column:
            return value
    return None


def test_ingest_quarantines_exactly_the_planted_bad_rows(engine, tmp_path):
    import yaml

    from safegov.db.engine import session_scope
    from safegov.db.models import RawRow, Rejection
    from safegov.devtools.demo import write_demo
    from safegov.intake import pipeline as ingest
    from safegov.org.units import sync_units

    inbox = tmp_path / "inbox"
    # Three months that end in the story's last month: every kind of bad row, future dates included.
    summary = write_demo(inbox, until="2026-10", months=3, seed=7)
    with session_scope(engine) as session:
        sync_units(session)
    report = ingest.ingest_paths(engine, [inbox], now=INGEST_NOW, docs_dir=None)

    assert sorted(f.name for f in report.files) == sorted(summary["files"])
    for f in report.files:
        assert f.status == "processed", (f.name, f.reason)
        assert f.rows_total == f.accepted + f.quarantined, f.name
    assert sum(f.rows_total for f in report.files) == summary["rows_total"]

    aliases = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "aliases.yaml").read_text("utf-8"))
    back = {a: c for c, names in aliases["columns"].items() for a in names}
    with engine.connect() as conn:
        counts = dict(conn.execute(select(RawRow.status, func.count()).group_by(RawRow.status)).all())
        quarantined = conn.execute(
            select(RawRow.id, RawRow.record_type, RawRow.values).where(RawRow.status == "quarantined")
        ).all()
        rules: dict[int, set[str]] = {}
        for raw_id, rule in conn.execute(select(Rejection.raw_row_id, Rejection.rule)):
            rules.setdefault(raw_id, set()).add(rule)
    assert counts.get("accepted", 0) + counts.get("quarantined", 0) == summary["rows_total"]
    assert counts.get("quarantined", 0) == len(summary["bad_rows"])

    planted = {(b["record_type"], b["id"]): b for b in summary["bad_rows"]}
    got = {}
    for raw_id, rt, values in quarantined:
        values = json.loads(values) if isinstance(values, str) else values
        id_column = (
            next(b["id_column"] for b in summary["bad_rows"] if b["record_type"] == rt)
            if any(b["record_type"] == rt for b in summary["bad_rows"])
            else None
        )
        got[(rt, _id_of(values, id_column, back) if id_column else None)] = raw_id
    assert set(got) == set(planted)
    for key, raw_id in got.items():
        assert EXPECTED_RULE[planted[key]["kind"]] in rules[raw_id], (key, rules[raw_id])
    assert Counter(b["kind"] for b in summary["bad_rows"]).keys() >= {
        "unknown_unit",
        "invalid_credit_code",
        "future_date",
    }
