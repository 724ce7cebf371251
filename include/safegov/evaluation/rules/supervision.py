"""The ``supervision`` rule (ENT-SUPERVISOR, 〔八〕 明确每个生产经营单位安全生产监管主体): once a
year, per county, every enterprise registered in it names a supervising department.

It reads the enterprise registry, not submitted records. Per county × year:

- the enterprises judged are those open on the year's due date (its last day):
  ``registered_on ≤ due_on`` and ``closed_on`` empty or after it;
- an enterprise is supervised when its ``supervising_department_id`` names a department
  with safety duties (负有安全生产监督管理职责); a department without them cannot be its
  监管主体;
- ``missed`` with reason ``unsupervised: k`` when k enterprises are not; the evidence lists
  them (their credit codes, ordered), so the notice names who has no supervising body;
- ``met_late`` (``late_records``) when every enterprise is supervised but for some the first
  registry version that named a supervising department arrived after the grace (from
  ``record_version``; an enterprise row written without history counts by its own
  ``received_at``); the evidence lists those;
- ``met`` otherwise; ``exempt`` (``no_enterprises``) for a county with none to judge;
  ``pending`` while the year or its grace runs (``calendar_unknown`` beyond the calendar).

The registry is judged as it stands: a later version that drops the supervising department
makes a re-run ``missed`` again.
"""

from __future__ import annotations

from sqlalchemy import String, and_, case, cast, func, or_, select

from safegov.db.models import Department, Enterprise, Evaluation, RecordVersion, Unit
from safegov.evaluation.queries import PERIOD_TABLE, changed_only, fill_temp, holders, per_subject_and_period
from safegov.evaluation.rules.base import Plan, RuleKind, RuleRun
from safegov.evaluation.rules.count import period_rows
from safegov.evaluation.sqlfn import ordered_concat, text_literal, typed_null
from safegov.register.obligations import Obligation


def supervision_query(ob: Obligation, dialect: str, subject_ids: list[str] | None = None):
    """Every county × year of ``ob`` whose verdict differs from the stored one."""
    P = PERIOD_TABLE
    u = Unit.__table__
    e = Enterprise.__table__
    dep = Department.__table__
    rv = RecordVersion.__table__
    first_named = (
        select(func.min(rv.c.received_at))
        .where(
            rv.c.record_type == "enterprise",
            rv.c.natural_key == e.c.enterprise_id,
            rv.c["values"]["supervising_department_id"].as_string().isnot(None),
        )
        .scalar_subquery()
    )
    named_at = func.coalesce(first_named, e.c.received_at)
    open_on_due = and_(e.c.registered_on <= P.c.due_on, or_(e.c.closed_on.is_(None), e.c.closed_on > P.c.due_on))
    supervised = dep.c.safety_duty == True  # noqa: E712 - SQL
    late = and_(supervised, named_at >= P.c.grace_at)
    inner = (
        select(
            u.c.code.label("subject_id"),
            P.c.period,
            e.c.enterprise_id,
            case((supervised, 1), else_=0).label("sup"),
            case((late, 1), else_=0).label("late"),
            case((supervised, None), else_=e.c.enterprise_id).label("rid_unsup"),
            case((late, e.c.enterprise_id)).label("rid_late"),
        )
        .select_from(
            u.join(P, P.c.obligation_id == ob.id)
            .join(e, and_(e.c.county_code == u.c.code, open_on_due))
            .outerjoin(dep, dep.c.department_id == e.c.supervising_department_id)
        )
        .where(u.c.level.in_(list(ob.subject.levels)))
    )
    if subject_ids is not None:
        inner = inner.where(u.c.code.in_(subject_ids))
    A = per_subject_and_period(
        inner,
        dialect,
        (u.c.code, P.c.period, e.c.enterprise_id),
        lambda J: (
            func.count().label("n"),
            func.sum(J.c.sup).label("n_sup"),
            func.sum(J.c.late).label("n_late"),
            ordered_concat(J.c.rid_unsup).label("ids_unsup"),
            ordered_concat(J.c.rid_late).label("ids_late"),
        ),
    )
    H = holders(ob, subject_ids)
    frm = (
        u.join(P, P.c.obligation_id == ob.id)
        .outerjoin(A, and_(A.c.subject_id == u.c.code, A.c.period == P.c.period))
        .outerjoin(H, and_(H.c.subject_id == u.c.code, H.c.period == P.c.period))
    )
    n = func.coalesce(A.c.n, 0)
    n_sup = func.coalesce(A.c.n_sup, 0)
    n_late = func.coalesce(A.c.n_late, 0)
    exempt = n == 0
    pending = P.c.decided == 0
    met = and_(n_sup == n, n_late == 0)
    met_late = n_sup == n
    status = case(
        (exempt, text_literal("exempt")),
        (pending, text_literal("pending")),
        (met, text_literal("met")),
        (met_late, text_literal("met_late")),
        else_=text_literal("missed"),
    )
    reason = case(
        (exempt, text_literal("no_enterprises")),
        (and_(pending, P.c.grace_on.is_(None)), text_literal("calendar_unknown")),
        (pending, typed_null(String)),
        (met, typed_null(String)),
        (met_late, text_literal("late_records")),
        else_=text_literal("unsupervised: ") + cast(n - n_sup, String),
    )
    evidence = case(
        (exempt, typed_null(String)),
        (met, typed_null(String)),
        (met_late, A.c.ids_late),
        else_=A.c.ids_unsup,
    )
    computed = select(
        u.c.code.label("subject_id"),
        P.c.period.label("period"),
        status.label("status"),
        n_sup.label("counted"),
        n.label("required"),
        P.c.due_on.label("due_on"),
        P.c.grace_on.label("grace_ends_on"),
        reason.label("reason"),
        evidence.label("evidence"),
        H.c.responsible.label("responsible"),
        u.c.code.label("unit_code"),
    ).select_from(frm)
    computed = computed.where(u.c.level.in_(list(ob.subject.levels)))
    if subject_ids is not None:
        computed = computed.where(u.c.code.in_(subject_ids))
    run_periods = select(P.c.period).where(P.c.obligation_id == ob.id)
    return changed_only(ob, computed, Evaluation.__table__.c.period.in_(run_periods))


def plan(run: RuleRun) -> Plan | None:
    """Fill the run's periods (grace on the official calendar) and build the statement."""
    if not run.periods:
        return None
    conn = run.session.connection()
    fill_temp(conn, PERIOD_TABLE, period_rows(run.ob, run.periods, run.as_of))
    return Plan(supervision_query(run.ob, conn.dialect.name, run.subject_ids), {}, (PERIOD_TABLE,))


RULE = RuleKind("supervision", plan)
