"""The heatmap's periods: the last twelve evaluated by default, or those of a range; one read
gives the periods and their counts (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from safegov.db.models import Evaluation
from safegov.org.tree import UnitTree
from safegov.web.queries import heatmap
from safegov.web.scope import Scope

COUNTY = "150102"
# Fifteen months evaluated, with a gap (2024-06 never evaluated).
MONTHS = [f"2024-{m:02d}" for m in range(1, 13) if m != 6] + ["2025-01", "2025-02", "2025-03", "2025-04"]


def _seed(engine) -> None:
    at = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    with Session(engine) as s, s.begin():
        for i, period in enumerate(MONTHS):
            for k, status in enumerate(("met", "missed", "met") if i % 2 else ("met",)):
                s.add(
                    Evaluation(
                        obligation_id="SC-MEET-LOCAL",
                        subject_kind="unit",
                        subject_id=f"{COUNTY}-{k}",
                        period=period,
                        status=status,
                        counted=1,
                        required=1,
                        unit_code=COUNTY,
                        evaluated_at=at,
                    )
                )


@pytest.mark.parametrize(
    "bounds, periods",
    [
        ({}, MONTHS[-12:]),
        ({"last": 3}, ["2025-02", "2025-03", "2025-04"]),
        ({"from_key": "2024-05", "to_key": "2024-08"}, ["2024-05", "2024-07", "2024-08"]),
        ({"from_key": "2025-03"}, ["2025-03", "2025-04"]),
        ({"to_key": "2024-02"}, ["2024-01", "2024-02"]),
        ({"from_key": "2026-01"}, []),
    ],
    ids=["last-12", "last-3", "range-with-gap", "from", "to", "empty"],
)
def test_heatmap_periods_and_counts(engine, bounds, periods):
    _seed(engine)
    with Session(engine) as s:
        hm = heatmap(s, Scope("r", "all"), UnitTree.from_config(), "SC-MEET-LOCAL", **bounds)
    assert hm.periods == periods
    cells = {p: c.counts for g in hm.groups for r in g.rows for p, c in r.cells.items()}
    assert sorted(cells) == periods
    for p in periods:
        odd = MONTHS.index(p) % 2
        assert cells[p] == ({"met": 2, "missed": 1} if odd else {"met": 1})
