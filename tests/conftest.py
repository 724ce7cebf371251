"""Shared fixtures: a migrated compliance database on SQLite and on PostgreSQL, one per test.

PostgreSQL isolation: every test gets its own schema in database ``test`` (search_path),
dropped afterwards, so tests (and parallel workers) never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("SAFEGOV_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
SHARED = ROOT.parent / "shared"


def _pg_available() -> bool:
    import psycopg2

    try:
        psycopg2.connect(PG_URL.replace("postgresql+psycopg2", "postgresql"), connect_timeout=3).close()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    """A freshly migrated compliance database (Alembic head) on each backend."""
    from safegov.db import make_engine, migrate

    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'safegov.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    if os.environ.get("CI") and not _pg_available():
        pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
    if not _pg_available():
        pytest.skip("PostgreSQL not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    migrate(eng)
    yield eng
    eng.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s
        s.rollback()


@pytest.fixture
def sqlite_engine(tmp_path):
    from safegov.db import make_engine, migrate

    eng = make_engine(f"sqlite:///{tmp_path / 'safegov.db'}")
    migrate(eng)
    yield eng
    eng.dispose()
