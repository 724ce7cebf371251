"""The blacklist (安全生产严重失信主体名单), SPEC §7, 〔十九〕, MEM Order No. 11 of 2023.

Lifecycle, every transition dated (``on``), kept in ``blacklist_event`` and the audit log:

    candidate ──notify──▶ notified ──(deadline passes)──────────────▶ listed ──▶ expired
                             │                                           │  ▲
                             └─object─▶ objection ─dismissed────────────┘  │ revoke (false material)
                                            └─upheld─▶ withdrawn          ▼  │
                                                                        removed (credit repair)

- ``notified_on`` starts the objection window; ``objection_deadline`` is N working days
  later (default 5). With no objection the entry is listed the day after the deadline.
- ``listed_on`` → ``repair_eligible_on`` = listed_on + 12 months and ``expires_on`` =
  listed_on + 3 years. A day that does not exist in the target month becomes that month's
  last day: listed 2024-02-29 → repair from 2025-02-28, expires 2027-02-28.
- Restrictions apply on days in [listed_on, end) where end is the removal day or
  ``expires_on`` (exclusive): on ``expires_on`` itself the enterprise is no longer restricted.
  Between a removal and its revocation there was no restriction in force.
- A trigger that disappears (the accident record corrected) withdraws a candidate or a
  notified entry; a listed one stays until an operator acts.

``check`` answers "is enterprise X restricted in scope Y on day D?" from the dated events,
so it is right for past dates as well as today.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from safegov.accountability.accidents import accident_facts
from safegov.accountability.cases import queue_mail
from safegov.accountability.hazards import MAJOR_HAZARD_OVERDUE
from safegov.core.errors import SafegovError
from safegov.core.grades import GRADE_RANK
from safegov.core.periods import TZ, add_months, add_working_days, local_date
from safegov.db import audit
from safegov.db.engine import insert_for, session_scope
from safegov.db.models import Accident, BlacklistEntry, BlacklistEvent, Case, Enterprise, Hazard

SCOPES: dict[str, str] = {
    "operations": "经营",
    "project_approval": "项目核准",
    "investment_financing": "投融资",
    "government_procurement": "政府采购",
    "bidding": "招投标",
    "land_transfer": "土地出让",
    "honours": "授予荣誉",
    "fiscal_subsidies": "财政补贴和政策性资金",
    "import_export": "进出口",
    "entry_exit": "出入境",
    "qualification_review": "资质审核",
}
Scope = Literal[
    "operations",
    "project_approval",
    "investment_financing",
    "government_procurement",
    "bidding",
    "land_transfer",
    "honours",
    "fiscal_subsidies",
    "import_export",
    "entry_exit",
    "qualification_review",
]
TRIGGERS = ("accident_liability", "false_report", "hazard_unrectified")
TRIGGER_NAMES = {
    "accident_liability": "对较大及以上生产安全事故负有责任",
    "false_report": "瞒报、谎报生产安全事故",
    "hazard_unrectified": "重大事故隐患经执法后仍未整改",
}
STATES = ("candidate", "notified", "objection", "listed", "removed", "expired", "withdrawn")


class BlacklistConfigError(SafegovError):
    """config/blacklist.yaml is invalid; the message names the file, the key and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trigger(_Strict):
    enabled: bool = True
    scopes: tuple[Scope, ...] | None = None  # None: the default scopes


class AccidentTrigger(Trigger):
    min_grade: Literal["larger", "major", "especially_major"] = "larger"


class HazardTrigger(Trigger):
    after_days: int = Field(default=30, ge=0, le=3650)


class Triggers(_Strict):
    accident_liability: AccidentTrigger = AccidentTrigger()
    false_report: Trigger = Trigger()
    hazard_unrectified: HazardTrigger = HazardTrigger()


class BlacklistConfig(_Strict):
    version: Literal[1] = 1
    objection_working_days: int = Field(default=5, ge=0, le=60)
    repair_after_months: int = Field(default=12, ge=1, le=120)
    expire_after_months: int = Field(default=36, ge=1, le=240)
    default_scopes: tuple[Scope, ...] = Field(default=tuple(SCOPES), min_length=1)
    triggers: Triggers = Triggers()

    @model_validator(mode="after")
    def _order(self):
        if self.repair_after_months > self.expire_after_months:
            raise ValueError(
                f"repair_after_months {self.repair_after_months} is after "
                f"expire_after_months {self.expire_after_months}"
            )
        if len(set(self.default_scopes)) != len(self.default_scopes):
            raise ValueError("default_scopes lists a scope twice")
        return self

    def scopes_for(self, trigger: str) -> list[str]:
        t = getattr(self.triggers, trigger)
        return list(t.scopes or self.default_scopes)


def load_config(path: str | Path | None = None) -> BlacklistConfig:
    if path is None:
        from safegov.core.settings import get_settings

        path = get_settings().config_dir / "blacklist.yaml"
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BlacklistConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise BlacklistConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BlacklistConfigError(f"{path}: expected a mapping")
    try:
        return BlacklistConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more error(s))" if exc.error_count() > 1 else ""
        raise BlacklistConfigError(f"{path}: key {key}: {first['msg'].removeprefix('Value error, ')}{more}") from None


@lru_cache(maxsize=4)
def get_config(path: str | None = None) -> BlacklistConfig:
    return load_config(path)


def _at(on: dt.date) -> dt.datetime:
    return dt.datetime.combine(on, dt.time(9), TZ)


def entry_dict(e: BlacklistEntry) -> dict[str, Any]:
    return {
        "entry_id": e.id,
        "enterprise_id": e.enterprise_id,
        "trigger": e.trigger,
        "trigger_ref": e.trigger_ref,
        "state": e.state,
        "candidate_on": e.candidate_on,
        "notified_on": e.notified_on,
        "objection_deadline": e.objection_deadline,
        "objection_on": e.objection_on,
        "objection_decision": e.objection_decision,
        "listed_on": e.listed_on,
        "repair_eligible_on": e.repair_eligible_on,
        "expires_on": e.expires_on,
        "removed_on": e.removed_on,
        "revoked_on": e.revoked_on,
        "scopes": list(e.scopes or []),
        "historical": e.historical,
    }


def _move(
    session: Session,
    e: BlacklistEntry,
    to: str,
    *,
    on: dt.date,
    by: str | None,
    reason: str | None,
    at: dt.datetime,
    **fields: Any,
) -> None:
    """One dated transition: entry fields, blacklist_event, audit link."""
    frm = e.state
    e.state = to
    for k, v in fields.items():
        setattr(e, k, v)
    session.add(BlacklistEvent(entry_id=e.id, from_state=frm, to_state=to, on=on, at=at, by=by, reason=reason))
    session.flush()
    audit.append(
        session,
        "blacklist",
        f"{e.enterprise_id}|{e.trigger}|{e.trigger_ref}",
        to,
        {
            "entry_id": e.id,
            "from": frm,
            "to": to,
            "on": on,
            "by": by,
            "reason": reason,
            **{k: v for k, v in fields.items()},
        },
        at,
    )


def _list(
    session: Session,
    e: BlacklistEntry,
    listed_on: dt.date,
    cfg: BlacklistConfig,
    *,
    by: str | None,
    reason: str,
    at: dt.datetime,
) -> None:
    _move(
        session,
        e,
        "listed",
        on=listed_on,
        by=by,
        reason=reason,
        at=at,
        listed_on=listed_on,
        repair_eligible_on=add_months(listed_on, cfg.repair_after_months),
        expires_on=add_months(listed_on, cfg.expire_after_months),
    )


def _get(session: Session, entry_id: int) -> BlacklistEntry:
    e = session.get(BlacklistEntry, int(entry_id))
    if e is None:
        raise SafegovError(f"no blacklist entry with id {entry_id}")
    return e


def _need(e: BlacklistEntry, *states: str, action: str) -> None:
    if e.state not in states:
        raise SafegovError(f"blacklist entry {e.id} is {e.state}: cannot {action} (needs {' or '.join(states)})")


# --------------------------------------------------------------------------- notifications


def _queue_notified(
    session: Session, e: BlacklistEntry, *, at: dt.datetime, run_id: str | None, historical: bool
) -> bool:
    ent = session.execute(
        select(Enterprise.name, Enterprise.contact_email).where(Enterprise.enterprise_id == e.enterprise_id)
    ).first()
    return queue_mail(
        session,
        purpose="blacklist",
        subject_id=e.enterprise_id,
        period=e.trigger_ref,
        recipient=f"enterprise:{e.enterprise_id}",
        step="notified",
        to_email=ent[1] if ent else None,
        cc=None,
        template="blacklist_notified",
        context={
            **{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in entry_dict(e).items()},
            "enterprise_name": ent[0] if ent else None,
            "scope_codes": list(e.scopes or []),
            # The template lists the restrictions by their names in the decision.
            "scopes": [SCOPES[s] for s in e.scopes or []],
            "trigger": TRIGGER_NAMES.get(e.trigger, e.trigger),
        },
        historical=historical or e.historical,
        created_at=at,
        run_id=run_id,
        period_end=e.notified_on,
    )


# --------------------------------------------------------------------------- triggers


def trigger_facts(
    session: Session, lo: dt.date, hi: dt.date, as_of_day: dt.date, cfg: BlacklistConfig
) -> list[dict[str, Any]]:
    """The (enterprise, trigger, ref, candidate_on) that the records justify in [lo, hi]."""
    out: list[dict[str, Any]] = []
    t = cfg.triggers
    if t.accident_liability.enabled or t.false_report.enabled:
        start = dt.datetime.combine(lo, dt.time(), TZ)
        end = dt.datetime.combine(hi + dt.timedelta(days=1), dt.time(), TZ)
        for a in session.scalars(
            select(Accident).where(
                Accident.enterprise_id.is_not(None), Accident.occurred_at >= start, Accident.occurred_at < end
            )
        ):
            f = accident_facts(a)
            if t.accident_liability.enabled and GRADE_RANK[f["grade"]] >= GRADE_RANK[t.accident_liability.min_grade]:
                out.append(
                    {
                        "enterprise_id": a.enterprise_id,
                        "trigger": "accident_liability",
                        "trigger_ref": a.accident_id,
                        "candidate_on": f["day"],
                        "why": f"{f['grade']} accident {a.accident_id}",
                    }
                )
            false = [v for v in f["violations"] if v in ("concealed", "under_graded")]
            if t.false_report.enabled and false:
                out.append(
                    {
                        "enterprise_id": a.enterprise_id,
                        "trigger": "false_report",
                        "trigger_ref": a.accident_id,
                        "candidate_on": f["day"],
                        "why": f"{', '.join(false)} report of accident {a.accident_id}",
                    }
                )
    if t.hazard_unrectified.enabled:
        # Candidate on deadline + after_days + 1; the day must be in range and reached.
        n = t.hazard_unrectified.after_days
        d_lo, d_hi = lo - dt.timedelta(days=n + 1), min(hi, as_of_day) - dt.timedelta(days=n + 1)
        rows = session.execute(
            select(Hazard.hazard_id, Hazard.enterprise_id, Hazard.deadline, Hazard.rectified_on)
            .join(
                Case,
                (Case.rule_id == MAJOR_HAZARD_OVERDUE)
                & (Case.step == "enforcement")
                & (Case.period == Hazard.hazard_id),
            )
            .where(
                Hazard.grade == "major",
                Hazard.deadline.between(d_lo, d_hi),
                Case.state.in_(("open", "approved", "closed")),
            )
        ).all()
        for hid, eid, deadline, rectified in rows:
            day = deadline + dt.timedelta(days=n + 1)
            if rectified is None or rectified >= day:
                out.append(
                    {
                        "enterprise_id": eid,
                        "trigger": "hazard_unrectified",
                        "trigger_ref": hid,
                        "candidate_on": day,
                        "why": f"major hazard {hid} not rectified {n} days after its deadline {deadline} "
                        "despite enforcement",
                    }
                )
    return out


def sync_triggers(
    engine: Engine,
    lo: dt.date,
    hi: dt.date,
    *,
    as_of: dt.datetime,
    historical: bool = False,
    run_id: str | None = None,
    config: BlacklistConfig | None = None,
) -> dict[str, int]:
    """Make a ``candidate`` entry exist for every trigger in range; withdraw candidates and
    notified entries whose trigger went away. Idempotent on (enterprise, trigger, ref)."""
    cfg = config or get_config()
    at = as_of if as_of.tzinfo else as_of.replace(tzinfo=TZ)
    counts = {"candidates": 0, "withdrawn": 0}
    with session_scope(engine) as session:
        facts = trigger_facts(session, lo, hi, local_date(at), cfg)
        want = {(f["enterprise_id"], f["trigger"], f["trigger_ref"]): f for f in facts}
        existing = {
            (e.enterprise_id, e.trigger, e.trigger_ref): e
            for e in session.scalars(select(BlacklistEntry).where(BlacklistEntry.candidate_on.between(lo, hi)))
        }
        refs = sorted({k[2] for k in want})
        for i in range(0, len(refs), 500):
            for e in session.scalars(select(BlacklistEntry).where(BlacklistEntry.trigger_ref.in_(refs[i : i + 500]))):
                existing.setdefault((e.enterprise_id, e.trigger, e.trigger_ref), e)
        new = [f for k, f in want.items() if k not in existing]
        if new:
            stmt = insert_for(session, BlacklistEntry.__table__).on_conflict_do_nothing(
                index_elements=["enterprise_id", "trigger", "trigger_ref"]
            )
            session.execute(
                stmt,
                [
                    {
                        "enterprise_id": f["enterprise_id"],
                        "trigger": f["trigger"],
                        "trigger_ref": f["trigger_ref"],
                        "state": "candidate",
                        "candidate_on": f["candidate_on"],
                        "scopes": cfg.scopes_for(f["trigger"]),
                        "historical": historical,
                    }
                    for f in new
                ],
            )
            for f in new:
                e = session.scalars(
                    select(BlacklistEntry).where(
                        BlacklistEntry.enterprise_id == f["enterprise_id"],
                        BlacklistEntry.trigger == f["trigger"],
                        BlacklistEntry.trigger_ref == f["trigger_ref"],
                    )
                ).one()
                session.add(
                    BlacklistEvent(
                        entry_id=e.id,
                        from_state=None,
                        to_state="candidate",
                        on=f["candidate_on"],
                        at=at,
                        by="escalate",
                        reason=f["why"],
                    )
                )
                session.flush()
                audit.append(
                    session,
                    "blacklist",
                    f"{e.enterprise_id}|{e.trigger}|{e.trigger_ref}",
                    "candidate",
                    {
                        "entry_id": e.id,
                        "on": f["candidate_on"],
                        "scopes": list(e.scopes or []),
                        "why": f["why"],
                        "historical": historical,
                        "run_id": run_id,
                    },
                    at,
                )
            counts["candidates"] = len(new)
        for k, e in existing.items():
            if k not in want and lo <= e.candidate_on <= hi and e.state in ("candidate", "notified"):
                _move(
                    session,
                    e,
                    "withdrawn",
                    on=local_date(at),
                    by="escalate",
                    reason="the trigger no longer holds",
                    at=at,
                )
                counts["withdrawn"] += 1
    return counts


# --------------------------------------------------------------------------- lifecycle


def notify(
    session: Session,
    entry_id: int,
    *,
    on: dt.date,
    by: str,
    at: dt.datetime | None = None,
    run_id: str | None = None,
    historical: bool = False,
    config: BlacklistConfig | None = None,
) -> BlacklistEntry:
    """Tell the enterprise (告知): starts the objection window and queues the email."""
    cfg = config or get_config()
    e = _get(session, entry_id)
    _need(e, "candidate", action="notify")
    at = at or _at(on)
    _move(
        session,
        e,
        "notified",
        on=on,
        by=by,
        reason="enterprise notified before listing",
        at=at,
        notified_on=on,
        objection_deadline=add_working_days(on, cfg.objection_working_days),
    )
    _queue_notified(session, e, at=at, run_id=run_id, historical=historical)
    return e


def record_objection(session: Session, entry_id: int, *, on: dt.date, by: str, reason: str) -> BlacklistEntry:
    """The enterprise objects (陈述申辩) within its window; listing waits for the decision."""
    e = _get(session, entry_id)
    _need(e, "notified", action="record an objection")
    if e.objection_deadline and on > e.objection_deadline:
        raise SafegovError(f"blacklist entry {e.id}: the objection window closed on {e.objection_deadline}")
    if not reason:
        raise SafegovError("an objection needs its grounds (--reason)")
    _move(session, e, "objection", on=on, by=by, reason=reason, at=_at(on), objection_on=on)
    return e


def decide_objection(
    session: Session,
    entry_id: int,
    *,
    upheld: bool,
    on: dt.date,
    by: str,
    reason: str | None = None,
    config: BlacklistConfig | None = None,
) -> BlacklistEntry:
    """Upheld → the entry is withdrawn; dismissed → it is listed on the decision day."""
    cfg = config or get_config()
    e = _get(session, entry_id)
    _need(e, "objection", action="decide an objection")
    if upheld:
        _move(
            session,
            e,
            "withdrawn",
            on=on,
            by=by,
            reason=reason or "objection upheld",
            at=_at(on),
            objection_decision="upheld",
        )
    else:
        e.objection_decision = "dismissed"
        _list(session, e, on, cfg, by=by, reason=reason or "objection dismissed", at=_at(on))
    return e


def request_removal(session: Session, entry_id: int, *, on: dt.date, by: str, reason: str) -> BlacklistEntry:
    """Early removal after credit repair (信用修复), granted on ``on`` — not before
    ``repair_eligible_on``."""
    e = _get(session, entry_id)
    _need(e, "listed", action="remove")
    if e.repair_eligible_on and on < e.repair_eligible_on:
        raise SafegovError(f"blacklist entry {e.id}: early removal is possible from {e.repair_eligible_on}, not {on}")
    if e.expires_on and on >= e.expires_on:
        raise SafegovError(f"blacklist entry {e.id}: the listing expires on {e.expires_on}; nothing to remove on {on}")
    _move(session, e, "removed", on=on, by=by, reason=reason, at=_at(on), removed_on=on)
    return e


def revoke_removal(session: Session, entry_id: int, *, on: dt.date, by: str, reason: str) -> BlacklistEntry:
    """The removal rested on false material: the entry is listed again from ``on`` until
    its original expiry (the removal stays in the history)."""
    e = _get(session, entry_id)
    _need(e, "removed", action="revoke a removal")
    if not reason:
        raise SafegovError("a revocation needs its grounds (--reason)")
    _move(session, e, "listed", on=on, by=by, reason=reason, at=_at(on), revoked_on=on)
    return e


def advance_blacklist(
    engine: Engine,
    *,
    on: dt.date,
    historical: bool = False,
    run_id: str | None = None,
    config: BlacklistConfig | None = None,
) -> dict[str, int]:
    """Move entries whose dates have come (idempotent; run daily or per escalation run).

    candidate (candidate_on ≤ on) → notified on ``on``; notified with the objection
    deadline passed → listed the day after the deadline; listed with ``expires_on`` ≤ on →
    expired on ``expires_on``.
    """
    cfg = config or get_config()
    counts = {"notified": 0, "listed": 0, "expired": 0}
    with session_scope(engine) as session:
        for e in session.scalars(
            select(BlacklistEntry)
            .where(BlacklistEntry.state == "candidate", BlacklistEntry.candidate_on <= on)
            .order_by(BlacklistEntry.id)
        ):
            notify(session, e.id, on=on, by="advance", run_id=run_id, historical=historical or e.historical, config=cfg)
            counts["notified"] += 1
        for e in session.scalars(
            select(BlacklistEntry)
            .where(BlacklistEntry.state == "notified", BlacklistEntry.objection_deadline < on)
            .order_by(BlacklistEntry.id)
        ):
            day = e.objection_deadline + dt.timedelta(days=1)
            _list(session, e, day, cfg, by="advance", reason=f"no objection by {e.objection_deadline}", at=_at(day))
            counts["listed"] += 1
        for e in session.scalars(
            select(BlacklistEntry)
            .where(BlacklistEntry.state == "listed", BlacklistEntry.expires_on <= on)
            .order_by(BlacklistEntry.id)
        ):
            _move(
                session,
                e,
                "expired",
                on=e.expires_on,
                by="advance",
                reason=f"{cfg.expire_after_months} months after listing",
                at=_at(e.expires_on),
            )
            counts["expired"] += 1
    return counts


# --------------------------------------------------------------------------- the question


def restricted_spans(session: Session, e: BlacklistEntry) -> list[tuple[dt.date, dt.date | None]]:
    """[start, end) spans in which the entry was (or will be) listed; ``end`` None = open."""
    spans: list[tuple[dt.date, dt.date | None]] = []
    start = None
    for to_state, on in session.execute(
        select(BlacklistEvent.to_state, BlacklistEvent.on)
        .where(BlacklistEvent.entry_id == e.id)
        .order_by(BlacklistEvent.on, BlacklistEvent.id)
    ):
        if to_state == "listed" and start is None:
            start = on
        elif to_state != "listed" and start is not None:
            spans.append((start, on))
            start = None
    if start is not None:
        spans.append((start, None))
    out = []
    for s, end in spans:
        if e.expires_on and (end is None or end > e.expires_on):
            end = e.expires_on
        if end is None or end > s:
            out.append((s, end))
    return out


def check(session: Session, enterprise_id: str, scope: str, on: dt.date) -> dict[str, Any]:
    """Is ``enterprise_id`` restricted in ``scope`` on ``on``? → restricted, since, until
    (exclusive: the first day without restriction, as known today), why, entry."""
    if scope not in SCOPES:
        raise SafegovError(f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")
    entries = session.scalars(
        select(BlacklistEntry).where(BlacklistEntry.enterprise_id == enterprise_id).order_by(BlacklistEntry.id)
    ).all()
    hits = []
    notes = []
    for e in entries:
        if scope not in (e.scopes or []):
            notes.append(f"entry {e.id} ({e.trigger} {e.trigger_ref}) does not restrict {scope}")
            continue
        spans = restricted_spans(session, e)
        for s, end in spans:
            if s <= on and (end is None or on < end):
                hits.append((s, end, e))
        if not any(s <= on and (end is None or on < end) for s, end in spans):
            notes.append(
                f"entry {e.id} ({e.trigger} {e.trigger_ref}) is {e.state}"
                + ("; listed " + ", ".join(f"{s}–{end or 'open'}" for s, end in spans) if spans else "")
            )
    base = {"enterprise_id": enterprise_id, "scope": scope, "scope_name": SCOPES[scope], "on": on}
    if not hits:
        why = "; ".join(notes) if notes else "not on the blacklist"
        return base | {"restricted": False, "since": None, "until": None, "why": why, "entry": None}
    since = min(h[0] for h in hits)
    until = None if any(h[1] is None for h in hits) else max(h[1] for h in hits)
    first = min(hits, key=lambda h: (h[0], h[2].id))[2]
    why = "; ".join(f"listed since {s} for {e.trigger} ({e.trigger_ref})" for s, _end, e in hits)
    return base | {"restricted": True, "since": since, "until": until, "why": why, "entry": entry_dict(first)}


def list_entries(session: Session, state: str | None = None, enterprise_id: str | None = None) -> list[dict[str, Any]]:
    q = select(BlacklistEntry).order_by(BlacklistEntry.id)
    if state:
        q = q.where(BlacklistEntry.state == state)
    if enterprise_id:
        q = q.where(BlacklistEntry.enterprise_id == enterprise_id)
    return [entry_dict(e) for e in session.scalars(q)]


def update_scopes(session: Session, entry_id: int, scopes: list[str], *, on: dt.date, by: str) -> BlacklistEntry:
    """Turn scopes on or off for one entry (each scope is on or off per entry, SPEC §7)."""
    bad = [s for s in scopes if s not in SCOPES]
    if bad:
        raise SafegovError(f"unknown scope(s) {bad}; expected from {', '.join(SCOPES)}")
    e = _get(session, entry_id)
    old = list(e.scopes or [])
    session.execute(update(BlacklistEntry).where(BlacklistEntry.id == e.id).values(scopes=list(scopes)))
    audit.append(
        session,
        "blacklist",
        f"{e.enterprise_id}|{e.trigger}|{e.trigger_ref}",
        "scopes",
        {"entry_id": e.id, "from": old, "to": list(scopes), "on": on, "by": by},
        _at(on),
    )
    session.expire(e)
    return e
