"""The compliance database: migrations match the models on both backends; types round-trip."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from safegov.core.periods import TZ
from safegov.db.engine import VERSION_TABLE
from safegov.db.models import Accident, Base


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "version_table": VERSION_TABLE})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ; run scripts/regen_migration.sh: {diff}"


def test_own_version_table_and_no_airflow_tables(engine):
    tables = set(inspect(engine).get_table_names())
    assert VERSION_TABLE in tables
    assert "alembic_version" not in tables  # Airflow's metadata DB uses that name
    assert "dag_run" not in tables


def test_aware_datetimes_round_trip_as_utc(session):
    occurred = dt.datetime(2024, 3, 31, 23, 30, tzinfo=TZ)
    session.add(
        Accident(
            accident_id="A1",
            unit_code="150102",
            occurred_at=occurred,
            reported_at=occurred + dt.timedelta(minutes=30),
            deaths=0,
            serious_injuries=0,
            direct_loss_10k_cny=1.5,
            description="x",
            received_at=occurred,
            raw_row_id=1,
            content_hash="h",
        )
    )
    session.commit()
    session.expunge_all()
    got = session.scalar(select(Accident.occurred_at))
    assert got == occurred
    assert got.utcoffset() == dt.timedelta(0)


def test_naive_datetime_is_refused(session):
    session.add(
        Accident(
            accident_id="A2",
            unit_code="150102",
            occurred_at=dt.datetime(2024, 3, 1, 8),
            reported_at=dt.datetime(2024, 3, 1, 9, tzinfo=TZ),
            deaths=0,
            serious_injuries=0,
            direct_loss_10k_cny=0,
            description="x",
            received_at=dt.datetime.now(TZ),
            raw_row_id=1,
            content_hash="h",
        )
    )
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


# What a schema is made of, by name and definition with the schema's own name taken out:
# tables and columns, constraints, indexes, triggers, functions, sequences, and the rows that
# migrations write (the version table).
CATALOGUE = {
    "columns": """
        select table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
        from information_schema.columns where table_schema = current_schema()""",
    "constraints": """
        select conrelid::regclass::text, conname, pg_get_constraintdef(c.oid)
        from pg_constraint c join pg_namespace n on n.oid = c.connamespace
        where n.nspname = current_schema()""",
    "indexes": """
        select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema()""",
    "triggers": """
        select tgrelid::regclass::text, tgname, pg_get_triggerdef(t.oid)
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and not t.tgisinternal""",
    "functions": """
        select proname, prosrc from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema()""",
    "sequences": """
        select sequence_name, data_type, start_value, increment
        from information_schema.sequences where sequence_schema = current_schema()""",
    "version": f"select version_num from {VERSION_TABLE}",
}


def _catalogue(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        schema = conn.exec_driver_sql("select current_schema()").scalar()
        return {
            part: sorted(tuple(str(v).replace(f"{schema}.", "") for v in row) for row in conn.exec_driver_sql(sql))
            for part, sql in CATALOGUE.items()
        }


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_replayed_migration_builds_the_schema_alembic_builds(engine):
    """The ``engine`` fixture's PostgreSQL schemas are built by replaying Alembic's recorded
    statements (tests/conftest.py): they must be the schema that Alembic itself builds."""
    from safegov.db.engine import scratch_schema

    with scratch_schema(engine.url.render_as_string(hide_password=False).split("?")[0], "alembic") as migrated:
        want = _catalogue(migrated)
    got = _catalogue(engine)
    assert got == want
    assert len(want["columns"]) > 100 and want["triggers"] and want["functions"] and want["version"]
