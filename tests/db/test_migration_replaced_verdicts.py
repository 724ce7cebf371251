"""Migration 0009 on a database with history: the change rows of 0001–0008 become the verdicts
that later changes replaced, and the downgrade gives the change rows back (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from safegov.db.engine import alembic_config, make_engine, migrate, scratch_schema
from safegov.evaluation.engine import verdict_timeline

UTC = dt.UTC
T1, T2, T3, T4 = (dt.datetime(2024, 4, d, 1, tzinfo=UTC) for d in (1, 9, 15, 20))
# (key, previous_status, status, counted, evidence, changed_at, run): a key decided, missed,
# then cured late; another decided once; a third whose status went back and forth.
CHANGES = [
    ("A", None, "pending", 0, None, T1, "r1"),
    ("B", None, "met", 1, "B-1", T1, "r1"),
    ("A", "pending", "missed", 0, None, T2, "r2"),
    ("C", None, "met", 1, "C-1", T1, "r1"),
    ("C", "met", "missed", 0, None, T2, "r2"),
    ("A", "missed", "met_late", 1, "LATE", T3, "r3"),
    ("C", "missed", "met", 1, "C-2", T4, "r4"),
]
CURRENT = {"A": ("met_late", 1, "LATE", T3, "r3"), "B": ("met", 1, "B-1", T1, "r1"), "C": ("met", 1, "C-2", T4, "r4")}


def _moment(engine, value: dt.datetime):
    # What UTCDateTime stores: naive UTC text on SQLite, timestamptz on PostgreSQL.
    return value.replace(tzinfo=None).isoformat(sep=" ") if engine.dialect.name == "sqlite" else value


def _fill(engine) -> None:
    with engine.begin() as conn:
        for key, prev, status, counted, evidence, at, run in CHANGES:
            conn.execute(
                text(
                    "INSERT INTO evaluation_history (obligation_id, subject_kind, subject_id, period, previous_status,"
                    " status, counted, reason, evidence, changed_at, run_id)"
                    " VALUES ('OB', 'unit', :key, '2024-03', :prev, :status, :counted, NULL, :evidence, :at, :run)"
                ),
                {"key": key, "prev": prev, "status": status, "counted": counted, "evidence": evidence}
                | {"at": _moment(engine, at), "run": run},
            )
        for key, (status, counted, evidence, at, run) in CURRENT.items():
            conn.execute(
                text(
                    "INSERT INTO evaluation (obligation_id, subject_kind, subject_id, period, status, counted,"
                    " required, evidence, unit_code, evaluated_at, run_id, historical)"
                    " VALUES ('OB', 'unit', :key, '2024-03', :status, :counted, 1, :evidence, '150102', :at, :run,"
                    " false)"
                ),
                {"key": key, "status": status, "counted": counted, "evidence": evidence}
                | {"at": _moment(engine, at), "run": run},
            )


def _rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_database(request, tmp_path):
    """A compliance database at revision 0008 (before the replaced verdicts)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        migrate(engine, "0008")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with scratch_schema(request.getfixturevalue("pg_url"), "m0009", prepare=lambda e: migrate(e, "0008")) as engine:
        yield engine


def test_change_rows_become_the_verdicts_they_replaced_and_come_back(old_database):
    engine = old_database
    _fill(engine)
    migrate(engine, "0009")
    archived = _rows(
        engine,
        "SELECT subject_id, status, counted, evidence, run_id, replaced_by_run FROM evaluation_history"
        " ORDER BY subject_id, id",
    )
    # Each change that a later one followed is the verdict that later one replaced; a key's
    # last change is its evaluation row (B: decided once, nothing replaced).
    assert archived == [
        ("A", "pending", 0, None, "r1", "r2"),
        ("A", "missed", 0, None, "r2", "r3"),
        ("C", "met", 1, "C-1", "r1", "r2"),
        ("C", "missed", 0, None, "r2", "r4"),
    ]
    with Session(engine) as s:
        steps = [(v.previous_status, v.status, v.run_id) for v in verdict_timeline(s, "OB", "A", "2024-03")]
    assert steps == [(None, "pending", "r1"), ("pending", "missed", "r2"), ("missed", "met_late", "r3")]

    migrate_down(engine, "0008")
    changes = _rows(
        engine,
        "SELECT subject_id, previous_status, status, counted, evidence, run_id FROM evaluation_history"
        " ORDER BY subject_id, id",
    )
    assert changes == sorted(
        [(k, prev, status, counted, evidence, run) for k, prev, status, counted, evidence, _at, run in CHANGES],
        key=lambda c: c[0],
    )


def migrate_down(engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
