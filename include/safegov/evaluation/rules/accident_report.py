"""The ``accident_report`` rule (ACCIDENT-REPORT-TIMELY, 〔十五〕): one verdict per accident —
reported in time, graded by its figures (Decree 493), not concealed."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import String, and_, case, func, literal, or_, select

from safegov.core.grades import grade_case, rank_case
from safegov.core.periods import TZ
from safegov.db.models import Accident, RecordVersion, UTCDateTime
from safegov.evaluation.queries import changed_only, months_between
from safegov.evaluation.rules.base import Plan, RuleKind, RuleRun
from safegov.evaluation.sqlfn import int_literal, local_date, local_month, seconds_between, text_literal, typed_null
from safegov.register.obligations import Obligation

ACCIDENT_REASONS = ("late_report", "under_graded", "grade_not_declared", "concealed")


def reported_figures(a):
    """SQL: (deaths, serious injuries, loss) the report carried when it was made — the
    accident's version current at ``reported_at`` (the latest received by then, else the
    first), the current figures for an accident without history. The set-based form of
    ``safegov.accountability.accidents.figures_as_reported``: a derived table of the chosen
    version per accident, outer-joined twice (SQLite allows no outer reference in a
    correlated subquery's ORDER BY, so a MAX/MIN picks the version)."""
    rv = RecordVersion.__table__
    chosen = (
        select(
            a.c.accident_id.label("accident_id"),
            func.coalesce(
                func.max(case((rv.c.received_at <= a.c.reported_at, rv.c.version))), func.min(rv.c.version)
            ).label("version"),
        )
        .join(rv, and_(rv.c.record_type == literal("accident", String()), rv.c.natural_key == a.c.accident_id))
        .group_by(a.c.accident_id)
        .subquery("reported_version")
    )
    then = rv.alias("reported")
    joined = a.outerjoin(chosen, chosen.c.accident_id == a.c.accident_id).outerjoin(
        then,
        and_(
            then.c.record_type == literal("accident", String()),
            then.c.natural_key == chosen.c.accident_id,
            then.c.version == chosen.c.version,
        ),
    )
    values = then.c["values"]
    figures = (
        func.coalesce(values["deaths"].as_integer(), a.c.deaths),
        func.coalesce(values["serious_injuries"].as_integer(), a.c.serious_injuries),
        func.coalesce(values["direct_loss_10k_cny"].as_float(), a.c.direct_loss_10k_cny),
    )
    return joined, figures


def accident_query(ob: Obligation, *, lo: dt.datetime | None, hi: dt.datetime | None, unit_codes=None):
    """ACCIDENT-REPORT-TIMELY: one row per accident; period = month of occurred_at in
    Asia/Shanghai. Missed with every reason that applies, joined by ',':
    ``late_report`` (reported more than the allowed hours after the unit's principal learned
    of it — ``known_at``, blank: when it occurred (Decree 493 art. 9); exactly one hour is on
    time), ``under_graded`` (declared grade below the Decree 493 grade of the figures the
    report carried when it was made: ``reported_figures``; a later 补报 does not count),
    ``grade_not_declared`` (no declared grade: the report must state one), ``concealed``.
    Met otherwise; never pending. The same facts as the REPORTING-VIOLATION rule
    (``safegov.accountability.accidents.accident_facts``)."""
    a = Accident.__table__
    hours = float(ob.params.get("report_within_hours", 1))
    late = seconds_between(func.coalesce(a.c.known_at, a.c.occurred_at), a.c.reported_at) > hours * 3600
    joined, figures = reported_figures(a)
    graded = grade_case(*figures)
    undeclared = or_(a.c.declared_grade.is_(None), a.c.declared_grade == "")
    under = and_(~undeclared, rank_case(graded) > rank_case(a.c.declared_grade))
    concealed = a.c.concealed == True  # noqa: E712
    flags = [late, under, undeclared, concealed]
    whens = []
    for size in range(len(flags), 0, -1):
        for combo in itertools.combinations(range(len(flags)), size):
            whens.append((and_(*[flags[i] for i in combo]), text_literal(",".join(ACCIDENT_REASONS[i] for i in combo))))
    reason = case(*whens, else_=typed_null(String))
    inner = select(
        a.c.accident_id.label("subject_id"),
        local_month(a.c.occurred_at).label("period"),
        reason.label("reason"),
        local_date(a.c.occurred_at).label("due_on"),
        a.c.unit_code.label("unit_code"),
    ).select_from(joined)
    if lo is not None:
        inner = inner.where(a.c.occurred_at >= literal(lo, UTCDateTime()))
    if hi is not None:
        inner = inner.where(a.c.occurred_at < literal(hi, UTCDateTime()))
    if unit_codes is not None:
        inner = inner.where(a.c.unit_code.in_(unit_codes))
    X = inner.subquery("acc")
    stmt = select(
        X.c.subject_id,
        X.c.period,
        case((X.c.reason.is_(None), text_literal("met")), else_=text_literal("missed")).label("status"),
        int_literal(1).label("counted"),
        int_literal(1).label("required"),
        X.c.due_on,
        X.c.due_on.label("grace_ends_on"),
        X.c.reason,
        X.c.subject_id.label("evidence"),
        typed_null(String).label("responsible"),
        X.c.unit_code,
    )
    last = hi - dt.timedelta(days=1) if hi is not None else None  # hi is exclusive: the next day's midnight
    return changed_only(ob, stmt, months_between(lo and lo.date(), last and last.date()))


def plan(run: RuleRun) -> Plan:
    """The accidents that occurred in the run's months (local days; all without periods), of
    the touched units when a late record re-evaluates them."""
    lo, hi = run.first_day, run.last_day
    lo_at = dt.datetime.combine(lo, dt.time(), TZ) if lo else None
    hi_at = dt.datetime.combine(hi + dt.timedelta(days=1), dt.time(), TZ) if hi else None
    return Plan(accident_query(run.ob, lo=lo_at, hi=hi_at, unit_codes=run.event_filter))


RULE = RuleKind("accident_report", plan, event=True, event_filter_column="unit_code")
