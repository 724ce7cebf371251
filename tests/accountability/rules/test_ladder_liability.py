"""LIABILITY-TRAINING-REVIEW 〔十四〕 climbs the default ladder as an event obligation: an
accident whose training was never reviewed is a notice to the safety office of its unit (each
accident is its own subject, so there is no run of misses), placed by the review's due day and
decided by the office above; reviewed late or in time, nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, LEAGUE, cases

from safegov.accountability.escalation import escalate
from safegov.core.periods import TZ

OB = "LIABILITY-TRAINING-REVIEW"
AS_OF = dt.datetime(2025, 3, 1, 12, tzinfo=TZ)


@pytest.mark.parametrize(
    "statuses, expected",
    [
        ({"A1": "missed"}, [("A1", "notice", "open")]),
        ({"A1": "missed", "A2": "missed"}, [("A1", "notice", "open"), ("A2", "notice", "open")]),
        ({"A1": "met_late"}, []),
        ({"A1": "met"}, []),
        ({"A1": "pending"}, []),
    ],
)
def test_an_unreviewed_liability_accident_is_a_notice(world, register, engine, statuses, expected):
    for accident_id, status in statuses.items():
        world.evaluation(OB, "accident", accident_id, "2024-09", status, unit_code=COUNTY, due_on=dt.date(2024, 10, 23))
    escalate(engine, register, "2024-09", "2024-09", as_of=AS_OF)
    assert cases(engine, rule_id=OB) == []  # found in September, due in October
    escalate(engine, register, "2024-10", "2024-10", as_of=AS_OF)
    got = cases(engine, rule_id=OB)
    assert sorted((c.subject_id, c.step, c.state) for c in got) == expected
    for c in got:
        assert (c.subject_kind, c.unit_code, c.deciding_unit) == ("accident", COUNTY, LEAGUE)
        assert (c.period, c.period_start) == (c.subject_id, dt.date(2024, 10, 23))
