"""Signed checkpoints of the audit chain (存证锚点): its length and head hash, under an HMAC.

The hash chain alone shows that no link was altered or removed *inside* it; it cannot show
that its tail was cut off, or that the whole chain was rewritten by someone who can write the
database. A checkpoint closes that gap: each run signs "the chain had N links ending in hash
H at time T" with a key that is kept outside the compliance database (``SAFEGOV_AUDIT_KEY``,
or the file ``SAFEGOV_AUDIT_KEY_FILE``), stores it (append-only on PostgreSQL), and publishes
it as an Airflow asset event and in the monthly bulletins. ``safegov audit verify`` then
checks the chain against every stored checkpoint and against any published one it is given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safegov.core.errors import SafegovError
from safegov.core.periods import TZ
from safegov.core.progress import Progress
from safegov.db import audit
from safegov.db.engine import insert_for
from safegov.db.models import AuditCheckpoint, AuditLog

MIN_KEY_CHARS = 16


class AuditKeyError(SafegovError):
    """The key that signs checkpoints is missing or unusable."""


class CheckpointError(SafegovError):
    """The chain no longer holds the last checkpoint: a new one would sign a tampered chain."""


@dataclass(frozen=True)
class AuditKey:
    secret: bytes

    @property
    def key_id(self) -> str:
        """A public name for the key (a hash of it): tells which key signed a checkpoint."""
        return hashlib.sha256(b"safegov-audit-key|" + self.secret).hexdigest()[:16]

    def sign(self, message: str) -> str:
        return hmac.new(self.secret, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never print the secret
        return f"AuditKey(key_id={self.key_id})"


def load_key(*, create: bool = False) -> AuditKey:
    """The configured key: ``SAFEGOV_AUDIT_KEY``, else the key file. ``create=True`` (the
    runs that write checkpoints) makes a random key file on first use; verifying never does,
    since a new key cannot check old signatures."""
    from safegov.core.settings import get_settings

    settings = get_settings()
    if settings.audit_key:
        return AuditKey(settings.audit_key.encode("utf-8"))
    path = settings.audit_key_file
    if not path.exists():
        if not create:
            raise AuditKeyError(
                f"no audit key: set SAFEGOV_AUDIT_KEY or provide the key file {path} (SAFEGOV_AUDIT_KEY_FILE)"
            )
        _create_key_file(path)
    text = path.read_text(encoding="utf-8").strip()
    if len(text) < MIN_KEY_CHARS:
        raise AuditKeyError(f"{path}: the audit key is shorter than {MIN_KEY_CHARS} characters")
    return AuditKey(text.encode("utf-8"))


def _create_key_file(path: Path) -> None:
    """Write a random key readable by its owner only; a concurrent creator's file wins (the
    key is linked into place whole, so no reader ever sees a half-written one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_hex(32) + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process made the key first: use theirs
    finally:
        tmp.unlink()


@dataclass(frozen=True)
class Checkpoint:
    """One signed head of the chain."""

    length: int
    head_id: int
    head_hash: str
    at: dt.datetime
    key_id: str
    mac: str
    id: int | None = None
    run_id: str | None = None

    @staticmethod
    def message(length: int, head_id: int, head_hash: str, at: dt.datetime) -> str:
        """What the HMAC covers: every value of the statement, in canonical JSON."""
        return audit.canonical({"at": at, "head_hash": head_hash, "head_id": head_id, "length": length})

    def signed_by(self, key: AuditKey) -> bool:
        expected = key.sign(self.message(self.length, self.head_id, self.head_hash, self.at))
        return self.key_id == key.key_id and hmac.compare_digest(expected, self.mac)

    def as_extra(self) -> dict[str, Any]:
        """The published form (asset event extra, bulletin figures): plain JSON."""
        return {
            "length": self.length,
            "head_id": self.head_id,
            "head_hash": self.head_hash,
            "at": self.at.astimezone(dt.UTC).isoformat(),
            "key_id": self.key_id,
            "mac": self.mac,
        }

    def describe(self) -> str:
        """One line for people (Chinese, Beijing time), as printed in the bulletin."""
        local = self.at.astimezone(TZ).strftime("%Y年%m月%d日 %H:%M")
        return (
            f"截至{local}（北京时间），审计链共 {self.length} 条记录，末条哈希 {self.head_hash}，"
            f"签名 {self.mac}（密钥标识 {self.key_id}）"
        )

    @classmethod
    def of(cls, row: AuditCheckpoint) -> Checkpoint:
        return cls(row.length, row.head_id, row.head_hash, row.at, row.key_id, row.mac, row.id, row.run_id)


def checkpoints(session: Session) -> list[Checkpoint]:
    """Every stored checkpoint, shortest chain first."""
    return [Checkpoint.of(r) for r in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.length))]


def latest(session: Session) -> Checkpoint | None:
    row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.length.desc()).limit(1)).first()
    return Checkpoint.of(row) if row else None


def write_checkpoint(session: Session, key: AuditKey, at: dt.datetime, run_id: str | None = None) -> Checkpoint | None:
    """Sign the chain's current head (none on an empty chain). Idempotent: an unchanged head
    gives back the checkpoint that already signs it, and two runs signing the same head store
    one row. Refuses when the chain no longer holds the last checkpoint's head: signing a
    tampered chain would launder it."""
    audit.lock_chain(session)
    last = latest(session)
    head = session.execute(select(AuditLog.id, AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).first()
    if head is None:
        if last is not None:
            raise CheckpointError(
                f"the audit chain is empty but checkpoint #{last.id} signed {last.length} links: "
                "run `safegov audit verify`"
            )
        return None
    if last is not None:
        held = session.scalar(select(AuditLog.hash).where(AuditLog.id == last.head_id))
        if held != last.head_hash:
            raise CheckpointError(
                f"the audit chain no longer holds checkpoint #{last.id} (link {last.head_id}): "
                "run `safegov audit verify`"
            )
        if last.head_id == head.id:
            return last
    since = last.head_id if last else 0
    length = (last.length if last else 0) + session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.id > since)
    )
    at = at.astimezone(dt.UTC)
    values = {
        "at": at,
        "length": length,
        "head_id": head.id,
        "head_hash": head.hash,
        "key_id": key.key_id,
        "mac": key.sign(Checkpoint.message(length, head.id, head.hash, at)),
        "run_id": run_id,
    }
    session.execute(insert_for(session, AuditCheckpoint.__table__).values(**values).on_conflict_do_nothing())
    return Checkpoint.of(session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.length == length)).one())


def verify_all(
    session: Session,
    *,
    key: AuditKey | None = None,
    published: tuple[audit.Anchor, ...] = (),
    progress: Progress | None = None,
) -> audit.VerifyResult:
    """The whole check of ``safegov audit verify``: every stored checkpoint's signature, the
    chain against those checkpoints and the ``published`` anchors, and the evaluation, case
    and blacklist states replayed from the chain against the tables. The key is needed only
    when there are checkpoints to check (``load_key`` when not given)."""
    stored = checkpoints(session)
    if stored and key is None:
        key = load_key()
    for cp in stored:
        if cp.key_id != key.key_id:
            return audit.VerifyResult(
                False,
                0,
                None,
                f"checkpoint #{cp.id} ({_local(cp.at)}) was signed with key {cp.key_id}, "
                f"the configured key is {key.key_id}: give the key that signed it",
            )
        if not cp.signed_by(key):
            return audit.VerifyResult(
                False,
                0,
                None,
                f"checkpoint #{cp.id} ({_local(cp.at)}): its signature does not match its values (altered or forged)",
            )
    anchors = [audit.Anchor(cp.length, cp.head_hash, f"checkpoint #{cp.id} ({_local(cp.at)})") for cp in stored]
    return audit.verify(session, anchors=[*anchors, *published], replay_state=True, progress=progress)


def _local(at: dt.datetime) -> str:
    return at.astimezone(TZ).strftime("%Y-%m-%d %H:%M %z")
