"""Engines, sessions and migrations of the compliance database.

Sessions are opened only at the edge (CLI commands, Airflow tasks); the core takes a
``Session`` or ``Connection`` argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from safegov.core.settings import get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "safegov_alembic_version"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or get_settings().database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            # WAL lets the dashboard read while a task writes; FKs are off by default in SQLite.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


# KiB: what a connection doing bulk work may keep of SQLite's pages (default 2 MiB).
BULK_PAGE_CACHE_KIB = 1024 * 1024


def use_bulk_page_cache(conn) -> None:
    """SQLite: let this connection keep up to 1 GiB of pages. A bulk write updates indexes
    all over their B-trees, and a province's evaluation reads and writes indexes far larger
    than 2 MiB: every page evicted and read again costs (ingestion: half the write time at
    100k rows; the first run of ten years of ENT-HAZARD-SELFCHECK at 25,000 enterprises:
    66–73 s → 55–58 s). Memory is taken only as pages are used. Other databases: nothing."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-1048576")  # KiB when negative: BULK_PAGE_CACHE_KIB


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error."""
    factory = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # A generated revision is formatted and import-sorted like the rest of the code (`python -m ruff`).
    cfg.set_section_option("post_write_hooks", "hooks", "ruff_fix, ruff_format")
    cfg.set_section_option("post_write_hooks", "ruff_fix.type", "module")
    cfg.set_section_option("post_write_hooks", "ruff_fix.module", "ruff")
    cfg.set_section_option(
        "post_write_hooks", "ruff_fix.options", "check --fix --select I,F401 REVISION_SCRIPT_FILENAME"
    )
    cfg.set_section_option("post_write_hooks", "ruff_format.type", "module")
    cfg.set_section_option("post_write_hooks", "ruff_format.module", "ruff")
    cfg.set_section_option("post_write_hooks", "ruff_format.options", "format REVISION_SCRIPT_FILENAME")
    return cfg


def migrate(engine: Engine | None = None, revision: str = "head") -> None:
    """Bring the compliance database to ``revision`` (idempotent)."""
    from alembic import command

    engine = engine or get_engine()
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@contextmanager
def scratch_schema(url: str, prefix: str = "scratch", prepare: Callable[[Engine], None] = migrate) -> Iterator[Engine]:
    """A migrated engine on a new schema of the PostgreSQL database ``url`` (its
    ``search_path``), the schema dropped with everything in it afterwards: for tests and
    benchmarks that share one server without seeing each other's rows. ``prepare`` builds
    the schema: Alembic by default, or a :class:`RecordedMigration`'s ``replay``."""
    import uuid

    from sqlalchemy.schema import CreateSchema, DropSchema

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(CreateSchema(schema))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        prepare(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(DropSchema(schema, cascade=True))
        admin.dispose()


@dataclass(frozen=True)
class RecordedMigration:
    """The statements Alembic sent to the server while migrating an empty PostgreSQL schema to
    head, replayable into another empty schema on the same server.

    Migrations name no schema (the connection's ``search_path`` places every object), so the
    same statements build the same schema elsewhere, about three times faster than Alembic
    itself (no script loading, no per-operation round trips of reflection). For the many
    short-lived schemas of a test run; a database that is kept is always migrated by Alembic.
    """

    statements: tuple[tuple[str, Any, bool], ...]

    def replay(self, engine: Engine) -> None:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters, many in self.statements:
                (cursor.executemany if many else cursor.execute)(statement, parameters)
            raw.commit()
        finally:
            raw.close()


def record_migration(url: str) -> RecordedMigration:
    """Migrate a scratch schema of ``url`` with Alembic, keeping every statement it sent."""
    recorded: list[tuple[str, Any, bool]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        recorded.append((statement, parameters, executemany))

    def migrate_recording(engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", keep)
        try:
            migrate(engine)
        finally:
            event.remove(engine, "before_cursor_execute", keep)

    with scratch_schema(url, "record", prepare=migrate_recording):
        pass
    return RecordedMigration(tuple(recorded))


def insert_for(conn_or_session, table):
    """A dialect-specific INSERT that supports ``on_conflict_do_*``."""
    dialect = (
        conn_or_session.get_bind().dialect.name
        if isinstance(conn_or_session, Session)
        else conn_or_session.dialect.name
    )
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def upsert(
    conn_or_session, table, rows: Sequence[dict[str, Any]], keys: Sequence[str], update: Sequence[str] | None = None
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET update-columns (or DO NOTHING)."""
    if not rows:
        return
    stmt = insert_for(conn_or_session, table)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in update})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn_or_session.execute(stmt, list(rows))
