"""The engine's fast write path stores and hashes exactly what the general path would."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from safegov.core.periods import TZ
from safegov.db import audit

AT = dt.datetime(2024, 4, 9, 0, 0, tzinfo=TZ)


def _payload():
    return {
        "changes": [
            ["E001", "2024-03", None, "missed", 0, "无记录", None],
            ["E002", "2024-03", "pending", "met", 2, None, "S1;S2"],
        ],
        "fields": ["subject_id", "period", "from", "to", "counted", "reason", "evidence"],
        "historical": False,
        "obligation_id": "ENT-HAZARD-SELFCHECK",
        "run_id": "run-1",
    }


def test_canonical_append_stores_and_hashes_as_the_general_path(engine):
    with Session(engine) as s, s.begin():
        audit.append_many(s, [("evaluation", "k|batch|2024-03..2024-03", "status", _payload())], AT)
        head = audit.last_hash(s)
        text_ = audit.canonical(_payload())
        audit.append_canonical(s, [("evaluation", "k|batch|2024-03..2024-03", "status", text_)], AT)
    with Session(engine) as s:
        rows = s.execute(text("SELECT CAST(payload AS TEXT), prev_hash, hash FROM audit_log ORDER BY id")).all()
        assert audit.verify(s).ok
    assert len(rows) == 2
    general, written = rows
    assert written[0] == general[0] == audit.canonical(_payload())  # stored as hashed
    assert written[1] == head
    assert written[2] == audit.link_hash(head, AT, "evaluation", "k|batch|2024-03..2024-03", "status", _payload())


# Values a change can carry: record ids and reasons come from submitted files.
AWKWARD = [
    "plain",
    "",
    'quote " and backslash \\ and slash /',
    "controls \x01\x08\t\n\x0b\x0c\r\x1b\x1f end",
    "del \x7f, nbsp \xa0, line sep \u2028 para \u2029",
    "中文；全角：记录（一）",
    "emoji 🚧 and astral 𠀀",
    "<script>&amp;</script>",
]


@pytest.mark.parametrize("value", AWKWARD, ids=range(len(AWKWARD)))
def test_the_database_writes_a_change_as_canonical_json(engine, value):
    """The engine has the database write each change's values as JSON text and hashes that
    text: it must be exactly ``audit.canonical`` of the values, or the chain would not verify."""
    from sqlalchemy import Integer, String, cast, literal, null, select

    from safegov.evaluation.sqlfn import json_values

    row = [value, "2024-03", None, "met", 7, value[::-1], None]
    # Typed as the changed rows' columns are (a bare parameter has no type on PostgreSQL).
    cols = [cast(literal(v) if v is not None else null(), Integer() if isinstance(v, int) else String()) for v in row]
    with engine.connect() as conn:
        written = conn.execute(select(json_values(*cols))).scalar_one()
    assert written == audit.canonical(row)
    assert json.loads(written) == row


# PostgreSQL only: SQLite has one writer, a stale snapshot cannot write at all.
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_new_rows_that_meet_a_stored_row_fall_back_to_the_upsert(build, register, engine, monkeypatch):
    """A row computed as new (no stored row seen) whose key is stored by the time it is
    written — a concurrent run — is upserted, not refused (PostgreSQL: the plain INSERT
    fails inside a savepoint and the whole batch goes through ON CONFLICT)."""
    from evalkit import ENT, at

    from safegov.db.models import Evaluation
    from safegov.evaluation.engine import evaluate_period
    from safegov.evaluation.rules import count
    from safegov.evaluation.sqlfn import text_literal

    build.enterprise()
    when = at("2026-06-01 00:00")
    first = evaluate_period(engine, register, "ENT-HAZARD-SELFCHECK", "2024-03", as_of=when, run_id="r1")
    assert first["missed"] == 1 and first["changed"] == 1
    build.selfcheck("2024-03-02", record_id="LATE")
    # Pretend the stored row was committed after the statement's snapshot: it is not joined.
    real = count.changed_only
    never = text_literal("none") == text_literal("x")
    monkeypatch.setattr(
        count, "changed_only", lambda ob, computed, stored=None: real(ob, computed, stored_periods=never)
    )
    monkeypatch.setattr(count, "_STATEMENTS", {})  # the first run's statement is cached: build it anew
    again = evaluate_period(engine, register, "ENT-HAZARD-SELFCHECK", "2024-03", as_of=when, run_id="r2")
    assert again["met"] == 1 and again["changed"] == 1
    with Session(engine) as s:
        row = (
            s.query(Evaluation).filter_by(obligation_id="ENT-HAZARD-SELFCHECK", subject_id=ENT, period="2024-03").one()
        )
        assert (row.status, row.run_id) == ("met", "r2")
        assert audit.verify(s).ok
