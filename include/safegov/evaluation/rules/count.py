"""The ``count`` rule: a quota of records per subject and period (SPEC §5), and the statement
the ``milestone`` rule shares.

One statement per obligation and run: *subjects* × *periods* LEFT JOIN *aggregated
evidence* (GROUP BY subject, period) LEFT JOIN *aggregated quarantined rows*, then a CASE
decides the status, reason and deciding evidence. The periods of the run live in the
temporary ``PERIOD_TABLE``, filled here from Python with the official calendar (grace ends
on working days, 调休 included), so the SQL never needs a holiday calendar.

Choices where the spec is silent:

- **Enterprises in scope** (〔四〕 duties): an enterprise owes a period only if it existed
  on every day of it — ``registered_on ≤ first day`` and ``closed_on`` empty or ``≥ last
  day``. A partial period (registered or closed inside it) is ``exempt`` with reason
  ``registered_in_period`` / ``closed_in_period``; wholly outside → ``not_registered`` /
  ``closed``. The decision does not pro-rate a monthly duty, so the first and the last
  partial periods are not owed.
- **pending** is literal SPEC §5: while the period is open or its grace runs (as of the
  evaluation moment), the row is ``pending`` with the records counted so far. When the
  grace end falls in a year the working-day calendar does not cover yet, the row stays
  ``pending`` with reason ``calendar_unknown`` (whatever the moment) until the year is entered.
- **Quality conditions**: a record of the right kind that fails a counting condition of
  the decision (hazard self-inspection not archived, not led by the legal representative or
  actual controller; a required column empty) is not counted; when only such records exist
  the miss reason names the failed condition(s): ``not_archived``,
  ``not_led_by_responsible_person``, ``not_<column>`` (e.g. ``not_published``).
- **evidence_rejected**: no accepted record, but quarantined raw rows whose hint columns
  (unit_code / enterprise_id / leader_id, record_date) place them on this subject and period.
  The hints carry no body/milestone value, so the attribution is by record type only.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, String, and_, bindparam, case, cast, func, not_, or_, select, true
from sqlalchemy.sql import ColumnElement

from safegov.core.periods import (
    PERIODIC,
    Cadence,
    CalendarRangeError,
    Period,
    grace_ends_at,
    grace_ends_on,
)
from safegov.db.models import RECORD_MODELS, Enterprise, Evaluation, Leader, RawRow
from safegov.evaluation.queries import (
    DAY_TABLE,
    PERIOD_TABLE,
    changed_only,
    fill_temp,
    holder_role_for_unit,
    holders,
    subjects,
)
from safegov.evaluation.rules.base import Plan, RuleKind, RuleRun
from safegov.evaluation.sqlfn import int_literal, ordered_concat, text_literal, typed_null
from safegov.org.directory import in_office
from safegov.register.obligations import Obligation
from safegov.register.records import FIRST_RESPONSIBLE_ROLES

# `where` columns that are quality conditions (the record is of the right kind but does not
# count) rather than identity filters (the record is of another kind): reason per column.
QUALITY_WHERE = {("hazard_inspection", "archived"): "not_archived"}
# Amounts that must be above zero for the record to count (〔十〕 a safety-cost report that
# extracted nothing is no extraction): reason per column.
QUALITY_POSITIVE = {("safety_cost", "extracted_cny"): "nothing_extracted"}


# --------------------------------------------------------------------------- evidence


@dataclass
class EvidenceSpec:
    select: object  # Select with subject_id, edate, eperiod, received_at, rid, ok_<i>
    conditions: list[str]  # reason of each quality condition ok_<i>
    by_period_column: bool  # placed by a period key column (``Evidence.period_column``), not by a date
    by_day: bool  # placed through DAY_TABLE; the select takes the run's dates :ev_lo, :ev_hi


def places_by_day(ob: Obligation) -> bool:
    """Whether ``ob``'s records are placed by their date through ``DAY_TABLE`` (periodic
    obligations; not a bulletin placed by its period column, not a one-off whose single
    period is all time)."""
    return ob.cadence in PERIODIC and ob.evidence.period_column is None


def _leader_join(table, date_col):
    lt = Leader.__table__.alias("author")
    on = and_(lt.c.leader_id == table.c.leader_id, in_office(lt.c, date_col))
    return lt, table.join(lt, on)


def evidence(ob: Obligation) -> EvidenceSpec:
    ev = ob.evidence
    t = RECORD_MODELS[ev.record_type].__table__
    kind = ob.subject.kind
    date_col = t.c[ev.effective_date_column]
    by_period = ev.period_column is not None
    source = t
    filters: list[ColumnElement] = []
    if kind in ("unit",):
        subject_col = t.c.unit_code
    elif kind == "enterprise":
        subject_col = t.c.enterprise_id
    elif kind == "post":
        lt, source = _leader_join(t, date_col)
        subject_col = lt.c.unit_code + text_literal(":") + lt.c.role
        filters.append(lt.c.role.in_(list(ob.subject.roles)))
    elif kind == "department" and "department_id" in t.c:
        # A record that names its department (an enforcement plan 〔八〕) counts for it.
        subject_col = t.c.department_id
        filters.append(t.c.department_id.isnot(None))
    elif kind == "department":
        lt, source = _leader_join(t, date_col)
        subject_col = lt.c.department_id
        filters += [lt.c.role == "department_head", lt.c.department_id.isnot(None)]
    else:
        raise ValueError(f"obligation {ob.id}: subject kind {kind} has no count evidence")

    quality: list[tuple[str, ColumnElement]] = []
    for col, value in ev.where.items():
        cond = t.c[col] == value
        reason = QUALITY_WHERE.get((ev.record_type, col))
        if reason:
            quality.append((reason, cond))
        else:
            filters.append(cond)
    for col in ev.not_null:
        if col == ev.effective_date_column:
            continue  # an empty placing date places the record nowhere
        quality.append((f"not_{col.removesuffix('_on')}", t.c[col].isnot(None)))
    if ev.record_type == "hazard_inspection":
        quality.append(("not_led_by_responsible_person", t.c.led_by_role.in_(FIRST_RESPONSIBLE_ROLES)))
    for (rt, col), reason in QUALITY_POSITIVE.items():
        if rt == ev.record_type:
            quality.append((reason, t.c[col] > 0))

    id_col = t.c.record_id if "record_id" in t.c else next(iter(t.primary_key.columns))
    cols = [
        subject_col.label("subject_id"),
        date_col.label("edate"),
        (t.c[ev.period_column] if by_period else typed_null(String)).label("eperiod"),
        t.c.received_at.label("received_at"),
        id_col.label("rid"),
    ]
    cols += [case((cond, 1), else_=0).label(f"ok_{i}") for i, (_, cond) in enumerate(quality)]
    by_day = places_by_day(ob)
    # The run's dates as a range on the record table, so that one month reads one month
    # through the table's date index instead of every record ever stored.
    if by_day:
        in_run = date_col.between(bindparam("ev_lo", type_=Date), bindparam("ev_hi", type_=Date))
    else:
        in_run = date_col.isnot(None)
    stmt = select(*cols).select_from(source).where(in_run, *filters)
    return EvidenceSpec(stmt, [r for r, _ in quality], by_period, by_day)


def quarantined(ob: Obligation):
    """Quarantined raw rows of the evidence type, attributed by their hint columns."""
    r = RawRow.__table__
    kind = ob.subject.kind
    source = r
    filters = [r.c.record_type == ob.evidence.record_type, r.c.status == "quarantined", r.c.record_date.isnot(None)]
    if kind == "unit":
        subject_col = r.c.unit_code
    elif kind == "enterprise":
        subject_col = r.c.enterprise_id
    elif kind == "department" and "department_id" in RECORD_MODELS[ob.evidence.record_type].__table__.c:
        raw_dept = r.c["values"]["department_id"].as_string()
        subject_col = raw_dept
        filters.append(raw_dept.isnot(None))
    elif kind in ("post", "department"):
        lt = Leader.__table__.alias("qleader")
        source = r.join(lt, lt.c.leader_id == r.c.leader_id)
        if kind == "post":
            subject_col = lt.c.unit_code + text_literal(":") + lt.c.role
            filters.append(lt.c.role.in_(list(ob.subject.roles)))
        else:
            subject_col = lt.c.department_id
            filters += [lt.c.role == "department_head", lt.c.department_id.isnot(None)]
    else:
        return None
    # The hints carry no body or milestone column: read the raw value where it is stored
    # under its canonical name, and drop rows that plainly name another kind.
    for col, value in ob.evidence.where.items():
        raw = r.c["values"][col].as_string()
        if isinstance(value, str):
            filters.append(or_(raw.is_(None), raw == value))
        elif value is None:  # e.g. a unit's own plan: a row naming a department is not one
            filters.append(or_(raw.is_(None), raw == ""))
    return (
        select(
            subject_col.label("subject_id"),
            r.c.record_date.label("edate"),
            (text_literal("raw:") + cast(r.c.id, String)).label("rid"),
        )
        .select_from(source)
        .where(*filters)
    )


# --------------------------------------------------------------------------- statement


def _reason_combos(flags: list[tuple[str, ColumnElement]]):
    """CASE naming every failed condition, joined by ',' in register order."""
    whens = []
    for size in range(len(flags), 0, -1):
        for combo in itertools.combinations(flags, size):
            whens.append((and_(*[f > 0 for _, f in combo]), text_literal(",".join(r for r, _ in combo))))
    return case(*whens, else_=text_literal("below_quota")) if whens else text_literal("below_quota")


_STATEMENTS: dict[tuple[int, str], tuple[Obligation, object]] = {}


# A run over more days than this reads the record table whole on SQLite (see _count_query):
# measured at 25,000 enterprises, ten years of self-inspections read by their date index and
# sorted took 44 s against 19 s read in key order, and one month 0.2 s against 1.0 s.
READ_IN_KEY_ORDER_AFTER_DAYS = 2 * 366


def count_query(ob: Obligation, dialect: str, subject_ids: list[str] | None = None, *, long_run: bool = False):
    """Every subject × period of ``ob`` whose verdict differs from the stored one.

    The statement depends only on the obligation, the dialect and whether the run is long
    (periods and as_of live in the temporary period table), so the full-population statement
    is built once and reused: SQLAlchemy then keeps its cache key and compiled form too.
    """
    if subject_ids is None:
        key = (id(ob), dialect, long_run)
        hit = _STATEMENTS.get(key)
        if hit is not None and hit[0] is ob:
            return hit[1]
        stmt = _count_query(ob, dialect, None, long_run)
        _STATEMENTS[key] = (ob, stmt)
        return stmt
    return _count_query(ob, dialect, subject_ids, long_run)


def _count_query(ob: Obligation, dialect: str, subject_ids: list[str] | None, long_run: bool = False):
    P = PERIOD_TABLE
    spec = evidence(ob)
    E = spec.select.subquery("ev")
    n_cond = len(spec.conditions)
    valid = and_(*[E.c[f"ok_{i}"] == 1 for i in range(n_cond)]) if n_cond else None
    if spec.by_day:
        D = DAY_TABLE
        placed = E.join(D, D.c.day == E.c.edate).join(P, and_(P.c.obligation_id == ob.id, P.c.period == D.c.period))
    else:
        place = (E.c.eperiod == P.c.period) if spec.by_period_column else E.c.edate.between(P.c.p_first, P.c.p_last)
        placed = E.join(P, and_(P.c.obligation_id == ob.id, place))
    on_time = and_(E.c.edate <= P.c.ontime_until, E.c.received_at < P.c.grace_at)
    # A one-off duty is a deadline: what was done by the due date but reported after the
    # grace is late reporting (met_late); what was done after the due date is a miss.
    done_in_time = E.c.edate <= P.c.ontime_until
    if valid is not None:
        on_time = and_(valid, on_time)
        done_in_time = and_(valid, done_in_time)
    once = ob.cadence is Cadence.ONCE
    inner = select(
        E.c.subject_id,
        P.c.period,
        (case((valid, 1), else_=0) if valid is not None else int_literal(1)).label("valid"),
        case((on_time, 1), else_=0).label("on_time"),
        *([case((done_in_time, 1), else_=0).label("in_time")] if once else []),
        (case((valid, E.c.rid)) if valid is not None else E.c.rid).label("rid_valid"),
        case((on_time, E.c.rid)).label("rid_on_time"),
        (case((valid, None), else_=E.c.rid) if valid is not None else typed_null(String)).label("rid_near"),
        *[case((E.c[f"ok_{i}"] == 1, 0), else_=1).label(f"fail_{i}") for i in range(n_cond)],
    ).select_from(placed)
    if subject_ids is not None:
        inner = inner.where(E.c.subject_id.in_(subject_ids))
    if dialect != "postgresql":
        # Feeds group_concat in order. SQLite skips the sort by reading the record table in
        # its (subject, record) key order, every record ever stored: right for a run of years,
        # wrong for a month, whose dates the date index finds. A short run sorts the subject
        # as an expression (``|| ''``), which the key order cannot give.
        subject = E.c.subject_id if long_run else E.c.subject_id.concat(text_literal(""))
        inner = inner.order_by(subject, P.c.period, E.c.rid)
    J = inner.subquery("j")
    A = (
        select(
            J.c.subject_id,
            J.c.period,
            func.sum(J.c.valid).label("n_valid"),
            func.sum(J.c.on_time).label("n_on_time"),
            *([func.sum(J.c.in_time).label("n_in_time")] if once else []),
            (func.count() - func.sum(J.c.valid)).label("n_near"),
            ordered_concat(J.c.rid_valid).label("ids_valid"),
            ordered_concat(J.c.rid_on_time).label("ids_on_time"),
            ordered_concat(J.c.rid_near).label("ids_near"),
            *[func.sum(J.c[f"fail_{i}"]).label(f"fail_{i}") for i in range(n_cond)],
        )
        .group_by(J.c.subject_id, J.c.period)
        .subquery("agg")
    )

    qsel = quarantined(ob)
    Q = None
    if qsel is not None:
        R = qsel.subquery("rq")
        q_last = P.c.grace_on if spec.by_period_column else P.c.p_last
        q_on = and_(
            P.c.obligation_id == ob.id, R.c.edate >= P.c.p_first, R.c.edate <= func.coalesce(q_last, P.c.p_last)
        )
        if subject_ids is not None:
            q_on = and_(q_on, R.c.subject_id.in_(subject_ids))
        qi = select(R.c.subject_id, P.c.period, R.c.rid).select_from(R.join(P, q_on))
        if dialect != "postgresql":
            qi = qi.order_by(R.c.subject_id, P.c.period, R.c.rid)
        QI = qi.subquery("qi")
        Q = (
            select(QI.c.subject_id, QI.c.period, func.count().label("n_rej"), ordered_concat(QI.c.rid).label("ids_rej"))
            .group_by(QI.c.subject_id, QI.c.period)
            .subquery("qagg")
        )

    S = subjects(ob).subquery("s")
    exempt_reason = case(
        (S.c.in_scope == 0, text_literal("no_safety_duty")),
        (and_(S.c.scope_from.isnot(None), S.c.scope_from > P.c.p_last), text_literal("not_registered")),
        (and_(S.c.scope_from.isnot(None), S.c.scope_from > P.c.p_first), text_literal("registered_in_period")),
        (and_(S.c.scope_to.isnot(None), S.c.scope_to < P.c.p_first), text_literal("closed")),
        (and_(S.c.scope_to.isnot(None), S.c.scope_to < P.c.p_last), text_literal("closed_in_period")),
        else_=typed_null(String),
    )
    frm = S.join(P, P.c.obligation_id == ob.id)
    scopes = ob.industry_scopes
    if scopes:
        # 〔十〕 高危行业: out of scope unless the version in force on the due date names the
        # enterprise's industry (an enterprise without one is named by none).
        ent = Enterprise.__table__.alias("scope_ent")
        frm = frm.join(ent, ent.c.enterprise_id == S.c.subject_id)
        industry = func.coalesce(ent.c.industry, text_literal(""))
        named = or_(
            *[
                and_(
                    P.c.due_on >= s.valid_from,
                    P.c.due_on <= s.valid_to if s.valid_to else true(),
                    industry.in_(sorted(s.industries)),
                )
                for s in scopes
            ]
        )
        exempt_reason = case((not_(named), text_literal("not_high_risk")), else_=exempt_reason)
    frm = frm.outerjoin(A, and_(A.c.subject_id == S.c.subject_id, A.c.period == P.c.period))
    if Q is not None:
        frm = frm.outerjoin(Q, and_(Q.c.subject_id == S.c.subject_id, Q.c.period == P.c.period))
    has_holder = not (
        ob.subject.kind == "enterprise" or (ob.subject.kind == "unit" and holder_role_for_unit(ob) is None)
    )
    H = holders(ob, subject_ids) if has_holder else None
    if H is not None:
        frm = frm.outerjoin(H, and_(H.c.subject_id == S.c.subject_id, H.c.period == P.c.period))
    base = select(
        S.c.subject_id,
        S.c.unit_code,
        S.c.holder_unit,
        S.c.holder_role,
        S.c.holder_dept,
        P.c.period,
        P.c.due_on,
        P.c.grace_on,
        P.c.decided,
        exempt_reason.label("exempt_reason"),
        func.coalesce(A.c.n_valid, 0).label("counted"),
        func.coalesce(A.c.n_on_time, 0).label("on_time"),
        (func.coalesce(A.c.n_in_time, 0) if once else func.coalesce(A.c.n_valid, 0)).label("in_time"),
        func.coalesce(A.c.n_near, 0).label("near"),
        A.c.ids_valid,
        A.c.ids_on_time,
        A.c.ids_near,
        *[func.coalesce(A.c[f"fail_{i}"], 0).label(f"fail_{i}") for i in range(n_cond)],
        (func.coalesce(Q.c.n_rej, 0) if Q is not None else int_literal(0)).label("n_rej"),
        (Q.c.ids_rej if Q is not None else typed_null(String)).label("ids_rej"),
        (H.c.responsible if H is not None else typed_null(String)).label("responsible"),
    ).select_from(frm)
    if subject_ids is not None:
        base = base.where(S.c.subject_id.in_(subject_ids))
    B = base.subquery("b")

    quota = ob.quota
    exempt = B.c.exempt_reason.isnot(None)
    pending = B.c.decided == 0
    met = B.c.on_time >= quota
    # Periodic obligations: any counted record makes a late verdict met_late (in_time is
    # counted). One-offs: only records dated by the due date do; the rest is late_completion.
    met_late = B.c.in_time >= quota
    completed_late = B.c.counted >= quota
    status = case(
        (exempt, text_literal("exempt")),
        (pending, text_literal("pending")),
        (met, text_literal("met")),
        (met_late, text_literal("met_late")),
        else_=text_literal("missed"),
    )
    above_max = (
        case(
            (
                B.c.counted > ob.quota_max,
                text_literal("above_quota_max: ") + cast(B.c.counted, String) + text_literal(f" of {ob.quota_max}"),
            ),
            else_=typed_null(String),
        )
        if ob.quota_max is not None
        else typed_null(String)
    )
    near_reason = _reason_combos([(spec.conditions[i], B.c[f"fail_{i}"]) for i in range(n_cond)])
    reason = case(
        (exempt, B.c.exempt_reason),
        (and_(pending, B.c.grace_on.is_(None)), text_literal("calendar_unknown")),
        (pending, typed_null(String)),
        (met, above_max),
        (met_late, text_literal("late_records")),
        (completed_late, text_literal("late_completion")),
        (B.c.counted > 0, text_literal("below_quota: ") + cast(B.c.counted, String) + text_literal(f" of {quota}")),
        (B.c.near > 0, near_reason),
        (B.c.n_rej > 0, text_literal("evidence_rejected")),
        else_=text_literal("no_records"),
    )
    evidence_ids = case(
        (exempt, B.c.ids_valid),
        (pending, B.c.ids_valid),
        (met, B.c.ids_on_time),
        (B.c.counted > 0, B.c.ids_valid),
        (B.c.near > 0, B.c.ids_near),
        (B.c.n_rej > 0, B.c.ids_rej),
        else_=typed_null(String),
    )
    computed = select(
        B.c.subject_id,
        B.c.period,
        status.label("status"),
        B.c.counted.label("counted"),
        int_literal(quota).label("required"),
        B.c.due_on.label("due_on"),
        B.c.grace_on.label("grace_ends_on"),
        reason.label("reason"),
        evidence_ids.label("evidence"),
        B.c.responsible.label("responsible"),
        B.c.unit_code.label("unit_code"),
    )
    run_periods = select(P.c.period).where(P.c.obligation_id == ob.id)
    return changed_only(ob, computed, Evaluation.__table__.c.period.in_(run_periods))


# --------------------------------------------------------------------------- the run


def period_rows(ob: Obligation, periods: Iterable[Period], as_of: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    by_period_column = ob.evidence.period_column is not None
    for p in periods:
        due = ob.due_on if ob.cadence is Cadence.ONCE else p.due_on
        due_period = Period(due, due, Cadence.ONCE, p.key)  # grace counts from the due date
        try:
            g_on = grace_ends_on(due_period, ob.grace_working_days)
            g_at = grace_ends_at(due_period, ob.grace_working_days)
        except CalendarRangeError:
            # The official calendar does not cover the grace days yet: keep it pending.
            g_on, g_at = None, None
        rows.append(
            {
                "obligation_id": ob.id,
                "period": p.key,
                "p_first": p.first,
                "p_last": p.last,
                "due_on": due,
                "grace_on": g_on,
                "grace_at": g_at,
                "ontime_until": (g_on or due) if by_period_column else due,
                "decided": 1 if g_at is not None and as_of >= g_at else 0,
            }
        )
    return rows


def _day_rows(periods: Iterable[Period]) -> list[dict[str, Any]]:
    rows = []
    for p in periods:
        day = p.first
        while day <= p.last:
            rows.append({"day": day, "period": p.key})
            day += dt.timedelta(days=1)
    return rows


def plan(run: RuleRun) -> Plan | None:
    """Fill the run's periods (and, for records placed by date, its days) and build the
    statement; nothing to evaluate without periods."""
    if not run.periods:
        return None
    conn = run.session.connection()
    fill_temp(conn, PERIOD_TABLE, period_rows(run.ob, run.periods, run.as_of))
    temps = [PERIOD_TABLE]
    params: dict[str, Any] = {}
    if places_by_day(run.ob):
        fill_temp(conn, DAY_TABLE, _day_rows(run.periods))
        temps.append(DAY_TABLE)
        params = {"ev_lo": run.first_day, "ev_hi": run.last_day}
    long_run = (run.last_day - run.first_day).days > READ_IN_KEY_ORDER_AFTER_DAYS
    stmt = count_query(run.ob, conn.dialect.name, run.subject_ids, long_run=long_run)
    return Plan(stmt, params, tuple(temps))


RULE = RuleKind("count", plan)
