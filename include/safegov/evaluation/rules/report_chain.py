"""The ``report_chain`` rule (ACCIDENT-REPORT-CHAIN, 〔十五〕 and Decree 493 art. 10–11): one
verdict per accident — did its report travel the chain in time (事故信息逐级上报、归口直报)?

The hops an accident needs (``accident_report`` records: reporter → reported_to at
reported_at; a party is a unit's safety office by the unit's code, or a department by its id,
standing for its unit):

- **county → league/city**, every grade (Decree 493 art. 10 (三): 一般事故上报至设区的市级),
  within ``forward_within_hours`` of the county learning of it (the accident's
  ``reported_at``: the first report to the county-level department);
- **league/city → region** for a ``larger`` or worse accident by its figures (art. 10 (二):
  较大事故逐级上报至省级), within ``forward_within_hours`` of the league's hop; a county's
  report straight to the region (越级上报) by then serves. Not judged when the league was never
  told (its clock never started: the county's missing hop is the violation);
- **county → region directly** for a 较大涉险 event (``near_miss_larger``, 〔十五〕 第一时间上报
  自治区政府和自治区安委办), within ``direct_within_hours`` (policy);
- **a department tells its own safety office at the same time** (〔十五〕 有关部门在向同级政府和
  上级主管部门报告事故信息的同时,必须向同级安委办报告): a department that reported the accident
  anywhere else reports it to its unit's code within ``simultaneous_within_minutes`` (policy)
  of its first such report.

Reasons: ``omitted`` (漏报: the accident became known from another source — ``known_from``
not blank nor ``unit`` — and no party of its county ever reported it; the county's hops are
then not judged separately), ``forward_missing``, ``direct_missing``, ``office_not_told``
(missed); ``forward_late``, ``direct_late``, ``not_simultaneous`` (met_late: the hop was made,
late). Exactly the limit is on time. A missing hop whose deadline is still ahead at the
evaluation moment keeps the accident pending. Accidents outside the regulation's
``valid_from``..``valid_to`` are exempt (``not_in_force``).

The verdicts are computed in Python per accident (a few hops each) into a temporary table and
compared with the stored rows in SQL (``changed_only``), like every rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Column, MetaData, Table, select
from sqlalchemy.orm import Session

from safegov.core.grades import grade_of
from safegov.core.periods import TZ, local_date, to_local
from safegov.db.models import Accident, AccidentReport, Department, Evaluation
from safegov.evaluation.queries import OUT_COLUMNS, changed_only, fill_temp, months_between
from safegov.evaluation.rules.base import Plan, RuleKind, RuleRun
from safegov.org.units import is_unit_code, unit_at_level
from safegov.register.obligations import Obligation

# Grades that go on from the league/city to the region (Decree 493 art. 10 (一)(二)).
TO_REGION_GRADES = frozenset({"larger", "major", "especially_major"})
MISSED_REASONS = ("omitted", "forward_missing", "direct_missing", "office_not_told")
LATE_REASONS = ("forward_late", "direct_late", "not_simultaneous")
REASONS = MISSED_REASONS + LATE_REASONS

CHAIN_TABLE = Table(
    "safegov_tmp_report_chain",
    MetaData(),
    *(Column(name, Evaluation.__table__.c[name].type) for name in OUT_COLUMNS),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class Hop:
    """One ``accident_report`` record: ``reporter`` told ``reported_to`` at ``reported_at``."""

    reporter: str
    reported_to: str
    reported_at: dt.datetime


@dataclass(frozen=True)
class ChainParams:
    forward_within_hours: float
    direct_within_hours: float
    simultaneous_within_minutes: float

    @classmethod
    def of(cls, ob: Obligation) -> ChainParams:
        p = ob.params
        return cls(
            float(p["forward_within_hours"]), float(p["direct_within_hours"]), float(p["simultaneous_within_minutes"])
        )


@dataclass
class ChainVerdict:
    status: str  # met, met_late, missed, pending
    reasons: list[str] = field(default_factory=list)
    made: int = 0  # required hops made (in time or late)
    required: int = 0
    due_at: dt.datetime | None = None  # the latest deadline among the required hops
    evidence: list[str] = field(default_factory=list)  # "reporter>reported_to" of the hops used


def is_omitted(county: str, known_from: str | None, hops: Iterable[Hop], unit_of: Callable[[str], str | None]) -> bool:
    """漏报 〔十五〕: known from another source than its county's own report, and no party of
    the county (its safety office or one of its departments) ever reported it."""
    if known_from in (None, "", "unit"):
        return False
    return not any(unit_of(h.reporter) == county for h in hops)


def judge_chain(
    *,
    county: str,
    grade: str,
    county_learned_at: dt.datetime,
    known_from: str | None,
    near_miss_larger: bool,
    hops: list[Hop],
    unit_of: Callable[[str], str | None],
    params: ChainParams,
    as_of: dt.datetime,
) -> ChainVerdict:
    """The verdict of one accident's chain (see the module docstring); pure."""
    v = ChainVerdict("met")
    deadlines: list[dt.datetime] = []
    open_hops = False

    def first(sender: str, receiver: str) -> Hop | None:
        found = [h for h in hops if unit_of(h.reporter) == sender and unit_of(h.reported_to) == receiver]
        return min(found, key=lambda h: h.reported_at) if found else None

    def judge(hop: Hop | None, deadline: dt.datetime, late: str, missing: str) -> None:
        nonlocal open_hops
        v.required += 1
        deadlines.append(deadline)
        if hop is None:
            if as_of < deadline:
                open_hops = True
            else:
                v.reasons.append(missing)
            return
        v.made += 1
        v.evidence.append(f"{hop.reporter}>{hop.reported_to}")
        if hop.reported_at > deadline:  # exactly the limit is on time
            v.reasons.append(late)

    forward = dt.timedelta(hours=params.forward_within_hours)
    # The county's league/city and the region, from the code (GB/T 2260).
    league, region = unit_at_level(county, "league"), unit_at_level(county, "region") or ""
    omitted = is_omitted(county, known_from, hops, unit_of)
    if omitted:
        v.reasons.append("omitted")
    elif league is not None and league != county:
        to_league = first(county, league)
        judge(to_league, county_learned_at + forward, "forward_late", "forward_missing")
        if grade in TO_REGION_GRADES and to_league is not None:
            by = to_league.reported_at + forward
            to_region = first(league, region)
            direct = first(county, region)
            if (
                direct is not None
                and direct.reported_at <= by
                and (to_region is None or direct.reported_at < to_region.reported_at)
            ):
                to_region = direct  # 越级上报: the region knew in time
            judge(to_region, by, "forward_late", "forward_missing")
    if near_miss_larger and not omitted:
        direct = first(county, region)
        judge(
            direct, county_learned_at + dt.timedelta(hours=params.direct_within_hours), "direct_late", "direct_missing"
        )

    # 〔十五〕 同时: each department that reported it elsewhere tells its own safety office too.
    simultaneous = dt.timedelta(minutes=params.simultaneous_within_minutes)
    for dept in sorted({h.reporter for h in hops if not is_unit_code(h.reporter)}):
        own = unit_of(dept)
        if own is None:
            continue
        elsewhere = [h for h in hops if h.reporter == dept and h.reported_to != own]
        if not elsewhere:
            continue
        told = [h for h in hops if h.reporter == dept and h.reported_to == own]
        start = min(h.reported_at for h in elsewhere)
        judge(
            min(told, key=lambda h: h.reported_at) if told else None,
            start + simultaneous,
            "not_simultaneous",
            "office_not_told",
        )

    v.reasons = [r for r in REASONS if r in v.reasons]
    v.due_at = max(deadlines) if deadlines else None
    if any(r in MISSED_REASONS for r in v.reasons):
        v.status = "missed"
    elif open_hops:
        v.status, v.reasons = "pending", []
    elif v.reasons:
        v.status = "met_late"
    return v


def party_units(session: Session) -> Callable[[str], str | None]:
    """A party → its unit: a unit code itself, a department its unit (None when unknown)."""
    departments = dict(session.execute(select(Department.department_id, Department.unit_code)).all())

    def unit_of(party: str) -> str | None:
        return party if is_unit_code(party) else departments.get(party)

    return unit_of


def hops_of(session: Session, accident_ids: list[str]) -> dict[str, list[Hop]]:
    """accident_id → its ``accident_report`` hops."""
    out: dict[str, list[Hop]] = {}
    for chunk in (accident_ids[i : i + 500] for i in range(0, len(accident_ids), 500)):
        for r in session.scalars(select(AccidentReport).where(AccidentReport.accident_id.in_(chunk))):
            out.setdefault(r.accident_id, []).append(Hop(r.reporter, r.reported_to, r.reported_at))
    return out


def chain_rows(run: RuleRun) -> list[dict]:
    """The verdict row of every accident of the run's months (of the touched units, when a
    late record re-evaluates them)."""
    ob, session = run.ob, run.session
    stmt = select(Accident)
    if run.first_day is not None:
        stmt = stmt.where(Accident.occurred_at >= dt.datetime.combine(run.first_day, dt.time(), TZ))
    if run.last_day is not None:
        stmt = stmt.where(
            Accident.occurred_at < dt.datetime.combine(run.last_day + dt.timedelta(days=1), dt.time(), TZ)
        )
    if run.event_filter is not None:
        stmt = stmt.where(Accident.unit_code.in_(run.event_filter))
    accidents = list(session.scalars(stmt))
    hops = hops_of(session, [a.accident_id for a in accidents])
    unit_of = party_units(session)
    params = ChainParams.of(ob)
    rows = []
    for a in accidents:
        day = local_date(a.occurred_at)
        row = {
            "subject_id": a.accident_id,
            "period": f"{day:%Y-%m}",
            "unit_code": a.unit_code,
            "responsible": None,
        }
        if (ob.valid_from and day < ob.valid_from) or (ob.valid_to and day > ob.valid_to):
            rows.append(row | _verdict("exempt", 0, 0, day, "not_in_force", None))
            continue
        v = judge_chain(
            county=a.unit_code,
            grade=grade_of(a.deaths, a.serious_injuries, float(a.direct_loss_10k_cny)),
            county_learned_at=a.reported_at,
            known_from=a.known_from,
            near_miss_larger=bool(a.near_miss_larger),
            hops=hops.get(a.accident_id, []),
            unit_of=unit_of,
            params=params,
            as_of=run.as_of,
        )
        due = to_local(v.due_at).date() if v.due_at else day
        rows.append(
            row | _verdict(v.status, v.made, v.required, due, ",".join(v.reasons) or None, ";".join(v.evidence) or None)
        )
    return rows


def _verdict(status: str, counted: int, required: int, due: dt.date, reason: str | None, evidence: str | None) -> dict:
    return {
        "status": status,
        "counted": counted,
        "required": required,
        "due_on": due,
        "grace_ends_on": due,
        "reason": reason,
        "evidence": evidence,
    }


def plan(run: RuleRun) -> Plan:
    """The accidents that occurred in the run's months, judged into ``CHAIN_TABLE``."""
    fill_temp(run.session.connection(), CHAIN_TABLE, chain_rows(run))
    computed = select(*[CHAIN_TABLE.c[c] for c in OUT_COLUMNS])
    return Plan(changed_only(run.ob, computed, months_between(run.first_day, run.last_day)), temp_tables=(CHAIN_TABLE,))


RULE = RuleKind("report_chain", plan, event=True, event_filter_column="unit_code")
