"""The ``ticket_conclusion`` rule (HOTLINE-CONCLUDE, 〔二十〕): one verdict per 12350 ticket,
concluded within N working days of its receipt."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, MetaData, String, Table, and_, case, distinct, literal, select
from sqlalchemy.orm import Session

from safegov.core.periods import CalendarRangeError, add_working_days, local_date
from safegov.db.models import Complaint
from safegov.evaluation.queries import as_date, changed_only, fill_temp, months_between, range_filter
from safegov.evaluation.rules.base import Plan, RuleKind, RuleRun
from safegov.evaluation.sqlfn import int_literal, month_key, text_literal, typed_null
from safegov.register.obligations import Obligation

# Ticket deadlines: received_on → the N-th working day after it (official calendar).
DEADLINE_TABLE = Table(
    "safegov_tmp_deadline",
    MetaData(),
    Column("day", Date, primary_key=True),
    Column("deadline", Date),
    prefixes=["TEMPORARY"],
)


def ticket_deadlines(session: Session, ob: Obligation, lo: dt.date | None, hi: dt.date | None) -> list[dict]:
    """received_on → deadline for every distinct received day in range (computed once in
    Python with the official calendar, joined in SQL; never a loop per ticket)."""
    c = Complaint.__table__
    stmt = select(distinct(c.c.received_on))
    if lo is not None:
        stmt = stmt.where(c.c.received_on >= lo)
    if hi is not None:
        stmt = stmt.where(c.c.received_on <= hi)
    n = int(ob.params.get("conclude_within_working_days", 15))
    out = []
    for (day,) in session.execute(stmt):
        day = as_date(day)
        try:
            deadline = add_working_days(day, n)
        except CalendarRangeError:
            deadline = None
        out.append({"day": day, "deadline": deadline})
    return out


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
        (and_(concl.isnot(None), dl.isnot(None), concl <= dl), text_literal("met")),
        (and_(concl.isnot(None), dl.isnot(None)), text_literal("met_late")),
        (and_(dl.isnot(None), dl < asof), text_literal("missed")),
        else_=text_literal("pending"),
    )
    reason = case(
        (and_(concl.isnot(None), dl.isnot(None), concl <= dl), typed_null(String)),
        (and_(concl.isnot(None), dl.isnot(None)), text_literal("concluded_late")),
        (and_(dl.isnot(None), dl < asof), text_literal("not_concluded")),
        (dl.is_(None), text_literal("calendar_unknown")),
        else_=typed_null(String),
    )
    stmt = (
        select(
            c.c.ticket_id.label("subject_id"),
            month_key(c.c.received_on).label("period"),
            status.label("status"),
            case((concl.isnot(None), 1), else_=0).label("counted"),
            int_literal(1).label("required"),
            dl.label("due_on"),
            dl.label("grace_ends_on"),
            reason.label("reason"),
            c.c.ticket_id.label("evidence"),
            typed_null(String).label("responsible"),
            c.c.unit_code.label("unit_code"),
        )
        .select_from(c.outerjoin(D, D.c.day == c.c.received_on))
        .where(*range_filter(c.c.received_on, lo, hi))
    )
    if unit_codes is not None:
        stmt = stmt.where(c.c.unit_code.in_(unit_codes))
    return changed_only(ob, stmt.subquery("tk").select(), months_between(lo, hi))


def plan(run: RuleRun) -> Plan:
    """The tickets received in the run's months (all without periods), of the touched units
    when a late record re-evaluates them; their deadlines go through ``DEADLINE_TABLE``."""
    lo, hi = run.first_day, run.last_day
    fill_temp(run.session.connection(), DEADLINE_TABLE, ticket_deadlines(run.session, run.ob, lo, hi))
    stmt = ticket_query(run.ob, as_of_date=local_date(run.as_of), lo=lo, hi=hi, unit_codes=run.event_filter)
    return Plan(stmt, temp_tables=(DEADLINE_TABLE,))


RULE = RuleKind("ticket_conclusion", plan, event=True, event_filter_column="unit_code")
