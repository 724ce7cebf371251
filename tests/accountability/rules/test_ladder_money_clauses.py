"""The obligations of 〔十〕 and 〔十六〕 (issue 16 items 3, 6) climb the default ladder: a miss
is a notice, two periods running an interview (needing approval); met_late breaks the run, an
exempt enterprise (not high-risk) opens nothing; an enterprise's interview names its legal
representative and is decided by its county."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, ENT, LEAGUE, cases

from safegov.accountability.escalation import escalate
from safegov.core.periods import TZ

AS_OF = dt.datetime(2026, 3, 1, 12, tzinfo=TZ)
NOTICE_2024 = [("2024", "notice", "open")]
TWO_YEARS = [("2024", "notice", "open"), ("2025", "interview", "awaiting_approval"), ("2025", "notice", "open")]
TWO_QUARTERS = [
    ("2025-Q1", "notice", "open"),
    ("2025-Q2", "interview", "awaiting_approval"),
    ("2025-Q2", "notice", "open"),
]


@pytest.mark.parametrize(
    "ob_id, kind, subject, statuses, expected",
    [
        ("SAFETY-FUND-BUDGET", "unit", COUNTY, {"2024": "missed", "2025": "missed"}, TWO_YEARS),
        ("SAFETY-FUND-BUDGET", "unit", COUNTY, {"2024": "missed", "2025": "met_late"}, NOTICE_2024),
        ("ENT-SAFETY-COST", "enterprise", ENT, {"2024": "missed", "2025": "missed"}, TWO_YEARS),
        ("ENT-SAFETY-COST", "enterprise", ENT, {"2024": "exempt", "2025": "exempt"}, []),
        ("ACCIDENT-REFERRAL-DISCIPLINE", "unit", LEAGUE, {"2025-Q1": "missed", "2025-Q2": "missed"}, TWO_QUARTERS),
        ("ACCIDENT-REFERRAL-ORG", "unit", LEAGUE, {"2025-Q1": "missed", "2025-Q2": "met"}, [TWO_QUARTERS[0]]),
        ("KEY-INDUSTRY-ASSESS", "unit", LEAGUE, {"2024": "missed", "2025": "missed"}, TWO_YEARS),
        ("KEY-INDUSTRY-ASSESS", "unit", LEAGUE, {"2025": "pending"}, []),
    ],
)
def test_money_and_referral_misses_escalate(world, register, engine, ob_id, kind, subject, statuses, expected):
    world.enterprise()
    unit = COUNTY if kind == "enterprise" else subject
    for period, status in statuses.items():
        world.evaluation(ob_id, kind, subject, period, status, responsible="L1", unit_code=unit)
    escalate(engine, register, "2024-01", "2025-12", as_of=AS_OF)
    assert sorted((c.period, c.step, c.state) for c in cases(engine, rule_id=ob_id)) == expected


def test_safety_cost_interview_names_the_legal_representative(world, register, engine):
    world.enterprise(rep="王五")
    for year in ("2024", "2025"):
        world.evaluation("ENT-SAFETY-COST", "enterprise", ENT, year, "missed", unit_code=COUNTY)
    escalate(engine, register, "2024-01", "2025-12", as_of=AS_OF)
    (c,) = cases(engine, rule_id="ENT-SAFETY-COST", step="interview")
    assert (c.persons, c.deciding_unit, c.subject_kind) == ("王五", COUNTY, "enterprise")
