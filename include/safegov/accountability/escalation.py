"""Escalation (SPEC §6): turn the facts of a range of periods into accountability cases.

``escalate(engine, register, from_key, to_key, as_of=…)`` reads the evaluations and the
records and makes the cases exist that the facts justify — no more: a re-run, a clear or a
backfill creates nothing new (cases are keyed ``rule|subject|period|step``), and a case
whose facts went away (a miss cured by a late record, a corrected accident report) is
withdrawn, never deleted. In order, each part in its own transaction (a killed run is
simply run again):

1. the ladder for every obligation that has one (``ladder``: notice, 约谈, 诫勉谈话);
2. the accountability rules the register declares (``rules``), by what they judge:
   accidents (``accidents``: 双约谈, reporting violations), then hazards (``hazards``);
3. the blacklist's grounds (the ``BLACKLIST-*`` rules, by the version in force on each
   fact's date), the listing decisions (a ``blacklist`` case for the deciding authority)
   and the dated lifecycle (``blacklist``).

Ranges. A periodic obligation's period belongs to the range when its *last day* lies in
[first day of ``from_key``, last day of ``to_key``], so month-by-month runs handle each
quarter and year exactly once. Event rules take the event's date: the accident's day
(Asia/Shanghai), the hazard's deadline, the ticket's due date. A hazard still unrectified
at ``as_of`` is judged by every run, whatever its deadline (opened once: keyed by hazard).

Historical (backfill) cases that name a person are stored ``unreviewed`` (no decision until
an office reviews the month); historical cases queue no email at all
(``safegov.accountability.cases.QUEUE_HISTORICAL``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine

from safegov.accountability import blacklist, refusal  # noqa: F401 - refusal registers HAZARD-REFUSAL-PENALTY 〔十八〕
from safegov.accountability.accidents import accident_specs
from safegov.accountability.cases import CaseDirectory, CaseSpec, existing_cases, reconcile_cases
from safegov.accountability.hazards import hazard_specs
from safegov.accountability.ladder import ladder_cases
from safegov.accountability.rules import RuleRun, Subject, declared
from safegov.core.errors import SafegovError
from safegov.core.periods import TZ, local_date, parse_period
from safegov.core.progress import NO_PROGRESS, Progress
from safegov.db.engine import session_scope
from safegov.register.obligations import Register

# What the accountability rules judge, in the order they run: the cases of each kind of
# rule, why such a case is withdrawn when its facts no longer hold, and whether the rules
# also open cases dated before the range (a hazard is chased while it is overdue, however
# long ago its deadline passed).
SUBJECTS: tuple[tuple[Subject, Callable[[RuleRun], list[CaseSpec]], str, bool], ...] = (
    ("accident", accident_specs, "the accident record no longer meets the rule", False),
    (
        "hazard",
        hazard_specs,
        "the hazard rule no longer justifies the case (rectified in time, or another official named)",
        True,
    ),
)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def _range(from_key: str, to_key: str) -> tuple[dt.date, dt.date]:
    lo, hi = parse_period(from_key).first, parse_period(to_key).last
    if hi < lo:
        raise SafegovError(f"--to {to_key} is before --from {from_key}")
    return lo, hi


# Progress stages (safegov.core.progress) of escalate.
PROGRESS_STEPS = "步骤 steps"
PROGRESS_CHANGES = "变动 changes"


def _add(total: dict[str, int], part: dict[str, int], prefix: str = "") -> None:
    for k, v in part.items():
        total[prefix + k] = total.get(prefix + k, 0) + v


def escalate(
    engine: Engine,
    register: Register,
    from_key: str,
    to_key: str,
    *,
    as_of: dt.datetime,
    run_id: str | None = None,
    historical: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Ladder, accountability rules, blacklist triggers and lifecycle for the range; returns
    counts keyed ``ladder_*``, ``accident_*``, ``hazard_*`` and ``blacklist_*``.
    ``progress``: told of the steps (:data:`PROGRESS_STEPS`: one per laddered obligation, per
    rule subject, and the blacklist's two) and of the changes counted (:data:`PROGRESS_CHANGES`:
    the sum of the returned counts)."""
    lo, hi = _range(from_key, to_key)
    at = _aware(as_of)
    as_of_day = local_date(at)
    total: dict[str, int] = {}
    kw = {"at": at, "run_id": run_id, "historical": historical}
    laddered = [ob for ob in register.obligations if ob.ladder is not None]
    progress = progress or NO_PROGRESS
    progress.add(PROGRESS_STEPS, len(laddered) + len(SUBJECTS) + 2)

    def step(part: dict[str, int], prefix: str) -> None:
        _add(total, part, prefix)
        progress.advance(PROGRESS_STEPS)
        progress.advance(PROGRESS_CHANGES, sum(part.values()))

    for ob in laddered:
        with session_scope(engine) as session:
            part = ladder_cases(session, register, ob, lo, hi, directory=CaseDirectory(session), **kw)
        step(part, "ladder_")
    for subject, specs, reason, chases in SUBJECTS:
        rule_ids = [rule.id for rule, _entry in declared(register, subject)]
        with session_scope(engine) as session:
            directory = CaseDirectory(session)
            desired = specs(RuleRun(session, register, lo, hi, as_of_day, directory))
            existing = existing_cases(session, rule_ids, lo, hi)
            part = reconcile_cases(
                session,
                desired,
                existing,
                create_lo=dt.date.min if chases else lo,
                create_hi=hi,
                directory=directory,
                reason=reason,
                **kw,
            )
        step(part, f"{subject}_")
    step(
        blacklist.sync_triggers(engine, lo, hi, as_of=at, historical=historical, run_id=run_id, register=register),
        "blacklist_",
    )
    step(
        blacklist.advance_blacklist(
            engine, on=as_of_day, historical=historical, run_id=run_id, register=register, at=at
        ),
        "blacklist_",
    )
    return total
