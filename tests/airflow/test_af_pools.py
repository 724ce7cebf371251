"""The named pools: slot counts from the environment, loud on a bad value."""

from __future__ import annotations

import pytest

from safegov.airflow.pools import DB_POOL, SENDGRID_POOL, pool_specs


def test_defaults_follow_the_compliance_database():
    sqlite = {s.name: s.slots for s in pool_specs({"SAFEGOV_DATABASE_URL": "sqlite:////tmp/x.db"})}
    pg = {s.name: s.slots for s in pool_specs({"SAFEGOV_DATABASE_URL": "postgresql+psycopg://h/db"})}
    assert sqlite == {DB_POOL: 1, SENDGRID_POOL: 2}
    assert pg == {DB_POOL: 4, SENDGRID_POOL: 2}


def test_slots_from_the_environment_and_the_cli_arguments():
    specs = pool_specs({"SAFEGOV_POOL_DB_SLOTS": "3", "SAFEGOV_POOL_SENDGRID_SLOTS": " 5 "})
    assert [s.cli_args()[:4] for s in specs] == [
        ["pools", "set", DB_POOL, "3"],
        ["pools", "set", SENDGRID_POOL, "5"],
    ]
    assert all(s.cli_args()[4] for s in specs)  # a Chinese description for the UI


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_a_bad_slot_count_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="SAFEGOV_POOL_DB_SLOTS"):
        pool_specs({"SAFEGOV_POOL_DB_SLOTS": bad})
