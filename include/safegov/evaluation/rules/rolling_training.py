"""The ``rolling_training`` rule (STAFF-ROTATION-TRAINING, 〔九〕 对在岗人员原则上每3年轮训一次): once a
year, per enforcement officer, at least one training in the rolling window of the last
``params.window_years`` years.

The window is a rule parameter on a yearly cadence rather than a cadence of its own: the year
is when the question is asked (and when the DAG runs), the window what it looks back on.

Per staff member × year (due on 31 December):

- the window is ``(due − window_years years, due]``: for 2024 and 3 years, 2022-01-01 …
  2024-12-31; a training on 2021-12-31 no longer counts;
- ``exempt`` ``not_in_service`` unless in service on the due date (``joined_on ≤ due`` and
  ``left_on`` empty or after it); ``exempt`` ``first_cycle`` when they joined after the
  window's first day (the first 3 years have not passed; their induction training, 入职培训,
  is the certification's business at intake, 〔九〕 凡进必考、持证上岗);
- ``met``: a training in the window received within the year's grace; ``met_late``
  (``late_records``): only trainings received after it; ``missed`` ``no_records`` otherwise;
  ``pending`` while the year or its grace runs.

The responsible person is the head of the officer's department when it names one, else the
unit's safety office director (who holds the post on the due date; on a vacancy, the last).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, and_, case, func, or_, select

from safegov.db.models import Evaluation, Leader, Staff, Training
from safegov.evaluation.queries import PERIOD_TABLE, changed_only, fill_temp, per_subject_and_period
from safegov.evaluation.rules.base import Plan, RuleKind, RuleRun
from safegov.evaluation.rules.count import period_rows
from safegov.evaluation.sqlfn import int_literal, ordered_concat, text_literal, typed_null
from safegov.org.directory import holder_key, holder_of_key, started
from safegov.register.obligations import Obligation


def window_first(due: dt.date, years: int) -> dt.date:
    """The first day of the window of ``years`` years ending on ``due`` (inclusive)."""
    try:
        back = due.replace(year=due.year - years)
    except ValueError:  # 29 February → 28 February
        back = due.replace(year=due.year - years, day=28)
    return back + dt.timedelta(days=1)


def training_query(ob: Obligation, dialect: str, subject_ids: list[str] | None = None):
    """Every staff member × year of ``ob`` whose verdict differs from the stored one; the run's
    periods carry their window's first day in ``p_first``."""
    P = PERIOD_TABLE
    st = Staff.__table__
    tr = Training.__table__
    in_window = and_(tr.c.staff_id == st.c.staff_id, tr.c.trained_on.between(P.c.p_first, P.c.p_last))
    on_time = tr.c.received_at < P.c.grace_at
    inner = select(
        st.c.staff_id.label("subject_id"),
        P.c.period,
        case((on_time, 1), else_=0).label("on_time"),
        tr.c.record_id.label("rid"),
        case((on_time, tr.c.record_id)).label("rid_on_time"),
    ).select_from(st.join(P, P.c.obligation_id == ob.id).join(tr, in_window))
    if subject_ids is not None:
        inner = inner.where(st.c.staff_id.in_(subject_ids))
    A = per_subject_and_period(
        inner,
        dialect,
        (st.c.staff_id, P.c.period, tr.c.record_id),
        lambda J: (
            func.count().label("n"),
            func.sum(J.c.on_time).label("n_on_time"),
            ordered_concat(J.c.rid).label("ids"),
            ordered_concat(J.c.rid_on_time).label("ids_on_time"),
        ),
    )
    # Who answers: the department's head, else the unit's safety office, on the due date.
    lt = Leader.__table__.alias("holder")
    post = or_(
        and_(st.c.department_id.isnot(None), lt.c.role == "department_head", lt.c.department_id == st.c.department_id),
        and_(st.c.department_id.is_(None), lt.c.role == "safety_office_director", lt.c.unit_code == st.c.unit_code),
    )
    H = (
        select(
            st.c.staff_id.label("subject_id"),
            P.c.period,
            holder_of_key(func.max(holder_key(lt.c, P.c.due_on))).label("responsible"),
        )
        .select_from(st.join(P, P.c.obligation_id == ob.id).join(lt, and_(post, started(lt.c, P.c.due_on))))
        .group_by(st.c.staff_id, P.c.period)
        .subquery("hold")
    )
    frm = (
        st.join(P, P.c.obligation_id == ob.id)
        .outerjoin(A, and_(A.c.subject_id == st.c.staff_id, A.c.period == P.c.period))
        .outerjoin(H, and_(H.c.subject_id == st.c.staff_id, H.c.period == P.c.period))
    )
    n = func.coalesce(A.c.n, 0)
    n_on_time = func.coalesce(A.c.n_on_time, 0)
    out_of_service = or_(st.c.joined_on > P.c.due_on, and_(st.c.left_on.isnot(None), st.c.left_on <= P.c.due_on))
    first_cycle = st.c.joined_on > P.c.p_first
    exempt = or_(out_of_service, first_cycle)
    pending = P.c.decided == 0
    met = n_on_time >= 1
    met_late = n >= 1
    status = case(
        (exempt, text_literal("exempt")),
        (pending, text_literal("pending")),
        (met, text_literal("met")),
        (met_late, text_literal("met_late")),
        else_=text_literal("missed"),
    )
    reason = case(
        (out_of_service, text_literal("not_in_service")),
        (first_cycle, text_literal("first_cycle")),
        (and_(pending, P.c.grace_on.is_(None)), text_literal("calendar_unknown")),
        (pending, typed_null(String)),
        (met, typed_null(String)),
        (met_late, text_literal("late_records")),
        else_=text_literal("no_records"),
    )
    computed = select(
        st.c.staff_id.label("subject_id"),
        P.c.period.label("period"),
        status.label("status"),
        n.label("counted"),
        int_literal(1).label("required"),
        P.c.due_on.label("due_on"),
        P.c.grace_on.label("grace_ends_on"),
        reason.label("reason"),
        case((met, A.c.ids_on_time), else_=A.c.ids).label("evidence"),
        H.c.responsible.label("responsible"),
        st.c.unit_code.label("unit_code"),
    ).select_from(frm)
    if subject_ids is not None:
        computed = computed.where(st.c.staff_id.in_(subject_ids))
    run_periods = select(P.c.period).where(P.c.obligation_id == ob.id)
    return changed_only(ob, computed, Evaluation.__table__.c.period.in_(run_periods))


def plan(run: RuleRun) -> Plan | None:
    """Fill the run's years with their windows (``p_first``) and build the statement."""
    if not run.periods:
        return None
    years = int(run.ob.params["window_years"])
    rows = period_rows(run.ob, run.periods, run.as_of)
    for row in rows:
        row["p_first"] = window_first(row["p_last"], years)
    conn = run.session.connection()
    fill_temp(conn, PERIOD_TABLE, rows)
    return Plan(training_query(run.ob, conn.dialect.name, run.subject_ids), {}, (PERIOD_TABLE,))


RULE = RuleKind("rolling_training", plan)
