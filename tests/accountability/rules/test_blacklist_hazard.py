"""BLACKLIST-HAZARD 〔十九〕: a major hazard still unrectified 30 days after its deadline although
enforcement was recommended, 安监总办〔2017〕49号 art. 2 (三), for deadlines up to 2023-09-30.
Order No. 11's non-accident grounds need data the product does not hold: no version after."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import ENT, sh
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.accountability.escalation import escalate
from safegov.db.models import BlacklistEntry


@pytest.mark.parametrize(
    "deadline, rectified, expected",
    [
        (dt.date(2023, 3, 15), None, ("H1", dt.date(2023, 4, 15), "BLACKLIST-HAZARD@2017-05-09")),
        (dt.date(2023, 3, 15), dt.date(2023, 4, 14), None),  # rectified on day 30
        (dt.date(2023, 3, 15), dt.date(2023, 4, 15), ("H1", dt.date(2023, 4, 15), "BLACKLIST-HAZARD@2017-05-09")),
        (dt.date(2023, 9, 30), None, ("H1", dt.date(2023, 10, 31), "BLACKLIST-HAZARD@2017-05-09")),
        (dt.date(2023, 10, 1), None, None),  # judged on its deadline: no version in force
        (dt.date(2017, 5, 8), None, None),
    ],
)
def test_hazard_ground_by_the_rule_in_force_on_the_deadline(world, register, engine, deadline, rectified, expected):
    world.enterprise(ENT)
    world.hazard("H1", found=deadline - dt.timedelta(days=30), deadline=deadline, rectified=rectified)
    # The deadline's month opens the enforcement case; the candidate day falls in the next.
    nxt = (deadline.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    escalate(engine, register, f"{deadline:%Y-%m}", f"{deadline:%Y-%m}", as_of=sh(nxt.year, nxt.month, 1, 12))
    after = (nxt + dt.timedelta(days=32)).replace(day=5)
    escalate(engine, register, f"{nxt:%Y-%m}", f"{nxt:%Y-%m}", as_of=sh(after.year, after.month, after.day, 12))
    with Session(engine) as s:
        got = [(e.trigger_ref, e.candidate_on, e.legal_basis) for e in s.scalars(select(BlacklistEntry))]
    assert got == ([expected] if expected else [])
