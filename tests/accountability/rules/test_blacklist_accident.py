"""BLACKLIST-ACCIDENT 〔十九〕: accident grounds by the national rule in force on the accident's day.

- 2017-05-09 … 2023-09-30, 安监总办〔2017〕49号 art. 2 (一): a 较大 or worse accident, any industry.
- from 2023-10-01, MEM Order No. 11: a 重大/特别重大 accident, or 2 or more 较大 accidents at the
  same enterprise within 12 months, only in the industries of its art. 2.
"""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import ENT, ENT2, sh
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.accountability.escalation import escalate
from safegov.db.models import BlacklistEntry

LARGER, MAJOR, GENERAL = 3, 10, 2  # deaths: the least that makes the grade (2 is 一般)
OLD, NEW = "BLACKLIST-ACCIDENT@2017-05-09", "BLACKLIST-ACCIDENT@2023-10-01"


def _run(world, register, engine, accidents, industry="mining"):
    """accidents: (id, enterprise, local day, deaths); one escalation over their months."""
    world.enterprise(ENT, industry=industry)
    world.enterprise(ENT2, industry=industry)
    for aid, eid, day, deaths in accidents:
        world.accident(aid, enterprise_id=eid, occurred=sh(day.year, day.month, day.day, 10), deaths=deaths)
    days = [a[2] for a in accidents]
    last = max(days)
    escalate(engine, register, f"{min(days):%Y-%m}", f"{last:%Y-%m}", as_of=sh(last.year, last.month, last.day, 23))
    with Session(engine) as s:
        rows = s.scalars(select(BlacklistEntry).order_by(BlacklistEntry.trigger_ref)).all()
        return [(e.trigger_ref, e.legal_basis) for e in rows if e.trigger == "accident_liability"]


D = dt.date


@pytest.mark.parametrize(
    "accidents, industry, expected",
    [
        # One 较大 accident: a ground under the 2017 rules, not under Order No. 11.
        ([("A1", ENT, D(2023, 9, 30), LARGER)], "mining", [("A1", OLD)]),
        ([("A1", ENT, D(2023, 10, 1), LARGER)], "mining", []),
        ([("A1", ENT, D(2024, 3, 5), LARGER)], "mining", []),
        # Below 较大 is no ground under either.
        ([("A1", ENT, D(2023, 9, 30), GENERAL)], "mining", []),
        # No version before the 2017 rules' day.
        ([("A1", ENT, D(2017, 5, 8), LARGER)], "mining", []),
        ([("A1", ENT, D(2017, 5, 9), LARGER)], "mining", [("A1", OLD)]),
        # 重大: a ground under both.
        ([("A1", ENT, D(2024, 3, 5), MAJOR)], "mining", [("A1", NEW)]),
        ([("A1", ENT, D(2024, 3, 5), MAJOR - 1)], "mining", []),
        # Two 较大 at the same enterprise within 12 months (inclusive): the second is the ground.
        ([("A1", ENT, D(2024, 3, 5), LARGER), ("A2", ENT, D(2025, 3, 5), LARGER)], "mining", [("A2", NEW)]),
        ([("A1", ENT, D(2024, 3, 5), LARGER), ("A2", ENT, D(2025, 3, 6), LARGER)], "mining", []),
        ([("A1", ENT, D(2024, 3, 5), LARGER), ("A2", ENT2, D(2024, 4, 5), LARGER)], "mining", []),
        # The first before 2023-10-01 counts in the window of a second judged by Order No. 11.
        (
            [("A1", ENT, D(2023, 9, 30), LARGER), ("A2", ENT, D(2024, 2, 1), LARGER)],
            "mining",
            [("A1", OLD), ("A2", NEW)],
        ),
        # Outside Order No. 11's industries (art. 2): never a candidate after 2023-10-01 …
        ([("A1", ENT, D(2024, 3, 5), MAJOR)], "construction", []),
        ([("A1", ENT, D(2024, 3, 5), LARGER), ("A2", ENT, D(2024, 6, 5), LARGER)], "road_transport", []),
        ([("A1", ENT, D(2024, 3, 5), MAJOR)], None, []),  # no industry in the registry
        # … while the 2017 rules had no industry list.
        ([("A1", ENT, D(2023, 9, 30), LARGER)], "construction", [("A1", OLD)]),
        # An industry given by its name in Order No. 11's words counts like its code.
        ([("A1", ENT, D(2024, 3, 5), MAJOR)], "危险化学品", [("A1", NEW)]),
    ],
)
def test_accident_grounds_by_the_rule_in_force(world, register, engine, accidents, industry, expected):
    assert _run(world, register, engine, accidents, industry) == expected
