"""Fixtures for the escalation tests (builders live in escalate_helpers.py)."""

from __future__ import annotations

import pytest
from escalate_helpers import COUNTY, COUNTY2, LEAGUE, World

from safegov.db.engine import session_scope


@pytest.fixture
def world(engine):
    from safegov.org.units import sync_units

    with session_scope(engine) as s:
        sync_units(s)
    w = World(engine)
    for unit in ("150000", LEAGUE, COUNTY, COUNTY2):
        w.posts(unit)
    return w


@pytest.fixture
def register():
    from safegov.register.obligations import load_register

    return load_register()
