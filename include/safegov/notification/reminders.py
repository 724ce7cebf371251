"""Pre-due reminders (到期提醒, SPEC §6 ladder step "reminder") and daily digests per safety office.

``queue_reminders(engine, register, on=D)`` finds every obligation × subject whose due date is
within N working days after ``D`` (N in the obligation's ``reminder_offsets``; days missed are
caught up, see :func:`due_dates_for`) and whose quota
is not yet met by the accepted records so far, and queues one reminder per subject and offset
(step ``remind-<N>``) to the responsible post holder, cc the unit's safety office (安委办).

Due dates: a period's last day; a once obligation's ``due_on``; a hazard's ``deadline``; a
12350 ticket's ``received_on`` + 15 working days (the obligation's parameter).

Set-based: per obligation and due date, one query lists the subjects and one ``GROUP BY``
counts their records; the rest is a set difference in Python.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from safegov.core.periods import (
    TZ,
    Cadence,
    CalendarRangeError,
    add_working_days,
    periods_between,
    working_days_between,
)
from safegov.db.models import RECORD_MODELS, Department, Enterprise, Leader, OutboxMessage, Staff, Training, Unit
from safegov.evaluation.rules.count import QUALITY_POSITIVE
from safegov.evaluation.rules.rolling_training import window_first
from safegov.notification.outbox import get_notification_config, queue_many
from safegov.org.directory import PostDirectory
from safegov.register.obligations import Obligation, Register
from safegov.register.records import FIRST_RESPONSIBLE_ROLES

log = logging.getLogger(__name__)

RECORD_LABELS = {
    "meeting": "会议记录（meeting）",
    "inspection": "督导检查记录（inspection）",
    "bulletin": "事故信息通报（bulletin）",
    "hazard_inspection": "隐患排查记录（hazard_inspection）",
    "risk_assessment": "风险评估记录（risk_assessment）",
    "hazard": "隐患整改记录（hazard）",
    "complaint": "举报办结记录（complaint）",
    "milestone": "建设完成记录（milestone）",
    "plan": "年度执法计划（plan）",
    "enterprise": "企业监管主体登记（enterprise）",
    "training": "执法人员轮训记录（training）",
    "budget": "安全生产专项资金预算（budget）",
    "safety_cost": "企业安全生产费用提取记录（safety_cost）",
    "referral": "事故情况报送记录（referral）",
    "assessment": "重点行业领域安全状况评估公告（assessment）",
    # 〔十五〕 ACCIDENT-REPORT-CHAIN has no reminder offsets: its windows are hours, and
    # reminders go out once a day; the label names the record in any other message.
    "accident_report": "事故信息报送记录（accident_report）",
    "drill": "应急演练记录（drill）",
    "review": "安全培训责任倒查记录（review）",
}


class Directory(PostDirectory):
    """Post holders (``safegov.org.directory``) and unit names, loaded once per run."""

    def __init__(self, session: Session):
        super().__init__(session)
        self.unit_names = dict(session.execute(select(Unit.code, Unit.name)).all())


def due_dates_for(on: dt.date, offset: int, horizon_days: int = 60, tighter: Iterable[int] = ()) -> set[dt.date]:
    """Due dates D after ``on`` that are within ``offset`` working days (the ``offset``-th
    working day before D is ``on`` or earlier) but not yet within a ``tighter`` offset.

    A day the reminder DAG did not run on — a weekend, an outage, the first start — is caught
    up by the next run, which sends the reminder of the stage the due date is in *now*, and
    only that one (no "5 days left" the day before the due date). The outbox key's step
    (``remind-N``) keeps each stage to one email however many days it is caught up on.
    """
    tighter = [t for t in tighter if t < offset]
    out: set[dt.date] = set()
    for i in range(1, horizon_days + 1):
        d = on + dt.timedelta(days=i)
        try:
            if add_working_days(d, -offset) <= on and all(add_working_days(d, -t) > on for t in tighter):
                out.add(d)
        except CalendarRangeError:
            break
    return out


def _unit_role(ob: Obligation) -> str:
    """Whose duty a unit-level obligation is: the register's ``params.responsible_role`` when
    it names one, else the party or the government by the body, else the safety office."""
    if "responsible_role" in ob.params:
        return ob.params["responsible_role"]
    body = ob.evidence.where.get("body")
    if body == "party_standing_committee":
        return "party_secretary"
    if body == "government_executive_meeting" or ob.rule == "milestone":
        return "government_head"
    return "safety_office_director"


def _counts(session: Session, ob: Obligation, first: dt.date | None, last: dt.date, period_key: str | None) -> Any:
    """(select of subject key, count) for the obligation's evidence in [first, last]."""
    if ob.rule == "supervision":
        return _supervised_counties(session, last)
    if ob.rule == "rolling_training":  # trainings in the window ending on the due date 〔九〕
        lo = window_first(last, int(ob.params["window_years"]))
        q = (
            select(Training.staff_id, func.count())
            .where(Training.trained_on >= lo, Training.trained_on <= last)
            .group_by(Training.staff_id)
        )
        return dict(session.execute(q).all())
    ev = ob.evidence
    model = RECORD_MODELS[ev.record_type]
    conds = []
    if ev.period_column and period_key:
        conds.append(getattr(model, ev.period_column) == period_key)  # a bulletin: the month it reports on
    else:
        col = getattr(model, ev.effective_date_column)
        if first is not None:
            conds.append(col >= first)
        conds.append(col <= last)
    for c, v in ev.where.items():
        conds.append(getattr(model, c) == v)
    for c in ev.not_null:
        conds.append(getattr(model, c).is_not(None))
    if ev.record_type == "hazard_inspection":
        conds.append(model.led_by_role.in_(FIRST_RESPONSIBLE_ROLES))
    for (rt, col), _reason in QUALITY_POSITIVE.items():  # 〔十〕 a report extracting nothing
        if rt == ev.record_type:
            conds.append(getattr(model, col) > 0)
    kind = ob.subject.kind
    if kind == "unit":
        q = select(model.unit_code.label("k"), func.count().label("n")).where(*conds).group_by(model.unit_code)
    elif kind == "enterprise":
        q = select(model.enterprise_id.label("k"), func.count().label("n")).where(*conds).group_by(model.enterprise_id)
    elif kind == "post":
        # An inspection counts for the post its leader held (the leader registry says which).
        k = (Leader.unit_code + ":" + Leader.role).label("k")
        q = (
            select(k, func.count().label("n"))
            .select_from(model)
            .join(Leader, Leader.leader_id == model.leader_id)
            .where(*conds)
            .group_by(Leader.unit_code, Leader.role)
        )
    elif kind == "department" and hasattr(model, "department_id"):  # a record naming its department (a plan)
        q = (
            select(model.department_id.label("k"), func.count().label("n"))
            .where(*conds, model.department_id.is_not(None))
            .group_by(model.department_id)
        )
    elif kind == "department":
        q = (
            select(Leader.department_id.label("k"), func.count().label("n"))
            .select_from(model)
            .join(Leader, Leader.leader_id == model.leader_id)
            .where(*conds, Leader.role == "department_head")
            .group_by(Leader.department_id)
        )
    else:
        raise ValueError(kind)
    return {k: n for k, n in session.execute(q)}


def _supervised_counties(session: Session, due: dt.date) -> dict[str, int]:
    """Unit → 1 unless an enterprise of it open on ``due`` names no supervising department
    with safety duties (ENT-SUPERVISOR 〔八〕, the rule ``supervision``): only the units with
    an unsupervised enterprise are reminded."""
    open_on_due = and_(Enterprise.registered_on <= due, or_(Enterprise.closed_on.is_(None), Enterprise.closed_on > due))
    unsupervised = set(
        session.scalars(
            select(Enterprise.county_code)
            .outerjoin(
                Department,
                and_(
                    Department.department_id == Enterprise.supervising_department_id, Department.safety_duty.is_(True)
                ),
            )
            .where(open_on_due, Department.department_id.is_(None))
            .distinct()
        )
    )
    return {code: 1 for code in session.scalars(select(Unit.code)) if code not in unsupervised}


def _subjects(
    session: Session, ob: Obligation, first: dt.date | None, due: dt.date, d: Directory
) -> list[dict[str, Any]]:
    """Subjects in scope with recipients: subject_id, name, unit_code, recipient, person/email."""
    kind = ob.subject.kind
    out = []
    if kind in ("unit", "post"):
        from safegov.org.units import level_of

        units = [(c, n) for c, n in d.unit_names.items() if level_of(c) in (ob.subject.levels or ())]
        for code, name in units:
            roles = ob.subject.roles if kind == "post" else (_unit_role(ob),)
            for role in roles:
                person = d.holder(code, role, due)
                sid = f"{code}:{role}" if kind == "post" else code
                out.append(
                    {
                        "subject_id": sid,
                        "subject_name": name,
                        "unit_code": code,
                        "recipient": person.leader_id if person else f"{code}:{role}",
                        "person": person,
                        "email": person.email if person else None,
                    }
                )
    elif kind == "department":
        q = select(Department.department_id, Department.name, Department.unit_code).where(
            Department.safety_duty.is_(True)
        )
        for dep_id, name, unit in session.execute(q):
            person = d.department_head(dep_id, due)
            out.append(
                {
                    "subject_id": dep_id,
                    "subject_name": name,
                    "unit_code": unit,
                    "recipient": person.leader_id if person else f"{unit}:department_head:{dep_id}",
                    "person": person,
                    "email": person.email if person else None,
                }
            )
    elif kind == "staff":
        # Officers in service on the due date past their first cycle; their department's head,
        # else their unit's safety office, is reminded.
        lo = window_first(due, int(ob.params["window_years"]))
        q = select(Staff.staff_id, Staff.name, Staff.unit_code, Staff.department_id).where(
            Staff.joined_on <= lo, or_(Staff.left_on.is_(None), Staff.left_on > due)
        )
        for sid, name, unit, dep_id in session.execute(q):
            person = d.department_head(dep_id, due) if dep_id else d.office(unit, due)
            out.append(
                {
                    "subject_id": sid,
                    "subject_name": f"{name}（{sid}）",
                    "unit_code": unit,
                    "recipient": person.leader_id if person else f"{unit}:safety_office_director",
                    "person": person,
                    "email": person.email if person else None,
                }
            )
    elif kind == "enterprise":
        q = select(Enterprise.enterprise_id, Enterprise.name, Enterprise.county_code, Enterprise.contact_email).where(
            Enterprise.registered_on <= due, or_(Enterprise.closed_on.is_(None), Enterprise.closed_on >= (first or due))
        )
        industries = ob.industries_on(due)
        if industries is not None:  # 〔十〕 only the high-risk industries of the rule in force
            q = q.where(Enterprise.industry.in_(sorted(industries)))
        for eid, name, county, email in session.execute(q):
            out.append(
                {
                    "subject_id": eid,
                    "subject_name": name,
                    "unit_code": county,
                    "recipient": eid,
                    "person": None,
                    "email": email,
                }
            )
    return out


def _periodic_targets(ob: Obligation, on: dt.date) -> list[tuple[int, dt.date, dt.date | None, str]]:
    """(offset, due date, period first day, period key) reminded on ``on``."""
    out = []
    for offset in ob.reminder_offsets:
        dues = due_dates_for(on, offset, horizon_days=max(60, offset * 3), tighter=ob.reminder_offsets)
        if not dues:
            continue
        if ob.cadence is Cadence.ONCE:
            if ob.due_on in dues:
                out.append((offset, ob.due_on, None, ob.due_on.isoformat()[:4]))
            continue
        for p in periods_between(min(dues), max(dues), ob.cadence):
            if p.last in dues:
                out.append((offset, p.last, p.first, p.key))
    return out


def queue_reminders(
    engine: Engine,
    register: Register,
    *,
    on: dt.date,
    run_id: str | None = None,
    created_at: dt.datetime | None = None,
    historical: bool = False,
) -> int:
    """Queue the reminders due on ``on`` (a local date); returns the rows newly queued.

    ``created_at`` defaults to the clock (SAFEGOV_NOW pins it): it is when the row was made,
    and decides whether an old period is beyond the history horizon (→ suppressed).
    """
    if isinstance(on, dt.datetime):
        on = on.astimezone(TZ).date()
    if created_at is None:
        from safegov.core.clock import get_clock

        created_at = get_clock().now()
    items: list[dict[str, Any]] = []
    with Session(engine) as session, session.begin():
        d = Directory(session)
        for ob in register.obligations:
            if not ob.reminder_offsets:
                continue
            if ob.cadence is Cadence.EVENT:
                items += _event_items(session, ob, on, d)
                continue
            for offset, due, first, key in _periodic_targets(ob, on):
                counted = _counts(session, ob, first, due, key if ob.cadence is not Cadence.ONCE else None)
                for s in _subjects(session, ob, first, due, d):
                    count_key = s["subject_id"] if ob.subject.kind != "unit" else s["unit_code"]
                    n = counted.get(count_key, 0)
                    if n >= ob.quota:
                        continue  # quota already met: no reminder
                    items.append(_item(ob, s, key, due, offset, n, d, historical, on))
        n = queue_many(session, items, created_at=created_at, run_id=run_id)
    log.info("reminders for %s: %s candidate(s), %s newly queued", on, len(items), n)
    return n


def _item(
    ob: Obligation,
    s: dict[str, Any],
    period: str,
    due: dt.date,
    offset: int,
    counted: int,
    d: Directory,
    historical: bool,
    on: dt.date,
) -> dict[str, Any]:
    """One reminder; ``on`` is the day it is sent, so the time left it states is the true one
    (a stage caught up late, ``remind-5`` sent the day before, says 1 working day)."""
    office = d.office(s["unit_code"], due) if s.get("unit_code") else None
    person = s.get("person")
    return {
        # Two obligations can share subject, period and due date (a unit's meeting and bulletin).
        "purpose": f"reminder:{ob.id}",
        "subject_id": s["subject_id"],
        "period": period,
        "recipient": s["recipient"],
        "step": f"remind-{offset}",
        "to_email": s.get("email"),
        "cc": [office.email] if office and office.email else [],
        "template": "reminder",
        "historical": historical,
        "period_end": due,
        "context": {
            "recipient_name": person.name if person else s.get("subject_name"),
            "obligation_id": ob.id,
            "obligation_title": ob.title,
            "article": list(ob.article),
            "subject_id": s["subject_id"],
            "subject_name": s.get("subject_name"),
            "period": period,
            "due_on": due.isoformat(),
            "offset": offset,
            "days_left": working_days_between(on, due),
            "required": ob.quota,
            "counted": counted,
            "record_type": RECORD_LABELS.get(ob.evidence.record_type),
        },
    }


def _event_items(session: Session, ob: Obligation, on: dt.date, d: Directory) -> list[dict[str, Any]]:
    """Hazards due for rectification and 12350 tickets due for conclusion, not yet done."""
    from safegov.db.models import Complaint, Hazard

    items = []
    for offset in ob.reminder_offsets:
        dues = due_dates_for(on, offset, horizon_days=max(60, offset * 3), tighter=ob.reminder_offsets)
        if not dues:
            continue
        if ob.rule == "hazard_deadline":
            q = (
                select(
                    Hazard.hazard_id,
                    Hazard.deadline,
                    Hazard.description,
                    Enterprise.enterprise_id,
                    Enterprise.name,
                    Enterprise.county_code,
                    Enterprise.contact_email,
                )
                .join(Enterprise, Enterprise.enterprise_id == Hazard.enterprise_id)
                .where(Hazard.deadline.in_(sorted(dues)), Hazard.rectified_on.is_(None))
            )
            for r in session.execute(q):
                s = {
                    "subject_id": r.hazard_id,
                    "subject_name": f"{r.name}（{r.hazard_id}）",
                    "unit_code": r.county_code,
                    "recipient": r.enterprise_id,
                    "person": None,
                    "email": r.contact_email,
                }
                items.append(_item(ob, s, r.deadline.isoformat(), r.deadline, offset, 0, d, False, on))
        elif ob.rule == "ticket_conclusion":
            received = _starts_falling_due(dues, int(ob.params.get("conclude_within_working_days", 15)))
            if not received:
                continue
            q = select(Complaint.ticket_id, Complaint.unit_code, Complaint.received_on).where(
                Complaint.received_on.in_(sorted(received)), Complaint.concluded_on.is_(None)
            )
            for r in session.execute(q):
                due = received[r.received_on]
                s = _office_subject(d, r.unit_code, due, r.ticket_id, f"12350举报（{r.ticket_id}）")
                items.append(_item(ob, s, due.isoformat(), due, offset, 0, d, False, on))
        elif ob.rule == "liability_review":
            items += _liability_review_items(session, ob, on, d, offset, dues)
    return items


def _starts_falling_due(dues: set[dt.date], within: int) -> dict[dt.date, dt.date]:
    """The start days (a ticket received, a liability finding) whose deadline ``within``
    working days later is one of ``dues``: start day → its due day. The search stops where
    the official calendar does."""
    starts: dict[dt.date, dt.date] = {}
    day = min(dues) - dt.timedelta(days=within * 3)
    while day <= max(dues):
        try:
            due = add_working_days(day, within)
        except CalendarRangeError:
            break
        if due in dues:
            starts[day] = due
        day += dt.timedelta(days=1)
    return starts


def _office_subject(d: Directory, unit_code: str, due: dt.date, subject_id: str, subject_name: str) -> dict[str, Any]:
    """An event's reminder subject answered by the unit's safety office (its director on ``due``)."""
    office = d.office(unit_code, due)
    return {
        "subject_id": subject_id,
        "subject_name": subject_name,
        "unit_code": unit_code,
        "recipient": office.leader_id if office else f"{unit_code}:safety_office_director",
        "person": office,
        "email": office.email if office else None,
    }


def _liability_review_items(
    session: Session, ob: Obligation, on: dt.date, d: Directory, offset: int, dues: set[dt.date]
) -> list[dict[str, Any]]:
    """〔十四〕 liability accidents whose training review falls due on one of ``dues`` (the N-th
    working day after the finding) and that no review names yet: the unit's safety office."""
    from safegov.db.models import Accident, Review

    found = _starts_falling_due(dues, int(ob.params["review_within_working_days"]))
    if not found:
        return []
    reviewed = select(Review.accident_id)
    q = select(Accident.accident_id, Accident.unit_code, Accident.liability_found_on).where(
        Accident.liability_found_on.in_(sorted(found)), Accident.accident_id.not_in(reviewed)
    )
    items = []
    for r in session.execute(q):
        due = found[r.liability_found_on]
        name = f"{d.unit_names.get(r.unit_code, r.unit_code)}生产安全责任事故（{r.accident_id}）"
        s = _office_subject(d, r.unit_code, due, r.accident_id, name)
        items.append(_item(ob, s, due.isoformat(), due, offset, 0, d, False, on))
    return items


def queue_digests(
    engine: Engine, *, on: dt.date, run_id: str | None = None, created_at: dt.datetime | None = None
) -> int:
    """One digest per configured safety office for the items queued on local day ``on``."""
    cfg = get_notification_config()
    if not cfg.digest.offices:
        return 0
    if created_at is None:
        from safegov.core.clock import get_clock

        created_at = get_clock().now()
    start = dt.datetime.combine(on, dt.time(), TZ)
    end = start + dt.timedelta(days=1)
    t = OutboxMessage
    items = []
    with Session(engine) as session, session.begin():
        d = Directory(session)
        rows = session.execute(
            select(t.digest_office, t.subject_id, t.purpose, t.step, t.period, t.mail_subject)
            .where(
                t.digest_office.is_not(None),
                and_(t.created_at >= start, t.created_at < end),
                t.state != "suppressed",
                t.purpose != "digest",
            )
            .order_by(t.digest_office, t.id)
        ).all()
        by_office: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            by_office[r.digest_office].append(
                {
                    "subject": r.subject_id,
                    "purpose": r.purpose,
                    "step": r.step,
                    "period": r.period,
                    "mail_subject": r.mail_subject,
                }
            )
        for office, its in by_office.items():
            person = d.office(office, on)
            items.append(
                {
                    "purpose": "digest",
                    "subject_id": office,
                    "period": on.isoformat(),
                    "recipient": person.leader_id if person else f"{office}:safety_office_director",
                    "step": "daily",
                    "to_email": person.email if person else None,
                    "template": "digest",
                    "period_end": on,
                    "context": {
                        "office": office,
                        "office_name": d.unit_names.get(office, office),
                        "on": on.isoformat(),
                        "recipient_name": person.name if person else None,
                        "items": its,
                    },
                }
            )
        n = queue_many(session, items, created_at=created_at, run_id=run_id)
    return n
