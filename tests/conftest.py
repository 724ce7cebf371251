"""Shared fixtures: a migrated compliance database on SQLite and on PostgreSQL, one per test.

PostgreSQL isolation: every test gets its own schema in database ``test`` (search_path),
dropped afterwards, so tests (and parallel workers) never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("SAFEGOV_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
SHARED = ROOT.parent / "shared"

# A test that delivers mail without starting its own local SendGrid server must not reach
# whatever listens on the default :8025 (a developer's `make run`): port 9 refuses.
os.environ.setdefault("SAFEGOV_SENDGRID_HOST", "http://127.0.0.1:9")
# Tests write a file and ingest it at once: no settling time unless a test asks for one.
os.environ.setdefault("SAFEGOV_INBOX_SETTLE_SECONDS", "0")


def _pg_available() -> bool:
    import psycopg2

    try:
        psycopg2.connect(PG_URL.replace("postgresql+psycopg2", "postgresql"), connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    """A freshly migrated compliance database (Alembic head) on each backend."""
    if request.param == "sqlite":
        eng = _sqlite_copy(request, tmp_path)
        yield eng
        eng.dispose()
        return
    if os.environ.get("CI") and not _pg_available():
        pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
    if not _pg_available():
        pytest.skip("PostgreSQL not reachable")
    from safegov.db.engine import scratch_schema

    with scratch_schema(PG_URL, "t", prepare=request.getfixturevalue("_pg_migration").replay) as eng:
        yield eng


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL database the tests make their schemas in."""
    return PG_URL


@pytest.fixture(scope="session")
def _pg_migration():
    """Alembic's statements for an empty schema, recorded once per test process and replayed
    into each test's schema (a third of the time of migrating each; tests/db/test_db.py
    checks that both give the same catalogue)."""
    from safegov.db.engine import record_migration

    return record_migration(PG_URL)


@pytest.fixture
def twin_engine(engine, tmp_path, request):
    """A second, empty compliance DB on the same backend as ``engine``."""
    from safegov.db.engine import scratch_schema

    if engine.dialect.name == "sqlite":
        eng = _sqlite_copy(request, tmp_path, "twin.db")
        yield eng
        eng.dispose()
        return
    url = engine.url.set(query={}).render_as_string(hide_password=False)
    with scratch_schema(url, "t", prepare=request.getfixturevalue("_pg_migration").replay) as eng:
        yield eng


@pytest.fixture
def mailserver(tmp_path):
    """The local SendGrid-compatible server on a free port, recording to tmp_path/mail."""
    from safegov.devtools.mailserver import MailServer

    srv = MailServer("127.0.0.1", 0, record_path=tmp_path / "mail" / "sent.jsonl").start()
    yield srv
    srv.stop()


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s
        s.rollback()


@pytest.fixture
def sqlite_engine(request, tmp_path):
    eng = _sqlite_copy(request, tmp_path)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file per test process; each test gets a copy (migrating takes ~1 s)."""
    from safegov.db.engine import make_engine, migrate

    path = tmp_path_factory.mktemp("template") / "safegov.db"
    eng = make_engine(f"sqlite:///{path}")
    migrate(eng)
    eng.dispose()  # checkpoints the WAL, so the file alone is the whole database
    return path


def _sqlite_copy(request, tmp_path, name: str = "safegov.db"):
    from safegov.db.engine import make_engine

    target = tmp_path / name
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), target)
    return make_engine(f"sqlite:///{target}")


# A 2027 schedule for tests only (the real notice is not published yet): New Year's Day off
# and one make-up Saturday. Enough to compute grace ends in January 2027.
HOLIDAYS_2027 = """\
years:
  2027:
    notice: 国办发明电〔2026〕99号（测试）
    days_off: [2027-01-01]
    workdays: [2027-02-20]
"""


@pytest.fixture
def units_db(sqlite_engine, monkeypatch, tmp_path):
    """What the in-process CLI and the task callables read through the settings: a migrated
    SQLite database with the units loaded (``SAFEGOV_DATABASE_URL``), data in tmp_path/data."""
    from sqlalchemy.orm import Session

    from safegov.core.settings import get_settings
    from safegov.db.engine import get_engine
    from safegov.org.units import sync_units

    monkeypatch.setenv("SAFEGOV_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SAFEGOV_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    with Session(sqlite_engine) as s, s.begin():
        sync_units(s)
    yield sqlite_engine
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def holidays_file(tmp_path, monkeypatch):
    """Point ``SAFEGOV_HOLIDAYS`` at a file in tmp_path; ``write(text)`` sets its content.

    Starts as ``years: {}`` (no year beyond the package), as shipped."""
    from safegov.core.settings import get_settings

    path = tmp_path / "holidays.yaml"
    last = [0]

    def write(text: str = "years: {}\n") -> Path:
        path.write_text(text, encoding="utf-8")
        # The loader caches per (mtime, size): each write gets a later mtime than the one
        # before, even within one tick of a coarse filesystem clock.
        st = path.stat()
        last[0] = max(st.st_mtime_ns, last[0] + 1_000_000)
        os.utime(path, ns=(st.st_atime_ns, last[0]))
        return path

    write()
    monkeypatch.setenv("SAFEGOV_HOLIDAYS", str(path))
    get_settings.cache_clear()
    yield write
    get_settings.cache_clear()
