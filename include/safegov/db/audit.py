"""Append-only audit log chained by hash (previous hash + canonical JSON of the change).

Every state change of evaluations, cases, blacklist entries and emails is appended here in
the same transaction as the change. ``verify`` walks the chain and names the first broken
link. On PostgreSQL a trigger (see migrations) refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safegov.core.progress import NO_PROGRESS, Progress
from safegov.db.models import AuditLog

GENESIS = "0" * 64
# Progress stage (safegov.core.progress) of verify: links walked.
PROGRESS_LINKS = "审计链 links"


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, dates as ISO strings, UTF-8 kept."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON-serialisable for the audit log: {type(value).__name__}")


def link_hash(prev_hash: str, at: dt.datetime, entity: str, entity_key: str, action: str, payload: Any) -> str:
    return _link_hash(prev_hash, at, entity, entity_key, action, canonical(payload))


def _link_hash(prev_hash: str, at: dt.datetime, entity: str, entity_key: str, action: str, payload_json: str) -> str:
    """The hash of ``link_hash`` from the payload's canonical JSON text: the link's canonical
    body is ``canonical`` of {action, at, entity, key, payload}, and "payload" sorts last, so
    it is the canonical text of the other four with the payload's text appended."""
    head = canonical({"at": at, "entity": entity, "key": entity_key, "action": action})
    body = f'{head[:-1]},"payload":{payload_json}}}'
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def last_hash(session: Session) -> str:
    """The hash of the newest link (the genesis hash on an empty log): the next link's ``prev_hash``."""
    last = session.scalar(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1))
    return last or GENESIS


def lock_chain(session: Session) -> None:
    """Hold the chain's head until the transaction ends (PostgreSQL; SQLite has one writer).

    Serialises the writers of the chain so that two transactions never fork it, and a
    checkpoint signs a head nobody is extending. The chain lives in the current schema, so the
    lock is keyed by it too: databases holding several safegov schemas (tests, benchmarks)
    do not queue behind each other."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(727274, hashtext(current_schema()))"))


def append(
    session: Session, entity: str, entity_key: str, action: str, payload: dict[str, Any], at: dt.datetime
) -> str:
    """Append one link; returns its hash. Call inside the transaction making the change."""
    return append_many(session, [(entity, entity_key, action, payload)], at)


def append_many(session: Session, changes: Iterable[tuple[str, str, str, dict[str, Any]]], at: dt.datetime) -> str:
    """Append several links in order (one read of the chain's head). Each payload is
    round-tripped through canonical JSON, so that what is hashed and stored is what the
    JSON column gives back."""
    return append_canonical(
        session,
        [(entity, key, action, canonical(json.loads(canonical(payload)))) for entity, key, action, payload in changes],
        at,
    )


def append_canonical(session: Session, links: Iterable[tuple[str, str, str, str]], at: dt.datetime) -> str:
    """Append links whose payloads come as their canonical JSON text (``canonical`` of the
    payload), hashed and stored as given (bound as a string: the JSON column reads it back
    as the same value); returns the new head's hash.

    For writers that build the text themselves: the evaluation engine has the database
    write each change's values as JSON. ``verify`` recomputes the text from the stored
    value, so a text that is not canonical breaks the chain at once.
    """
    from sqlalchemy import Text, bindparam, cast, insert
    from sqlalchemy.types import JSON

    lock_chain(session)
    prev = last_hash(session)
    table = AuditLog.__table__
    rows = []
    for entity, key, action, text in links:
        h = _link_hash(prev, at, entity, key, action, text)
        rows.append(
            {
                "at": at,
                "entity": entity,
                "entity_key": key,
                "action": action,
                "payload_text": text,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    if rows:
        stmt = insert(table).values(
            at=bindparam("at", type_=table.c.at.type),
            entity=bindparam("entity"),
            entity_key=bindparam("entity_key"),
            action=bindparam("action"),
            payload=cast(bindparam("payload_text", type_=Text()), JSON())
            if session.get_bind().dialect.name == "postgresql"
            else bindparam("payload_text", type_=Text()),
            prev_hash=bindparam("prev_hash"),
            hash=bindparam("hash"),
        )
        session.execute(stmt, rows)
    return prev


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str | None = None
    head_hash: str = GENESIS
    anchors: int = 0  # checkpoints and published anchors the chain was checked against
    state_checked: bool = False


@dataclass(frozen=True)
class Anchor:
    """A statement the chain must agree with: it had ``length`` links, the last one hashed
    ``head_hash``. A stored checkpoint, or one published elsewhere (asset event, bulletin)."""

    length: int
    head_hash: str
    source: str


def verify(
    session: Session,
    batch: int = 5000,
    *,
    anchors: Iterable[Anchor] = (),
    replay_state: bool = False,
    progress: Progress | None = None,
) -> VerifyResult:
    """Walk the chain in id order; the first link whose hash or back-pointer fails is named.

    ``anchors``: the chain must have had each anchor's head at its length (a shorter chain
    was truncated; another hash means it was rewritten). ``replay_state``: the evaluation,
    case and blacklist states replayed from the links must be what the tables hold; the
    first row that differs is named. ``progress``: told of the links to walk and of each
    batch walked (:data:`PROGRESS_LINKS`; its final figure is ``checked`` of a sound chain)."""
    from safegov.db.replay import ReplayError, StateReplay

    by_length: dict[int, list[Anchor]] = {}
    for a in anchors:
        by_length.setdefault(a.length, []).append(a)
    replay = StateReplay(session) if replay_state else None
    progress = progress or NO_PROGRESS
    if progress is not NO_PROGRESS:  # one count only when someone watches
        progress.add(PROGRESS_LINKS, session.scalar(select(func.count()).select_from(AuditLog)) or 0)
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = (
            session.execute(select(AuditLog).where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch))
            .scalars()
            .all()
        )
        if not rows:
            break
        for row in rows:
            if row.prev_hash != prev:
                return VerifyResult(
                    False, checked, row.id, f"audit_log id {row.id}: prev_hash does not match link {last_id}"
                )
            expected = link_hash(prev, row.at, row.entity, row.entity_key, row.action, row.payload)
            if expected != row.hash:
                return VerifyResult(False, checked, row.id, f"audit_log id {row.id}: content does not match its hash")
            prev = row.hash
            last_id = row.id
            checked += 1
            for a in by_length.get(checked, ()):
                if a.head_hash != row.hash:
                    return VerifyResult(
                        False,
                        checked,
                        row.id,
                        f"audit_log id {row.id}: link {checked} of the chain is not the head {a.source} signed "
                        "(the chain was rewritten up to there)",
                    )
            if replay is not None:
                try:
                    replay.feed(row)
                except ReplayError as exc:
                    return VerifyResult(False, checked, row.id, str(exc))
        progress.advance(PROGRESS_LINKS, len(rows))
        session.expunge_all()
    beyond = [a for n, group in by_length.items() if n > checked for a in group]
    if beyond:
        a = max(beyond, key=lambda a: a.length)
        return VerifyResult(
            False,
            checked,
            None,
            f"the chain has {checked} links but {a.source} signed {a.length}: "
            f"the {a.length - checked} link(s) after link {checked} were removed",
        )
    result = VerifyResult(True, checked, head_hash=prev, anchors=sum(map(len, by_length.values())))
    if replay is not None:
        count, first = replay.differences()
        result.state_checked = True
        if first is not None:
            result.ok = False
            result.reason = f"{count} row(s) differ from the audited changes; first: {first.describe()}"
    return result
