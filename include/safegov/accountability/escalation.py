"""Escalation (SPEC §6): the ladder for misses, the accident and hazard rules of 〔十五〕〔十七〕〔十八〕.

``escalate(engine, register, from_key, to_key, as_of=…)`` reads the evaluations and the
records and makes the cases exist that the facts justify — no more: a re-run, a clear or a
backfill creates nothing new (cases are keyed ``rule|subject|period|step``), and a case
whose facts went away (a miss cured by a late record, a corrected accident report) is
withdrawn, never deleted.

Ranges. A periodic obligation's period belongs to the range when its *last day* lies in
[first day of ``from_key``, last day of ``to_key``], so month-by-month runs handle each
quarter and year exactly once. Event rules take the event's date: the accident's day
(Asia/Shanghai), the hazard's deadline, the ticket's due date.

Ladder (policy, ``ladders`` in the register; SPEC §6):
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

Persons named: the responsible leader(s) at the due date of the misses that justify the
step (evaluation.responsible); for an enterprise subject its legal representative (a name).
Deciding unit: the superior unit (parent) for unit/post/department subjects (the region for
the region itself), the county for enterprises, the region for accident rules, the
enterprise's county for hazard rules.

Choices where the spec is silent:
- One-off (milestone) and event obligations (HAZARD-RECTIFY, HOTLINE-CONCLUDE) with a
  ladder get a ``notice`` per miss, to the unit's own safety office for tickets and
  hazards; an event has no run of periods to climb. Event case period = the event id.
- DUAL-INTERVIEW-*: grades from the figures (SPEC §8), not the declared grade. "Second
  larger accident within 6 months" = both accidents ``larger`` by their figures, same
  league/city, second day ≤ first day + 6 calendar months (inclusive; a day missing in the
  target month becomes its last day). A major+ accident gives the league rule only.
- REPORTING-VIOLATION: late = reported_at − occurred_at > 1 h (the register's
  ``report_within_hours``; exactly 1 h is on time); under-graded = declared grade below the
  computed one (no declared grade: not judged); concealed. Subject: the enterprise when the
  accident names one, else the county; no person named, so no approval.
- MAJOR-HAZARD-OVERDUE: a major hazard whose deadline lies before ``as_of`` and that was
  not rectified by its deadline (rectified_on empty or later) → admonishment of
  ``responsible_person``; while it is still unrectified at ``as_of`` also ``enforcement``.
  Judged from dated fields, so a backfill gives the same cases as a live run.
- Historical (backfill) cases queue no email at all (``safegov.accountability.cases.QUEUE_HISTORICAL``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from safegov.core.periods import MONTHS_PER, PERIODIC, TZ, Cadence, Period, add_working_days, local_date, parse_period, periods_between
from safegov.accountability.cases import ACTIVE_STATES, REGION, CaseSpec, _Directory, ensure_cases, withdraw_cases
from safegov.accountability.cases import cases_awaiting_approval, decide_cases, remind_stale_approvals  # noqa: F401 - contract names
from safegov.db.engine import session_scope
from safegov.core.errors import SafegovError
from safegov.db.models import Accident, Case, Complaint, Enterprise, Evaluation, Hazard
from safegov.org.directory import holder_at
from safegov.org.units import level_of, parent_of
from safegov.register.obligations import Ladder, Obligation, Register

log = logging.getLogger(__name__)

GRADE_RANK = {"general": 0, "larger": 1, "major": 2, "especially_major": 3}
ENFORCEMENT_MEASURES = (
    "suspend_production",  # 停产
    "suspend_business",  # 停业
    "suspend_construction",  # 停止施工
    "cut_power",  # 停止供电
    "seal_and_detain",  # 查封扣押
)
ACCIDENT_RULES = ("DUAL-INTERVIEW-COUNTY", "DUAL-INTERVIEW-LEAGUE", "REPORTING-VIOLATION")
HAZARD_RULE = "MAJOR-HAZARD-OVERDUE"


def grade_of(deaths: int, serious_injuries: int, direct_loss_10k_cny: float) -> str:
    """Accident grade (SPEC §8, Decree 493 art. 3) — ``safegov.core.grades.grade_of`` when present."""
    try:
        from safegov.core.grades import grade_of as shared
    except ModuleNotFoundError as exc:
        if exc.name != "safegov.core.grades":
            raise
        return _grade_of(deaths, serious_injuries, direct_loss_10k_cny)
    return shared(deaths, serious_injuries, direct_loss_10k_cny)


def _grade_of(deaths: int, serious_injuries: int, loss: float) -> str:
    # "At least" includes the bound; the grade is the highest any one figure reaches.
    if deaths >= 30 or serious_injuries >= 100 or loss >= 10000:
        return "especially_major"
    if deaths >= 10 or serious_injuries >= 50 or loss >= 5000:
        return "major"
    if deaths >= 3 or serious_injuries >= 10 or loss >= 1000:
        return "larger"
    return "general"


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later; a day that does not exist becomes the month's last day
    (2024-02-29 + 12 months = 2025-02-28; 2024-08-31 + 6 months = 2025-02-28)."""
    idx = day.year * 12 + day.month - 1 + months
    y, m = divmod(idx, 12)
    m += 1
    import calendar as _cal

    return dt.date(y, m, min(day.day, _cal.monthrange(y, m)[1]))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def _range(from_key: str, to_key: str) -> tuple[dt.date, dt.date]:
    lo, hi = parse_period(from_key).first, parse_period(to_key).last
    if hi < lo:
        raise SafegovError(f"--to {to_key} is before --from {from_key}")
    return lo, hi


def _month0(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


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


def _existing(session: Session, rule_ids: Sequence[str], lo: dt.date, hi: dt.date, steps: Sequence[str] | None = None) -> dict[str, tuple[int, str]]:
    """case_key → (id, state) of the rules' cases whose period starts in [lo, hi]."""
    q = select(Case.case_key, Case.id, Case.state).where(Case.rule_id.in_(list(rule_ids)), Case.period_start.between(lo, hi))
    if steps:
        q = q.where(Case.step.in_(list(steps)))
    return {k: (i, s) for k, i, s in session.execute(q)}


def _reconcile(
    session: Session,
    desired: list[CaseSpec],
    existing: dict[str, tuple[int, str]],
    *,
    create_lo: dt.date,
    create_hi: dt.date,
    at: dt.datetime,
    run_id: str | None,
    historical: bool,
    directory: _Directory,
    reason: str,
) -> dict[str, int]:
    """Create the desired cases in the creation window; withdraw active ones not desired."""
    create = [s for s in desired if s.period_start is not None and create_lo <= s.period_start <= create_hi]
    counts = ensure_cases(session, create, at=at, run_id=run_id, historical=historical, directory=directory, known=existing)
    keys = {s.case_key for s in desired}
    stale = [(cid, state) for key, (cid, state) in existing.items() if key not in keys and state in ACTIVE_STATES]
    counts["withdrawn"] = withdraw_cases(session, stale, at=at, reason=reason)
    return counts


def _add(total: dict[str, int], part: dict[str, int], prefix: str = "") -> None:
    for k, v in part.items():
        total[prefix + k] = total.get(prefix + k, 0) + v


# --------------------------------------------------------------------------- ladder


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
        return [CaseSpec("notice", ob.id, subject_kind, subject_id, period.key, "notice", period.first, unit, _deciding(subject_kind, unit),
                         [responsible] if responsible else [], {"why": "a miss", "misses": [period.key], "reason": reason, "due_on": period.last.isoformat()})]
    months = MONTHS_PER[ob.cadence]
    steps = (("notice", ladder.notice), ("interview", ladder.interview), ("admonishment", ladder.admonishment))
    in_force_months = ladder.interview.within_months or 12
    firsts = [p.first.year * 12 + p.first.month - 1 for p, *_ in misses]
    lasts = [p.last.year * 12 + p.last.month - 1 for p, *_ in misses]
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
                fired[name] = (range(i - step.consecutive + 1, i + 1), f"{run} consecutive misses" if run > 1 else "a miss")
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
                in_force = [pk for im0, pk, key in interviews if im0 < m0 and m0 - im0 < in_force_months and key not in rejected_interviews]
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
                persons = list(dict.fromkeys(misses[j][1] for j in reversed(justifying) if misses[j][1]))  # current holder first
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
                details={"why": why, "misses": [misses[j][0].key for j in justifying], "reason": reason, "due_on": period.last.isoformat()},
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
        select(Evaluation.subject_kind, Evaluation.subject_id, Evaluation.period, Evaluation.responsible, Evaluation.unit_code, Evaluation.reason)
        .where(Evaluation.obligation_id == ob.id, Evaluation.status == "missed", Evaluation.period.in_(list(periods)))
        .order_by(Evaluation.subject_id, Evaluation.period)
    ).all()
    # Cases for periods in the lookahead part may be withdrawn by a cure in range.
    window_lo = lo
    window_hi = last
    existing = _existing(session, [ob.id], periods_between(window_lo, window_lo, ob.cadence)[0].first, window_hi, ["notice", "interview", "admonishment"])
    # Interviews that are no longer open: rejected by the office, or closed (held). A
    # withdrawn one that the misses justify again is reopened, so it counts.
    rejected = {k for k, (_i, s) in existing.items() if s in ("rejected", "closed") and k.endswith("|interview")}
    # Interviews before the window that were rejected also stop counting.
    rejected |= set(
        session.scalars(
            select(Case.case_key).where(
                Case.rule_id == ob.id, Case.step == "interview", Case.state.in_(("rejected", "closed")), Case.period_start.between(first, window_lo)
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
        q = select(Enterprise.enterprise_id, Enterprise.legal_representative).where(Enterprise.enterprise_id.in_(named[i : i + 500]))
        reps.update({eid: rep for eid, rep in session.execute(q)})
    for s in desired:
        if s.subject_id in reps and s.kind != "notice" and reps[s.subject_id]:
            s.persons = [reps[s.subject_id]]
    # Creation window: periods whose last day is in [lo, hi] (each period handled once).
    in_range = {p.first for p in periods.values() if lo <= p.last <= hi}
    desired_keys = {s.case_key for s in desired}
    create = [s for s in desired if s.period_start in in_range]
    counts = ensure_cases(session, create, at=kw["at"], run_id=kw["run_id"], historical=kw["historical"], directory=kw["directory"], known=existing)
    # Withdraw only in periods whose full history was loaded (from the first in-range period on).
    first_in_range = min(in_range) if in_range else hi
    stale = [(cid, st) for k, (cid, st) in existing.items() if k not in desired_keys and st in ACTIVE_STATES and _period_start_of(k, periods) >= first_in_range]
    counts["withdrawn"] = withdraw_cases(session, stale, at=kw["at"], reason="no longer justified: the miss was cured or the ladder changed")
    return counts


def _period_start_of(case_key: str, periods: dict[str, Period]) -> dt.date:
    key = case_key.split("|")[2]
    return periods[key].first if key in periods else parse_period(key).first


def _once_and_events(session: Session, ob: Obligation, lo: dt.date, hi: dt.date, **kw) -> dict[str, int]:
    """One-off (milestone) and event obligations: each miss opens a notice, nothing more —
    an event happens once, so there is no run of consecutive periods to climb."""
    q = select(Evaluation.subject_kind, Evaluation.subject_id, Evaluation.period, Evaluation.responsible, Evaluation.unit_code, Evaluation.reason, Evaluation.due_on).where(
        Evaluation.obligation_id == ob.id, Evaluation.status == "missed"
    )
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
    existing = _existing(session, [ob.id], lo, hi, ["notice"])
    return _reconcile(session, desired, existing, create_lo=lo, create_hi=hi, reason="no longer missed", **kw)


def _event_dates(session: Session, ob: Obligation, ids: list[str]) -> dict[str, dt.date]:
    """Due dates of events whose evaluation carries none: hazard deadline, ticket due date."""
    if not ids:
        return {}
    out: dict[str, dt.date] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        if ob.subject.kind == "hazard":
            out.update(dict(session.execute(select(Hazard.hazard_id, Hazard.deadline).where(Hazard.hazard_id.in_(chunk)))))
        elif ob.subject.kind == "ticket":
            days = int(ob.params.get("conclude_within_working_days", 15))
            for tid, received in session.execute(select(Complaint.ticket_id, Complaint.received_on).where(Complaint.ticket_id.in_(chunk))):
                out[tid] = add_working_days(received, days)
    return out


# --------------------------------------------------------------------------- accidents


def accident_facts(a: Accident, *, within_hours: float = 1.0) -> dict[str, Any]:
    """Computed grade and reporting violations of one accident (〔十五〕, Decree 493)."""
    grade = grade_of(a.deaths, a.serious_injuries, float(a.direct_loss_10k_cny))
    delay = _aware(a.reported_at) - _aware(a.occurred_at)
    violations = []
    if delay > dt.timedelta(hours=within_hours):  # exactly 1 h is on time
        violations.append("late")
    if a.declared_grade and GRADE_RANK.get(a.declared_grade, 0) < GRADE_RANK[grade]:
        violations.append("under_graded")
    if a.concealed:
        violations.append("concealed")
    return {"grade": grade, "violations": violations, "delay_minutes": round(delay.total_seconds() / 60, 1), "day": local_date(a.occurred_at)}


def _league_of(unit: str) -> str | None:
    lvl = level_of(unit)
    return unit if lvl == "league" else parent_of(unit) if lvl == "county" else None


def _accidents_between(session: Session, first: dt.date, last: dt.date) -> list[Accident]:
    start = dt.datetime.combine(first, dt.time(), TZ)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), TZ)
    return list(session.scalars(select(Accident).where(Accident.occurred_at >= start, Accident.occurred_at < end).order_by(Accident.occurred_at, Accident.accident_id)))


def accident_specs(session: Session, register: Register, lo: dt.date, hi: dt.date) -> list[CaseSpec]:
    try:
        hours = float(register.get("ACCIDENT-REPORT-TIMELY").params.get("report_within_hours", 1))
    except KeyError:
        hours = 1.0
    accidents = _accidents_between(session, add_months(lo, -6) - dt.timedelta(days=1), hi)
    facts = {a.accident_id: accident_facts(a, within_hours=hours) for a in accidents}
    out: list[CaseSpec] = []
    larger_by_league: dict[str, list[Accident]] = defaultdict(list)

    def posts(unit: str, day: dt.date) -> list[str]:
        return [p for p in (holder_at(session, unit, role, day) for role in ("party_secretary", "government_head")) if p]

    for a in accidents:
        f = facts[a.accident_id]
        day, grade = f["day"], f["grade"]
        try:
            lvl = level_of(a.unit_code)
        except ValueError:
            continue
        league = _league_of(a.unit_code)
        base = {"accident_id": a.accident_id, "grade": grade, "deaths": a.deaths, "serious_injuries": a.serious_injuries, "direct_loss_10k_cny": float(a.direct_loss_10k_cny), "occurred_on": day.isoformat()}
        prior = None
        if grade == "larger" and league:
            # A second larger accident within 6 calendar months: this one's day ≤ the earlier
            # one's day + 6 months (a missing day becomes the month's last), inclusive.
            for b in larger_by_league[league]:
                if day <= add_months(facts[b.accident_id]["day"], 6):
                    prior = b
                    break
            larger_by_league[league].append(a)
        if not lo <= day <= hi:
            continue
        if grade == "larger" and lvl == "county":
            out.append(CaseSpec("dual_interview", "DUAL-INTERVIEW-COUNTY", "unit", a.unit_code, a.accident_id, "dual_interview", day, a.unit_code, REGION, posts(a.unit_code, day), base | {"why": "a larger (较大) accident in the county", "by": ["region_safety_committee"]}))
        if league and (GRADE_RANK[grade] >= GRADE_RANK["major"] or prior is not None):
            why = f"a {grade} accident in the league/city" if prior is None else f"a second larger accident within 6 months of {prior.accident_id}"
            out.append(CaseSpec("dual_interview", "DUAL-INTERVIEW-LEAGUE", "unit", league, a.accident_id, "dual_interview", day, league, REGION, posts(league, day), base | {"why": why, "prior_accident": prior.accident_id if prior else None, "by": ["region_safety_committee", "discipline_commission", "organisation_department"]}))
        if f["violations"]:
            kind, sid = ("enterprise", a.enterprise_id) if a.enterprise_id else ("unit", a.unit_code)
            out.append(CaseSpec("reporting_violation", "REPORTING-VIOLATION", kind, sid, a.accident_id, "reporting_violation", day, a.unit_code, REGION, [], base | {"why": ", ".join(f["violations"]), "violations": f["violations"], "declared_grade": a.declared_grade, "delay_minutes": f["delay_minutes"], "enterprise_id": a.enterprise_id}))
    return out


# --------------------------------------------------------------------------- hazards


def hazard_specs(session: Session, lo: dt.date, hi: dt.date, as_of_day: dt.date) -> list[CaseSpec]:
    """MAJOR-HAZARD-OVERDUE: a major hazard whose deadline passed (before ``as_of``) without
    rectification by the deadline → admonishment of its responsible person 〔十七〕; while it
    is still not rectified at ``as_of`` also an enforcement recommendation against the
    enterprise 〔十八〕 (停产停业、停止施工、停止供电、查封扣押)."""
    rows = session.execute(
        select(Hazard, Enterprise.county_code)
        .join(Enterprise, Enterprise.enterprise_id == Hazard.enterprise_id, isouter=True)
        .where(Hazard.grade == "major", Hazard.deadline.between(lo, hi), Hazard.deadline < as_of_day)
        .where(or_(Hazard.rectified_on.is_(None), Hazard.rectified_on > Hazard.deadline))
        .order_by(Hazard.hazard_id)
    ).all()
    out = []
    for h, county in rows:
        base = {"hazard_id": h.hazard_id, "enterprise_id": h.enterprise_id, "deadline": h.deadline.isoformat(), "rectified_on": h.rectified_on.isoformat() if h.rectified_on else None, "responsible_person": h.responsible_person}
        out.append(CaseSpec("admonishment", HAZARD_RULE, "hazard", h.hazard_id, h.hazard_id, "admonishment", h.deadline, county, county, [h.responsible_person], base | {"why": "major hazard not rectified by its deadline"}))
        if h.rectified_on is None or h.rectified_on > as_of_day:
            out.append(CaseSpec("enforcement", HAZARD_RULE, "enterprise", h.enterprise_id, h.hazard_id, "enforcement", h.deadline, county, county, [], base | {"why": "major hazard still not rectified", "measures": list(ENFORCEMENT_MEASURES)}))
    return out


# --------------------------------------------------------------------------- entry point


def escalate(
    engine: Engine,
    register: Register,
    from_key: str,
    to_key: str,
    *,
    as_of: dt.datetime,
    run_id: str | None = None,
    historical: bool = False,
) -> dict[str, int]:
    """Ladder + accident + hazard + ticket rules, blacklist triggers and lifecycle for the range.

    Each part runs in its own transaction and is idempotent, so a killed run is re-run.
    """
    from safegov.accountability import blacklist

    lo, hi = _range(from_key, to_key)
    at = _aware(as_of)
    as_of_day = local_date(at)
    total: dict[str, int] = {}
    kw = {"at": at, "run_id": run_id, "historical": historical}
    for ob in register.obligations:
        if ob.ladder is None:
            continue
        with session_scope(engine) as session:
            d = _Directory(session)
            if ob.cadence in PERIODIC:
                part = _ladder_for(session, register, ob, lo, hi, directory=d, **kw)
            else:
                part = _once_and_events(session, ob, lo, hi, directory=d, **kw)
        _add(total, part, "ladder_")
    with session_scope(engine) as session:
        d = _Directory(session)
        desired = accident_specs(session, register, lo, hi)
        part = _reconcile(session, desired, _existing(session, ACCIDENT_RULES, lo, hi), create_lo=lo, create_hi=hi, directory=d, reason="the accident record no longer meets the rule", **kw)
    _add(total, part, "accident_")
    with session_scope(engine) as session:
        d = _Directory(session)
        desired = hazard_specs(session, lo, hi, as_of_day)
        part = _reconcile(session, desired, _existing(session, [HAZARD_RULE], lo, hi), create_lo=lo, create_hi=hi, directory=d, reason="the hazard was rectified in time", **kw)
    _add(total, part, "hazard_")
    _add(total, blacklist.sync_triggers(engine, lo, hi, as_of=at, historical=historical, run_id=run_id), "blacklist_")
    _add(total, blacklist.advance_blacklist(engine, on=as_of_day, historical=historical, run_id=run_id), "blacklist_")
    return total


# --------------------------------------------------------------------------- one-vote veto


def veto_report(session: Session, year: int) -> list[dict[str, Any]]:
    """The yearly one-vote-veto report 〔十六〕: one row per unit.

    A unit is flagged when, in the year, it had a ``major``+ accident (by the figures,
    SPEC §8) — flagging the accident's county *and* its league/city, since both governments
    answer for it — or an approved (or since closed) admonishment of its leaders: a ladder
    admonishment of one of its unit, post or department subjects. Admonishments count by the
    case's period start; an admonishment of an enterprise's hazard manager does not flag.
    """
    from safegov.db.models import Unit

    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    flags: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"major_accidents": [], "admonishments": []})
    for a in _accidents_between(session, first, last):
        grade = grade_of(a.deaths, a.serious_injuries, float(a.direct_loss_10k_cny))
        if GRADE_RANK[grade] < GRADE_RANK["major"]:
            continue
        units = {a.unit_code}
        try:
            league = _league_of(a.unit_code)
        except ValueError:
            league = None
        if league:
            units.add(league)
        for u in units:
            flags[u]["major_accidents"].append(a.accident_id)
    # Admonishments of leaders (unit, post and department subjects) — not of an enterprise's
    # hazard manager, whose admonishment does not judge the government's leadership.
    for cid, unit in session.execute(
        select(Case.id, Case.unit_code).where(
            Case.kind == "admonishment",
            Case.state.in_(("approved", "closed")),
            Case.subject_kind.in_(("unit", "post", "department")),
            Case.period_start.between(first, last),
        )
    ):
        if unit:
            flags[unit]["admonishments"].append(str(cid))
    out = []
    for u in session.scalars(select(Unit).order_by(Unit.code)):
        f = flags.get(u.code, {"major_accidents": [], "admonishments": []})
        reasons = []
        if f["major_accidents"]:
            reasons.append(f"major+ accident: {';'.join(f['major_accidents'])}")
        if f["admonishments"]:
            reasons.append(f"approved admonishment: case {';'.join(f['admonishments'])}")
        out.append({"year": year, "unit_code": u.code, "name": u.name, "level": u.level, "flagged": bool(reasons), "major_accidents": ";".join(f["major_accidents"]), "admonishments": ";".join(f["admonishments"]), "reason": "; ".join(reasons)})
    return out
