"""The blacklist (安全生产严重失信主体名单), SPEC §7, 〔十九〕, MEM Order No. 11 of 2023.

Grounds are register data (``BLACKLIST-*`` under ``accountability_rules``), each in the
version of the national rule in force on the day of the facts (``Register.rule_in_force``):
from 2023-10-01 MEM Order No. 11 (art. 2 industries; a 特别重大/重大 accident, 2 or more 较大
accidents at the enterprise within 12 months, 瞒报/谎报), before that 安监总办〔2017〕49号
(a 较大 or worse accident, 瞒报/谎报, a major hazard left unrectified). A ground makes a
``candidate``. Its listing is decided through the approval step: a ``blacklist`` case whose
deciding office is, under Order No. 11, the authority that imposed the administrative
penalty the listing follows (谁处罚、谁决定、谁负责, art. 4; no case until the ``penalty``
record is in) and, under the 2017 rules, the region. An approved case notifies the enterprise
(with the penalty decision's document reference recorded), a rejected one withdraws the
candidate.

Lifecycle, every transition dated (``on``), kept in ``blacklist_event`` and the audit log:

    candidate ──approved──▶ notified ──(deadline passes)──────────────▶ listed ──▶ expired
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

from safegov.accountability.accidents import accident_facts, accident_grade
from safegov.accountability.cases import CaseDirectory, CaseSpec, ensure_cases, make_key, queue_mail, withdraw_cases
from safegov.accountability.hazards import MAJOR_HAZARD_OVERDUE
from safegov.accountability.rules import declared, register_rule
from safegov.core.errors import SafegovError
from safegov.core.grades import GRADE_NAMES
from safegov.core.periods import TZ, add_months, add_working_days, local_date
from safegov.db import audit
from safegov.db.engine import insert_for, session_scope
from safegov.db.models import (
    Accident,
    BlacklistEntry,
    BlacklistEvent,
    Case,
    Department,
    Enterprise,
    Hazard,
    Penalty,
    Unit,
)
from safegov.register.obligations import BlacklistRule, Register, get_register

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
# The register's ground kind → the entry's trigger (the names exports and pages know).
GROUND_TRIGGERS = {"accident": "accident_liability", "false_report": "false_report", "hazard": "hazard_unrectified"}
BLACKLIST_ACCIDENT = "BLACKLIST-ACCIDENT"
BLACKLIST_FALSE_REPORT = "BLACKLIST-FALSE-REPORT"
BLACKLIST_HAZARD = "BLACKLIST-HAZARD"
LISTING_STEP = "listing"
TRIGGER_NAMES = {
    "accident_liability": "发生生产安全事故（依事实发生时施行的规定）",
    "false_report": "瞒报、谎报生产安全事故",
    "hazard_unrectified": "重大事故隐患经执法后仍未整改",
}
STATES = ("candidate", "notified", "objection", "listed", "removed", "expired", "withdrawn")


class BlacklistConfigError(SafegovError):
    """config/blacklist.yaml is invalid; the message names the file, the key and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trigger(_Strict):
    """The restrictions an entry of one trigger takes; what makes a candidate is register
    data (the ``BLACKLIST-*`` grounds, dated)."""

    scopes: tuple[Scope, ...] | None = None  # None: the default scopes


class Triggers(_Strict):
    accident_liability: Trigger = Trigger()
    false_report: Trigger = Trigger()
    hazard_unrectified: Trigger = Trigger()


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
        "ground": e.ground,
        "legal_basis": e.legal_basis,
        "penalty_id": e.penalty_id,
        "decided_by": e.decided_by,
        "document_ref": e.document_ref,
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


# --------------------------------------------------------------------------- grounds


class GroundScan:
    """What one run's blacklist grounds look at: the accidents whose day lies in [lo, hi]
    (and, for a repeat ground, the earlier ones in its window), the enterprises' industries."""

    def __init__(self, session: Session, register: Register, lo: dt.date, hi: dt.date, as_of_day: dt.date):
        self.session, self.register, self.lo, self.hi, self.as_of_day = session, register, lo, hi, as_of_day
        back = max(
            (
                e.params.repeat.within_months
                for _r, e in declared(register, "blacklist")
                if isinstance(e, BlacklistRule) and e.params.repeat
            ),
            default=0,
        )
        first = add_months(lo, -back) - dt.timedelta(days=1)
        self.accidents = list(
            session.scalars(
                select(Accident)
                .where(
                    Accident.enterprise_id.is_not(None),
                    Accident.occurred_at >= dt.datetime.combine(first, dt.time(), TZ),
                    Accident.occurred_at < dt.datetime.combine(hi + dt.timedelta(days=1), dt.time(), TZ),
                )
                .order_by(Accident.occurred_at, Accident.accident_id)
            )
        )
        self._industry: dict[str, str | None] = {}

    def day(self, a: Accident) -> dt.date:
        return local_date(a.occurred_at)

    def in_range(self) -> list[Accident]:
        return [a for a in self.accidents if self.lo <= self.day(a) <= self.hi]

    def version(self, entry: BlacklistRule, day: dt.date) -> bool:
        """True when ``entry`` is the version of its ground in force on ``day``."""
        return self.register.rule_in_force(entry.id, day) is entry

    def in_scope(self, entry: BlacklistRule, enterprise_id: str) -> bool:
        """The enterprise's industry is one the version applies to (Order No. 11 art. 2); an
        enterprise outside the registry or without an industry is outside a listed scope."""
        industries = entry.params.industries
        if industries is None:
            return True
        if enterprise_id not in self._industry:
            self._industry[enterprise_id] = self.session.scalar(
                select(Enterprise.industry).where(Enterprise.enterprise_id == enterprise_id)
            )
        industry = self._industry[enterprise_id]
        return industry is not None and (industry in industries or industry in industries.values())


def _ground(entry: BlacklistRule, enterprise_id: str, ref: str, on: dt.date, why: str, **facts: Any) -> dict[str, Any]:
    return {
        "enterprise_id": enterprise_id,
        "trigger": GROUND_TRIGGERS[entry.params.ground],
        "trigger_ref": ref,
        "candidate_on": on,
        "why": why,
        "ground": entry.id,
        "legal_basis": entry.legal_basis,
        "decided_by": entry.params.deciding_unit,
        **facts,
    }


@register_rule(BLACKLIST_ACCIDENT, subject="blacklist")
def blacklist_accident(scan: GroundScan, entry: BlacklistRule) -> list[dict[str, Any]]:
    """An accident of one of the version's grades at an enterprise in its industries, or the
    ``repeat.count``-th accident of ``repeat.grade`` there within ``repeat.within_months``."""
    p, out = entry.params, []
    for a in scan.in_range():
        day = scan.day(a)
        if not scan.version(entry, day) or not scan.in_scope(entry, a.enterprise_id):
            continue
        grade = accident_grade(a)
        if grade in p.grades:
            why = f"{GRADE_NAMES[grade]}生产安全事故{a.accident_id}"
            out.append(_ground(entry, a.enterprise_id, a.accident_id, day, why, accidents=[a.accident_id]))
        elif p.repeat and grade == p.repeat.grade:
            # The earlier ones of the same grade at the enterprise whose day + the window
            # reaches this one's day (inclusive): with this one, at least ``count``.
            window = [
                b
                for b in scan.accidents
                if b.enterprise_id == a.enterprise_id
                and (scan.day(b), b.accident_id) < (day, a.accident_id)
                and accident_grade(b) == grade
                and day <= add_months(scan.day(b), p.repeat.within_months)
            ]
            if len(window) + 1 >= p.repeat.count:
                ids = [b.accident_id for b in window] + [a.accident_id]
                count = f"{len(ids)}起{GRADE_NAMES[grade]}生产安全事故"
                why = f"{p.repeat.within_months}个月内累计发生{count}（{'、'.join(ids)}）"
                out.append(_ground(entry, a.enterprise_id, a.accident_id, day, why, accidents=ids))
    return out


@register_rule(BLACKLIST_FALSE_REPORT, subject="blacklist")
def blacklist_false_report(scan: GroundScan, entry: BlacklistRule) -> list[dict[str, Any]]:
    """A concealed (瞒报) or falsified (谎报: declared below its figures' grade) report."""
    names = {"concealed": "瞒报", "under_graded": "谎报（报告等级低于实际等级）"}
    out = []
    for a in scan.in_range():
        day = scan.day(a)
        if not scan.version(entry, day) or not scan.in_scope(entry, a.enterprise_id):
            continue
        false = [v for v in accident_facts(a)["violations"] if v in entry.params.violations]
        if false:
            why = f"事故{a.accident_id}{'、'.join(names[v] for v in false)}"
            out.append(_ground(entry, a.enterprise_id, a.accident_id, day, why, accidents=[a.accident_id]))
    return out


@register_rule(BLACKLIST_HAZARD, subject="blacklist")
def blacklist_hazard(scan: GroundScan, entry: BlacklistRule) -> list[dict[str, Any]]:
    """A major hazard still not rectified ``after_days`` calendar days after its deadline
    although an enforcement case was opened for it; judged by the version in force on the
    deadline, the candidate day (deadline + after_days + 1) in range and reached."""
    n = entry.params.after_days or 0
    d_lo, d_hi = scan.lo - dt.timedelta(days=n + 1), min(scan.hi, scan.as_of_day) - dt.timedelta(days=n + 1)
    rows = scan.session.execute(
        select(Hazard.hazard_id, Hazard.enterprise_id, Hazard.deadline, Hazard.rectified_on)
        .join(
            Case,
            (Case.rule_id == MAJOR_HAZARD_OVERDUE) & (Case.step == "enforcement") & (Case.period == Hazard.hazard_id),
        )
        .where(
            Hazard.grade == "major",
            Hazard.deadline.between(d_lo, d_hi),
            Case.state.in_(("open", "approved", "closed")),
        )
    ).all()
    out = []
    for hid, eid, deadline, rectified in rows:
        day = deadline + dt.timedelta(days=n + 1)
        if not scan.version(entry, deadline) or not scan.in_scope(entry, eid):
            continue
        if rectified is None or rectified >= day:
            why = f"重大事故隐患{hid}整改期限{deadline}后{n}日仍未整改（已建议执法措施）"
            out.append(_ground(entry, eid, hid, day, why, hazards=[hid]))
    return out


def trigger_facts(
    session: Session, register: Register, lo: dt.date, hi: dt.date, as_of_day: dt.date
) -> list[dict[str, Any]]:
    """The grounds (enterprise, trigger, ref, candidate_on, ground, legal_basis …) that the
    records justify in [lo, hi], each by the version of its rule in force on its date."""
    scan = GroundScan(session, register, lo, hi, as_of_day)
    return [g for rule, entry in declared(register, "blacklist") for g in rule.handler(scan, entry)]


def sync_triggers(
    engine: Engine,
    lo: dt.date,
    hi: dt.date,
    *,
    as_of: dt.datetime,
    historical: bool = False,
    run_id: str | None = None,
    config: BlacklistConfig | None = None,
    register: Register | None = None,
) -> dict[str, int]:
    """Make a ``candidate`` entry exist for every ground in range; withdraw candidates and
    notified entries whose ground went away (and their listing cases). Idempotent on
    (enterprise, trigger, ref)."""
    cfg = config or get_config()
    register = register or get_register()
    at = as_of if as_of.tzinfo else as_of.replace(tzinfo=TZ)
    counts = {"candidates": 0, "withdrawn": 0}
    with session_scope(engine) as session:
        facts = trigger_facts(session, register, lo, hi, local_date(at))
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
                        "ground": f["ground"],
                        "legal_basis": f["legal_basis"],
                        "decided_by": f["decided_by"],
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
                        "legal_basis": f["legal_basis"],
                        "historical": historical,
                        "run_id": run_id,
                    },
                    at,
                )
            counts["candidates"] = len(new)
        gone = []
        for k, e in existing.items():
            if k not in want and lo <= e.candidate_on <= hi and e.state in ("candidate", "notified"):
                _move(
                    session,
                    e,
                    "withdrawn",
                    on=local_date(at),
                    by="escalate",
                    reason="the ground no longer holds",
                    at=at,
                )
                counts["withdrawn"] += 1
                if e.ground:
                    gone.append(make_key(e.ground, e.enterprise_id, e.trigger_ref, LISTING_STEP))
        if gone:
            rows = session.execute(
                select(Case.id, Case.state).where(
                    Case.case_key.in_(gone), Case.state.in_(("awaiting_approval", "unreviewed"))
                )
            ).all()
            withdraw_cases(
                session, [(cid, st) for cid, st in rows], at=at, reason="the blacklist ground no longer holds"
            )
    return counts


# --------------------------------------------------------------------------- the listing decision


def _penalty_for(session: Session, e: BlacklistEntry, basis_ids: list[str], on: dt.date) -> Penalty | None:
    """The administrative penalty a listing follows: against the entry's enterprise, for one
    of the ground's accidents (or its hazard), decided by ``on``; the earliest such."""
    kind = "hazard" if e.trigger == "hazard_unrectified" else "accident"
    return session.scalars(
        select(Penalty)
        .where(
            Penalty.enterprise_id == e.enterprise_id,
            Penalty.basis_kind == kind,
            Penalty.basis_id.in_(basis_ids),
            Penalty.decided_on <= on,
        )
        .order_by(Penalty.decided_on, Penalty.penalty_id)
    ).first()


def _authority_unit(session: Session, decided_by: str) -> str | None:
    """The unit whose office decides for an authority: a unit code itself, or a department's unit."""
    if session.get(Unit, decided_by) is not None:
        return decided_by
    return session.scalar(select(Department.unit_code).where(Department.department_id == decided_by))


def _listing_decisions(
    session: Session,
    register: Register,
    on: dt.date,
    *,
    at: dt.datetime,
    historical: bool,
    run_id: str | None,
    config: BlacklistConfig,
) -> dict[str, int]:
    """Candidates with a ground: open the listing case once the listing can be decided (the
    penalty is in where the version requires one), notify on approval, withdraw on rejection."""
    counts = {"awaiting_penalty": 0, "cases": 0, "approved": 0, "rejected": 0}
    candidates = session.scalars(
        select(BlacklistEntry)
        .where(
            BlacklistEntry.state == "candidate",
            BlacklistEntry.candidate_on <= on,
            BlacklistEntry.ground.is_not(None),
        )
        .order_by(BlacklistEntry.id)
    ).all()
    directory = CaseDirectory(session)
    for e in candidates:
        key = make_key(e.ground, e.enterprise_id, e.trigger_ref, LISTING_STEP)
        case = session.scalars(select(Case).where(Case.case_key == key)).first()
        if case is None:
            version = _version(register, e.legal_basis)
            basis_ids = _ground_basis(session, register, e)
            penalty = None
            if version.params.requires_penalty:
                penalty = _penalty_for(session, e, basis_ids, on)
                if penalty is None:
                    counts["awaiting_penalty"] += 1
                    continue
                e.penalty_id, e.decided_by = penalty.penalty_id, penalty.decided_by
            deciding = _authority_unit(session, e.decided_by) if e.decided_by else None
            if deciding is None:
                raise SafegovError(
                    f"blacklist entry {e.id}: the deciding authority {e.decided_by!r} "
                    "is neither a unit nor a department"
                )
            details = {
                "entry_id": e.id,
                "enterprise_id": e.enterprise_id,
                "trigger": e.trigger,
                "legal_basis": e.legal_basis,
                "source": version.source,
                "basis_ids": basis_ids,
                "penalty_id": e.penalty_id,
                "document_ref": penalty.document_ref if penalty else None,
                "decided_by": e.decided_by,
                "why": _why(session, e),
            }
            county = session.scalar(select(Enterprise.county_code).where(Enterprise.enterprise_id == e.enterprise_id))
            spec = CaseSpec(
                "blacklist",
                e.ground,
                "enterprise",
                e.enterprise_id,
                e.trigger_ref,
                LISTING_STEP,
                e.candidate_on,
                county,
                deciding,
                [],
                details,
            )
            ensure_cases(
                session, [spec], at=at, run_id=run_id, historical=historical or e.historical, directory=directory
            )
            counts["cases"] += 1
            continue
        if case.state == "approved":
            day = max(e.candidate_on, local_date(case.decided_at) if case.decided_at else on)
            if day > on:
                continue
            ref = (case.details or {}).get("document_ref")
            e.document_ref = ref
            notify(
                session,
                e.id,
                on=day,
                by=case.decided_by or "approval",
                run_id=run_id,
                historical=historical or e.historical,
                config=config,
                reason=f"listing approved by {case.decided_by} (case {case.id})"
                + (f"; penalty decision {ref}" if ref else ""),
            )
            counts["approved"] += 1
        elif case.state in ("rejected", "withdrawn"):
            _move(
                session,
                e,
                "withdrawn",
                on=on,
                by=case.decided_by or "approval",
                reason=f"listing {case.state}: {case.decision_reason or ''}".strip(": "),
                at=at,
            )
            counts["rejected"] += 1
    return counts


def _version(register: Register, legal_basis: str | None) -> BlacklistRule:
    """The register version an entry rests on (``rule_id@valid_from``)."""
    rule_id, _, since = (legal_basis or "").partition("@")
    for v in register.rule_versions(rule_id):
        if v.valid_from.isoformat() == since and isinstance(v, BlacklistRule):
            return v
    raise SafegovError(f"blacklist ground {legal_basis!r} is not in the register (was a version removed?)")


def _ground_basis(session: Session, register: Register, e: BlacklistEntry) -> list[str]:
    """The accidents (or the hazard) the entry's ground rests on: for a repeat ground, each
    accident in its window, so a penalty for any of them carries the listing."""
    day = e.candidate_on
    for g in trigger_facts(session, register, day, day, day):
        if (g["enterprise_id"], g["trigger"], g["trigger_ref"]) == (e.enterprise_id, e.trigger, e.trigger_ref):
            return list(g.get("accidents") or g.get("hazards") or [e.trigger_ref])
    return [e.trigger_ref]


def _why(session: Session, e: BlacklistEntry) -> str | None:
    return session.scalar(
        select(BlacklistEvent.reason)
        .where(BlacklistEvent.entry_id == e.id, BlacklistEvent.to_state == "candidate")
        .order_by(BlacklistEvent.id)
    )


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
    reason: str = "enterprise notified before listing",
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
        reason=reason,
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
    register: Register | None = None,
    at: dt.datetime | None = None,
) -> dict[str, int]:
    """Move entries whose dates have come (idempotent; run daily or per escalation run).

    A candidate with a register ground (candidate_on ≤ on) gets its listing case once the
    listing can be decided, and is notified on the day its case was approved (withdrawn if
    it was rejected); a candidate without one (made before grounds were dated) is notified
    on ``on``. Notified with the objection deadline passed → listed the day after the
    deadline; listed with ``expires_on`` ≤ on → expired on ``expires_on``.
    """
    cfg = config or get_config()
    register = register or get_register()
    counts = {"notified": 0, "listed": 0, "expired": 0}
    with session_scope(engine) as session:
        decided = _listing_decisions(
            session, register, on, at=at or _at(on), historical=historical, run_id=run_id, config=cfg
        )
        counts |= {k: v for k, v in decided.items() if k != "approved"}
        counts["notified"] += decided["approved"]
        for e in session.scalars(
            select(BlacklistEntry)
            .where(
                BlacklistEntry.state == "candidate",
                BlacklistEntry.candidate_on <= on,
                BlacklistEntry.ground.is_(None),
            )
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
