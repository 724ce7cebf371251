"""Fixtures of the security tests, reused from the areas they attack: the dashboard's (seeded
database, users file, tokens, test client) and the ingestion's (database with registries, inbox)."""

from __future__ import annotations

import pytest
from tests.intake.conftest import db, inbox
from tests.web.conftest import as_user, client, make_token, seeded, users_file, verifier

# fixtures, re-exported
__all__ = ["as_user", "client", "db", "inbox", "make_token", "seeded", "users_file", "verifier"]


@pytest.fixture
def cli_db(units_db):
    """The in-process CLI (``safegov.cli.main.main``) on a migrated SQLite database with the units."""
    return units_db
