"""The obligations added by issue 16 climb the default ladder like any yearly obligation: a
miss is a notice, two years running an interview (needing approval); met_late breaks the run."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, cases

from safegov.accountability.escalation import escalate
from safegov.core.periods import TZ

AS_OF = dt.datetime(2026, 3, 1, 12, tzinfo=TZ)


@pytest.mark.parametrize(
    "ob_id, kind, subject, statuses, expected",
    [
        (
            "ENT-SUPERVISOR",
            "unit",
            COUNTY,
            {"2024": "missed", "2025": "missed"},
            [("2024", "notice", "open"), ("2025", "interview", "awaiting_approval"), ("2025", "notice", "open")],
        ),
        ("ENT-SUPERVISOR", "unit", COUNTY, {"2024": "missed", "2025": "met_late"}, [("2024", "notice", "open")]),
        ("ENFORCE-PLAN-UNIT", "unit", COUNTY, {"2025": "missed"}, [("2025", "notice", "open")]),
        ("ENFORCE-PLAN-DEPT", "department", "D1", {"2024": "met", "2025": "missed"}, [("2025", "notice", "open")]),
        ("ENFORCE-PLAN-DEPT", "department", "D1", {"2025": "exempt"}, []),
        (
            "STAFF-ROTATION-TRAINING",
            "staff",
            "S1",
            {"2024": "missed", "2025": "missed"},
            [("2024", "notice", "open"), ("2025", "interview", "awaiting_approval"), ("2025", "notice", "open")],
        ),
    ],
)
def test_yearly_clause_misses_escalate(world, register, engine, ob_id, kind, subject, statuses, expected):
    for period, status in statuses.items():
        world.evaluation(ob_id, kind, subject, period, status, responsible="L1", unit_code=COUNTY)
    escalate(engine, register, "2024-01", "2025-12", as_of=AS_OF)
    assert sorted((c.period, c.step, c.state) for c in cases(engine, rule_id=ob_id)) == expected
