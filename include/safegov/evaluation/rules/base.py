"""What an evaluation rule declares: ``RuleKind``, and the ``RuleRun`` and ``Plan`` it works with.

A rule kind turns one run — an obligation, its periods, the evaluation moment, optionally
some subjects or events — into a ``Plan``: the statement that selects the changed verdict
rows (columns ``safegov.evaluation.queries.OUT_COLUMNS`` + ``old_status``), its bound
parameters and the temporary tables it filled. The engine writes the rows, the history and
the audit links the same way for every rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from safegov.core.periods import Period
from safegov.register.obligations import Obligation


@dataclass(frozen=True)
class RuleRun:
    """One evaluation statement to build, inside the engine's transaction."""

    session: Session
    ob: Obligation
    periods: list[Period]  # empty for event rules: every event
    as_of: dt.datetime  # timezone-aware
    subject_ids: list[str] | None = None  # only these subjects (periodic rules)
    event_filter: list[str] | None = None  # only the events of these subjects (event rules)

    @property
    def first_day(self) -> dt.date | None:
        return min(p.first for p in self.periods) if self.periods else None

    @property
    def last_day(self) -> dt.date | None:
        return max(p.last for p in self.periods) if self.periods else None


@dataclass(frozen=True)
class Plan:
    """The statement of the changed rows, its parameters, and the temporary tables to clear after."""

    statement: Any
    params: dict[str, Any] = field(default_factory=dict)
    temp_tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class RuleKind:
    """One value of the register's ``rule:`` and how the engine evaluates it."""

    name: str
    # Builds the run's statement (filling the temporary tables it needs); None: nothing to evaluate.
    plan: Callable[[RuleRun], Plan | None]
    # One verdict per event (hazard, accident, ticket) in the month of the event, rather than
    # one per subject and period of the obligation's cadence.
    event: bool = False
    # Event rules: the hint column of a touched record (``IngestReport.touched``) that names
    # whose events a late record re-evaluates; the plan receives those values as ``event_filter``.
    event_filter_column: str | None = None
