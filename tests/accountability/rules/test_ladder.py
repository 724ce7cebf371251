"""The ladder for missed obligations (SPEC §6): notice → interview → admonishment; one-off and
event obligations (milestones, 12350 tickets) get a notice per miss."""

from __future__ import annotations

import datetime as dt

import pytest
from escalate_helpers import COUNTY, COUNTY2, LEAGUE, cases, outbox, sh

from safegov.accountability.escalation import escalate
from safegov.accountability.ladder import ladder_specs
from safegov.core.periods import TZ, parse_period
from safegov.db.engine import session_scope
from safegov.db.models import Milestone
from safegov.evaluation.engine import evaluate_range
from safegov.register.obligations import Ladder

OB = "LEAD-INSPECT-COUNTY"  # monthly, post subject
POST = f"{COUNTY}:party_secretary"


def _steps(register, statuses: dict[str, str], ob_id=OB, rejected=frozenset()):
    ob = register.get(ob_id)
    misses = [(parse_period(k), "L1", COUNTY, "no_records") for k, s in statuses.items() if s == "missed"]
    specs = ladder_specs(misses, Ladder(), ob, "post", POST, rejected_interviews=set(rejected))
    out: dict[str, list[str]] = {}
    for s in specs:
        out.setdefault(s.period, []).append(s.step)
    return out


M, OK = "missed", "met"


@pytest.mark.parametrize(
    "statuses, expected",
    [
        ({"2024-01": M}, {"2024-01": ["notice"]}),
        ({"2024-01": M, "2024-02": M}, {"2024-01": ["notice"], "2024-02": ["notice", "interview"]}),
        (
            {"2024-01": M, "2024-02": M, "2024-03": M},
            {"2024-01": ["notice"], "2024-02": ["notice", "interview"], "2024-03": ["notice", "admonishment"]},
        ),
        # met_late breaks a run: the duty was done, only reported late.
        ({"2024-01": M, "2024-02": "met_late", "2024-03": M}, {"2024-01": ["notice"], "2024-03": ["notice"]}),
        # 3 misses in 12 months → interview; the window is the 12 months ending with the period.
        (
            {"2024-02": M, "2024-06": M, "2025-01": M},
            {"2024-02": ["notice"], "2024-06": ["notice"], "2025-01": ["notice", "interview"]},
        ),
        (
            {"2024-01": M, "2024-06": M, "2025-01": M},
            {"2024-01": ["notice"], "2024-06": ["notice"], "2025-01": ["notice"]},
        ),
        # A miss while an interview is in force → admonishment.
        (
            {"2024-01": M, "2024-02": M, "2024-03": OK, "2024-04": M},
            {"2024-01": ["notice"], "2024-02": ["notice", "interview"], "2024-04": ["notice", "admonishment"]},
        ),
        # … but not once the interview is 12 months old.
        (
            {"2024-01": M, "2024-02": M, "2025-02": M},
            {"2024-01": ["notice"], "2024-02": ["notice", "interview"], "2025-02": ["notice"]},
        ),
        (
            {"2024-01": M, "2024-02": M, "2025-01": M},
            {"2024-01": ["notice"], "2024-02": ["notice", "interview"], "2025-01": ["notice", "admonishment"]},
        ),
    ],
)
def test_ladder_steps(register, statuses, expected):
    assert _steps(register, statuses) == expected


def test_rejected_interview_is_not_in_force(register):
    key = f"{OB}|{POST}|2024-02|interview"
    got = _steps(register, {"2024-01": M, "2024-02": M, "2024-04": M}, rejected={key})
    # Not an admonishment; the third miss in 12 months still calls for an interview.
    assert got["2024-04"] == ["notice", "interview"]


def test_quarterly_runs_cross_the_year(register):
    ob = register.get("LEAD-INSPECT-LEAGUE")
    misses = [(parse_period(k), "L1", LEAGUE, "no_records") for k in ("2024-Q4", "2025-Q1")]
    specs = ladder_specs(misses, Ladder(), ob, "post", f"{LEAGUE}:party_secretary")
    assert [(s.period, s.step) for s in specs] == [
        ("2024-Q4", "notice"),
        ("2025-Q1", "notice"),
        ("2025-Q1", "interview"),
    ]
    # Q2 and Q4 are not consecutive quarters.
    misses = [(parse_period(k), "L1", LEAGUE, "no_records") for k in ("2024-Q2", "2024-Q4")]
    assert [s.step for s in ladder_specs(misses, Ladder(), ob, "post", "x")] == ["notice", "notice"]


def test_persons_are_the_holders_of_the_justifying_misses(register):
    ob = register.get(OB)
    misses = [
        (parse_period("2024-01"), "OLD", COUNTY, "no_records"),
        (parse_period("2024-02"), "NEW", COUNTY, "no_records"),
    ]
    specs = ladder_specs(misses, Ladder(), ob, "post", POST)
    interview = [s for s in specs if s.step == "interview"][0]
    assert interview.persons == ["NEW", "OLD"]
    assert interview.deciding_unit == LEAGUE  # the superior safety committee
    assert [s.persons for s in specs if s.step == "notice"] == [["OLD"], ["NEW"]]


AS_OF = dt.datetime(2024, 4, 10, 12, tzinfo=TZ)


def _three_misses(world):
    for p in ("2024-01", "2024-02", "2024-03"):
        world.evaluation(OB, "post", POST, p, "missed", responsible=f"{COUNTY}-ps", unit_code=COUNTY)


def test_escalate_opens_cases_once(world, register, engine):
    _three_misses(world)
    first = escalate(engine, register, "2024-01", "2024-03", as_of=AS_OF)
    got = sorted((c.period, c.step, c.state) for c in cases(engine, rule_id=OB))
    assert got == [
        ("2024-01", "notice", "open"),
        ("2024-02", "interview", "awaiting_approval"),
        ("2024-02", "notice", "open"),
        ("2024-03", "admonishment", "awaiting_approval"),
        ("2024-03", "notice", "open"),
    ]
    assert first["ladder_created"] == 5
    c = cases(engine, rule_id=OB, step="admonishment")[0]
    assert (
        c.persons == f"{COUNTY}-ps" and c.deciding_unit == LEAGUE and c.case_key == f"{OB}|{POST}|2024-03|admonishment"
    )
    # Re-runs, a wider range and a month-by-month replay create nothing new.
    again = escalate(engine, register, "2024-01", "2024-03", as_of=AS_OF)
    assert again["ladder_created"] == 0 and again["ladder_withdrawn"] == 0
    for m in ("2024-01", "2024-02", "2024-03", "2024-04"):
        assert escalate(engine, register, m, m, as_of=AS_OF)["ladder_created"] == 0
    assert len(cases(engine, rule_id=OB)) == 5


def test_month_by_month_gives_the_same_cases(world, register, engine):
    _three_misses(world)
    for m in ("2024-01", "2024-02", "2024-03"):
        escalate(engine, register, m, m, as_of=AS_OF)
    assert sorted((c.period, c.step) for c in cases(engine, rule_id=OB)) == [
        ("2024-01", "notice"),
        ("2024-02", "interview"),
        ("2024-02", "notice"),
        ("2024-03", "admonishment"),
        ("2024-03", "notice"),
    ]


def test_notice_emails_post_holder_and_superior_office(world, register, engine):
    world.evaluation(OB, "post", POST, "2024-03", "missed", responsible=f"{COUNTY}-ps", unit_code=COUNTY)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    rows = outbox(engine, template="notice")
    assert sorted(r.recipient for r in rows) == [f"{COUNTY}-ps", f"office:{LEAGUE}"]
    assert {r.to_email for r in rows} == {f"{COUNTY}-ps@gov.example", f"{LEAGUE}-so@gov.example"}
    assert {r.state for r in rows} == {"pending"}
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    assert len(outbox(engine, template="notice")) == 2
    # Cases that name a person send nothing before approval.
    assert not outbox(engine, template="case_interview")


def test_late_cure_withdraws_and_recomputes_later_periods(world, register, engine):
    _three_misses(world)
    escalate(engine, register, "2024-01", "2024-03", as_of=AS_OF)
    # February is cured by a late record: its notice and the interview go; March's
    # admonishment rested on 3 consecutive misses and is withdrawn too (no interview in force).
    world.evaluation(OB, "post", POST, "2024-02", "met_late", responsible=f"{COUNTY}-ps", unit_code=COUNTY)
    out = escalate(engine, register, "2024-02", "2024-02", as_of=AS_OF)
    states = {(c.period, c.step): c.state for c in cases(engine, rule_id=OB)}
    assert states == {
        ("2024-01", "notice"): "open",
        ("2024-02", "notice"): "withdrawn",
        ("2024-02", "interview"): "withdrawn",
        ("2024-03", "notice"): "open",
        ("2024-03", "admonishment"): "withdrawn",
    }
    assert out["ladder_withdrawn"] == 3
    # Withdrawn cases are kept with their history.
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from safegov.db.audit import verify
    from safegov.db.models import CaseEvent

    with Session(engine) as s:
        ev = s.scalars(select(CaseEvent).where(CaseEvent.to_state == "withdrawn")).all()
        assert len(ev) == 3
        assert verify(s).ok
    # The miss re-established (record withdrawn) reopens the same case rows, no duplicates.
    world.evaluation(OB, "post", POST, "2024-02", "missed", responsible=f"{COUNTY}-ps", unit_code=COUNTY)
    escalate(engine, register, "2024-02", "2024-03", as_of=AS_OF)
    states = {(c.period, c.step): c.state for c in cases(engine, rule_id=OB)}
    assert states[("2024-02", "interview")] == "awaiting_approval"
    assert states[("2024-03", "admonishment")] == "awaiting_approval"
    assert len(cases(engine, rule_id=OB)) == 5


def test_pending_and_exempt_open_nothing(world, register, engine):
    world.evaluation(OB, "post", POST, "2024-03", "pending", unit_code=COUNTY)
    world.evaluation("ENT-HAZARD-SELFCHECK", "enterprise", "91150102MA0000001X", "2024-03", "exempt", unit_code=COUNTY)
    escalate(engine, register, "2024-03", "2024-03", as_of=AS_OF)
    assert cases(engine) == []


def test_enterprise_interview_names_legal_representative(world, register, engine):
    world.enterprise()
    for p in ("2024-02", "2024-03"):
        world.evaluation("ENT-HAZARD-SELFCHECK", "enterprise", "91150102MA0000001X", p, "missed", unit_code=COUNTY)
    escalate(engine, register, "2024-02", "2024-03", as_of=AS_OF)
    c = cases(engine, step="interview")[0]
    assert c.persons == "张三" and c.deciding_unit == COUNTY and c.subject_kind == "enterprise"


@pytest.mark.parametrize("queue_historical", [False, True])
def test_historical_cases_are_unreviewed_and_send_nothing(world, register, engine, monkeypatch, queue_historical):
    import safegov.accountability.cases

    monkeypatch.setattr(safegov.accountability.cases, "QUEUE_HISTORICAL", queue_historical)
    _three_misses(world)
    escalate(engine, register, "2024-01", "2024-03", as_of=AS_OF, historical=True, run_id="backfill__1")
    cs = cases(engine, rule_id=OB)
    assert len(cs) == 5 and {c.historical for c in cs} == {True}
    # A backfill knows the facts, not what was decided then: cases naming a person wait for review.
    assert {(c.step, c.state, c.decided_by) for c in cs if c.step != "notice"} == {
        ("interview", "unreviewed", None),
        ("admonishment", "unreviewed", None),
    }
    rows = outbox(engine)
    if queue_historical:
        # The notices' emails are stored, suppressed (post holder + superior office); nothing
        # at all for the unreviewed interview and admonishment.
        assert len(rows) == 3 * 2 and {r.state for r in rows} == {"suppressed"}
        assert {r.purpose for r in rows} == {f"case:{OB}"} and {r.step for r in rows} == {"notice"}
    else:
        assert rows == []
    # The same range run live afterwards changes nothing and queues nothing.
    escalate(engine, register, "2024-01", "2024-03", as_of=AS_OF)
    assert len(cases(engine, rule_id=OB)) == 5 and len(outbox(engine)) == len(rows)


def test_single_miss_fast_path_matches_the_general_loop(register, monkeypatch):
    import safegov.accountability.ladder as esc

    ob = register.get(OB)
    misses = [(parse_period("2024-05"), "L1", COUNTY, "below_quota")]
    fast = ladder_specs(misses, Ladder(), ob, "post", POST)
    monkeypatch.setattr(esc, "_single_miss_is_notice", lambda ladder: False)
    slow = ladder_specs(misses, Ladder(), ob, "post", POST)
    assert [vars(s) | {"case_key": s.case_key} for s in fast] == [vars(s) | {"case_key": s.case_key} for s in slow]
    assert len(fast) == 1 and fast[0].step == "notice"


@pytest.mark.parametrize(
    "decision, step_at_april", [(None, "admonishment"), (False, "interview"), (True, "admonishment")]
)
def test_miss_while_interview_open_uses_the_decision(world, register, engine, decision, step_at_april):
    from safegov.accountability.cases import decide_cases

    for p, st in (("2024-01", "missed"), ("2024-02", "missed"), ("2024-03", "met")):
        world.evaluation(OB, "post", POST, p, st, responsible=f"{COUNTY}-ps", unit_code=COUNTY)
    escalate(engine, register, "2024-01", "2024-03", as_of=AS_OF)
    interview = cases(engine, step="interview")[0]
    if decision is not None:
        decide_cases(engine, [interview.id], approve=decision, decided_by="league office", reason="no", at=AS_OF)
    world.evaluation(OB, "post", POST, "2024-04", "missed", responsible=f"{COUNTY}-ps", unit_code=COUNTY)
    escalate(engine, register, "2024-04", "2024-04", as_of=dt.datetime(2024, 5, 10, tzinfo=TZ))
    april = sorted(c.step for c in cases(engine, period="2024-04"))
    assert april == sorted(["notice", step_at_april])


def test_overdue_ticket_opens_a_notice_to_the_units_office(world, register, engine):
    world.complaint("T1", received=dt.date(2024, 3, 4))
    world.evaluation(
        "HOTLINE-CONCLUDE",
        "ticket",
        "T1",
        "2024-03",
        "missed",
        unit_code=COUNTY,
        due_on=dt.date(2024, 3, 25),
        reason="not_concluded",
    )
    world.evaluation(
        "HOTLINE-CONCLUDE", "ticket", "T2", "2024-03", "met", unit_code=COUNTY, due_on=dt.date(2024, 3, 25)
    )
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    got = cases(engine, rule_id="HOTLINE-CONCLUDE")
    assert [(c.kind, c.subject_id, c.period, c.deciding_unit, c.state) for c in got] == [
        ("notice", "T1", "T1", COUNTY, "open")
    ]
    # Concluded late after all: the evaluation becomes met_late, the notice is withdrawn.
    world.evaluation(
        "HOTLINE-CONCLUDE", "ticket", "T1", "2024-03", "met_late", unit_code=COUNTY, due_on=dt.date(2024, 3, 25)
    )
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    assert [c.state for c in cases(engine, rule_id="HOTLINE-CONCLUDE")] == ["withdrawn"]


def test_ticket_due_date_taken_from_the_complaint_when_missing(world, register, engine):
    world.complaint("T1", received=dt.date(2024, 3, 4))
    world.evaluation("HOTLINE-CONCLUDE", "ticket", "T1", "T1", "missed", unit_code=COUNTY)
    escalate(engine, register, "2024-03", "2024-03", as_of=sh(2024, 4, 10, 12))
    got = cases(engine, rule_id="HOTLINE-CONCLUDE")
    # 15 working days after 2024-03-04 is 2024-03-25.
    assert [(c.subject_id, c.period_start) for c in got] == [("T1", dt.date(2024, 3, 25))]


def test_once_obligation_missed_opens_a_notice(world, register, engine):
    world.evaluation("ENFORCEMENT-AGENCY-2017", "unit", COUNTY, "2017", "missed", unit_code=COUNTY)
    escalate(engine, register, "2017-11", "2017-11", as_of=sh(2018, 1, 10, 12))
    assert cases(engine) == []  # the due date 2017-12-31 is not in November
    escalate(engine, register, "2017-12", "2017-12", as_of=sh(2018, 1, 10, 12))
    got = cases(engine, rule_id="ENFORCEMENT-AGENCY-2017")
    assert [(c.kind, c.subject_id, c.period, c.period_start, c.deciding_unit) for c in got] == [
        ("notice", COUNTY, "2017", dt.date(2017, 12, 31), "150100")
    ]


def test_once_obligation_completed_late_escalates_as_a_miss(world, register, engine):
    """〔九〕 due 2017-12-31: set up on 2018-01-02 is a miss (late_completion) and opens a
    notice like any miss; set up in time but reported after the grace is only met_late."""

    def agency(unit, achieved_on, received_at):
        with session_scope(engine) as s:
            s.add(
                Milestone(
                    **{**world._rec(), "received_at": received_at},
                    record_id=f"EA-{unit}",
                    unit_code=unit,
                    milestone="enforcement_agency",
                    achieved_on=achieved_on,
                    doc_ref="内政发〔2018〕1号",
                )
            )

    agency(COUNTY, dt.date(2018, 1, 2), sh(2018, 1, 2, 10))
    agency(COUNTY2, dt.date(2017, 12, 20), sh(2018, 3, 1, 10))
    as_of = sh(2018, 3, 10, 12)
    evaluate_range(engine, register, "2017-12", "2017-12", as_of=as_of, obligation_ids=["ENFORCEMENT-AGENCY-2017"])
    escalate(engine, register, "2017-12", "2017-12", as_of=as_of)
    late = cases(engine, rule_id="ENFORCEMENT-AGENCY-2017", subject_id=COUNTY)
    assert [(c.kind, c.state, (c.details or {}).get("reason")) for c in late] == [("notice", "open", "late_completion")]
    assert {m.purpose for m in outbox(engine, subject_id=COUNTY)} == {"case:ENFORCEMENT-AGENCY-2017"}
    assert cases(engine, rule_id="ENFORCEMENT-AGENCY-2017", subject_id=COUNTY2) == []
