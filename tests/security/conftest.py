"""The ingestion fixtures (database with registries, inbox) for the security tests."""

from tests.intake.conftest import db, inbox  # noqa: F401 - fixtures, used by name
