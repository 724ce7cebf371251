"""Accident grades by Decree 493: in Python and as the SQL CASE the evaluation engine uses."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safegov.core.grades import GRADES, grade_case, grade_of

# --------------------------------------------------------------------------- grades (Decree 493)

GRADE_TABLE = [
    (0, 0, 0.0, "general"),
    (2, 9, 999.99, "general"),
    (3, 0, 0.0, "larger"),
    (0, 10, 0.0, "larger"),
    (0, 0, 1000.0, "larger"),
    (9, 49, 4999.0, "larger"),
    (10, 0, 0.0, "major"),
    (0, 50, 0.0, "major"),
    (0, 0, 5000.0, "major"),
    (29, 99, 9999.0, "major"),
    (30, 0, 0.0, "especially_major"),
    (0, 100, 0.0, "especially_major"),
    (0, 0, 10000.0, "especially_major"),
    (1, 0, 20000.0, "especially_major"),  # the highest figure decides
]


@pytest.mark.parametrize("deaths, injuries, loss, grade", GRADE_TABLE)
def test_grade_of(deaths, injuries, loss, grade):
    assert grade_of(deaths, injuries, loss) == grade


def test_grade_case_agrees_with_grade_of(engine):
    from sqlalchemy import literal

    with engine.connect() as conn:
        for deaths, injuries, loss, grade in GRADE_TABLE:
            expr = grade_case(literal(deaths), literal(injuries), literal(loss))
            assert conn.execute(select(expr)).scalar() == grade
    assert set(g for *_, g in GRADE_TABLE) == set(GRADES)
