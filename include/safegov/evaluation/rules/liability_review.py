"""The ``liability_review`` rule (LIABILITY-TRAINING-REVIEW, 〔十四〕 对生产安全责任事故一律倒查安全
培训责任): one verdict per accident found to be a liability accident, reviewed within N working
days of the finding."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, MetaData, String, Table, and_, case, distinct, func, literal, or_, select
from sqlalchemy.orm import Session

from safegov.core.periods import CalendarRangeError, add_working_days, local_date
from safegov.db.models import Accident, Review
from safegov.evaluation.queries import as_date, changed_only, fill_temp, months_between, range_filter
from safegov.evaluation.rules.base import Plan, RuleKind, RuleRun
from safegov.evaluation.sqlfn import int_literal, month_key, text_literal, typed_null
from safegov.register.obligations import Obligation

# Review deadlines: liability_found_on → the N-th working day after it (official calendar).
DEADLINE_TABLE = Table(
    "safegov_tmp_review_deadline",
    MetaData(),
    Column("day", Date, primary_key=True),
    Column("deadline", Date),
    prefixes=["TEMPORARY"],
)


def review_deadlines(session: Session, ob: Obligation, lo: dt.date | None, hi: dt.date | None) -> list[dict]:
    """liability_found_on → deadline for every distinct finding day in range (the official
    calendar in Python once per day, joined in SQL)."""
    a = Accident.__table__
    stmt = select(distinct(a.c.liability_found_on)).where(
        a.c.liability_found_on.is_not(None), *range_filter(a.c.liability_found_on, lo, hi)
    )
    n = int(ob.params["review_within_working_days"])
    out = []
    for (day,) in session.execute(stmt):
        day = as_date(day)
        try:
            deadline = add_working_days(day, n)
        except CalendarRangeError:
            deadline = None
        out.append({"day": day, "deadline": deadline})
    return out


def review_query(ob: Obligation, *, as_of_date: dt.date, lo: dt.date | None, hi: dt.date | None, unit_codes=None):
    """LIABILITY-TRAINING-REVIEW: one row per accident with a liability finding; period = the
    month of the finding (``liability_found_on``).

    The deadline is the N-th working day after the finding (``safegov_tmp_review_deadline``).
    met: its first review on or before the deadline (the deadline day itself is in time);
    met_late (``review_late``): first reviewed after it; missed ``not_reviewed``: no review and
    the deadline has passed at as_of; pending within the window. An unknown calendar year
    keeps it pending (``calendar_unknown``).
    """
    a = Accident.__table__
    r = Review.__table__
    D = DEADLINE_TABLE
    reviews = (
        select(
            r.c.accident_id,
            func.min(r.c.reviewed_on).label("first_on"),
            func.count().label("n"),
            func.min(r.c.record_id).label("first_id"),
        )
        .group_by(r.c.accident_id)
        .subquery("rv")
    )
    dl = D.c.deadline
    first = reviews.c.first_on
    asof = literal(as_of_date, Date())
    in_time = and_(first.isnot(None), dl.isnot(None), first <= dl)
    late = and_(first.isnot(None), dl.isnot(None))
    overdue = and_(dl.isnot(None), dl < asof)
    status = case(
        (in_time, text_literal("met")),
        (late, text_literal("met_late")),
        (overdue, text_literal("missed")),
        else_=text_literal("pending"),
    )
    reason = case(
        (in_time, typed_null(String)),
        (late, text_literal("review_late")),
        (overdue, text_literal("not_reviewed")),
        (dl.is_(None), text_literal("calendar_unknown")),
        else_=typed_null(String),
    )
    stmt = (
        select(
            a.c.accident_id.label("subject_id"),
            month_key(a.c.liability_found_on).label("period"),
            status.label("status"),
            func.coalesce(reviews.c.n, 0).label("counted"),
            int_literal(1).label("required"),
            dl.label("due_on"),
            dl.label("grace_ends_on"),
            reason.label("reason"),
            func.coalesce(reviews.c.first_id, a.c.accident_id).label("evidence"),
            typed_null(String).label("responsible"),
            a.c.unit_code.label("unit_code"),
        )
        .select_from(
            a.outerjoin(D, D.c.day == a.c.liability_found_on).outerjoin(
                reviews, reviews.c.accident_id == a.c.accident_id
            )
        )
        .where(a.c.liability_found_on.is_not(None), *range_filter(a.c.liability_found_on, lo, hi))
    )
    if unit_codes is not None:
        # A late review re-decides the accidents of the unit it names, and the accidents it reviews
        # (a league's department may review a county's accident).
        reviewed = select(r.c.accident_id).where(r.c.unit_code.in_(unit_codes))
        stmt = stmt.where(or_(a.c.unit_code.in_(unit_codes), a.c.accident_id.in_(reviewed)))
    return changed_only(ob, stmt.subquery("lr").select(), months_between(lo, hi))


def plan(run: RuleRun) -> Plan:
    """The liability accidents found in the run's months (all without periods), of the touched
    units when a late review re-evaluates them; deadlines through ``DEADLINE_TABLE``."""
    lo, hi = run.first_day, run.last_day
    fill_temp(run.session.connection(), DEADLINE_TABLE, review_deadlines(run.session, run.ob, lo, hi))
    stmt = review_query(run.ob, as_of_date=local_date(run.as_of), lo=lo, hi=hi, unit_codes=run.event_filter)
    return Plan(stmt, temp_tables=(DEADLINE_TABLE,))


RULE = RuleKind("liability_review", plan, event=True, event_filter_column="unit_code")
