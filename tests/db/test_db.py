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
