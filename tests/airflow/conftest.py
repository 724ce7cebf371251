"""Fixtures for the Airflow side (helpers live in afhelpers.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from afhelpers import airflow_env, run_airflow

_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def airflow_home(tmp_path_factory) -> Path:
    """A migrated Airflow metadata DB (SQLite) in a fresh AIRFLOW_HOME.

    The first migration of the session is copied for later tests: migrating costs ~15 s.
    """
    if "db" not in _TEMPLATE:
        template = tmp_path_factory.mktemp("airflow_template")
        run_airflow(airflow_env(template), "db", "migrate", timeout=600)
        _TEMPLATE["db"] = template / "airflow.db"
    home = tmp_path_factory.mktemp("airflow_home")
    (home / "data" / "inbox").mkdir(parents=True)
    shutil.copy(_TEMPLATE["db"], home / "airflow.db")
    return home
