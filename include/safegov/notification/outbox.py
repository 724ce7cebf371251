"""The email outbox (发件箱): every email is a row, written with the decision that needs it.

Exactly once
- ``queue`` inserts with ``ON CONFLICT DO NOTHING`` on the key
  ``purpose|subject|period|recipient|step``, in the caller's transaction (the same one that
  opens the case or records the reminder), so a re-run, retry or backfill never adds a row.
- ``deliver`` first *claims* due rows (``pending`` → ``sending``, ``attempts + 1``) and
  commits, then sends, then marks each row (``sent`` / back to ``pending`` / ``failed`` /
  ``dead``). A crash between the send and the mark leaves the row in ``sending``; only when
  that claim is older than the lease is the row sent again — the single way a duplicate can
  happen, logged as a *possible duplicate* and flagged on the row. The outbox key travels to
  SendGrid as ``custom_args.outbox_key`` and an ``X-Safegov-Outbox-Key`` header, so the two
  copies can be told apart. On PostgreSQL claims use ``FOR UPDATE SKIP LOCKED``; on SQLite the
  claim is one ``UPDATE … RETURNING`` statement, which SQLite runs under its write lock.

States: ``pending`` → ``sending`` → ``sent``; ``failed`` (permanent 4xx, or ``no_address``);
``dead`` (``max_attempts`` used); ``suppressed`` (history: backfill runs, or a period that
ended before the horizon) — stored and visible, never sent.

Every state change is audited (entity ``email``, key = outbox key) with states and reasons
only: never an email address.

Template context (all optional; ``safegov.notification.wording`` puts it into words): ``recipient_name``,
``obligation_id``, ``obligation_title``, ``article``, ``subject_id``, ``subject_name``,
``period``, ``due_on``, ``counted``, ``required``, ``reason``, ``offset``, ``case_id``,
``case_kind``, ``rule_id``, ``persons`` (list of names/ids), ``deciding_unit``,
``accident_id``, ``hazard_id``, ``enterprise_id``, ``enterprise_name``, ``trigger``,
``objection_deadline``, ``scopes``, ``cases`` (approval reminder), ``items`` (digest),
``year``, ``overdue``, ``holidays_file``, ``covered_until``, ``package`` (calendar warning),
``lang`` (``zh`` | ``en``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine, Integer, Text, and_, cast, column, func, or_, select, true, update
from sqlalchemy import values as sa_values
from sqlalchemy.orm import Session

from safegov.core.progress import NO_PROGRESS, Progress
from safegov.db import audit
from safegov.db.models import Leader, OutboxMessage
from safegov.devtools.faults import maybe_pause
from safegov.notification.mail import InvalidMessage, Mailer, Message, Response, mask, scrub
from safegov.notification.wording import Names, mail_words
from safegov.org.directory import SAFETY_OFFICE_ROLE, in_office

log = logging.getLogger(__name__)
# Progress stage (safegov.core.progress) of deliver: claimed rows handled.
PROGRESS_MESSAGES = "邮件 messages"

STATES = ("pending", "sending", "sent", "failed", "dead", "suppressed")
TEMPLATES = (
    "reminder",
    "notice",
    "case_interview",
    "case_admonishment",
    "case_dual_interview",
    "case_reporting_violation",
    "case_enforcement",
    "case_blacklist",
    "case_penalty_recommendation",
    "blacklist_notified",
    "approval_reminder",
    "digest",
    "calendar_missing",
    "task_failure",
)
TEMPLATE_DIR = Path(__file__).parent / "templates" / "mail"
UTC = dt.UTC
LOCAL_REJECT = -1  # Response.status when the message was refused before any HTTP request


# --------------------------------------------------------------------------- configuration


class DigestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    offices: tuple[str, ...] = ()  # unit codes, or "*" for all

    def covers(self, unit_code: str | None) -> bool:
        return bool(unit_code) and ("*" in self.offices or unit_code in self.offices)


class Operator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NotificationConfig(BaseModel):
    """``config/notifications.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1] = 1
    language: Literal["zh", "en"] = "zh"
    from_email: str = Field(default="safegov@example.gov.cn", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    from_name: str = "安全生产委员会办公室"
    horizon_days: int = Field(default=60, ge=0)
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_seconds: int = Field(default=60, ge=1)
    backoff_max_seconds: int = Field(default=3600, ge=1)
    lease_minutes: int = Field(default=10, ge=1)
    digest: DigestConfig = DigestConfig()
    # Who hears of a failed Airflow task (运维值班): one email per failed DAG run each.
    operators: tuple[Operator, ...] = ()


def load_notification_config(path: str | Path | None = None) -> NotificationConfig:
    from safegov.core.errors import SafegovError

    if path is None:
        from safegov.core.settings import get_settings

        path = get_settings().config_dir / "notifications.yaml"
    path = Path(path)
    if not path.exists():
        return NotificationConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return NotificationConfig.model_validate(data)
    except yaml.YAMLError as exc:
        raise SafegovError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise SafegovError(f"{path}: field {field}: {first['msg']}") from None


@lru_cache(maxsize=4)
def get_notification_config(path: str | None = None) -> NotificationConfig:
    return load_notification_config(path)


# --------------------------------------------------------------------------- templates


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    # Strict: a value the template reads but the context lacks is an error, never a blank.
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["joinlist"] = lambda v, sep="、": (
        sep.join(str(x) for x in v) if isinstance(v, list | tuple) else (v or "")
    )
    return env


def render(
    template: str,
    context: dict[str, Any],
    lang: str | None = None,
    *,
    names: Names | None = None,
    recipient: str | None = None,
) -> tuple[str, str, str]:
    """(subject, text, html) of ``mail/<template>.txt`` (blocks subject, text) and ``.html``.

    The context is first put into words (``safegov.notification.wording.mail_words``): names
    from ``names`` (loaded by ``queue_many`` for its batch), dates and periods in Chinese."""
    from jinja2 import TemplateNotFound

    from safegov.core.errors import SafegovError

    env = _env()
    language = context.get("lang") or lang or get_notification_config().language
    ctx = mail_words(template, context, language, names=names, recipient=recipient)
    try:
        txt = env.get_template(f"{template}.txt")
        html = env.get_template(f"{template}.html")
    except TemplateNotFound:
        raise SafegovError(f"no mail template {template!r}; expected one of {list(TEMPLATES)}") from None
    tctx = txt.new_context(ctx)
    subject = " ".join("".join(txt.blocks["subject"](tctx)).split())
    text = "".join(txt.blocks["text"](txt.new_context(ctx))).strip() + "\n"
    return subject, text, html.render(ctx)


# --------------------------------------------------------------------------- queue


def make_key(purpose: str, subject_id: str, period: str, recipient: str, step: str) -> str:
    return "|".join(str(p) for p in (purpose, subject_id, period, recipient, step))


def _period_last_day(period: str) -> dt.date | None:
    from safegov.core.periods import PeriodKeyError, parse_period

    try:
        return parse_period(period).last
    except (PeriodKeyError, ValueError):
        try:
            return dt.date.fromisoformat(period)
        except ValueError:
            return None  # an accident or hazard id: no calendar period


def _digest_emails(session: Session, day: dt.date) -> dict[str, str]:
    """email (lower) → unit code of the safety offices that take a digest (cached per session)."""
    cfg = get_notification_config()
    if not cfg.digest.offices:
        return {}
    cache = session.info.setdefault("safegov_digest_emails", {})
    if day not in cache:
        q = select(Leader.unit_code, Leader.email).where(
            Leader.role == SAFETY_OFFICE_ROLE, Leader.email.is_not(None), in_office(Leader, day)
        )
        cache[day] = {email.lower(): unit for unit, email in session.execute(q) if cfg.digest.covers(unit)}
    return cache[day]


def queue(
    session: Session,
    *,
    purpose: str,
    subject_id: str,
    period: str,
    recipient: str,
    step: str,
    to_email: str | None,
    cc: Sequence[str] | None = None,
    template: str,
    context: dict[str, Any],
    historical: bool = False,
    created_at: dt.datetime,
    run_id: str | None = None,
    lang: str | None = None,
    period_end: dt.date | None = None,
) -> bool:
    """Queue one email in the caller's transaction; True if the row is new (False: already queued).

    ``historical`` (a backfill run) or a period that ended more than ``horizon_days`` before
    ``created_at`` → ``suppressed``; no ``to_email`` → ``failed`` with reason ``no_address``.
    """
    return (
        queue_many(
            session,
            [
                dict(
                    purpose=purpose,
                    subject_id=subject_id,
                    period=period,
                    recipient=recipient,
                    step=step,
                    to_email=to_email,
                    cc=cc,
                    template=template,
                    context=context,
                    historical=historical,
                    lang=lang,
                    period_end=period_end,
                )
            ],
            created_at=created_at,
            run_id=run_id,
        )
        == 1
    )


def queue_many(
    session: Session, items: Iterable[dict[str, Any]], *, created_at: dt.datetime, run_id: str | None = None
) -> int:
    """Bulk ``queue``: each item has the keyword arguments of ``queue``; returns rows inserted."""
    from safegov.db.engine import insert_for

    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    from safegov.core.periods import local_date

    cfg = get_notification_config()
    today = local_date(created_at)
    horizon = today - dt.timedelta(days=cfg.horizon_days)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    items = list(items)
    names = Names.load(session, [(it["recipient"], it.get("context") or {}) for it in items])
    for it in items:
        key = make_key(it["purpose"], it["subject_id"], it["period"], it["recipient"], it["step"])
        if key in seen:
            continue
        seen.add(key)
        end = it.get("period_end") or _period_last_day(str(it["period"]))
        if it.get("historical"):
            state, reason = "suppressed", "historical"
        elif end is not None and end < horizon:
            state, reason = "suppressed", "horizon"
        elif not (it.get("to_email") or "").strip():
            state, reason = "failed", "no_address"
        else:
            state, reason = "pending", None
        cc, digest_office = [], None
        digest = _digest_emails(session, today)
        for addr in it.get("cc") or []:
            if not addr or addr.lower() == (it.get("to_email") or "").lower() or addr in cc:
                continue
            if addr.lower() in digest:
                digest_office = digest[addr.lower()]  # the office reads it in its daily digest
            else:
                cc.append(addr)
        subject, text, html = render(
            it["template"], dict(it.get("context") or {}), it.get("lang"), names=names, recipient=it["recipient"]
        )
        rows.append(
            {
                "key": key,
                "purpose": it["purpose"],
                "subject_id": str(it["subject_id"]),
                "period": str(it["period"]),
                "recipient": str(it["recipient"]),
                "step": it["step"],
                "to_email": (it.get("to_email") or None),
                "cc": cc or None,
                "mail_subject": subject,
                "body_text": text,
                "body_html": html,
                "state": state,
                "attempts": 0,
                "next_attempt_at": created_at if state == "pending" else None,
                "created_at": created_at,
                "historical": bool(it.get("historical")),
                "run_id": run_id,
                "reason": reason,
                "template": it["template"],
                "possible_duplicate": False,
                "digest_office": digest_office,
            }
        )
    if not rows:
        return 0
    table = OutboxMessage.__table__
    inserted: list[str] = []
    for chunk in _chunks(rows, 500):
        stmt = insert_for(session, table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key)
        inserted += (
            [k for (k,) in session.execute(stmt, chunk)]
            if len(chunk) > 1
            else [k for (k,) in session.execute(stmt.values(chunk[0]))]
        )
    if inserted:
        by_key = {r["key"]: r for r in rows}
        audit.append_many(
            session,
            [
                (
                    "email",
                    k,
                    "queued",
                    {"state": by_key[k]["state"], "reason": by_key[k]["reason"], "template": by_key[k]["template"]},
                )
                for k in inserted
            ],
            created_at,
        )
        missing = [k for k in inserted if by_key[k]["state"] == "failed"]
        if missing:
            log.warning(
                "outbox: %s row(s) without an address stored as failed (no_address), e.g. %s", len(missing), missing[0]
            )
    return len(inserted)


def _chunks(seq: Sequence[Any], n: int):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


# --------------------------------------------------------------------------- deliver


@dataclass
class Claimed:
    id: int
    key: str
    to_email: str
    cc: list[str]
    subject: str
    text: str
    html: str | None
    attempts: int
    reclaimed: bool


def _claim(
    engine: Engine,
    now: dt.datetime,
    limit: int,
    lease: dt.timedelta,
    max_attempts: int,
    keys: Sequence[str] | None = None,
) -> tuple[list[Claimed], int]:
    """Claim due rows in one committed transaction: (claimed rows, rows made dead on reclaim).
    ``keys``: only those rows (an alert sent at once), else every due row."""
    t = OutboxMessage.__table__
    pg = engine.dialect.name == "postgresql"
    only = t.c.key.in_(list(keys)) if keys is not None else true()
    claimed: list[Claimed] = []
    changes: list[tuple[str, str, str, dict[str, Any]]] = []
    dead = 0
    cols = (t.c.id, t.c.key, t.c.to_email, t.c.cc, t.c.mail_subject, t.c.body_text, t.c.body_html, t.c.attempts)

    def pick(cond):
        sub = select(t.c.id).where(cond).order_by(t.c.id).limit(limit)
        if pg:
            sub = sub.with_for_update(skip_locked=True)
        return sub

    with Session(engine) as session, session.begin():
        # Claims that outlived the lease: the worker died between send and mark (or before the send).
        stale_cond = and_(only, t.c.state == "sending", t.c.claimed_at < now - lease)
        # Reclaims that would exceed max_attempts go dead rather than risk another copy.
        gone = session.execute(
            update(t)
            .where(t.c.id.in_(pick(and_(stale_cond, t.c.attempts >= max_attempts))))
            .values(state="dead", reason="lease_expired", possible_duplicate=True)
            .returning(t.c.key)
        ).all()
        for (key,) in gone:
            dead += 1
            changes.append(("email", key, "dead", {"from": "sending", "to": "dead", "reason": "lease_expired"}))
            log.error(
                "outbox %s: claim expired after the last attempt; marked dead (it may or may not have been sent)", key
            )
        stale = session.execute(
            update(t)
            .where(t.c.id.in_(pick(stale_cond)))
            .values(attempts=t.c.attempts + 1, claimed_at=now, possible_duplicate=True)
            .returning(*cols)
        ).all()
        room = max(0, limit - len(stale))
        fresh = []
        if room:
            due = and_(only, t.c.state == "pending", or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now))
            sub = select(t.c.id).where(due).order_by(t.c.next_attempt_at, t.c.id).limit(room)
            if pg:
                sub = sub.with_for_update(skip_locked=True)
            fresh = session.execute(
                update(t)
                .where(t.c.id.in_(sub), t.c.state == "pending")
                .values(state="sending", attempts=t.c.attempts + 1, claimed_at=now)
                .returning(*cols)
            ).all()
        for rows, reclaimed in ((stale, True), (fresh, False)):
            for r in rows:
                claimed.append(
                    Claimed(
                        r.id,
                        r.key,
                        r.to_email,
                        list(r.cc or []),
                        r.mail_subject,
                        r.body_text,
                        r.body_html,
                        r.attempts,
                        reclaimed,
                    )
                )
                if reclaimed:
                    log.warning(
                        "outbox %s (id %s): claim older than the lease, sending again: POSSIBLE DUPLICATE (attempt %s)",
                        r.key,
                        r.id,
                        r.attempts,
                    )
                    changes.append(
                        (
                            "email",
                            r.key,
                            "reclaimed",
                            {"from": "sending", "to": "sending", "attempt": r.attempts, "possible_duplicate": True},
                        )
                    )
                else:
                    changes.append(
                        ("email", r.key, "claimed", {"from": "pending", "to": "sending", "attempt": r.attempts})
                    )
        if changes:
            audit.append_many(session, changes, now)
    claimed.sort(key=lambda c: c.id)
    return claimed, dead


def _outcome(
    c: Claimed, resp: Response, now: dt.datetime, cfg: NotificationConfig, max_attempts: int
) -> dict[str, Any]:
    """The row's next state from the provider's answer."""
    if resp.status == LOCAL_REJECT:
        return {"state": "failed", "reason": "invalid_message", "next_attempt_at": None}
    if resp.ok:
        return {
            "state": "sent",
            "sent_at": now,
            "provider_message_id": scrub(resp.header("X-Message-Id")) or None,
            "reason": None,
            "next_attempt_at": None,
        }
    if resp.status == 429:
        reset = resp.header("X-RateLimit-Reset")
        try:
            when = dt.datetime.fromtimestamp(int(float(reset)), UTC) if reset else None
        except ValueError:
            when = None
        when = max(when or now + dt.timedelta(seconds=cfg.backoff_seconds), now)
        # A 429 is the provider pacing us, not a failed attempt: it does not count toward dead.
        return {"state": "pending", "next_attempt_at": when, "reason": "rate_limited", "attempts": c.attempts - 1}
    if resp.status == 0 or resp.status >= 500:
        delay = min(cfg.backoff_seconds * 2 ** (c.attempts - 1), cfg.backoff_max_seconds)
        retry = {
            "state": "pending",
            "next_attempt_at": now + dt.timedelta(seconds=delay),
            "reason": "timeout_or_unreachable" if resp.status == 0 else f"http_{resp.status}",
        }
    else:
        return {"state": "failed", "reason": f"http_{resp.status}", "next_attempt_at": None}
    if c.attempts >= max_attempts:
        return {"state": "dead", "reason": retry["reason"], "next_attempt_at": None}
    return retry


def _mark(
    engine: Engine,
    results: list[tuple[Claimed, Response]],
    now: dt.datetime,
    cfg: NotificationConfig,
    max_attempts: int,
    counts: dict[str, int],
) -> None:
    t = OutboxMessage.__table__
    changes = []
    marks = []
    for c, resp in results:
        out = _outcome(c, resp, now, cfg, max_attempts)
        marks.append(
            (
                c,
                resp,
                out,
                {
                    **out,
                    "last_status": resp.status if resp.status > 0 else None,
                    "last_response": scrub(resp.body)[:2000] or None,
                    "claimed_at": None,
                },
            )
        )
    with Session(engine) as session, session.begin():
        bulk: set[int] | None = None
        if engine.dialect.name == "postgresql":
            bulk = _mark_sent_bulk(session, [(c, values) for c, _, out, values in marks if out["state"] == "sent"], now)
        for c, resp, out, values in marks:
            # Only the claim we hold: a row reclaimed by another worker after our lease is theirs now.
            if bulk is not None and out["state"] == "sent":
                marked = c.id in bulk
            else:
                ours = and_(t.c.id == c.id, t.c.state == "sending", t.c.attempts == c.attempts)
                marked = session.execute(update(t).where(ours).values(**values)).rowcount > 0
            if not marked:
                log.warning("outbox %s: claim lost before marking (lease expired?); left to its new owner", c.key)
                counts["lost"] += 1
                continue
            state = out["state"]
            counts[{"pending": "retry"}.get(state, state)] += 1
            changes.append(
                (
                    "email",
                    c.key,
                    state if state != "pending" else "retry",
                    {
                        "from": "sending",
                        "to": state,
                        "status": resp.status,
                        "reason": out.get("reason"),
                        "attempt": c.attempts,
                    },
                )
            )
            level = logging.INFO if state == "sent" else logging.WARNING
            log.log(
                level,
                "outbox %s (id %s) → %s, HTTP %s, attempt %s, to %s",
                c.key,
                c.id,
                state,
                resp.status,
                c.attempts,
                mask(c.to_email),
            )
        if changes:
            audit.append_many(session, changes, now)


def _mark_sent_bulk(session: Session, rows: list[tuple[Claimed, dict[str, Any]]], now: dt.datetime) -> set[int]:
    """Mark a batch's sent rows with one UPDATE … FROM (VALUES …) (PostgreSQL); the ids marked.

    The same claim check as one row at a time (state ``sending`` and our attempt number), in
    one round trip instead of one per email — the difference between 26 s and a few for
    10,000 emails.
    """
    if not rows:
        return set()
    t = OutboxMessage.__table__
    v = sa_values(
        column("id", Integer),
        column("attempts", Integer),
        column("provider_message_id", Text),
        column("last_status", Integer),
        column("last_response", Text),
        name="marked",
    ).data(
        [
            (c.id, c.attempts, vals["provider_message_id"], vals["last_status"], vals["last_response"])
            for c, vals in rows
        ]
    )
    stmt = (
        update(t)
        .where(t.c.id == v.c.id, t.c.state == "sending", t.c.attempts == v.c.attempts)
        .values(
            state="sent",
            sent_at=now,
            reason=None,
            next_attempt_at=None,
            claimed_at=None,
            # a column of NULLs in VALUES is text to PostgreSQL: cast back to the column's type
            provider_message_id=cast(v.c.provider_message_id, t.c.provider_message_id.type),
            last_status=cast(v.c.last_status, t.c.last_status.type),
            last_response=cast(v.c.last_response, t.c.last_response.type),
        )
        .returning(t.c.id)
    )
    return set(session.scalars(stmt))


def deliver(
    engine: Engine,
    mailer: Mailer,
    *,
    now: dt.datetime,
    limit: int = 500,
    max_attempts: int | None = None,
    lease: dt.timedelta | None = None,
    workers: int = 1,
    mark_batch: int = 1,
    after_send: Callable[[Claimed, Response], None] | None = None,
    keys: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Send due rows once each; returns counts (claimed, sent, retry, failed, dead, reclaimed, lost).

    ``progress``: told of the claimed rows and of each one handled (:data:`PROGRESS_MESSAGES`;
    its final figure is ``claimed``).

    ``keys`` limits the delivery to those rows (an operator alert sent as soon as it is queued).

    ``workers`` > 1 sends through a small thread pool (each row still claimed once);
    ``mark_batch`` marks that many results per transaction (1 = the smallest crash window).
    ``after_send`` is a test hook called after each HTTP send and before its mark.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cfg = get_notification_config()
    max_attempts = max_attempts or cfg.max_attempts
    lease = lease or dt.timedelta(minutes=cfg.lease_minutes)
    counts = {k: 0 for k in ("claimed", "sent", "retry", "failed", "dead", "reclaimed", "lost")}
    claimed, dead = _claim(engine, now, limit, lease, max_attempts, keys)
    counts["dead"] += dead
    counts["claimed"] = len(claimed)
    counts["reclaimed"] = sum(c.reclaimed for c in claimed)
    progress = progress or NO_PROGRESS
    progress.add(PROGRESS_MESSAGES, len(claimed))
    if not claimed:
        return counts

    attempted: set[int] = set()

    def send(c: Claimed) -> Response:
        attempted.add(c.id)
        msg = Message(
            to=c.to_email,
            cc=c.cc,
            subject=c.subject,
            text=c.text,
            html=c.html,
            key=c.key,
            outbox_id=c.id,
            attempt=c.attempts,
            from_email=cfg.from_email,
            from_name=cfg.from_name,
        )
        try:
            return mailer.send(msg)
        except InvalidMessage as exc:
            return Response(LOCAL_REJECT, {}, str(exc))
        except Exception as exc:  # noqa: BLE001 - a mailer bug must not lose the row: retry it
            log.error("outbox %s: mailer raised %s", c.key, type(exc).__name__)
            return Response(0, {}, f"{type(exc).__name__}")

    pending: list[tuple[Claimed, Response]] = []

    def handle(c: Claimed, resp: Response) -> None:
        if after_send is not None:
            after_send(c, resp)
        # The worst moment to die: sent but not marked (the distributed tests kill a worker here).
        maybe_pause("after_send")
        pending.append((c, resp))
        if len(pending) >= mark_batch:
            _mark(engine, pending, now, cfg, max_attempts, counts)
            progress.advance(PROGRESS_MESSAGES, len(pending))
            pending.clear()

    try:
        if workers <= 1:
            for c in claimed:
                handle(c, send(c))
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="safegov-mail") as pool:
                futures = {pool.submit(send, c): c for c in claimed}
                for fut in as_completed(futures):
                    handle(futures[fut], fut.result())
    except BaseException:
        # Claims we never used go straight back: only a row actually handed to SendGrid
        # may wait out the lease (and then be a possible duplicate).
        unused = [c for c in claimed if c.id not in attempted]
        if unused:
            _release(engine, unused, now)
        raise
    finally:
        # Whatever was sent and not yet marked is marked now, even if a hook or the pool failed.
        if pending:
            _mark(engine, pending, now, cfg, max_attempts, counts)
            progress.advance(PROGRESS_MESSAGES, len(pending))
    return counts


def _release(engine: Engine, claims: list[Claimed], now: dt.datetime) -> None:
    t = OutboxMessage.__table__
    changes = []
    with Session(engine) as session, session.begin():
        for c in claims:
            res = session.execute(
                update(t)
                .where(t.c.id == c.id, t.c.state == "sending", t.c.attempts == c.attempts)
                .values(state="pending", attempts=c.attempts - 1, claimed_at=None)
            )
            if res.rowcount:
                changes.append(("email", c.key, "released", {"from": "sending", "to": "pending"}))
        if changes:
            audit.append_many(session, changes, now)


# --------------------------------------------------------------------------- reading


def list_rows(session: Session, *, state: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if state:
        q = q.where(OutboxMessage.state == state)
    return list(session.scalars(q))


def state_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())


def requeue(session: Session, keys: Sequence[str], *, now: dt.datetime) -> int:
    """Operator action: put dead/failed rows back to pending (e.g. after fixing an address)."""
    t = OutboxMessage.__table__
    rows = session.execute(
        update(t)
        .where(t.c.key.in_(list(keys)), t.c.state.in_(("dead", "failed")), t.c.to_email.is_not(None))
        .values(state="pending", attempts=0, next_attempt_at=now, reason="requeued")
        .returning(t.c.key)
    ).all()
    if rows:
        audit.append_many(session, [("email", k, "requeued", {"to": "pending"}) for (k,) in rows], now)
    return len(rows)


def to_jsonable(row: OutboxMessage) -> dict[str, Any]:
    """A row for operators: recipients masked."""
    return {
        "id": row.id,
        "key": row.key,
        "state": row.state,
        "reason": row.reason,
        "attempts": row.attempts,
        "to": mask(row.to_email),
        "cc": [mask(a) for a in row.cc or []],
        "subject": row.mail_subject,
        "last_status": row.last_status,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "possible_duplicate": row.possible_duplicate,
        "historical": row.historical,
    }


__all__ = [
    "queue",
    "queue_many",
    "deliver",
    "render",
    "make_key",
    "NotificationConfig",
    "get_notification_config",
    "list_rows",
    "state_counts",
    "requeue",
]
