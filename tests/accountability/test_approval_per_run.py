"""Each escalation run's approval form lists the cases that run opened (issue #4: "one
approval task per run listing its cases"), so an unanswered form holds back nothing else."""

from __future__ import annotations

from escalate_helpers import sh
from sqlalchemy.orm import Session

from safegov.accountability.cases import cases_awaiting_approval
from safegov.accountability.escalation import escalate


def test_a_run_lists_only_its_own_cases(world, register, engine):
    world.accident("A1", occurred=sh(2025, 1, 5, 10), deaths=3)
    escalate(engine, register, "2025-01", "2025-01", as_of=sh(2025, 1, 10, 12), run_id="run-1")
    world.accident("A2", occurred=sh(2025, 2, 5, 10), deaths=4)
    escalate(engine, register, "2025-01", "2025-02", as_of=sh(2025, 2, 10, 12), run_id="run-2")
    with Session(engine) as s:
        first = {c["case_id"] for c in cases_awaiting_approval(s, run_id="run-1")}
        second = {c["case_id"] for c in cases_awaiting_approval(s, run_id="run-2")}
        everything = {c["case_id"] for c in cases_awaiting_approval(s)}
        # Re-running run-2 over January does not take run-1's case into its form.
        assert cases_awaiting_approval(s, run_id="run-3") == []
    assert first and second and not first & second
    assert everything == first | second
