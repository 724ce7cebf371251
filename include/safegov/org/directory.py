"""Post holders (任职): who holds a post on a day (SPEC §2), one rule for every caller.

The holder of a post on day D is the leader in office on D — ``term_start ≤ D`` and
``term_end`` empty or ``≥ D`` — the latest to start if several are; on a vacancy day it is
whoever held the post last (the latest ``term_end``). A tie goes to the highest leader id.

The rule comes in three forms that agree:

- ``pick`` over terms in memory, and ``PostDirectory``, which loads the leader registry once
  (it is small) for a run that asks many times (cases, reminders, digests);
- ``holder_at`` for a single look-up;
- the SQL pieces ``in_office``, ``started`` and ``holder_key`` / ``holder_of_key`` for
  set-based statements (one join + GROUP BY instead of a look-up per row).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from safegov.db.models import Leader

SAFETY_OFFICE_ROLE = "safety_office_director"  # the head of a unit's safety committee office (安委办)
HOLDER_KEY_PREFIX = 11  # characters of ``holder_key`` before the leader id: flag + ISO date


@dataclass(frozen=True)
class Term:
    """One leader's term in one post (a row of the leader registry)."""

    leader_id: str
    name: str | None
    email: str | None
    unit_code: str
    role: str
    department_id: str | None
    term_start: dt.date
    term_end: dt.date | None

    def in_office(self, on: dt.date) -> bool:
        return in_term(self.term_start, self.term_end, on)


def in_term(term_start: dt.date, term_end: dt.date | None, on: dt.date) -> bool:
    """Whether ``on`` falls within a term: started, and not ended before ``on``."""
    return term_start <= on and (term_end is None or term_end >= on)


def pick(terms: Iterable[Term], on: dt.date) -> Term | None:
    """The holder on ``on`` among one post's terms (the rule above); None if nobody had started."""
    best: Term | None = None
    best_key: tuple[Any, ...] | None = None
    for t in terms:
        if t.term_start > on:
            continue
        key = (True, t.term_start, t.leader_id) if t.in_office(on) else (False, t.term_end, t.leader_id)
        if best_key is None or key > best_key:
            best, best_key = t, key
    return best


_COLUMNS = (
    Leader.leader_id,
    Leader.name,
    Leader.email,
    Leader.unit_code,
    Leader.role,
    Leader.department_id,
    Leader.term_start,
    Leader.term_end,
)


class PostDirectory:
    """The leader registry of one session, loaded on first use: post holders on a day,
    department heads, the safety office (安委办) of a unit, leaders by id."""

    def __init__(self, session: Session):
        self.session = session
        self._by_id: dict[str, Term] | None = None
        self._by_post: dict[tuple[str, str], list[Term]] = defaultdict(list)
        self._by_department: dict[str, list[Term]] = defaultdict(list)

    def _load(self) -> dict[str, Term]:
        if self._by_id is None:
            self._by_id = {}
            for row in self.session.execute(select(*_COLUMNS)):
                t = Term(*row)
                self._by_id[t.leader_id] = t
                self._by_post[(t.unit_code, t.role)].append(t)
                if t.role == "department_head" and t.department_id:
                    self._by_department[t.department_id].append(t)
        return self._by_id

    def leader(self, leader_id: str) -> Term | None:
        """The leader's term, or None when ``leader_id`` is not a leader (e.g. a plain name)."""
        return self._load().get(leader_id)

    def holder(self, unit_code: str, role: str, on: dt.date) -> Term | None:
        """Who holds the post ``unit_code:role`` on ``on`` (on a vacancy day: who held it last)."""
        self._load()
        return pick(self._by_post.get((unit_code, role), ()), on)

    def department_head(self, department_id: str, on: dt.date) -> Term | None:
        self._load()
        return pick(self._by_department.get(department_id, ()), on)

    def office(self, unit_code: str, on: dt.date) -> Term | None:
        """The unit's safety office (安委办): its director on ``on``."""
        return self.holder(unit_code, SAFETY_OFFICE_ROLE, on)


def holder_at(session: Session, unit_code: str, role: str, on: dt.date) -> str | None:
    """The leader id holding ``unit_code:role`` on ``on``; on a vacancy day, whoever held it last."""
    rows = session.execute(
        select(*_COLUMNS).where(Leader.unit_code == unit_code, Leader.role == role, started(Leader, on))
    )
    found = pick((Term(*r) for r in rows), on)
    return found.leader_id if found else None


# --------------------------------------------------------------------------- SQL forms


def started(cols: Any, on: Any) -> Any:
    """SQL: the term began by ``on``. ``cols``: ``Leader`` or a leader table alias's ``.c``;
    ``on``: a date or a date column."""
    return cols.term_start <= on


def in_office(cols: Any, on: Any) -> Any:
    """SQL: the leader is in office on ``on`` (``term_start ≤ on`` and ``term_end`` empty or ``≥ on``)."""
    return and_(started(cols, on), or_(cols.term_end.is_(None), cols.term_end >= on))


def holder_key(cols: Any, on: Any) -> Any:
    """SQL sort key whose MAX over a post's terms ``started`` by ``on`` is the holder's: in
    office first, then the latest start (in office) or the latest end (vacancy), then the
    leader id. ``holder_of_key`` cuts the leader id out of the MAX again (SQLite allows no
    outer reference in a subquery's ORDER BY, so a MAX stands in for it)."""
    current = or_(cols.term_end.is_(None), cols.term_end >= on)
    flag = case((current, literal("1", String())), else_=literal("0", String()))
    return flag + cast(case((current, cols.term_start), else_=cols.term_end), String(10)) + cols.leader_id


def holder_of_key(max_key: Any) -> Any:
    """SQL: the leader id in a ``holder_key`` (typically ``func.max(holder_key(...))``)."""
    return func.substr(max_key, HOLDER_KEY_PREFIX + 1)
