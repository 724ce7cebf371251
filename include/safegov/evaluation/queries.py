"""SQL shared by the evaluation rules: the verdict columns, the run's temporary tables, the
subjects of an obligation and who holds their post, and the comparison with stored rows.

Every rule's statement (``safegov.evaluation.rules``) returns the same columns
(``OUT_COLUMNS``): subject_id, period, status, counted, required, due_on, grace_ends_on,
reason, evidence, responsible, unit_code. ``changed_only`` then LEFT JOINs the current
``evaluation`` rows and keeps only rows that differ, so a re-run with nothing changed
returns nothing and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    func,
    or_,
    select,
    union_all,
)

from safegov.db.models import (
    Department,
    Enterprise,
    Evaluation,
    Leader,
    Unit,
    UTCDateTime,
)
from safegov.evaluation.sqlfn import int_literal as _i
from safegov.evaluation.sqlfn import table_maintenance
from safegov.evaluation.sqlfn import text_literal as _s
from safegov.evaluation.sqlfn import typed_null as _null
from safegov.org.directory import holder_key, holder_of_key, started
from safegov.register.obligations import Obligation

# --------------------------------------------------------------------------- columns

# What every query returns per subject × period: the key, then the verdict. The verdict
# columns are what a re-run compares with the stored row and what an upsert rewrites.
KEY_COLUMNS = ("subject_id", "period")
VERDICT_COLUMNS = (
    "status",
    "counted",
    "required",
    "due_on",
    "grace_ends_on",
    "reason",
    "evidence",
    "responsible",
    "unit_code",
)
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

# The changed rows of one statement, written from here to evaluation and its history with
# INSERT … SELECT (no round trip of every row through Python).
CHANGED_TABLE = Table(
    "safegov_tmp_changed",
    _tmp_md,
    *(Column(name, Evaluation.__table__.c[name].type) for name in OUT_COLUMNS),
    Column("old_status", Evaluation.__table__.c.status.type),
    prefixes=["TEMPORARY"],
)


def fill_temp(conn, table, rows: Sequence[dict[str, Any]]) -> None:
    """(Re)fill a session-private temporary table; created once per database connection."""
    from sqlalchemy.schema import CreateTable

    conn.execute(CreateTable(table, if_not_exists=True))
    clear_temp(conn, table)
    if rows:
        conn.execute(table.insert(), list(rows))
        if conn.dialect.name == "postgresql":
            # Temporary tables get no statistics otherwise, and the planner then guesses
            # a few rows and joins the evidence by nested loops.
            conn.execute(table_maintenance("ANALYZE", table))


def clear_temp(conn, table) -> None:
    # TRUNCATE leaves no dead rows behind on PostgreSQL; SQLite truncates a DELETE without WHERE.
    conn.execute(table_maintenance("TRUNCATE", table) if conn.dialect.name == "postgresql" else table.delete())


# --------------------------------------------------------------------------- knowledge

# For unit subjects, who answers for the unit's duty (the reminder's addressee): the post
# that chairs or runs the body. Policy; the decision assigns 安委会 to the government.
UNIT_HOLDER_ROLE = {
    ("meeting", "party_standing_committee"): "party_secretary",
    ("meeting", "government_executive_meeting"): "government_head",
    ("meeting", "safety_committee"): "government_head",
    ("bulletin", None): "safety_office_director",
    ("milestone", None): "government_head",
}


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
    match_post = (
        lt.c.department_id == S.c.holder_dept if ob.subject.kind == "department" else lt.c.unit_code == S.c.holder_unit
    )
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


def per_subject_and_period(inner, dialect: str, order_by: Sequence[Any], aggregates) -> Any:
    """GROUP BY subject_id, period over ``inner`` (a select with those two columns), with the
    ``aggregates(J)`` columns of its subquery ``J``. SQLite's group_concat follows the input
    order, so ``order_by`` (subject, period, record id) feeds ``ordered_concat`` in order there."""
    if dialect != "postgresql":
        inner = inner.order_by(*order_by)
    J = inner.subquery("j")
    return select(J.c.subject_id, J.c.period, *aggregates(J)).group_by(J.c.subject_id, J.c.period).subquery("agg")


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


def months_between(lo: dt.date | None, hi: dt.date | None):
    """The stored event rows of [lo, hi]: their period keys are months (``YYYY-MM``)."""
    period = Evaluation.__table__.c.period
    return and_(*range_filter(period, lo and f"{lo:%Y-%m}", hi and f"{hi:%Y-%m}")) if lo or hi else None


def range_filter(col, lo, hi):
    """``lo <= col <= hi``, each bound optional."""
    out = []
    if lo is not None:
        out.append(col >= lo)
    if hi is not None:
        out.append(col <= hi)
    return out


def as_date(value):
    """A DATE column's value as a date (SQLite may hand back ISO text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
