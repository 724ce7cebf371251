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

from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.db.models import AuditLog

GENESIS = "0" * 64


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


def append(
    session: Session, entity: str, entity_key: str, action: str, payload: dict[str, Any], at: dt.datetime
) -> str:
    """Append one link; returns its hash. Call inside the transaction making the change."""
    return append_many(session, [(entity, entity_key, action, payload)], at)


def append_many(
    session: Session, changes: Iterable[tuple[str, str, str, dict[str, Any]]], at: dt.datetime, *, native: bool = False
) -> str:
    """Append several links in order (one read of the chain's head).

    ``native=True``: the caller promises each payload is already plain JSON (dicts with
    string keys in sorted order, lists, str, int, bool, None — what ``json.loads`` of its
    canonical JSON gives back), so the round trip is skipped and the payload is serialised
    once for the hash and once for storage, as the general path would store and hash it
    (same text, same hash). The evaluation engine appends millions of changes this way.
    """
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers of the chain so that two transactions never fork it. The chain
        # lives in the current schema, so the lock is keyed by it too: databases holding
        # several safegov schemas (tests, benchmarks) do not queue behind each other.
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(727274, hashtext(current_schema()))"))
    prev = last_hash(session)
    if native:
        return _append_native(session, changes, at, prev)
    # Round-trip the payload through canonical JSON so that what is hashed is what is stored.
    rows = []
    for entity, key, action, payload in changes:
        payload = json.loads(canonical(payload))
        h = link_hash(prev, at, entity, key, action, payload)
        rows.append(
            {
                "at": at,
                "entity": entity,
                "entity_key": key,
                "action": action,
                "payload": payload,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    if rows:
        session.execute(AuditLog.__table__.insert(), rows)
    return prev


def _append_native(
    session: Session, changes: Iterable[tuple[str, str, str, dict[str, Any]]], at: dt.datetime, prev: str
) -> str:
    """``append_many(native=True)``: each payload is serialised once for the hash (its
    canonical text) and once for storage (the text the JSON column would have written,
    ``json.dumps`` of the same dict, bound as a string)."""
    from sqlalchemy import Text, bindparam, cast, insert
    from sqlalchemy.types import JSON

    table = AuditLog.__table__
    rows = []
    for entity, key, action, payload in changes:
        h = _link_hash(prev, at, entity, key, action, canonical(payload))
        rows.append(
            {
                "at": at,
                "entity": entity,
                "entity_key": key,
                "action": action,
                "payload_text": json.dumps(payload),
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


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; the first link whose hash or back-pointer fails is named."""
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
            return VerifyResult(True, checked)
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
        session.expunge_all()
