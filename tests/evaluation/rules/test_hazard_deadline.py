"""The hazard_deadline rule: HAZARD-RECTIFY, one verdict per hazard by its deadline."""

from __future__ import annotations

import pytest
from evalkit import COUNTY, at, d

from safegov.evaluation.engine import evaluate_events

AFTER = at("2026-06-01 00:00")


# --------------------------------------------------------------------------- HAZARD-RECTIFY

HAZARD = [
    ("rectified on the deadline", "2024-03-15", AFTER, "met", None, 1),
    ("rectified early", "2024-03-01", AFTER, "met", None, 1),
    ("rectified after the deadline", "2024-03-16", AFTER, "met_late", "rectified_late", 1),
    ("not rectified, deadline passed", None, at("2024-03-16 00:00"), "missed", "not_rectified", 0),
    ("not rectified, deadline day still running", None, at("2024-03-15 23:00"), "pending", None, 0),
]


@pytest.mark.parametrize("case, rectified_on, as_of, status, reason, counted", HAZARD, ids=[c[0] for c in HAZARD])
def test_hazard_rectify(build, register, case, rectified_on, as_of, status, reason, counted):
    build.enterprise()
    build.hazard("HZ-1", "2024-03-15", rectified_on=rectified_on)
    evaluate_events(build.engine, register, as_of=as_of)
    r = build.evaluation("HAZARD-RECTIFY", "HZ-1", "2024-03")  # period: month of the deadline
    assert (r.status, r.reason, r.counted, r.subject_kind) == (status, reason, counted, "hazard")
    assert (r.due_on, r.unit_code, r.evidence) == (d("2024-03-15"), COUNTY, "HZ-1")
