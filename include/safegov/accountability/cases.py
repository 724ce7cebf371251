"""Accountability cases (问责案件): idempotent creation, approval, withdrawal (SPEC §6).

A case is keyed by ``case_key = rule|subject|period|step`` (unique), so re-runs, clears and
backfills never duplicate one. Every state change writes a ``case_event`` row and an audit
link in the same transaction.

States: ``open`` (no approval needed: notice, reporting_violation, enforcement),
``awaiting_approval`` (the case names a person: interview 约谈, admonishment 诫勉谈话,
dual_interview 双约谈), ``unreviewed`` (such a case opened by a historical run),
``approved``, ``rejected``, ``withdrawn`` (the miss was cured, or the facts behind an event
case changed — kept, never deleted), ``closed``.

A case's ``rule_id`` is an obligation's id (the ladder for misses) or an accountability
rule's (accidents, hazards); the register says which.

Historical cases (backfills) that name a person are stored ``unreviewed``: a backfill
recomputes what the facts would have justified, it does not know what was decided at the
time, so such a case is no decision and does not count where decisions count (the
one-vote-veto report). Nothing is queued for an unreviewed case. An office reviews history
in bulk, a month at a time (``decide_historical``: ``safegov cases approve|reject
--historical --period YYYY-MM``); approving sends nothing either, the events are past.
Other historical cases (notices and the like) are ``open`` as live ones; their notices are
queued only with ``QUEUE_HISTORICAL``, and then with ``historical=True`` so the outbox
stores them suppressed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from safegov.core.errors import SafegovError
from safegov.core.periods import TZ, Cadence, local_date, parse_period, working_days_between
from safegov.db import audit
from safegov.db.engine import insert_for, session_scope
from safegov.db.models import Case, CaseEvent, Enterprise
from safegov.notification.outbox import queue_many
from safegov.org.directory import PostDirectory
from safegov.org.units import parent_of
from safegov.register.obligations import Obligation, get_register

log = logging.getLogger(__name__)

# A blacklist listing is decided by the authority the rule names (Order No. 11 art. 4): it
# waits for that office's approval like a case that names a person.
# A penalty recommendation 〔十八〕 names the enterprise's legal representative and actual
# controller: it waits for the office that imposed the enforcement decision.
NEEDS_APPROVAL = frozenset({"interview", "admonishment", "dual_interview", "blacklist", "penalty_recommendation"})
# States in which a case is still in force (a later cure withdraws it).
ACTIVE_STATES = ("open", "awaiting_approval", "unreviewed", "approved")
# Every state a case can be in (the i18n table of the dashboard has a Chinese name for each).
STATES = ("open", "awaiting_approval", "unreviewed", "approved", "rejected", "withdrawn", "closed")
TEMPLATES = {
    "notice": "notice",
    "interview": "case_interview",
    "admonishment": "case_admonishment",
    "dual_interview": "case_dual_interview",
    "reporting_violation": "case_reporting_violation",
    "enforcement": "case_enforcement",
    "blacklist": "case_blacklist",
    "penalty_recommendation": "case_penalty_recommendation",
}
REGION = "150000"
# Backfilled (historical) cases: queue their notices as suppressed outbox rows (True), or
# queue nothing (False, the default: nothing is sent either way, and a ten-year backfill
# stays fast).
QUEUE_HISTORICAL = False
_CHUNK = 500
_JSON_BATCH = 5000  # rows per PostgreSQL bulk insert (see _insert_rows)
AUDIT_BATCH = 500


@dataclass
class CaseSpec:
    """What a rule wants to exist; ``case_key`` is derived from rule|subject|period|step."""

    kind: str
    rule_id: str
    subject_kind: str
    subject_id: str
    period: str
    step: str
    period_start: dt.date | None
    unit_code: str | None
    deciding_unit: str | None
    persons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def case_key(self) -> str:
        return make_key(self.rule_id, self.subject_id, self.period, self.step)


def make_key(rule_id: str, subject_id: str, period: str, step: str) -> str:
    return f"{rule_id}|{subject_id}|{period}|{step}"


def _joined(persons: Sequence[str]) -> str | None:
    """Persons named, de-duplicated in order, joined by ';' (None when nobody is named)."""
    if len(persons) == 1:  # most cases: a quarter of a million of them in a ten-year backfill
        return persons[0] or None
    return ";".join(dict.fromkeys(p for p in persons if p)) or None


def _chunks(seq: Sequence, n: int = _CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _insert_rows(
    session: Session, table, rows: Sequence[dict[str, Any]], *, unique: str | None = None, returning: Sequence[str] = ()
) -> list:
    """INSERT ``rows`` (all with the same keys) [ON CONFLICT (unique) DO NOTHING] [RETURNING
    …]; returns the returned rows.

    PostgreSQL gets each batch as one JSON document expanded by ``json_populate_recordset``:
    one short statement instead of tens of thousands of bound parameters, about twice as
    fast for the quarter of a million cases of a ten-year backfill. SQLite binds natively.
    """
    out: list = []
    if not rows:
        return out
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        quote = bind.dialect.identifier_preparer.quote
        name = bind.dialect.identifier_preparer.format_table(table)
        columns = ", ".join(quote(c) for c in rows[0])
        sql = (
            f"INSERT INTO {name} ({columns}) "
            f"SELECT {columns} FROM json_populate_recordset(NULL::{name}, CAST(:rows AS json))"
        )
        if unique:
            sql += f" ON CONFLICT ({quote(unique)}) DO NOTHING"
        if returning:
            sql += " RETURNING " + ", ".join(quote(c) for c in returning)
        stmt = text(sql)
        for chunk in _chunks(rows, _JSON_BATCH):
            result = session.execute(stmt, {"rows": json.dumps(list(chunk), default=_json_value)})
            if returning:
                out += result.all()
        return out
    stmt = insert_for(session, table)
    if unique:
        stmt = stmt.on_conflict_do_nothing(index_elements=[unique])
    if not returning:
        for chunk in _chunks(rows, 2000):
            session.execute(stmt, list(chunk))
        return out
    stmt = stmt.returning(*[table.c[c] for c in returning])
    for chunk in _chunks(rows, 1000):
        out += (session.execute(stmt, list(chunk)) if len(chunk) > 1 else session.execute(stmt.values(chunk[0]))).all()
    return out


def _json_value(value: Any) -> str:
    if isinstance(value, dt.date):  # datetimes too: aware, so the offset is kept
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def initial_state(kind: str, historical: bool) -> str:
    if kind in NEEDS_APPROVAL:
        return "unreviewed" if historical else "awaiting_approval"
    return "open"


# --------------------------------------------------------------------------- notifications


class CaseDirectory(PostDirectory):
    """Look-ups for one run's notices: post holders and leaders (``safegov.org.directory``),
    and enterprises' contacts, on demand or preloaded in bulk."""

    def __init__(self, session: Session):
        super().__init__(session)
        self._enterprises: dict[str, tuple[str | None, str | None, str | None]] = {}

    def enterprise(self, enterprise_id: str) -> tuple[str | None, str | None, str | None]:
        """(name, contact_email, legal_representative)."""
        if enterprise_id not in self._enterprises:
            row = self.session.execute(
                select(Enterprise.name, Enterprise.contact_email, Enterprise.legal_representative).where(
                    Enterprise.enterprise_id == enterprise_id
                )
            ).first()
            self._enterprises[enterprise_id] = tuple(row) if row else (None, None, None)  # type: ignore[assignment]
        return self._enterprises[enterprise_id]

    def preload_enterprises(self, ids: Iterable[str]) -> None:
        missing = sorted({i for i in ids if i not in self._enterprises})
        for chunk in _chunks(missing):
            for eid, name, email, rep in self.session.execute(
                select(
                    Enterprise.enterprise_id, Enterprise.name, Enterprise.contact_email, Enterprise.legal_representative
                ).where(Enterprise.enterprise_id.in_(chunk))
            ):
                self._enterprises[eid] = (name, email, rep)
            for eid in chunk:
                self._enterprises.setdefault(eid, (None, None, None))


def queue_mail(session: Session, **kwargs: Any) -> bool:
    """``safegov.notification.outbox.queue`` (idempotent on purpose|subject|period|recipient|step)."""
    return queue_mails(session, [kwargs], created_at=kwargs.pop("created_at"), run_id=kwargs.pop("run_id", None)) > 0


def queue_mails(
    session: Session, items: list[dict[str, Any]], *, created_at: dt.datetime, run_id: str | None = None
) -> int:
    """Bulk queue through ``safegov.notification.outbox.queue_many`` (one audit append per batch)."""
    if not items:
        return 0
    return int(queue_many(session, items, created_at=created_at, run_id=run_id))


def _office_label(unit_code: str) -> str:
    return f"office:{unit_code}"


def recipients(case: Case, directory: CaseDirectory) -> list[tuple[str, str | None]]:
    """Who is told about a case: (recipient id, email). Order matters only for readability."""
    on = case.period_start or case.opened_on
    out: list[tuple[str, str | None]] = []
    seen: set[str] = set()

    def add(rid: str, email: str | None) -> None:
        if rid not in seen:
            seen.add(rid)
            out.append((rid, email))

    def office(unit: str | None) -> None:
        if unit:
            director = directory.office(unit, on)
            add(_office_label(unit), director.email if director else None)

    # The persons named: leaders get their email; a plain name (hazard responsible person)
    # has no address, the offices carry the case to them.
    for person in filter(None, (case.persons or "").split(";")):
        found = directory.leader(person)
        if found is not None:
            add(person, found.email)
    # A blacklist decision reaches the enterprise through the blacklist's own notice (告知).
    if (case.subject_kind == "enterprise" and case.kind != "blacklist") or case.kind == "enforcement":
        eid = case.subject_id if case.subject_kind == "enterprise" else (case.details or {}).get("enterprise_id")
        if eid:
            add(f"enterprise:{eid}", directory.enterprise(eid)[1])
    if case.kind == "notice":
        # The post holder and the superior unit's safety office (SPEC §6); for event
        # subjects (tickets, hazards) the unit's own office is the one that must act.
        if case.subject_kind in ("ticket", "hazard"):
            office(case.unit_code)
        else:
            office(case.deciding_unit)
    elif case.kind == "reporting_violation":
        office(case.unit_code)
        office(case.deciding_unit)
    elif case.kind == "enforcement":
        office(case.unit_code)
    else:
        office(case.deciding_unit)
        if case.unit_code and case.unit_code != case.deciding_unit:
            office(case.unit_code)
    return out


def _obligation(rule_id: str) -> Obligation | None:
    """The obligation a case's rule id names; None for an accountability rule (accident,
    hazard). An id that is neither is an error (KeyError)."""
    register = get_register()
    return None if register.is_accountability_rule(rule_id) else register.get(rule_id)


def case_context(case: Case) -> dict[str, Any]:
    """Template context (names follow safegov.notification.outbox's documented context)."""
    details = case.details or {}
    ob = _obligation(case.rule_id)
    return {
        "case_id": case.id,
        "case_key": case.case_key,
        "kind": case.kind,
        "case_kind": case.kind,
        "rule_id": case.rule_id,
        "obligation_id": case.rule_id if ob else None,
        "obligation_title": ob.title if ob else None,
        "article": list(ob.article) if ob else None,
        "subject_kind": case.subject_kind,
        "subject_id": case.subject_id,
        "unit_code": case.unit_code,
        "period": case.period,
        "period_start": case.period_start.isoformat() if case.period_start else None,
        "due_on": details.get("due_on"),
        "reason": details.get("why") or details.get("reason"),
        "persons": [p for p in (case.persons or "").split(";") if p],
        "deciding_unit": case.deciding_unit,
        "state": case.state,
        "opened_on": case.opened_on.isoformat(),
        "accident_id": details.get("accident_id"),
        "hazard_id": details.get("hazard_id"),
        "enterprise_id": details.get("enterprise_id")
        or (case.subject_id if case.subject_kind == "enterprise" else None),
        "details": details,
    }


def case_mail_items(case: Case, directory: CaseDirectory, *, period_end: dt.date | None = None) -> list[dict[str, Any]]:
    """The outbox items (``queue`` keyword arguments) for a case's notices, one per recipient.

    ``period_end`` is the day the outbox's history horizon is judged on: the event's day
    for event cases (accountability rules, event obligations: their period is an id), the
    decision day for approvals.
    """
    ctx = case_context(case)
    if period_end is None and case.kind == "enforcement":
        # Opened only while the hazard is still unrectified on the run's day: current news
        # however long ago the deadline passed (an overdue hazard is chased, never aged out).
        period_end = case.opened_on
    if period_end is None and (ctx["obligation_id"] is None or case.period == case.subject_id):
        period_end = case.period_start
    items = []
    for rid, email in recipients(case, directory):
        name = None
        if rid.startswith("enterprise:"):
            name = directory.enterprise(rid.split(":", 1)[1])[0]
        elif not rid.startswith("office:"):
            found = directory.leader(rid)
            name = found.name if found else None
        items.append(
            dict(
                purpose=f"case:{case.rule_id}"[:32],
                subject_id=case.subject_id,
                period=case.period,
                recipient=rid,
                step=case.step,
                to_email=email,
                cc=None,
                template=TEMPLATES[case.kind],
                context={**ctx, "recipient": rid, "recipient_name": name},
                historical=case.historical,
                period_end=period_end,
            )
        )
    return items


def queue_case_notices(
    session: Session,
    case: Case,
    directory: CaseDirectory,
    *,
    at: dt.datetime,
    run_id: str | None = None,
    period_end: dt.date | None = None,
) -> int:
    """Queue the case's emails (one per recipient). Idempotent through the outbox key."""
    return queue_mails(session, case_mail_items(case, directory, period_end=period_end), created_at=at, run_id=run_id)


# --------------------------------------------------------------------------- creation


def ensure_cases(
    session: Session,
    specs: Sequence[CaseSpec],
    *,
    at: dt.datetime,
    run_id: str | None = None,
    historical: bool = False,
    directory: CaseDirectory | None = None,
    known: dict[str, tuple[int, str]] | None = None,
) -> dict[str, int]:
    """Create the cases that do not exist yet; reopen withdrawn ones the facts justify again.

    Returns counts ``created`` / ``reopened`` / ``queued``. Existing cases in any other
    state are left alone (a re-run changes nothing). ``known``: case_key → (id, state) the
    caller has already read (only the other keys are looked up).
    """
    counts = {"created": 0, "reopened": 0, "queued": 0}
    if not specs:
        return counts
    by_key: dict[str, CaseSpec] = {}
    for s in specs:
        by_key.setdefault(s.case_key, s)
    keys = list(by_key)
    existing: dict[str, tuple[int, str]] = {}
    if known is not None:
        existing = {k: known[k] for k in keys if k in known}
        # A key outside the caller's window (an event whose date was corrected) still exists once.
        keys_to_read = [k for k in keys if k not in known]
    else:
        keys_to_read = keys
    for chunk in _chunks(keys_to_read):
        for cid, key, state in session.execute(
            select(Case.id, Case.case_key, Case.state).where(Case.case_key.in_(chunk))
        ):
            existing[key] = (cid, state)
    opened_on = local_date(at)
    new_rows = []
    for key in keys:
        if key in existing:
            continue
        s = by_key[key]
        state = initial_state(s.kind, historical)
        new_rows.append(
            {
                "case_key": key,
                "kind": s.kind,
                "rule_id": s.rule_id,
                "subject_kind": s.subject_kind,
                "subject_id": s.subject_id,
                "unit_code": s.unit_code,
                "period": s.period,
                "period_start": s.period_start,
                "step": s.step,
                "persons": _joined(s.persons),
                "deciding_unit": s.deciding_unit,
                "state": state,
                "opened_on": opened_on,
                "historical": historical,
                "decided_by": None,
                "decided_at": None,
                "decision_reason": None,
                "details": s.details or None,
                "run_id": run_id,
            }
        )
    touched_ids: list[int] = []
    if new_rows:
        # RETURNING tells exactly which rows this run inserted: a concurrent run that got
        # there first keeps its own events and audit links, and none are doubled here.
        ids = dict(
            (k, i)
            for i, k in _insert_rows(session, Case.__table__, new_rows, unique="case_key", returning=("id", "case_key"))
        )
        new_rows = [r for r in new_rows if r["case_key"] in ids]
        events, links = [], []
        for r in new_rows:
            cid = ids[r["case_key"]]
            touched_ids.append(cid)
            events.append(
                {
                    "case_id": cid,
                    "from_state": None,
                    "to_state": r["state"],
                    "at": at,
                    "by": "escalate",
                    "reason": "historical backfill: to be reviewed" if r["state"] == "unreviewed" else None,
                }
            )
            links.append([cid, r["case_key"], r["state"], r["persons"]])
        _insert_rows(session, CaseEvent.__table__, events)
        # One audit link per batch of up to AUDIT_BATCH opened cases (each case listed with
        # its id, key, state and persons): the chain still records every opening, and a
        # ten-year backfill does not spend its time on a quarter of a million links.
        audit.append_many(
            session,
            [
                (
                    "case",
                    f"{chunk[0][1]} (+{len(chunk) - 1})" if len(chunk) > 1 else chunk[0][1],
                    "opened",
                    {
                        "cases": list(chunk),
                        "fields": ["case_id", "case_key", "state", "persons"],
                        "historical": historical,
                        "run_id": run_id,
                    },
                )
                for chunk in _chunks(links, AUDIT_BATCH)
            ],
            at,
        )
        counts["created"] = len(new_rows)
    reopen = [(key, cid) for key, (cid, state) in existing.items() if state == "withdrawn"]
    if reopen:
        for key, cid in reopen:
            s = by_key[key]
            to = initial_state(s.kind, historical)
            _set_state(
                session,
                [cid],
                "withdrawn",
                to,
                at=at,
                by="escalate",
                reason="the miss is established again",
                extra={"decided_by": None, "decided_at": None, "decision_reason": None},
            )
            touched_ids.append(cid)
        counts["reopened"] = len(reopen)
    # Notices go out now for cases that need no approval. Historical cases queue nothing
    # (QUEUE_HISTORICAL): there is nothing to send, and rendering hundreds of thousands of
    # suppressed emails would dominate a ten-year backfill. An unreviewed case is no
    # decision: nothing is queued for it even with QUEUE_HISTORICAL.
    if touched_ids and (not historical or QUEUE_HISTORICAL):
        directory = directory or CaseDirectory(session)
        ents = [key.split("|")[1] for key in keys if by_key[key].subject_kind == "enterprise"]
        if ents:
            directory.preload_enterprises(ents)
        for chunk in _chunks(touched_ids):
            items: list[dict[str, Any]] = []
            for case in session.scalars(select(Case).where(Case.id.in_(chunk))):
                if case.state == "open":
                    items += case_mail_items(case, directory)
            counts["queued"] += queue_mails(session, items, created_at=at, run_id=run_id)
    return counts


def _set_state(
    session: Session,
    case_ids: Sequence[int],
    from_state: str | None,
    to_state: str,
    *,
    at: dt.datetime,
    by: str | None,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Move cases to ``to_state``: update, case_event and audit link per case."""
    if not case_ids:
        return
    values = {"state": to_state, **(extra or {})}
    keys: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(list(case_ids)):
        session.execute(
            update(Case).where(Case.id.in_(chunk)).values(**values).execution_options(synchronize_session=False)
        )
        keys.update(
            {
                i: (k, s)
                for i, k, s in session.execute(select(Case.id, Case.case_key, Case.state).where(Case.id.in_(chunk)))
            }
        )
    session.execute(
        CaseEvent.__table__.insert(),
        [
            {"case_id": cid, "from_state": from_state, "to_state": to_state, "at": at, "by": by, "reason": reason}
            for cid in case_ids
        ],
    )
    audit.append_many(
        session,
        [
            (
                "case",
                keys[cid][0],
                to_state,
                {"case_id": cid, "from": from_state, "to": to_state, "by": by, "reason": reason},
            )
            for cid in case_ids
        ],
        at,
    )
    session.expire_all()


def withdraw_cases(session: Session, rows: Sequence[tuple[int, str]], *, at: dt.datetime, reason: str) -> int:
    """Withdraw (never delete) cases no longer justified; ``rows`` are (case_id, state)."""
    by_state: dict[str, list[int]] = {}
    for cid, state in rows:
        if state in ACTIVE_STATES:
            by_state.setdefault(state, []).append(cid)
    for state, ids in by_state.items():
        _set_state(session, ids, state, "withdrawn", at=at, by="escalate", reason=reason)
    return sum(len(v) for v in by_state.values())


def existing_cases(
    session: Session, rule_ids: Sequence[str], lo: dt.date, hi: dt.date, steps: Sequence[str] | None = None
) -> dict[str, tuple[int, str]]:
    """case_key → (id, state) of the rules' cases whose period starts in [lo, hi]."""
    q = select(Case.case_key, Case.id, Case.state).where(
        Case.rule_id.in_(list(rule_ids)), Case.period_start.between(lo, hi)
    )
    if steps:
        q = q.where(Case.step.in_(list(steps)))
    return {k: (i, s) for k, i, s in session.execute(q)}


def reconcile_cases(
    session: Session,
    desired: list[CaseSpec],
    existing: dict[str, tuple[int, str]],
    *,
    create_lo: dt.date,
    create_hi: dt.date,
    at: dt.datetime,
    run_id: str | None,
    historical: bool,
    directory: CaseDirectory,
    reason: str,
) -> dict[str, int]:
    """Create the desired cases whose period starts in [create_lo, create_hi]; withdraw the
    active ``existing`` ones that are no longer desired (``reason`` says why)."""
    create = [s for s in desired if s.period_start is not None and create_lo <= s.period_start <= create_hi]
    counts = ensure_cases(
        session, create, at=at, run_id=run_id, historical=historical, directory=directory, known=existing
    )
    keys = {s.case_key for s in desired}
    stale = [(cid, state) for key, (cid, state) in existing.items() if key not in keys and state in ACTIVE_STATES]
    counts["withdrawn"] = withdraw_cases(session, stale, at=at, reason=reason)
    return counts


# --------------------------------------------------------------------------- approvals


def cases_awaiting_approval(session: Session, run_id: str | None = None) -> list[dict[str, Any]]:
    """Cases that name a person and wait for the deciding office (Airflow HITL reads this).

    ``run_id``: only the cases that run opened — each escalation run's approval form lists
    its own cases, so an unanswered form never holds back later runs or their cases.
    """
    query = select(Case).where(Case.state == "awaiting_approval")
    if run_id is not None:
        query = query.where(Case.run_id == run_id)
    rows = session.scalars(query.order_by(Case.opened_on, Case.id)).all()
    return [case_context(c) | {"state": c.state} for c in rows]


def _checked_decision(decided_by: str, approve: bool, reason: str | None, at: dt.datetime) -> dt.datetime:
    """A decision needs its decider, and a rejection its reason; returns the aware moment."""
    if not decided_by or not str(decided_by).strip():
        raise SafegovError("decided_by is required: who decides?")
    if not approve and not (reason and reason.strip()):
        raise SafegovError("a rejection needs a reason")
    return at if at.tzinfo else at.replace(tzinfo=TZ)


def decide_cases(
    engine: Engine,
    case_ids: Sequence[int],
    *,
    approve: bool,
    decided_by: str,
    reason: str | None = None,
    at: dt.datetime,
    run_id: str | None = None,
) -> int:
    """Approve or reject cases awaiting approval; returns how many changed.

    Approving queues the case notices (persons and offices). Rejecting records the reason
    (required). Deciding a case again the same way is a no-op (re-runs are safe), and a
    case withdrawn meanwhile is skipped; deciding a case in any other state is an error
    naming it, and nothing is changed.
    """
    at = _checked_decision(decided_by, approve, reason, at)
    target = "approved" if approve else "rejected"
    ids = sorted({int(i) for i in case_ids})
    with session_scope(engine) as session:
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
        missing = [i for i in ids if i not in cases]
        if missing:
            raise SafegovError(f"no case with id {', '.join(map(str, missing))}")
        # A case withdrawn meanwhile (its miss was cured) is skipped, not an error: the
        # approval form may list it from before the cure.
        withdrawn = [i for i in ids if cases[i].state == "withdrawn"]
        if withdrawn:
            log.warning("cases %s were withdrawn before the decision; skipped", withdrawn)
        wrong = [c for c in cases.values() if c.state not in ("awaiting_approval", target, "withdrawn")]
        if wrong:
            c = wrong[0]
            if c.state == "unreviewed":
                # History is reviewed a month at a time, with its own rule: nothing is sent.
                raise SafegovError(
                    f"case {c.id} is unreviewed (opened by a historical run): decide it with "
                    f"--historical --period {c.period_start:%Y-%m}"
                )
            raise SafegovError(f"case {c.id} is {c.state}, not awaiting approval")
        todo = [i for i in ids if cases[i].state == "awaiting_approval"]
        if not todo:
            return 0
        _set_state(
            session,
            todo,
            "awaiting_approval",
            target,
            at=at,
            by=decided_by,
            reason=reason,
            extra={"decided_by": decided_by, "decided_at": at, "decision_reason": reason},
        )
        if approve:
            directory = CaseDirectory(session)
            for case in session.scalars(select(Case).where(Case.id.in_(todo))):
                # Judged on the decision day: an approval sends its notices now.
                queue_case_notices(session, case, directory, at=at, run_id=run_id, period_end=local_date(at))
        return len(todo)


def _history_month(period: str):
    month = parse_period(period)
    if month.cadence is not Cadence.MONTHLY:
        raise SafegovError(f"--period {period!r}: expected a month YYYY-MM")
    return month


def _unreviewed_query(period: str, units: Collection[str] | None):
    """The ``unreviewed`` historical cases whose period starts in the month, decided by one
    of ``units`` (None: any)."""
    month = _history_month(period)
    q = select(Case).where(
        Case.state == "unreviewed",
        Case.historical.is_(True),
        Case.period_start.between(month.first, month.last),
    )
    if units is not None:
        q = q.where(Case.deciding_unit.in_(sorted(units)))
    return q.order_by(Case.id)


def unreviewed_cases(session: Session, period: str, *, units: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The month's history to review (the bulk review form lists these): each unreviewed
    case's id, kind, rule, subject, unit, deciding unit, persons (leader ids joined by ';'),
    period and why — ids only; the caller adds the names people read."""
    return [
        {
            "case_id": c.id,
            "kind": c.kind,
            "rule_id": c.rule_id,
            "subject_kind": c.subject_kind,
            "subject_id": c.subject_id,
            "unit_code": c.unit_code,
            "deciding_unit": c.deciding_unit,
            "persons": c.persons,
            "period": c.period,
            "period_start": c.period_start,
            "why": (c.details or {}).get("why"),
        }
        for c in session.scalars(_unreviewed_query(period, units))
    ]


def decide_historical(
    engine: Engine,
    period: str,
    *,
    approve: bool,
    decided_by: str,
    reason: str | None = None,
    at: dt.datetime,
    case_ids: Sequence[int] | None = None,
    units: Collection[str] | None = None,
) -> int:
    """Review a month of history: approve or reject every ``unreviewed`` case (a historical
    run's case that names a person) whose period starts in the month ``period`` (YYYY-MM; a
    quarter's or a year's case starts in its first month) — or only ``case_ids`` among them,
    and only those decided by one of ``units`` when given (the review form of one office).
    Returns how many changed: a re-run finds none left and changes nothing.

    A chosen id that is not a historical case of the month (and units) is an error naming
    it, and nothing changes; one decided already (a re-run, or the CLI since the form was
    listed) is skipped.

    The events are past: approving queues no email (with ``QUEUE_HISTORICAL`` the notices
    are stored suppressed, as for any historical case).
    """
    at = _checked_decision(decided_by, approve, reason, at)
    target = "approved" if approve else "rejected"
    with session_scope(engine) as session:
        ids = [c.id for c in session.scalars(_unreviewed_query(period, units))]
        if case_ids is not None:
            chosen = sorted({int(i) for i in case_ids})
            open_ids = set(ids)
            others = [i for i in chosen if i not in open_ids]
            if others:
                # Decided meanwhile (the form may list a case the CLI has decided since): skipped.
                month = _history_month(period)
                q = select(Case.id).where(
                    Case.id.in_(others),
                    Case.historical.is_(True),
                    Case.state.in_(("approved", "rejected", "withdrawn", "closed")),
                    Case.period_start.between(month.first, month.last),
                )
                if units is not None:
                    q = q.where(Case.deciding_unit.in_(sorted(units)))
                decided = set(session.scalars(q))
                wrong = [i for i in others if i not in decided]
                if wrong:
                    raise SafegovError(
                        f"case(s) {', '.join(map(str, wrong))} are not historical cases of {period}"
                        + (" decided by the reviewing office or one under it" if units is not None else "")
                    )
                log.warning("cases %s were decided before this review; skipped", sorted(decided))
            ids = [i for i in chosen if i in open_ids]
        _set_state(
            session,
            ids,
            "unreviewed",
            target,
            at=at,
            by=decided_by,
            reason=reason,
            extra={"decided_by": decided_by, "decided_at": at, "decision_reason": reason},
        )
        if approve and ids and QUEUE_HISTORICAL:
            directory = CaseDirectory(session)
            for chunk in _chunks(ids):
                items: list[dict[str, Any]] = []
                for case in session.scalars(select(Case).where(Case.id.in_(chunk))):
                    items += case_mail_items(case, directory)
                queue_mails(session, items, created_at=at)
    return len(ids)


def close_cases(
    engine: Engine, case_ids: Sequence[int], *, closed_by: str, reason: str | None = None, at: dt.datetime
) -> int:
    """Close cases that have been dealt with (interview held, enforcement lifted)."""
    with session_scope(engine) as session:
        rows = session.execute(select(Case.id, Case.state).where(Case.id.in_(list(case_ids)))).all()
        found = {i for i, _ in rows}
        missing = [i for i in case_ids if int(i) not in found]
        if missing:
            raise SafegovError(f"no case with id {', '.join(map(str, missing))}")
        bad = [(i, s) for i, s in rows if s not in ("open", "approved", "closed")]
        if bad:
            raise SafegovError(f"case {bad[0][0]} is {bad[0][1]}: only open or approved cases can be closed")
        n = 0
        for state in ("open", "approved"):
            ids = [i for i, s in rows if s == state]
            _set_state(session, ids, state, "closed", at=at, by=closed_by, reason=reason)
            n += len(ids)
        return n


def remind_stale_approvals(engine: Engine, *, on: dt.date, working_days: int = 5, run_id: str | None = None) -> int:
    """Queue a reminder to the deciding office for each approval open > N working days.

    One reminder per block of N working days (step ``r1``, ``r2`` …), so a daily sweep
    re-run on the same day queues nothing new.
    """
    at = dt.datetime.combine(on, dt.time(9), TZ)
    n = 0
    with session_scope(engine) as session:
        directory = CaseDirectory(session)
        for case in session.scalars(
            select(Case).where(Case.state == "awaiting_approval", Case.historical.is_(False)).order_by(Case.id)
        ):
            waited = working_days_between(case.opened_on, on)
            if waited <= working_days:
                continue
            block = (waited - 1) // working_days
            office = case.deciding_unit or (parent_of(case.unit_code) if case.unit_code else None) or REGION
            director = directory.office(office, on)
            n += queue_mail(
                session,
                purpose="approval_reminder",
                subject_id=f"case-{case.id}",
                period=case.period,
                recipient=_office_label(office),
                step=f"r{block}",
                to_email=director.email if director else None,
                cc=None,
                template="approval_reminder",
                context={
                    "cases": [case_context(case)],
                    "waited_working_days": waited,
                    "office": office,
                    "recipient_name": director.name if director else None,
                },
                historical=False,
                created_at=at,
                run_id=run_id,
                period_end=on,
            )
    return n
