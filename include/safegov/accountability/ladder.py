"""The ladder for missed obligations (SPEC §6, policy; ``ladders`` in the register).

For each obligation with a ladder, the misses (``evaluation`` rows with status ``missed``)
make cases exist:

- every miss opens a ``notice``;
- ``interview`` (约谈) after ``consecutive`` misses in consecutive periods of the
  obligation's cadence, or ``count`` misses in ``within_months`` months (the window ends
  with the period's last day and spans ``within_months`` whole months);
- ``admonishment`` (诫勉谈话) after ``consecutive`` misses, or a miss while an interview of
  the same obligation and subject is *in force*: an interview for an earlier period, not
  rejected/withdrawn/closed, whose period began less than the interview step's
  ``within_months`` (default 12) months before the miss's period (so one old interview does
  not turn every later miss into an admonishment forever);
- a miss gets its notice plus the highest of interview/admonishment that fires.

A periodic obligation's period belongs to a run's range when its *last day* lies in the
range, so month-by-month runs handle each quarter and year exactly once. A cure (a late
record that turns the miss into ``met_late``) withdraws the cases the miss justified, and
the later periods' steps are recomputed.

Persons named: the responsible leader(s) at the due date of the misses that justify the
step (``evaluation.responsible``); for an enterprise subject's interview or admonishment its
legal representative (法定代表人, a name). Deciding unit: the superior unit (parent) for
unit/post/department subjects (the region for the region itself), the county for
enterprises.

One-off (milestone) and event obligations (HAZARD-RECTIFY, HOTLINE-CONCLUDE) with a ladder
get a ``notice`` per miss, to the unit's own safety office for tickets and hazards; an event
has no run of periods to climb. Event case period = the event id.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from safegov.accountability.cases import (
    ACTIVE_STATES,
    CaseDirectory,
    CaseSpec,
    ensure_cases,
    existing_cases,
    reconcile_cases,
    withdraw_cases,
)
from safegov.core.periods import (
    MONTHS_PER,
    PERIODIC,
    Cadence,
    Period,
    add_months,
    add_working_days,
    month_index,
    parse_period,
    periods_between,
)
from safegov.db.models import Case, Complaint, Enterprise, Evaluation, Hazard
from safegov.org.units import parent_of
from safegov.register.obligations import Ladder, Obligation, Register

STEPS = ("notice", "interview", "admonishment")


def ladder_cases(
    session: Session,
    register: Register,
    ob: Obligation,
    lo: dt.date,
    hi: dt.date,
    *,
    at: dt.datetime,
    run_id: str | None,
    historical: bool,
    directory: CaseDirectory,
) -> dict[str, int]:
    """Make the cases of ``ob``'s misses in [lo, hi] exist (and withdraw cured ones); counts."""
    kw = {"at": at, "run_id": run_id, "historical": historical, "directory": directory}
    if ob.cadence in PERIODIC:
        return _ladder_for(session, register, ob, lo, hi, **kw)
    return _once_and_events(session, ob, lo, hi, **kw)


def _deciding(subject_kind: str, unit_code: str | None) -> str | None:
    if not unit_code:
        return None
    if subject_kind == "enterprise":
        return unit_code
    return parent_of(unit_code) or unit_code


def _subject_unit(subject_kind: str, subject_id: str, unit_code: str | None) -> str | None:
    if unit_code:
        return unit_code
    if subject_kind == "unit":
        return subject_id
    if subject_kind == "post":
        return subject_id.split(":", 1)[0]
    return None


def _ladder_window(ladder: Ladder, cadence: Cadence) -> int:
    """Months of history a step at one period can depend on (and, symmetrically, how far
    ahead a cure at one period can change steps)."""
    months = MONTHS_PER[cadence]
    consec = max(s.consecutive or 1 for s in (ladder.notice, ladder.interview, ladder.admonishment))
    within = max(s.within_months or 0 for s in (ladder.notice, ladder.interview, ladder.admonishment))
    in_force = ladder.interview.within_months or 12
    return max((consec - 1) * months, within) + in_force + months


def _single_miss_is_notice(ladder: Ladder) -> bool:
    """True when one isolated miss can only ever give a notice under this ladder."""

    def fires_alone(step) -> bool:
        return step.consecutive == 1 or step.count == 1

    return fires_alone(ladder.notice) and not fires_alone(ladder.interview) and not fires_alone(ladder.admonishment)


def ladder_specs(
    misses: list[tuple[Period, str | None, str | None, str]],
    ladder: Ladder,
    ob: Obligation,
    subject_kind: str,
    subject_id: str,
    *,
    rejected_interviews: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[CaseSpec]:
    """The cases one subject's misses justify. ``misses`` = (period, responsible, unit_code,
    reason) sorted by period; a pure function (one pass, sliding windows), so the rule is
    testable without a database and cheap over millions of evaluations."""
    if len(misses) == 1 and _single_miss_is_notice(ladder):
        # Most subjects miss rarely: one miss, one notice (same result as the loop below).
        period, responsible, unit_code, reason = misses[0]
        unit = _subject_unit(subject_kind, subject_id, unit_code)
        return [
            CaseSpec(
                "notice",
                ob.id,
                subject_kind,
                subject_id,
                period.key,
                "notice",
                period.first,
                unit,
                _deciding(subject_kind, unit),
                [responsible] if responsible else [],
                {"why": "a miss", "misses": [period.key], "reason": reason, "due_on": period.last.isoformat()},
            )
        ]
    months = MONTHS_PER[ob.cadence]
    steps = (("notice", ladder.notice), ("interview", ladder.interview), ("admonishment", ladder.admonishment))
    in_force_months = ladder.interview.within_months or 12
    firsts = [month_index(p.first) for p, *_ in misses]
    lasts = [month_index(p.last) for p, *_ in misses]
    ptr = {name: 0 for name, _ in steps}  # sliding-window start per counting step
    out: list[CaseSpec] = []
    interviews: list[tuple[int, str, str]] = []  # (month0 of period, period key, case key)
    run = 0
    for i, (period, _responsible, unit_code, reason) in enumerate(misses):
        run = run + 1 if i and firsts[i - 1] // months == firsts[i] // months - 1 else 1
        m0 = firsts[i]
        fired: dict[str, tuple[range | list[int], str]] = {}
        for name, step in steps:
            if step.consecutive and run >= step.consecutive:
                # The misses that reach the threshold: the last `consecutive` of the run.
                fired[name] = (
                    range(i - step.consecutive + 1, i + 1),
                    f"{run} consecutive misses" if run > 1 else "a miss",
                )
                continue
            if step.count and step.within_months:
                # The window: the `within_months` months ending with this period's last month.
                j = ptr[name]
                while lasts[i] - firsts[j] >= step.within_months:
                    j += 1
                ptr[name] = j
                if i - j + 1 >= step.count:
                    fired[name] = (range(j, i + 1), f"{i - j + 1} misses in {step.within_months} months")
                    continue
            if step.while_open == "interview" and interviews:
                in_force = [
                    pk
                    for im0, pk, key in interviews
                    if im0 < m0 and m0 - im0 < in_force_months and key not in rejected_interviews
                ]
                if in_force:
                    fired[name] = ([i], f"a miss while interview {in_force[-1]} is open")
        if not fired:
            continue
        unit = _subject_unit(subject_kind, subject_id, unit_code)
        deciding = _deciding(subject_kind, unit)
        for name in ("notice", "admonishment" if "admonishment" in fired else "interview"):
            if name not in fired:
                continue
            justifying, why = fired[name]
            if len(justifying) == 1:  # most cases: one miss, one person (no de-duplication needed)
                persons = [misses[justifying[0]][1]] if misses[justifying[0]][1] else []
            else:
                persons = list(
                    dict.fromkeys(misses[j][1] for j in reversed(justifying) if misses[j][1])
                )  # current holder first
            spec = CaseSpec(
                kind=name,
                rule_id=ob.id,
                subject_kind=subject_kind,
                subject_id=subject_id,
                period=period.key,
                step=name,
                period_start=period.first,
                unit_code=unit,
                deciding_unit=deciding,
                persons=persons,
                details={
                    "why": why,
                    "misses": [misses[j][0].key for j in justifying],
                    "reason": reason,
                    "due_on": period.last.isoformat(),
                },
            )
            out.append(spec)
            if name == "interview":
                interviews.append((m0, period.key, spec.case_key))
    return out


def _ladder_for(session: Session, register: Register, ob: Obligation, lo: dt.date, hi: dt.date, **kw) -> dict[str, int]:
    ladder = register.ladders[ob.ladder]  # type: ignore[index]
    span = _ladder_window(ladder, ob.cadence)
    first = add_months(lo, -span)
    last = add_months(hi, span)
    periods = {p.key: p for p in periods_between(first, last, ob.cadence)}
    rows = session.execute(
        select(
            Evaluation.subject_kind,
            Evaluation.subject_id,
            Evaluation.period,
            Evaluation.responsible,
            Evaluation.unit_code,
            Evaluation.reason,
        )
        .where(Evaluation.obligation_id == ob.id, Evaluation.status == "missed", Evaluation.period.in_(list(periods)))
        .order_by(Evaluation.subject_id, Evaluation.period)
    ).all()
    # Cases for periods in the lookahead part may be withdrawn by a cure in range.
    window_lo = lo
    window_hi = last
    existing = existing_cases(
        session, [ob.id], periods_between(window_lo, window_lo, ob.cadence)[0].first, window_hi, STEPS
    )
    # Interviews that are no longer open: rejected by the office, or closed (held). A
    # withdrawn one that the misses justify again is reopened, so it counts.
    rejected = {k for k, (_i, s) in existing.items() if s in ("rejected", "closed") and k.endswith("|interview")}
    # Interviews before the window that were rejected also stop counting.
    rejected |= set(
        session.scalars(
            select(Case.case_key).where(
                Case.rule_id == ob.id,
                Case.step == "interview",
                Case.state.in_(("rejected", "closed")),
                Case.period_start.between(first, window_lo),
            )
        )
    )
    desired: list[CaseSpec] = []
    group: list = []
    key = None
    for r in rows:
        if (r[0], r[1]) != key:
            if group:
                desired += ladder_specs(group, ladder, ob, key[0], key[1], rejected_interviews=rejected)
            key, group = (r[0], r[1]), []
        group.append((periods[r[2]], r[3], r[4], r[5]))
    if group:
        desired += ladder_specs(group, ladder, ob, key[0], key[1], rejected_interviews=rejected)
    # An enterprise's interview/admonishment names its legal representative (法定代表人).
    named = sorted({s.subject_id for s in desired if s.subject_kind == "enterprise" and s.kind != "notice"})
    reps: dict[str, str | None] = {}
    for i in range(0, len(named), 500):
        q = select(Enterprise.enterprise_id, Enterprise.legal_representative).where(
            Enterprise.enterprise_id.in_(named[i : i + 500])
        )
        reps.update({eid: rep for eid, rep in session.execute(q)})
    for s in desired:
        if s.subject_id in reps and s.kind != "notice" and reps[s.subject_id]:
            s.persons = [reps[s.subject_id]]
    # Creation window: periods whose last day is in [lo, hi] (each period handled once).
    in_range = {p.first for p in periods.values() if lo <= p.last <= hi}
    desired_keys = {s.case_key for s in desired}
    create = [s for s in desired if s.period_start in in_range]
    counts = ensure_cases(
        session,
        create,
        at=kw["at"],
        run_id=kw["run_id"],
        historical=kw["historical"],
        directory=kw["directory"],
        known=existing,
    )
    # Withdraw only in periods whose full history was loaded (from the first in-range period on).
    first_in_range = min(in_range) if in_range else hi
    stale = [
        (cid, st)
        for k, (cid, st) in existing.items()
        if k not in desired_keys and st in ACTIVE_STATES and _period_start_of(k, periods) >= first_in_range
    ]
    counts["withdrawn"] = withdraw_cases(
        session, stale, at=kw["at"], reason="no longer justified: the miss was cured or the ladder changed"
    )
    return counts


def _period_start_of(case_key: str, periods: dict[str, Period]) -> dt.date:
    key = case_key.split("|")[2]
    return periods[key].first if key in periods else parse_period(key).first


def _once_and_events(session: Session, ob: Obligation, lo: dt.date, hi: dt.date, **kw) -> dict[str, int]:
    """One-off (milestone) and event obligations: each miss opens a notice, nothing more —
    an event happens once, so there is no run of consecutive periods to climb."""
    q = select(
        Evaluation.subject_kind,
        Evaluation.subject_id,
        Evaluation.period,
        Evaluation.responsible,
        Evaluation.unit_code,
        Evaluation.reason,
        Evaluation.due_on,
    ).where(Evaluation.obligation_id == ob.id, Evaluation.status == "missed")
    if ob.cadence is Cadence.ONCE:
        if not (ob.due_on and lo <= ob.due_on <= hi):
            return {}
    else:
        q = q.where(or_(Evaluation.due_on.between(lo, hi), Evaluation.due_on.is_(None)))
    rows = session.execute(q).all()
    desired: list[CaseSpec] = []
    undated = [r for r in rows if r.due_on is None and ob.cadence is Cadence.EVENT]
    fallback = _event_dates(session, ob, [r.subject_id for r in undated])
    for r in rows:
        if ob.cadence is Cadence.ONCE:
            day, period = ob.due_on, r.period
        else:
            day = r.due_on or fallback.get(r.subject_id)
            period = r.subject_id  # event cases: the period is the event id (SPEC §9)
            if day is None or not lo <= day <= hi:
                continue
        unit = _subject_unit(r.subject_kind, r.subject_id, r.unit_code)
        desired.append(
            CaseSpec(
                kind="notice",
                rule_id=ob.id,
                subject_kind=r.subject_kind,
                subject_id=r.subject_id,
                period=period,
                step="notice",
                period_start=day,
                unit_code=unit,
                # Events (tickets, hazards) are for the unit's own safety office to act on.
                deciding_unit=unit if r.subject_kind in ("ticket", "hazard") else _deciding(r.subject_kind, unit),
                persons=[r.responsible] if r.responsible else [],
                details={"why": "a miss", "reason": r.reason, "due_on": day.isoformat()},
            )
        )
    existing = existing_cases(session, [ob.id], lo, hi, ["notice"])
    return reconcile_cases(session, desired, existing, create_lo=lo, create_hi=hi, reason="no longer missed", **kw)


def _event_dates(session: Session, ob: Obligation, ids: list[str]) -> dict[str, dt.date]:
    """Due dates of events whose evaluation carries none: hazard deadline, ticket due date."""
    if not ids:
        return {}
    out: dict[str, dt.date] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        if ob.subject.kind == "hazard":
            out.update(
                dict(session.execute(select(Hazard.hazard_id, Hazard.deadline).where(Hazard.hazard_id.in_(chunk))))
            )
        elif ob.subject.kind == "ticket":
            days = int(ob.params.get("conclude_within_working_days", 15))
            for tid, received in session.execute(
                select(Complaint.ticket_id, Complaint.received_on).where(Complaint.ticket_id.in_(chunk))
            ):
                out[tid] = add_working_days(received, days)
    return out
