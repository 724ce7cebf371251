"""The post-holder directory: its Python and SQL forms agree, on every day around the terms."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from safegov.db.models import Leader
from safegov.org.directory import PostDirectory, holder_at, holder_key, holder_of_key, started
from safegov.org.units import sync_units, unit_at_level

D = dt.date
TERMS = [  # (leader id, role, start, end): a hand-over, a vacancy, an overlap, an open term
    ("L1", "party_secretary", D(2020, 1, 1), D(2024, 3, 10)),
    ("L2", "party_secretary", D(2024, 3, 20), None),
    ("G1", "government_head", D(2022, 1, 1), D(2024, 6, 30)),
    ("G2", "government_head", D(2024, 5, 1), D(2024, 6, 30)),
]
DAYS = [D(2019, 12, 31), D(2020, 1, 1), D(2024, 3, 10), D(2024, 3, 15), D(2024, 3, 20), D(2024, 5, 1), D(2024, 7, 1)]


def test_python_and_sql_forms_agree(session):
    sync_units(session)
    for lid, role, start, end in TERMS:
        session.add(
            Leader(
                leader_id=lid,
                name=lid,
                email=None,
                unit_code="150102",
                role=role,
                department_id=None,
                term_start=start,
                term_end=end,
                version=1,
            )
        )
    session.flush()
    directory = PostDirectory(session)
    for role in ("party_secretary", "government_head"):
        for day in DAYS:
            sql = session.scalar(
                select(holder_of_key(func.max(holder_key(Leader, day)))).where(
                    Leader.unit_code == "150102", Leader.role == role, started(Leader, day)
                )
            )
            held = directory.holder("150102", role, day)
            assert (held.leader_id if held else None) == holder_at(session, "150102", role, day) == sql, (role, day)
    assert holder_at(session, "150102", "party_secretary", D(2024, 3, 15)) == "L1"  # vacancy: the last holder
    assert holder_at(session, "150102", "government_head", D(2024, 5, 1)) == "G2"  # overlap: the later start


@pytest.mark.parametrize(
    "code, level, unit",
    [
        ("150102", "county", "150102"),
        ("150102", "league", "150100"),
        ("150102", "region", "150000"),
        ("150100", "county", None),
        ("150100", "league", "150100"),
        ("150000", "league", None),
    ],
)
def test_unit_at_level(code, level, unit):
    assert unit_at_level(code, level) == unit
