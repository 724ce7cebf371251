"""Fixtures of the evaluation tests; builders live in ``evalkit``.

Every test runs on SQLite and PostgreSQL through the shared ``engine`` fixture.
"""

from __future__ import annotations

import pytest
from evalkit import ROOT, Builder

from safegov.register.obligations import load_register


@pytest.fixture(scope="session")
def register():
    return load_register(ROOT / "config" / "obligations.yaml")


@pytest.fixture
def build(engine):
    return Builder(engine).units()
