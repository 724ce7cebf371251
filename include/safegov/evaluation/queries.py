"""Set-based SQL of the evaluation engine: one statement per obligation and period range.

Shape of every query (SPEC §5): *subjects* × *periods* LEFT JOIN *aggregated evidence*
(GROUP BY subject, period) LEFT JOIN *aggregated quarantined rows*, then a CASE decides the
status, reason and deciding evidence. The periods of the run live in a small temporary
table (``safegov_tmp_period``) filled from Python with the official calendar (grace ends on
working days, 调休 included), so the SQL never needs a holiday calendar.

The last layer LEFT JOINs the current ``evaluation`` rows and returns only rows that differ,
so a re-run with nothing changed returns nothing and writes nothing.

Rule-specific queries (``rule`` ≠ count) follow the same output columns:
subject_id, period, status, counted, required, due_on, grace_ends_on, reason, evidence,
responsible, unit_code.

Choices where the spec is silent (documented here and in ``safegov.evaluation.engine``):

- **Enterprises in scope** (〔四〕 duties): an enterprise owes a period only if it existed
  on every day of it — ``registered_on ≤ first day`` and ``closed_on`` empty or ``≥ last
  day``. A partial period (registered or closed inside it) is ``exempt`` with reason
  ``registered_in_period`` / ``closed_in_period``; wholly outside → ``not_registered`` /
  ``closed``. The decision does not pro-rate a monthly duty, so the first and the last
  partial periods are not owed.
- **pending** is literal SPEC §5: while the period is open or its grace runs (as of the
  evaluation moment), the row is ``pending`` with the records counted so far.
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
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement

from safegov.core.periods import PERIODIC
from safegov.evaluation.sqlfn import local_date, local_month, month_key, ordered_concat, seconds_between
from safegov.core.grades import grade_case, rank_case
from safegov.db.models import (
    RECORD_MODELS,
    Accident,
    Complaint,
    Department,
    Enterprise,
    Evaluation,
    Hazard,
    Leader,
    RawRow,
    Unit,
    UTCDateTime,
)
from safegov.org.directory import holder_key, holder_of_key, in_office, started
from safegov.register.obligations import Obligation

# --------------------------------------------------------------------------- columns

# What every query returns per subject × period: the key, then the verdict. The verdict
# columns are what a re-run compares with the stored row and what an upsert rewrites.
KEY_COLUMNS = ("subject_id", "period")
VERDICT_COLUMNS = ("status", "counted", "required", "due_on", "grace_ends_on", "reason", "evidence", "responsible", "unit_code")
OUT_COLUMNS = KEY_COLUMNS + VERDICT_COLUMNS

# --------------------------------------------------------------------------- temp tables

_tmp_md = MetaData()

PERIOD_TABLE = Table(
    "safegov_tmp_period",
    _tmp_md,
    Column("obligation_id", String(40)),
    Column("period", String(16)),
    Column("p_first", Date),  # evidence window (inclusive)
    Column("p_last", Date),
    Column("due_on", Date),
    Column("grace_on", Date),  # last day records are on time (NULL: calendar unknown)
    Column("grace_at", UTCDateTime()),  # exclusive moment grace is over
    Column("ontime_until", Date),  # a record dated after this is late whatever its arrival
    Column("decided", Integer),  # 1 when grace is over at as_of
    prefixes=["TEMPORARY"],
)

# Day → period key of the run's periods (periodic obligations placed by a date): the evidence
# joins it on equality, so the database looks a record's period up instead of testing every
# period's BETWEEN for every record.
DAY_TABLE = Table(
    "safegov_tmp_day",
    _tmp_md,
    Column("day", Date, primary_key=True),
    Column("period", String(16)),
    prefixes=["TEMPORARY"],
)

# Ticket deadlines: received_on → the N-th working day after it (official calendar).
DEADLINE_TABLE = Table(
    "safegov_tmp_deadline",
    _tmp_md,
    Column("day", Date, primary_key=True),
    Column("deadline", Date),
    prefixes=["TEMPORARY"],
)

# The changed rows of one statement, written from here to evaluation and its history with
# INSERT … SELECT (no round trip of every row through Python).
CHANGED_TABLE = Table(
    "safegov_tmp_changed",
    _tmp_md,
    *(Column(name, Evaluation.__table__.c[name].type) for name in OUT_COLUMNS),
    Column("old_status", Evaluation.__table__.c.status.type),
    prefixes=["TEMPORARY"],
)

# --------------------------------------------------------------------------- knowledge

# Record-type counting rules of the decision, independent of the obligation (SPEC §3):
# a hazard self-inspection counts only when led by the legal representative or the actual
# controller (〔四〕 法定代表人和实际控制人同为安全生产第一责任人).
RESPONSIBLE_ROLES = ("legal_representative", "actual_controller")

# `where` columns that are quality conditions (the record is of the right kind but does not
# count) rather than identity filters (the record is of another kind): reason per column.
QUALITY_WHERE = {("hazard_inspection", "archived"): "not_archived"}

# For unit subjects, who answers for the unit's duty (the reminder's addressee): the post
# that chairs or runs the body. Policy; the decision assigns 安委会 to the government.
UNIT_HOLDER_ROLE = {
    ("meeting", "party_standing_committee"): "party_secretary",
    ("meeting", "government_executive_meeting"): "government_head",
    ("meeting", "safety_committee"): "government_head",
    ("bulletin", None): "safety_office_director",
    ("milestone", None): "government_head",
}

FAR_PAST = dt.date(1900, 1, 1)
FAR_FUTURE = dt.date(9999, 12, 31)

def _s(value: str):
    return literal(value, String())


def _i(value: int):
    return literal(value, Integer())


def _null(type_):
    return cast(null(), type_)


# --------------------------------------------------------------------------- subjects


def holder_role_for_unit(ob: Obligation) -> str | None:
    ev = ob.evidence
    if "responsible_role" in ob.params:
        return ob.params["responsible_role"]
    return UNIT_HOLDER_ROLE.get((ev.record_type, ev.where.get("body"))) or UNIT_HOLDER_ROLE.get((ev.record_type, None))


def subjects(ob: Obligation):
    """One row per subject: subject_id, unit_code, in_scope, scope_from, scope_to, holder_*."""
    kind = ob.subject.kind
    u = Unit.__table__
    if kind == "unit":
        role = holder_role_for_unit(ob)
        return select(
            u.c.code.label("subject_id"),
            u.c.code.label("unit_code"),
            _i(1).label("in_scope"),
            _null(Date).label("scope_from"),
            _null(Date).label("scope_to"),
            u.c.code.label("holder_unit"),
            (_s(role) if role else _null(String)).label("holder_role"),
            _null(String).label("holder_dept"),
        ).where(u.c.level.in_(list(ob.subject.levels)))
    if kind == "post":
        parts = [
            select(
                (u.c.code + _s(":" + role)).label("subject_id"),
                u.c.code.label("unit_code"),
                _i(1).label("in_scope"),
                _null(Date).label("scope_from"),
                _null(Date).label("scope_to"),
                u.c.code.label("holder_unit"),
                _s(role).label("holder_role"),
                _null(String).label("holder_dept"),
            ).where(u.c.level.in_(list(ob.subject.levels)))
            for role in ob.subject.roles
        ]
        return parts[0] if len(parts) == 1 else union_all(*parts)
    if kind == "department":
        d = Department.__table__
        return select(
            d.c.department_id.label("subject_id"),
            d.c.unit_code.label("unit_code"),
            case((d.c.safety_duty == True, _i(1)), else_=_i(0)).label("in_scope"),  # noqa: E712
            _null(Date).label("scope_from"),
            _null(Date).label("scope_to"),
            _null(String).label("holder_unit"),
            _s("department_head").label("holder_role"),
            d.c.department_id.label("holder_dept"),
        )
    if kind == "enterprise":
        e = Enterprise.__table__
        return select(
            e.c.enterprise_id.label("subject_id"),
            e.c.county_code.label("unit_code"),
            _i(1).label("in_scope"),
            e.c.registered_on.label("scope_from"),
            e.c.closed_on.label("scope_to"),
            _null(String).label("holder_unit"),
            _null(String).label("holder_role"),
            _null(String).label("holder_dept"),
        )
    raise ValueError(f"obligation {ob.id}: subject kind {kind} is not evaluated by the count rule")


def holders(ob: Obligation, subject_ids: list[str] | None = None):
    """Subject × period → the leader holding the subject's post on the period's due date; on
    a vacancy, whoever held it last (SPEC §2; the rule of ``safegov.org.directory``, as one
    join + GROUP BY instead of a lookup per row: a MAX over its ``holder_key``)."""
    P = PERIOD_TABLE
    S = subjects(ob).subquery("hs")
    lt = Leader.__table__.alias("holder")
    due = P.c.due_on
    # Department heads are found by department, the other posts by unit and role.
    match_post = lt.c.department_id == S.c.holder_dept if ob.subject.kind == "department" else lt.c.unit_code == S.c.holder_unit
    stmt = (
        select(S.c.subject_id, P.c.period, holder_of_key(func.max(holder_key(lt.c, due))).label("responsible"))
        .select_from(
            S.join(P, P.c.obligation_id == ob.id).join(
                lt, and_(match_post, lt.c.role == S.c.holder_role, started(lt.c, due))
            )
        )
        .group_by(S.c.subject_id, P.c.period)
    )
    if subject_ids is not None:
        stmt = stmt.where(S.c.subject_id.in_(subject_ids))
    return stmt.subquery("hold")


# --------------------------------------------------------------------------- evidence


@dataclass
class EvidenceSpec:
    select: object  # Select with subject_id, edate, eperiod, received_at, rid, ok_<i>
    conditions: list[str]  # reason of each quality condition ok_<i>
    by_period_column: bool  # placed by a period key column (bulletin), not by a date
    by_day: bool  # placed through DAY_TABLE; the select takes the run's dates :ev_lo, :ev_hi


def places_by_day(ob: Obligation) -> bool:
    """Whether ``ob``'s records are placed by their date through ``DAY_TABLE`` (periodic
    obligations; not a bulletin placed by its period column, not a one-off whose single
    period is all time)."""
    by_period_column = ob.evidence.record_type == "bulletin" and ob.evidence.date_column is None
    return ob.cadence in PERIODIC and not by_period_column


def _leader_join(table, date_col):
    lt = Leader.__table__.alias("author")
    on = and_(lt.c.leader_id == table.c.leader_id, in_office(lt.c, date_col))
    return lt, table.join(lt, on)


def evidence(ob: Obligation) -> EvidenceSpec:
    ev = ob.evidence
    t = RECORD_MODELS[ev.record_type].__table__
    kind = ob.subject.kind
    date_col = t.c[ev.effective_date_column]
    by_period = ev.record_type == "bulletin" and ev.date_column is None
    source = t
    filters: list[ColumnElement] = []
    if kind in ("unit",):
        subject_col = t.c.unit_code
    elif kind == "enterprise":
        subject_col = t.c.enterprise_id
    elif kind == "post":
        lt, source = _leader_join(t, date_col)
        subject_col = lt.c.unit_code + _s(":") + lt.c.role
        filters.append(lt.c.role.in_(list(ob.subject.roles)))
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
        quality.append(("not_led_by_responsible_person", t.c.led_by_role.in_(RESPONSIBLE_ROLES)))

    id_col = t.c.record_id if "record_id" in t.c else next(iter(t.primary_key.columns))
    cols = [
        subject_col.label("subject_id"),
        date_col.label("edate"),
        (t.c.period if by_period else _null(String)).label("eperiod"),
        t.c.received_at.label("received_at"),
        id_col.label("rid"),
    ]
    cols += [case((cond, 1), else_=0).label(f"ok_{i}") for i, (_, cond) in enumerate(quality)]
    by_day = places_by_day(ob)
    # The run's dates as a range on the record table, so that one month reads one month
    # through the table's date index instead of every record ever stored.
    in_run = date_col.between(bindparam("ev_lo", type_=Date), bindparam("ev_hi", type_=Date)) if by_day else date_col.isnot(None)
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
    elif kind in ("post", "department"):
        lt = Leader.__table__.alias("qleader")
        source = r.join(lt, lt.c.leader_id == r.c.leader_id)
        if kind == "post":
            subject_col = lt.c.unit_code + _s(":") + lt.c.role
            filters.append(lt.c.role.in_(list(ob.subject.roles)))
        else:
            subject_col = lt.c.department_id
            filters += [lt.c.role == "department_head", lt.c.department_id.isnot(None)]
    else:
        return None
    # The hints carry no body or milestone column: read the raw value where it is stored
    # under its canonical name, and drop rows that plainly name another kind.
    for col, value in ob.evidence.where.items():
        if isinstance(value, str):
            raw = r.c["values"][col].as_string()
            filters.append(or_(raw.is_(None), raw == value))
    return (
        select(
            subject_col.label("subject_id"),
            r.c.record_date.label("edate"),
            (_s("raw:") + cast(r.c.id, String)).label("rid"),
        )
        .select_from(source)
        .where(*filters)
    )


# --------------------------------------------------------------------------- count rule


def _reason_combos(flags: list[tuple[str, ColumnElement]]):
    """CASE naming every failed condition, joined by ',' in register order."""
    whens = []
    for size in range(len(flags), 0, -1):
        for combo in itertools.combinations(flags, size):
            whens.append((and_(*[f > 0 for _, f in combo]), _s(",".join(r for r, _ in combo))))
    return case(*whens, else_=_s("below_quota")) if whens else _s("below_quota")


_STATEMENTS: dict[tuple[int, str], tuple[Obligation, object]] = {}


def count_query(ob: Obligation, dialect: str, subject_ids: list[str] | None = None):
    """Every subject × period of ``ob`` whose verdict differs from the stored one.

    The statement depends only on the obligation and the dialect (periods and as_of live in
    the temporary period table), so the full-population statement is built once and reused:
    SQLAlchemy then keeps its cache key and compiled form too.
    """
    if subject_ids is None:
        hit = _STATEMENTS.get((id(ob), dialect))
        if hit is not None and hit[0] is ob:
            return hit[1]
        stmt = _count_query(ob, dialect, None)
        _STATEMENTS[(id(ob), dialect)] = (ob, stmt)
        return stmt
    return _count_query(ob, dialect, subject_ids)


def _count_query(ob: Obligation, dialect: str, subject_ids: list[str] | None):
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
    if valid is not None:
        on_time = and_(valid, on_time)
    inner = select(
        E.c.subject_id,
        P.c.period,
        (case((valid, 1), else_=0) if valid is not None else _i(1)).label("valid"),
        case((on_time, 1), else_=0).label("on_time"),
        (case((valid, E.c.rid)) if valid is not None else E.c.rid).label("rid_valid"),
        case((on_time, E.c.rid)).label("rid_on_time"),
        (case((valid, None), else_=E.c.rid) if valid is not None else _null(String)).label("rid_near"),
        *[case((E.c[f"ok_{i}"] == 1, 0), else_=1).label(f"fail_{i}") for i in range(n_cond)],
    ).select_from(placed)
    if subject_ids is not None:
        inner = inner.where(E.c.subject_id.in_(subject_ids))
    if dialect != "postgresql":
        inner = inner.order_by(E.c.subject_id, P.c.period, E.c.rid)  # feeds group_concat in order
    J = inner.subquery("j")
    A = (
        select(
            J.c.subject_id,
            J.c.period,
            func.sum(J.c.valid).label("n_valid"),
            func.sum(J.c.on_time).label("n_on_time"),
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
        q_on = and_(P.c.obligation_id == ob.id, R.c.edate >= P.c.p_first, R.c.edate <= func.coalesce(q_last, P.c.p_last))
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
        (S.c.in_scope == 0, _s("no_safety_duty")),
        (and_(S.c.scope_from.isnot(None), S.c.scope_from > P.c.p_last), _s("not_registered")),
        (and_(S.c.scope_from.isnot(None), S.c.scope_from > P.c.p_first), _s("registered_in_period")),
        (and_(S.c.scope_to.isnot(None), S.c.scope_to < P.c.p_first), _s("closed")),
        (and_(S.c.scope_to.isnot(None), S.c.scope_to < P.c.p_last), _s("closed_in_period")),
        else_=_null(String),
    )
    frm = S.join(P, P.c.obligation_id == ob.id).outerjoin(A, and_(A.c.subject_id == S.c.subject_id, A.c.period == P.c.period))
    if Q is not None:
        frm = frm.outerjoin(Q, and_(Q.c.subject_id == S.c.subject_id, Q.c.period == P.c.period))
    has_holder = not (ob.subject.kind == "enterprise" or (ob.subject.kind == "unit" and holder_role_for_unit(ob) is None))
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
        func.coalesce(A.c.n_near, 0).label("near"),
        A.c.ids_valid,
        A.c.ids_on_time,
        A.c.ids_near,
        *[func.coalesce(A.c[f"fail_{i}"], 0).label(f"fail_{i}") for i in range(n_cond)],
        (func.coalesce(Q.c.n_rej, 0) if Q is not None else _i(0)).label("n_rej"),
        (Q.c.ids_rej if Q is not None else _null(String)).label("ids_rej"),
        (H.c.responsible if H is not None else _null(String)).label("responsible"),
    ).select_from(frm)
    if subject_ids is not None:
        base = base.where(S.c.subject_id.in_(subject_ids))
    B = base.subquery("b")

    quota = ob.quota
    exempt = B.c.exempt_reason.isnot(None)
    pending = B.c.decided == 0
    met = B.c.on_time >= quota
    met_late = B.c.counted >= quota
    status = case(
        (exempt, _s("exempt")),
        (pending, _s("pending")),
        (met, _s("met")),
        (met_late, _s("met_late")),
        else_=_s("missed"),
    )
    above_max = (
        case((B.c.counted > ob.quota_max, _s("above_quota_max: ") + cast(B.c.counted, String) + _s(f" of {ob.quota_max}")), else_=_null(String))
        if ob.quota_max is not None
        else _null(String)
    )
    near_reason = _reason_combos([(spec.conditions[i], B.c[f"fail_{i}"]) for i in range(n_cond)])
    reason = case(
        (exempt, B.c.exempt_reason),
        (pending, _null(String)),
        (met, above_max),
        (met_late, _s("late_records")),
        (B.c.counted > 0, _s("below_quota: ") + cast(B.c.counted, String) + _s(f" of {quota}")),
        (B.c.near > 0, near_reason),
        (B.c.n_rej > 0, _s("evidence_rejected")),
        else_=_s("no_records"),
    )
    evidence_ids = case(
        (exempt, B.c.ids_valid),
        (pending, B.c.ids_valid),
        (met, B.c.ids_on_time),
        (B.c.counted > 0, B.c.ids_valid),
        (B.c.near > 0, B.c.ids_near),
        (B.c.n_rej > 0, B.c.ids_rej),
        else_=_null(String),
    )
    computed = select(
        B.c.subject_id,
        B.c.period,
        status.label("status"),
        B.c.counted.label("counted"),
        _i(quota).label("required"),
        B.c.due_on.label("due_on"),
        B.c.grace_on.label("grace_ends_on"),
        reason.label("reason"),
        evidence_ids.label("evidence"),
        B.c.responsible.label("responsible"),
        B.c.unit_code.label("unit_code"),
    )
    run_periods = select(P.c.period).where(P.c.obligation_id == ob.id)
    return changed_only(ob, computed, Evaluation.__table__.c.period.in_(run_periods))


# --------------------------------------------------------------------------- event rules


def _range_filter(col, lo, hi):
    out = []
    if lo is not None:
        out.append(col >= lo)
    if hi is not None:
        out.append(col <= hi)
    return out


def hazard_query(ob: Obligation, *, as_of_date: dt.date, lo: dt.date | None, hi: dt.date | None, enterprise_ids=None):
    """HAZARD-RECTIFY: one row per hazard; period = the month of its deadline.

    met: rectified on or before the deadline; met_late (reason ``rectified_late``):
    rectified after it; missed ``not_rectified``: no rectification and the deadline has
    passed at as_of (the deadline day itself is still in time); pending before that.
    """
    h = Hazard.__table__
    e = Enterprise.__table__
    rect = h.c.rectified_on
    status = case(
        (and_(rect.isnot(None), rect <= h.c.deadline), _s("met")),
        (rect.isnot(None), _s("met_late")),
        (h.c.deadline < literal(as_of_date, Date()), _s("missed")),
        else_=_s("pending"),
    )
    reason = case(
        (and_(rect.isnot(None), rect <= h.c.deadline), _null(String)),
        (rect.isnot(None), _s("rectified_late")),
        (h.c.deadline < literal(as_of_date, Date()), _s("not_rectified")),
        else_=_null(String),
    )
    stmt = (
        select(
            h.c.hazard_id.label("subject_id"),
            month_key(h.c.deadline).label("period"),
            status.label("status"),
            case((rect.isnot(None), 1), else_=0).label("counted"),
            _i(1).label("required"),
            h.c.deadline.label("due_on"),
            h.c.deadline.label("grace_ends_on"),
            reason.label("reason"),
            h.c.hazard_id.label("evidence"),
            _null(String).label("responsible"),
            e.c.county_code.label("unit_code"),
        )
        .select_from(h.outerjoin(e, e.c.enterprise_id == h.c.enterprise_id))
        .where(*_range_filter(h.c.deadline, lo, hi))
    )
    if enterprise_ids is not None:
        stmt = stmt.where(h.c.enterprise_id.in_(enterprise_ids))
    return changed_only(ob, stmt.subquery("hz").select(), _months_between(lo, hi))


ACCIDENT_REASONS = ("late_report", "under_graded", "concealed")


def accident_query(ob: Obligation, *, lo: dt.datetime | None, hi: dt.datetime | None, unit_codes=None):
    """ACCIDENT-REPORT-TIMELY: one row per accident; period = month of occurred_at in
    Asia/Shanghai. Missed with every reason that applies, joined by ',':
    ``late_report`` (reported more than the allowed hours after it occurred; exactly one hour
    is on time), ``under_graded`` (declared grade below the Decree 493 grade of its figures;
    an undeclared grade counts as general), ``concealed``. Met otherwise; never pending."""
    a = Accident.__table__
    hours = float(ob.params.get("report_within_hours", 1))
    late = seconds_between(a.c.occurred_at, a.c.reported_at) > hours * 3600
    under = rank_case(grade_case(a.c.deaths, a.c.serious_injuries, a.c.direct_loss_10k_cny)) > rank_case(a.c.declared_grade)
    concealed = a.c.concealed == True  # noqa: E712
    flags = [late, under, concealed]
    whens = []
    for size in range(3, 0, -1):
        for combo in itertools.combinations(range(3), size):
            whens.append((and_(*[flags[i] for i in combo]), _s(",".join(ACCIDENT_REASONS[i] for i in combo))))
    reason = case(*whens, else_=_null(String))
    inner = select(
        a.c.accident_id.label("subject_id"),
        local_month(a.c.occurred_at).label("period"),
        reason.label("reason"),
        local_date(a.c.occurred_at).label("due_on"),
        a.c.unit_code.label("unit_code"),
    )
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
        case((X.c.reason.is_(None), _s("met")), else_=_s("missed")).label("status"),
        _i(1).label("counted"),
        _i(1).label("required"),
        X.c.due_on,
        X.c.due_on.label("grace_ends_on"),
        X.c.reason,
        X.c.subject_id.label("evidence"),
        _null(String).label("responsible"),
        X.c.unit_code,
    )
    last = hi - dt.timedelta(days=1) if hi is not None else None  # hi is exclusive: the next day's midnight
    return changed_only(ob, stmt, _months_between(lo and lo.date(), last and last.date()))


def ticket_query(ob: Obligation, *, as_of_date: dt.date, lo: dt.date | None, hi: dt.date | None, unit_codes=None):
    """HOTLINE-CONCLUDE: one row per 12350 ticket; period = month of received_on.

    The deadline is the N-th working day after received_on (official calendar, from the
    ``safegov_tmp_deadline`` table). met: concluded by the deadline; met_late
    (``concluded_late``): concluded after it; missed ``not_concluded``: still open after the
    deadline at as_of; pending within the window. An unknown calendar year keeps it pending.
    """
    c = Complaint.__table__
    D = DEADLINE_TABLE
    dl = D.c.deadline
    concl = c.c.concluded_on
    asof = literal(as_of_date, Date())
    status = case(
        (and_(concl.isnot(None), dl.isnot(None), concl <= dl), _s("met")),
        (and_(concl.isnot(None), dl.isnot(None)), _s("met_late")),
        (and_(dl.isnot(None), dl < asof), _s("missed")),
        else_=_s("pending"),
    )
    reason = case(
        (and_(concl.isnot(None), dl.isnot(None), concl <= dl), _null(String)),
        (and_(concl.isnot(None), dl.isnot(None)), _s("concluded_late")),
        (and_(dl.isnot(None), dl < asof), _s("not_concluded")),
        (dl.is_(None), _s("calendar_not_available")),
        else_=_null(String),
    )
    stmt = (
        select(
            c.c.ticket_id.label("subject_id"),
            month_key(c.c.received_on).label("period"),
            status.label("status"),
            case((concl.isnot(None), 1), else_=0).label("counted"),
            _i(1).label("required"),
            dl.label("due_on"),
            dl.label("grace_ends_on"),
            reason.label("reason"),
            c.c.ticket_id.label("evidence"),
            _null(String).label("responsible"),
            c.c.unit_code.label("unit_code"),
        )
        .select_from(c.outerjoin(D, D.c.day == c.c.received_on))
        .where(*_range_filter(c.c.received_on, lo, hi))
    )
    if unit_codes is not None:
        stmt = stmt.where(c.c.unit_code.in_(unit_codes))
    return changed_only(ob, stmt.subquery("tk").select(), _months_between(lo, hi))


# --------------------------------------------------------------------------- diff


def changed_only(ob: Obligation, computed, stored_periods=None):
    """Rows of ``computed`` that are new or differ from the stored evaluation.

    ``stored_periods``: a condition on ``evaluation.period`` naming the run's periods, so
    that a month's run compares with that month's stored rows, not with years of them."""
    C = computed.subquery("c")
    ev = Evaluation.__table__
    on = and_(ev.c.obligation_id == ob.id, ev.c.subject_id == C.c.subject_id, ev.c.period == C.c.period)
    if stored_periods is not None:
        on = and_(on, stored_periods)
    differs = or_(ev.c.id.is_(None), *[C.c[col].is_distinct_from(ev.c[col]) for col in VERDICT_COLUMNS])
    return (
        select(*[C.c[col] for col in OUT_COLUMNS], ev.c.status.label("old_status"))
        .select_from(C.outerjoin(ev, on))
        .where(differs)
    )


def _months_between(lo: dt.date | None, hi: dt.date | None):
    """The stored event rows of [lo, hi]: their period keys are months (``YYYY-MM``)."""
    period = Evaluation.__table__.c.period
    return and_(*_range_filter(period, lo and f"{lo:%Y-%m}", hi and f"{hi:%Y-%m}")) if lo or hi else None
