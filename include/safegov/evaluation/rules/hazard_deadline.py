"""The ``hazard_deadline`` rule (HAZARD-RECTIFY, 〔四〕〔十八〕): one verdict per hazard, by its
rectification deadline."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String, and_, case, literal, select

from safegov.core.periods import local_date
from safegov.db.models import Enterprise, Hazard
from safegov.evaluation.queries import changed_only, months_between, range_filter
from safegov.evaluation.rules.base import Plan, RuleKind, RuleRun
from safegov.evaluation.sqlfn import int_literal, month_key, text_literal, typed_null
from safegov.register.obligations import Obligation


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
        (and_(rect.isnot(None), rect <= h.c.deadline), text_literal("met")),
        (rect.isnot(None), text_literal("met_late")),
        (h.c.deadline < literal(as_of_date, Date()), text_literal("missed")),
        else_=text_literal("pending"),
    )
    reason = case(
        (and_(rect.isnot(None), rect <= h.c.deadline), typed_null(String)),
        (rect.isnot(None), text_literal("rectified_late")),
        (h.c.deadline < literal(as_of_date, Date()), text_literal("not_rectified")),
        else_=typed_null(String),
    )
    stmt = (
        select(
            h.c.hazard_id.label("subject_id"),
            month_key(h.c.deadline).label("period"),
            status.label("status"),
            case((rect.isnot(None), 1), else_=0).label("counted"),
            int_literal(1).label("required"),
            h.c.deadline.label("due_on"),
            h.c.deadline.label("grace_ends_on"),
            reason.label("reason"),
            h.c.hazard_id.label("evidence"),
            typed_null(String).label("responsible"),
            e.c.county_code.label("unit_code"),
        )
        .select_from(h.outerjoin(e, e.c.enterprise_id == h.c.enterprise_id))
        .where(*range_filter(h.c.deadline, lo, hi))
    )
    if enterprise_ids is not None:
        stmt = stmt.where(h.c.enterprise_id.in_(enterprise_ids))
    return changed_only(ob, stmt.subquery("hz").select(), months_between(lo, hi))


def plan(run: RuleRun) -> Plan:
    """The hazards whose deadline falls in the run's months (all without periods), of the
    touched enterprises when a late record re-evaluates them."""
    stmt = hazard_query(
        run.ob, as_of_date=local_date(run.as_of), lo=run.first_day, hi=run.last_day, enterprise_ids=run.event_filter
    )
    return Plan(stmt)


RULE = RuleKind("hazard_deadline", plan, event=True, event_filter_column="enterprise_id")
