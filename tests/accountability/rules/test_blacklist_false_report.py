"""BLACKLIST-FALSE-REPORT 〔十九〕: a concealed (瞒报) or falsified (谎报: declared below the grade
of its figures) report, by the rule in force on the accident's day: 安监总办〔2017〕49号 art. 2
(六) until 2023-09-30 (any industry), MEM Order No. 11 from 2023-10-01 (art. 2 industries)."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import ENT, sh
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.accountability.escalation import escalate
from safegov.db.models import BlacklistEntry

OLD, NEW = "BLACKLIST-FALSE-REPORT@2017-05-09", "BLACKLIST-FALSE-REPORT@2023-10-01"


@pytest.mark.parametrize(
    "day, industry, kw, expected",
    [
        (dt.date(2023, 9, 30), "mining", {"concealed": True}, OLD),
        (dt.date(2023, 10, 1), "mining", {"concealed": True}, NEW),
        (dt.date(2023, 9, 30), "mining", {"deaths": 3, "declared": "general"}, OLD),  # 谎报
        (dt.date(2023, 10, 1), "mining", {"deaths": 3, "declared": "general"}, NEW),
        (dt.date(2023, 10, 1), "mining", {"deaths": 3, "declared": "larger"}, None),  # declared right
        (dt.date(2023, 10, 1), "mining", {"deaths": 3, "declared": "major"}, None),  # over-graded is not false
        (dt.date(2023, 10, 1), "mining", {"deaths": 1}, None),
        (dt.date(2023, 9, 30), "construction", {"concealed": True}, OLD),
        (dt.date(2023, 10, 1), "construction", {"concealed": True}, None),  # outside art. 2
        (dt.date(2017, 5, 8), "mining", {"concealed": True}, None),  # before the 2017 rules
    ],
)
def test_false_report_grounds_by_the_rule_in_force(world, register, engine, day, industry, kw, expected):
    world.enterprise(ENT, industry=industry)
    world.accident("A1", enterprise_id=ENT, occurred=sh(day.year, day.month, day.day, 10), **kw)
    escalate(engine, register, f"{day:%Y-%m}", f"{day:%Y-%m}", as_of=sh(day.year, day.month, day.day, 23))
    with Session(engine) as s:
        got = [e.legal_basis for e in s.scalars(select(BlacklistEntry).where(BlacklistEntry.trigger == "false_report"))]
    assert got == ([expected] if expected else [])
