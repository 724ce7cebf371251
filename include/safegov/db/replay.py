"""The state the audit log says the tables hold, replayed from its links and compared with them.

An edit that goes around the product (``UPDATE evaluation SET status='met'``, a case or a
blacklist entry changed by hand) leaves the chain intact; replaying the chain shows it.
The links carry, by entity:

- ``evaluation``: ``{"obligation_id", "fields", "changes": [[…], …]}``, each change a list
  in the order of ``fields`` (``subject_id``, ``period``, ``to`` among them): a status change.
- ``case``: action ``opened`` with ``{"fields", "cases": [[case_id, case_key, state, …], …]}``;
  any other action with ``{"case_id", "to"}``: a transition.
- ``blacklist``: action ``candidate`` with ``{"entry_id", "scopes"}``; ``scopes`` with
  ``{"entry_id", "to": [scope, …]}``; any other action with ``{"entry_id", "to"}``.

Only status changes are audited, so only statuses (and blacklist scopes) are compared. The
evaluation replay goes through a temporary table (ten years hold tens of millions of
verdicts); cases and blacklist entries are few enough for memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, and_, exists, null, select
from sqlalchemy.orm import Session

from safegov.db.engine import insert_for
from safegov.db.models import AuditLog, BlacklistEntry, Case, Evaluation

FLUSH_ROWS = 5000
# Entities whose links are chained but whose state is not compared: the outbox's emails.
NOT_REPLAYED = frozenset({"email"})

_meta = MetaData()
_replayed = Table(
    "tmp_audit_replay",
    _meta,
    Column("obligation_id", String(40), primary_key=True),
    Column("subject_id", String(80), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("status", String(12), nullable=False),
    Column("link_id", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


class ReplayError(ValueError):
    """A link whose payload does not have the shape its entity's links have."""


@dataclass(frozen=True)
class Difference:
    """The first row whose stored state is not what the audit log says."""

    table: str
    key: str
    stored: Any
    audited: Any
    link_id: int | None

    def describe(self) -> str:
        if self.audited is None:
            return f"{self.table} {self.key}: holds {self.stored!r}, but no audited change made it"
        where = f" (audit_log id {self.link_id})"
        if self.stored is None:
            return f"{self.table} {self.key}: audited as {self.audited!r}{where}, but the row is missing"
        return f"{self.table} {self.key}: holds {self.stored!r}, the audit log says {self.audited!r}{where}"


class StateReplay:
    """Feed it every link in chain order, then ask for the differences."""

    def __init__(self, session: Session):
        self.session = session
        self.conn = session.connection()
        _replayed.drop(self.conn, checkfirst=True)
        _replayed.create(self.conn)
        self._pending: dict[tuple[str, str, str], tuple[str, int]] = {}
        self.cases: dict[int, tuple[str, str, int]] = {}  # case id → (case key, state, link id)
        self.entries: dict[int, tuple[str, str, int]] = {}  # entry id → (key, state, link id)
        self.scopes: dict[int, tuple[list[str], int]] = {}

    def feed(self, link: AuditLog) -> None:
        feeders = {"evaluation": self._feed_evaluation, "case": self._feed_case, "blacklist": self._feed_blacklist}
        if link.entity in NOT_REPLAYED:
            return
        if link.entity not in feeders:
            raise ReplayError(f"audit_log id {link.id}: unknown entity {link.entity!r}")
        try:
            feeders[link.entity](link.id, link.entity_key, link.action, link.payload)
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise ReplayError(
                f"audit_log id {link.id}: a {link.entity} link without the fields a replay needs ({exc!r})"
            ) from exc

    def _feed_evaluation(self, link_id: int, key: str, action: str, payload: dict[str, Any]) -> None:
        ob = payload["obligation_id"]
        fields = payload["fields"]
        s, p, to = fields.index("subject_id"), fields.index("period"), fields.index("to")
        for change in payload["changes"]:
            self._pending[(ob, change[s], change[p])] = (change[to], link_id)
        if len(self._pending) >= FLUSH_ROWS:
            self._flush()

    def _feed_case(self, link_id: int, key: str, action: str, payload: dict[str, Any]) -> None:
        if action == "opened":
            fields = payload["fields"]
            i, k, st = fields.index("case_id"), fields.index("case_key"), fields.index("state")
            for case in payload["cases"]:
                self.cases[int(case[i])] = (case[k], case[st], link_id)
        else:
            cid = int(payload["case_id"])
            self.cases[cid] = (key, payload["to"], link_id)

    def _feed_blacklist(self, link_id: int, key: str, action: str, payload: dict[str, Any]) -> None:
        eid = int(payload["entry_id"])
        if action == "scopes":
            self.scopes[eid] = (sorted(payload["to"]), link_id)
        elif action == "candidate":
            self.entries[eid] = (key, "candidate", link_id)
            self.scopes[eid] = (sorted(payload["scopes"]), link_id)
        else:
            self.entries[eid] = (key, payload["to"], link_id)

    def _flush(self) -> None:
        if not self._pending:
            return
        rows = [
            {"obligation_id": ob, "subject_id": s, "period": p, "status": st, "link_id": lid}
            for (ob, s, p), (st, lid) in self._pending.items()
        ]
        stmt = insert_for(self.conn, _replayed)
        stmt = stmt.on_conflict_do_update(
            index_elements=["obligation_id", "subject_id", "period"],
            set_={"status": stmt.excluded.status, "link_id": stmt.excluded.link_id},
        )
        self.conn.execute(stmt, rows)
        self._pending.clear()

    def differences(self) -> tuple[int, Difference | None]:
        """How many rows differ, and the first (evaluations by key, then cases and blacklist
        entries by id)."""
        self._flush()
        found: list[Difference] = []
        count = 0
        n, first = self._evaluation_differences()
        count += n
        found += [first] if first else []
        for n, first in (self._case_differences(), self._blacklist_differences()):
            count += n
            found += [first] if first else []
        _replayed.drop(self.conn)
        return count, (found[0] if found else None)

    def _evaluation_differences(self) -> tuple[int, Difference | None]:
        e, r = Evaluation.__table__, _replayed
        same_key = and_(
            e.c.obligation_id == r.c.obligation_id, e.c.subject_id == r.c.subject_id, e.c.period == r.c.period
        )
        wrong = (
            select(e.c.obligation_id, e.c.subject_id, e.c.period, e.c.status, r.c.status, r.c.link_id)
            .select_from(e.outerjoin(r, same_key))
            .where(e.c.status.is_distinct_from(r.c.status))
            .order_by(e.c.obligation_id, e.c.subject_id, e.c.period)
        )
        missing = (
            select(r.c.obligation_id, r.c.subject_id, r.c.period, null(), r.c.status, r.c.link_id)
            .where(~exists().where(same_key))
            .order_by(r.c.obligation_id, r.c.subject_id, r.c.period)
        )
        rows = [*self.conn.execute(wrong), *self.conn.execute(missing)]
        if not rows:
            return 0, None
        ob, subject, period, stored, audited, link_id = min(rows, key=lambda row: row[:3])
        return len(rows), Difference("evaluation", f"{ob}|{subject}|{period}", stored, audited, link_id)

    def _case_differences(self) -> tuple[int, Difference | None]:
        stored = {i: (k, s) for i, k, s in self.session.execute(select(Case.id, Case.case_key, Case.state))}
        return _compare("case", stored, {i: ((k, s), lid) for i, (k, s, lid) in self.cases.items()})

    def _blacklist_differences(self) -> tuple[int, Difference | None]:
        e = BlacklistEntry
        stored, scopes = {}, {}
        for i, ent, trig, ref, state, sc in self.session.execute(
            select(e.id, e.enterprise_id, e.trigger, e.trigger_ref, e.state, e.scopes)
        ):
            stored[i] = (f"{ent}|{trig}|{ref}", state)
            if i in self.scopes:
                scopes[i] = sorted(sc or [])
        n, first = _compare("blacklist_entry", stored, {i: ((k, s), lid) for i, (k, s, lid) in self.entries.items()})
        m, first_scope = _compare("blacklist_entry scopes", scopes, self.scopes, missing_ok=True)
        return n + m, first or first_scope


def _compare(
    table: str, stored: dict[int, Any], audited: dict[int, tuple[Any, int]], *, missing_ok: bool = False
) -> tuple[int, Difference | None]:
    diffs = []
    for i in sorted(stored.keys() | audited.keys()):
        have = stored.get(i)
        want, link_id = audited.get(i, (None, None))
        if have == want or (missing_ok and have is None):
            continue
        diffs.append(Difference(table, f"#{i}", _shown(have), _shown(want), link_id))
    return len(diffs), (diffs[0] if diffs else None)


def _shown(value: Any) -> Any:
    """A (key, state) pair shown as "key: state"."""
    if isinstance(value, tuple):
        return f"{value[0]}: {value[1]}"
    return value
