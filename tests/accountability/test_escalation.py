"""Escalation across the accountability rules: a corrected record withdraws the cases it no
longer justifies, and a re-run creates nothing new."""

from __future__ import annotations

import datetime as dt

from escalate_helpers import cases, sh

from safegov.accountability.escalation import escalate

AS_OF = dt.datetime(2025, 1, 10, 12, tzinfo=sh(2025, 1, 1).tzinfo)


def test_corrected_accident_withdraws_and_reruns_are_idempotent(world, register, engine):
    world.accident("A1", deaths=3, reported=sh(2024, 3, 5, 12))  # late by 2 h
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    assert len(cases(engine)) == 2  # county dual interview + reporting violation
    # A corrected record: the figures give a general accident, reported on time.
    world.accident("A1", deaths=2, reported=sh(2024, 3, 5, 10, 30))
    out = escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    assert out["accident_withdrawn"] == 2
    assert {c.state for c in cases(engine)} == {"withdrawn"}
