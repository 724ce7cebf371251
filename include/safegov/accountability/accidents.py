"""Accident rules 〔十五〕〔十七〕, one handler per rule id, judged one accident at a time.

- ``DUAL-INTERVIEW-COUNTY``: a ``larger`` (较大) accident in a county → 双约谈 (dual interview)
  of the county's party secretary and government head by the region safety committee.
- ``DUAL-INTERVIEW-LEAGUE``: a ``major``+ accident in a league/city, or a second ``larger``
  one there within 6 months → 双约谈 of the league/city's party secretary and government head
  by the region safety committee with the discipline commission and organisation department.
  "Within 6 months" = both accidents ``larger`` by their figures, same league/city, second
  day ≤ first day + 6 calendar months (inclusive; a day missing in the target month becomes
  its last day). A major+ accident gives the league rule only.
- ``REPORTING-VIOLATION``: late = reported_at − known_at (when the unit's principal learned
  of it; blank: occurred_at, Decree 493 art. 9) > the register's ``report_within_hours``
  (exactly 1 h is on time); under-graded (谎报) = declared grade below the grade of the
  figures the report carried when it was made (``figures_as_reported``: the record's version
  current at ``reported_at``) — deaths that rise in the 30-day 补报 of Decree 493 art. 13 do
  not make a truthful report false; grade_not_declared = no declared grade; concealed;
  omitted (漏报) = known from another source (``known_from``: a department's report, a 12350
  ticket, a later bulletin, the media) and never reported by any party of its county (its
  ``accident_report`` hops; ``safegov.evaluation.rules.report_chain.is_omitted``).
  Subject: the enterprise when the accident names one, else its county; no person named, so
  no approval. Decided by the safety office of the level the accident's grade gives (分级管理,
  the rule's ``deciding_level``: county for 一般, league/city for 较大, region for 重大+).

Grades come from the figures (SPEC §8, ``safegov.core.grades``), not from the declared grade;
an accident's day is its local (Asia/Shanghai) date. The grades, levels, posts, window and
deadline are the rules' parameters in the register; the persons named are the holders of
the posts on the accident's day (``safegov.org.directory``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.accountability.cases import REGION, CaseSpec
from safegov.accountability.rules import Rule, RuleRun, declared, register_rule
from safegov.core.grades import GRADE_NAMES, GRADE_RANK, grade_of
from safegov.core.periods import TZ, add_months, local_date, to_local
from safegov.db.models import Accident, RecordVersion
from safegov.evaluation.rules.report_chain import hops_of, is_omitted, party_units
from safegov.org.units import is_unit_code, unit_at_level
from safegov.register.obligations import AccountabilityRule, DualInterviewRule, ReportingViolationRule

log = logging.getLogger(__name__)

DUAL_INTERVIEW_COUNTY = "DUAL-INTERVIEW-COUNTY"
DUAL_INTERVIEW_LEAGUE = "DUAL-INTERVIEW-LEAGUE"
REPORTING_VIOLATION = "REPORTING-VIOLATION"


def accident_grade(a: Accident) -> str:
    """The grade the accident's figures give (Decree 493 art. 3)."""
    return grade_of(a.deaths, a.serious_injuries, float(a.direct_loss_10k_cny))


Figures = tuple[int, int, float]  # deaths, serious injuries, direct loss (万元)


def figures_as_reported(session: Session, accidents: list[Accident]) -> dict[str, Figures]:
    """accident_id → the figures its report carried when it was made (Decree 493 art. 9, 13).

    The version of the record current at ``reported_at`` (``record_version``): the latest
    received at or before it; when none was, the first version. Ingestion accepts no row
    dated after its received time, so the first version is normally the report as made and
    later versions are its 补报 supplements. An accident without history (loaded outside
    ingestion) carries its current figures.
    """
    out: dict[str, Figures] = {
        a.accident_id: (a.deaths, a.serious_injuries, float(a.direct_loss_10k_cny)) for a in accidents
    }
    reported = {a.accident_id: a.reported_at for a in accidents}
    versions: dict[str, list[RecordVersion]] = {}
    keys = sorted(reported)
    for chunk in (keys[i : i + 500] for i in range(0, len(keys), 500)):
        for v in session.scalars(
            select(RecordVersion)
            .where(RecordVersion.record_type == "accident", RecordVersion.natural_key.in_(chunk))
            .order_by(RecordVersion.version)
        ):
            versions.setdefault(v.natural_key, []).append(v)
    for key, history in versions.items():
        then = [v for v in history if v.received_at <= reported[key]]
        values = (then[-1] if then else history[0]).values
        out[key] = (int(values["deaths"]), int(values["serious_injuries"]), float(values["direct_loss_10k_cny"]))
    return out


def accident_facts(
    a: Accident, *, within_hours: float | None = None, reported: Figures | None = None, omitted: bool = False
) -> dict[str, Any]:
    """Computed grade and reporting violations of one accident (〔十五〕, Decree 493).

    ``violations`` lists ``late`` (only judged when ``within_hours`` is given: reported more
    than that many hours after the principal learned of it, ``known_at``, or after it occurred
    when that is blank), ``under_graded`` (the declared grade is below the grade of
    ``reported``, the figures the report carried — ``figures_as_reported`` — or of the
    current figures when not given), ``grade_not_declared`` and ``concealed`` — the reasons of
    the ACCIDENT-REPORT-TIMELY evaluation (``late_report`` there) — and ``omitted`` (漏报) when
    the caller found it so (``AccidentScan.omitted``; ACCIDENT-REPORT-CHAIN's reason).
    """
    grade = accident_grade(a)
    reported_grade = grade_of(*reported) if reported is not None else grade
    delay = to_local(a.reported_at) - to_local(a.known_at or a.occurred_at)
    violations = []
    if within_hours is not None and delay > dt.timedelta(hours=within_hours):  # exactly 1 h is on time
        violations.append("late")
    if a.declared_grade and GRADE_RANK.get(a.declared_grade, 0) < GRADE_RANK[reported_grade]:
        violations.append("under_graded")
    if not a.declared_grade:
        violations.append("grade_not_declared")
    if a.concealed:
        violations.append("concealed")
    if omitted:
        violations.append("omitted")
    return {
        "grade": grade,
        "reported_grade": reported_grade,
        "violations": violations,
        "delay_minutes": round(delay.total_seconds() / 60, 1),
        "day": local_date(a.occurred_at),
    }


def accidents_between(session: Session, first: dt.date, last: dt.date) -> list[Accident]:
    """Accidents whose local day lies in [first, last], in the order they occurred."""
    start = dt.datetime.combine(first, dt.time(), TZ)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), TZ)
    q = select(Accident).where(Accident.occurred_at >= start, Accident.occurred_at < end)
    return list(session.scalars(q.order_by(Accident.occurred_at, Accident.accident_id)))


class AccidentScan:
    """The accidents one run judges — those whose day lies in [lo, hi] — and, for the rules
    that look back (a repeated accident), the earlier ones within the longest window."""

    def __init__(self, run: RuleRun, rules: list[tuple[Rule, AccountabilityRule]]):
        self.run = run
        back = max(
            (e.params.repeat.within_months for _r, e in rules if isinstance(e, DualInterviewRule) and e.params.repeat),
            default=0,
        )
        loaded = accidents_between(run.session, add_months(run.lo, -back) - dt.timedelta(days=1), run.hi)
        bad = [a.accident_id for a in loaded if not is_unit_code(a.unit_code)]
        if bad:
            log.warning("accidents %s have no valid unit code: no accident rule judges them", bad)
        self.accidents = [a for a in loaded if is_unit_code(a.unit_code)]
        self._position = {a.accident_id: i for i, a in enumerate(self.accidents)}
        self._grade = {a.accident_id: accident_grade(a) for a in self.accidents}
        self._day = {a.accident_id: local_date(a.occurred_at) for a in self.accidents}
        self._index: dict[tuple[str, str], dict[str, list[Accident]]] = {}
        self._reported: dict[str, Figures] | None = None
        self._omitted: set[str] | None = None

    def reported(self, a: Accident) -> Figures:
        """The figures ``a``'s report carried when it was made (``figures_as_reported``),
        read for the run's accidents at the first call."""
        if self._reported is None:
            self._reported = figures_as_reported(self.run.session, self.in_range())
        return self._reported[a.accident_id]

    def omitted(self, a: Accident) -> bool:
        """漏报 〔十五〕: known from another source and never reported by its county (the run's
        accidents' hops read at the first call)."""
        if self._omitted is None:
            accidents = self.in_range()
            hops = hops_of(self.run.session, [b.accident_id for b in accidents])
            unit_of = party_units(self.run.session)
            self._omitted = {
                b.accident_id
                for b in accidents
                if is_omitted(b.unit_code, b.known_from, hops.get(b.accident_id, []), unit_of)
            }
        return a.accident_id in self._omitted

    def in_range(self) -> list[Accident]:
        return [a for a in self.accidents if self.run.lo <= self.day(a) <= self.run.hi]

    def grade(self, a: Accident) -> str:
        return self._grade[a.accident_id]

    def day(self, a: Accident) -> dt.date:
        return self._day[a.accident_id]

    def earlier(self, a: Accident, grade: str, level: str) -> list[Accident]:
        """The accidents of ``grade`` before ``a`` (in order) in ``a``'s unit of ``level``."""
        unit = unit_at_level(a.unit_code, level)
        if unit is None:
            return []
        if (grade, level) not in self._index:
            index: dict[str, list[Accident]] = {}
            for b in self.accidents:
                u = unit_at_level(b.unit_code, level)
                if u is not None and self.grade(b) == grade:
                    index.setdefault(u, []).append(b)
            self._index[(grade, level)] = index
        pos = self._position[a.accident_id]
        return [b for b in self._index[(grade, level)].get(unit, ()) if self._position[b.accident_id] < pos]

    def holders(self, unit: str, roles: tuple[str, ...], day: dt.date) -> list[str]:
        """The leader ids holding ``unit``'s posts ``roles`` on ``day`` (vacant posts left out)."""
        found = (self.run.directory.holder(unit, role, day) for role in roles)
        return [t.leader_id for t in found if t]

    def base(self, a: Accident) -> dict[str, Any]:
        """The facts every accident case carries in its details."""
        return {
            "accident_id": a.accident_id,
            "grade": self.grade(a),
            "deaths": a.deaths,
            "serious_injuries": a.serious_injuries,
            "direct_loss_10k_cny": float(a.direct_loss_10k_cny),
            "occurred_on": self.day(a).isoformat(),
        }


def accident_specs(run: RuleRun) -> list[CaseSpec]:
    """The cases the register's accident rules justify for the accidents of the run's range:
    accident by accident, each rule in the register's order, in the version in force on the
    accident's day."""
    rules = declared(run.register, "accident")
    scan = AccidentScan(run, rules)
    return [
        _based(spec, entry)
        for a in scan.in_range()
        for rule, entry in rules
        # Each accident is judged by the version of the rule in force on its day.
        if run.register.rule_in_force(entry.id, scan.day(a)) is entry
        for spec in rule.handler(scan, a, entry)
    ]


def _based(spec: CaseSpec, entry: AccountabilityRule) -> CaseSpec:
    """The spec with the version it rests on (``legal_basis``: ``rule_id@valid_from``)."""
    spec.details["legal_basis"] = entry.legal_basis
    return spec


def _dual_interview(
    scan: AccidentScan, a: Accident, entry: DualInterviewRule, unit: str, why: str, **details: Any
) -> CaseSpec:
    day, p = scan.day(a), entry.params
    return CaseSpec(
        "dual_interview",
        entry.id,
        "unit",
        unit,
        a.accident_id,
        "dual_interview",
        day,
        unit,
        REGION,
        scan.holders(unit, p.roles, day),
        scan.base(a) | {"why": why, **details, "by": list(p.by)},
    )


@register_rule(DUAL_INTERVIEW_COUNTY, subject="accident")
def dual_interview_county(scan: AccidentScan, a: Accident, entry: DualInterviewRule) -> list[CaseSpec]:
    """A ``larger`` accident in a county: 双约谈 of the county's leaders 〔十七〕."""
    grade, p = scan.grade(a), entry.params
    unit = unit_at_level(a.unit_code, p.level)
    if unit is None or grade not in p.grades:
        return []
    return [_dual_interview(scan, a, entry, unit, f"a {grade} ({GRADE_NAMES[grade]}) accident in the county")]


@register_rule(DUAL_INTERVIEW_LEAGUE, subject="accident")
def dual_interview_league(scan: AccidentScan, a: Accident, entry: DualInterviewRule) -> list[CaseSpec]:
    """A ``major``+ accident in a league/city, or a second ``larger`` one there within 6
    months: 双约谈 of the league/city's leaders 〔十七〕."""
    grade, p = scan.grade(a), entry.params
    unit = unit_at_level(a.unit_code, p.level)
    if unit is None:
        return []
    prior = None
    if p.repeat and grade == p.repeat.grade:
        # This accident's day ≤ an earlier one's day + the window (a missing day becomes the
        # month's last), inclusive; the earliest such accident is named.
        day, months = scan.day(a), p.repeat.within_months
        prior = next((b for b in scan.earlier(a, grade, p.level) if day <= add_months(scan.day(b), months)), None)
    if grade not in p.grades and prior is None:
        return []
    if prior is None:
        return [_dual_interview(scan, a, entry, unit, f"a {grade} accident in the league/city", prior_accident=None)]
    why = f"a second {grade} accident within {p.repeat.within_months} months of {prior.accident_id}"  # type: ignore[union-attr]
    return [_dual_interview(scan, a, entry, unit, why, prior_accident=prior.accident_id)]


@register_rule(REPORTING_VIOLATION, subject="accident")
def reporting_violation(scan: AccidentScan, a: Accident, entry: ReportingViolationRule) -> list[CaseSpec]:
    """An accident reported late, under-graded, concealed or omitted 〔十五〕: a case against the
    enterprise named in the report, else the county, decided by the level its grade gives.
    An accident only omitted (漏报) is the county's: its office never reported it."""
    f = accident_facts(
        a,
        within_hours=scan.run.register.report_within_hours(entry),
        reported=scan.reported(a),
        omitted=scan.omitted(a),
    )
    if not f["violations"]:
        return []
    only_omitted = f["violations"] == ["omitted"]
    kind, sid = ("enterprise", a.enterprise_id) if a.enterprise_id and not only_omitted else ("unit", a.unit_code)
    level = entry.params.deciding_level[f["grade"]]
    # An accident recorded above that level (a league's own) is decided by its own unit.
    deciding = unit_at_level(a.unit_code, level) or a.unit_code
    details = {
        "why": ", ".join(f["violations"]),
        "violations": f["violations"],
        "declared_grade": a.declared_grade,
        "reported_grade": f["reported_grade"],
        "reported_figures": list(scan.reported(a)),
        "deciding_level": level,
        "known_at": to_local(a.known_at).isoformat() if a.known_at else None,
        "delay_minutes": f["delay_minutes"],
        "enterprise_id": a.enterprise_id,
    }
    return [
        CaseSpec(
            "reporting_violation",
            entry.id,
            kind,
            sid,
            a.accident_id,
            "reporting_violation",
            scan.day(a),
            a.unit_code,
            deciding,
            [],
            scan.base(a) | details,
        )
    ]
