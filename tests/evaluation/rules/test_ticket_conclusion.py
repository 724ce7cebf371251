"""The ticket_conclusion rule: HOTLINE-CONCLUDE, one verdict per 12350 ticket."""

from __future__ import annotations

import pytest
from evalkit import at, d

from safegov.evaluation.engine import evaluate_events, evaluate_range

AFTER = at("2026-06-01 00:00")


# --------------------------------------------------------------------------- HOTLINE-CONCLUDE

# Received Fri 2024-09-20; 15 working days: Sun 29 Sep and Sat 12 Oct are make-up working
# days, 1-7 Oct National Day → deadline Wed 2024-10-16.
TICKET = [
    ("concluded on the deadline", "2024-10-16", AFTER, "met", None, 1),
    ("concluded the day after", "2024-10-17", AFTER, "met_late", "concluded_late", 1),
    ("open after the deadline", None, at("2024-10-17 00:00"), "missed", "not_concluded", 0),
    ("open on the deadline day", None, at("2024-10-16 18:00"), "pending", None, 0),
]


@pytest.mark.parametrize("case, concluded_on, as_of, status, reason, counted", TICKET, ids=[c[0] for c in TICKET])
def test_ticket_conclusion(build, register, case, concluded_on, as_of, status, reason, counted):
    build.ticket("T-1", "2024-09-20", concluded_on=concluded_on)
    evaluate_events(build.engine, register, as_of=as_of)
    r = build.evaluation("HOTLINE-CONCLUDE", "T-1", "2024-09")
    assert (r.status, r.reason, r.counted, r.subject_kind) == (status, reason, counted, "ticket")
    assert r.due_on == d("2024-10-16")


def test_events_in_a_range_only(build, register):
    build.ticket("T-IN", "2024-03-05")
    build.ticket("T-OUT", "2024-05-05")
    evaluate_range(build.engine, register, "2024-03", "2024-03", as_of=AFTER, obligation_ids=["HOTLINE-CONCLUDE"])
    assert build.evaluation("HOTLINE-CONCLUDE", "T-IN", "2024-03") is not None
    assert build.evaluation("HOTLINE-CONCLUDE", "T-OUT", "2024-05") is None


def test_a_deadline_beyond_the_calendar_keeps_the_ticket_pending_calendar_unknown(build, register, holidays_file):
    # Received 2026-12-20: its 15 working days run into 2027, not entered here.
    build.ticket("T-2026", "2026-12-20")
    evaluate_events(build.engine, register, as_of=at("2027-03-01 00:00"))
    r = build.evaluation("HOTLINE-CONCLUDE", "T-2026", "2026-12")
    assert (r.status, r.reason, r.due_on) == ("pending", "calendar_unknown", None)
