"""Fixtures of the security tests, reused from the areas they attack: the dashboard's (seeded
database, users file, tokens, test client) and the ingestion's (database with registries, inbox)."""

from __future__ import annotations

import pytest
from tests.intake.conftest import db, inbox
from tests.web.conftest import as_user, client, make_token, seeded, users_file, verifier

# fixtures, re-exported
__all__ = ["as_user", "client", "db", "inbox", "make_token", "seeded", "users_file", "verifier"]


@pytest.fixture
def cli_db(sqlite_engine, monkeypatch, tmp_path):
    """The in-process CLI (``safegov.cli.main.main``) on a migrated SQLite database with the units."""
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
