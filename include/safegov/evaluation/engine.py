"""The evaluation engine (SPEC §4, §5): every obligation × subject × period, set-based.

For each obligation of the register one SQL statement (per transaction: per obligation and
range of periods) computes every subject × period verdict — ``met``, ``met_late``,
``missed`` (with a reason), ``pending``, ``exempt`` — with counted vs required, due date,
grace end, the deciding records and the responsible leader, and returns only the rows that
differ from what is stored. Those are upserted on (obligation_id, subject_id, period) with
INSERT … SELECT … ON CONFLICT DO UPDATE (rows new to the table by a plain INSERT … SELECT).
Each verdict is written once: a stored verdict whose status changes is first archived in
``evaluation_history`` (the replaced verdicts; a key's history is those, then its current
row: ``verdict_timeline``), and each change of status, the first decision included, is
appended to the hash-chained audit log in the same transaction (one audit link per batch of
up to 500 changes of one obligation: the link names its ``fields`` — subject, period, old
and new status, counted, reason, evidence — once and lists each change as a row of values; a
link per change, or a JSON object per change, would dominate a province-scale run). A
re-run with nothing changed writes nothing: no row, no history, no audit link,
``evaluated_at`` and ``run_id`` stay.

Airflow calls: ``evaluate_period`` per obligation and period when its grace ends;
``evaluate_events`` for hazards, accidents, tickets and the one-off milestones;
``reevaluate_touched(engine, register, IngestReport.touched or late.touched_for_files(...),
as_of=<moment the files arrived>, run_id=<dag run id>)`` after an ingest.

Semantics (the contract shared with the DAGs and the escalation engine):

- All known accepted records count. A record is *on time* when it was received before the
  period's grace ends (N working days after the period, official calendar) and, for
  bulletins and milestones, is dated by then (issued_on ≤ grace end; achieved_on ≤ due date).
- ``as_of`` only decides whether a period is still ``pending`` (its grace not over at
  ``as_of``); so a backfill gives exactly what a direct evaluation gives.
- Periods are keys (``2024-03``, ``2024-Q1``, ``2024-H1``, ``2024``). One-off obligations
  (cadence ``once``) use the year of their due date as period key (``2017``) and count
  records of any date: achieved by the due date and reported within grace → ``met``;
  achieved by the due date but reported after the grace → ``met_late``; achieved only after
  the due date → ``missed`` with reason ``late_completion`` (the evidence lists the records,
  whose ``achieved_on`` is the completion date), escalated like any miss. Counted above
  ``quota_max`` is still met, with reason ``above_quota_max: k of m``.
- Event obligations: a hazard's period is the month of its deadline, an accident's the
  month of occurred_at in Asia/Shanghai, a 12350 ticket's the month it was received.
  Subject ids are hazard_id / accident_id / ticket_id.
- Enterprise scope (partial periods exempt), quality-condition reasons and
  ``evidence_rejected`` are described in ``safegov.evaluation.rules.count``.

Each obligation is evaluated by the rule its register entry names (``rule:``), found in
``safegov.evaluation.rules``; this module writes every rule's verdicts the same way.

Range semantics for ``from_key``/``to_key`` (month keys, or any period key): a period of a
quarterly, half-yearly, yearly or once obligation is included when it overlaps the range.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Engine, String, and_, bindparam, func, literal, select, text, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safegov.core.errors import SafegovError
from safegov.core.periods import TZ, UTC, Cadence, Period, grace_ends_at, parse_period, period_of, periods_between
from safegov.core.progress import NO_PROGRESS, Progress
from safegov.db import audit
from safegov.db.engine import insert_for, use_bulk_page_cache
from safegov.db.models import RECORD_MODELS, Evaluation, EvaluationHistory, Leader, UTCDateTime
from safegov.evaluation import queries as q
from safegov.evaluation.rules import RuleRun, rule_for
from safegov.evaluation.sqlfn import json_values, table_maintenance
from safegov.register.obligations import Obligation, Register
from safegov.register.records import RECORD_TYPES

STATUSES = ("met", "met_late", "missed", "pending", "exempt")
# Progress stages (safegov.core.progress) of evaluate_range.
PROGRESS_OBLIGATIONS = "义务 obligations"
PROGRESS_EVALUATIONS = "评价 evaluations"
# A one-off obligation's single period takes records of any date.
FAR_PAST = dt.date(1900, 1, 1)
FAR_FUTURE = dt.date(9999, 12, 31)
# Registry record types → the subject kinds whose subjects a registry row describes (their
# scope, their responsible leader).
REGISTRY_SUBJECT_KINDS = {
    "enterprise": ("enterprise",),
    "department": ("department",),
    "leader": ("post", "department"),
}
# The columns of an evaluation row written from the changed rows (``q.CHANGED_TABLE``). The
# constant columns of a run (obligation, kind, moment, run) are filled in by ``_from_changed``.
EVALUATION_COLUMNS = ("obligation_id", "subject_kind", *q.OUT_COLUMNS, "evaluated_at", "run_id", "historical")
# A replaced verdict as archived in evaluation_history: the stored row's columns, then the
# moment and run that replaced it.
ARCHIVED_COLUMNS = (
    "obligation_id",
    *q.KEY_COLUMNS,
    "status",
    "counted",
    "reason",
    "evidence",
    "evaluated_at",
    "run_id",
)
HISTORY_COLUMNS = (*ARCHIVED_COLUMNS, "replaced_at", "replaced_by_run")
# What an upsert rewrites: everything but the natural key.
UPDATE_COLUMNS = tuple(c for c in EVALUATION_COLUMNS if c not in ("obligation_id", *q.KEY_COLUMNS))
# One audit change: these fields, in this order (the link lists them once, then the rows).
AUDIT_FIELDS = ("subject_id", "period", "from", "to", "counted", "reason", "evidence")
MAX_SUBJECT_FILTER = 2000

__all__ = [
    "evaluate_period",
    "evaluate_range",
    "evaluate_events",
    "reevaluate_touched",
    "periods_for",
    "require_calendar",
    "tune_transaction",
    "verdict_timeline",
]


# --------------------------------------------------------------------------- periods


def _aware(moment: dt.datetime | dt.date | str) -> dt.datetime:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(), TZ)
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def _once_period(ob: Obligation) -> Period:
    """The single period of a one-off obligation: keyed by its due year, window = all time."""
    assert ob.due_on is not None
    return Period(FAR_PAST, FAR_FUTURE, Cadence.ONCE, f"{ob.due_on.year:04d}")


def periods_for(ob: Obligation, from_key: str, to_key: str) -> list[Period]:
    """Periods of ``ob`` overlapping [from_key, to_key] (event obligations: the months)."""
    lo, hi = parse_period(from_key).first, parse_period(to_key).last
    if hi < lo:
        raise SafegovError(f"empty range: {from_key} is after {to_key}")
    if ob.cadence is Cadence.ONCE:
        return [_once_period(ob)] if lo.year <= ob.due_on.year <= hi.year else []
    if ob.cadence is Cadence.EVENT:
        return periods_between(lo, hi, Cadence.MONTHLY)
    return periods_between(lo, hi, ob.cadence)


def require_calendar(
    register: Register, from_key: str, to_key: str, obligation_ids: Iterable[str] | None = None
) -> None:
    """Raise ``CalendarRangeError`` (naming the year) when the grace end of a periodic or
    one-off period in the range falls in a year the working-day calendar does not cover.

    For callers that must refuse rather than write ``pending`` rows (the CLI): the engine
    itself keeps such periods ``pending`` with reason ``calendar_unknown``. Event
    obligations are not checked: their grace is counted per event, and an unknown deadline
    keeps only that event pending.
    """
    obligations = [register.get(i) for i in obligation_ids] if obligation_ids else list(register.obligations)
    for ob in obligations:
        if ob.cadence is Cadence.EVENT:
            continue
        for p in periods_for(ob, from_key, to_key):
            due = ob.due_on if ob.cadence is Cadence.ONCE else p.due_on
            grace_ends_at(Period(due, due, Cadence.ONCE, p.key), ob.grace_working_days)


# --------------------------------------------------------------------------- writing


# After a write of this many verdicts, PostgreSQL's evaluation is vacuumed with statistics.
# Autovacuum waits for a tenth (statistics) or a fifth (inserts) of the table to change.
# Meanwhile the planner takes the new periods for nearly empty, and the next run of them
# (a re-run, late data) merges computed and stored verdicts on the subject alone: ten years
# of one obligation at 5,000 enterprises re-ran in 16 s, and in 3.9 s once analyzed. And
# until the new rows are marked visible to all, the dashboard's heatmap reads them from the
# table rather than from its index alone: 24 months at 25,000 enterprises in 0.55 s, and in
# 0.14 s once vacuumed (the vacuum took 0.9 s after ten years of one obligation).
REFRESH_STATISTICS_AFTER = 50_000
AUDIT_BATCH = 500
# Audit links appended per call: the changes are streamed, never all held in memory.
AUDIT_LINKS_PER_APPEND = 20


def _from_changed(session: Session, table, names: Sequence[str], constants: dict[str, Any], where, order_by=()):
    """INSERT INTO ``table`` (names) SELECT … FROM the changed rows WHERE …: each name is a
    column of ``q.CHANGED_TABLE`` or one of ``constants`` (the run's obligation, moment…)."""
    tmp = q.CHANGED_TABLE
    picked = [(constants[n] if n in constants else tmp.c[n]).label(n) for n in names]
    source = select(*picked).where(where).order_by(*order_by)
    return insert_for(session, table).from_select(list(names), source)


def _archive_replaced(session: Session, ob: Obligation, now: dt.datetime, run_id: str | None):
    """INSERT INTO evaluation_history the stored rows of ``ob`` whose status the changed rows
    (``q.CHANGED_TABLE``) replace, as they stand, with the moment and run replacing them."""
    tmp, ev = q.CHANGED_TABLE, Evaluation.__table__
    on = and_(ev.c.obligation_id == ob.id, ev.c.subject_id == tmp.c.subject_id, ev.c.period == tmp.c.period)
    source = (
        select(
            *[ev.c[n] for n in ARCHIVED_COLUMNS],
            literal(now, UTCDateTime()).label("replaced_at"),
            literal(run_id, String()).label("replaced_by_run"),
        )
        .select_from(tmp.join(ev, on))
        .where(tmp.c.old_status.isnot(None), tmp.c.old_status != tmp.c.status)
        .order_by(tmp.c.period, tmp.c.subject_id)
    )
    return insert_for(session, EvaluationHistory.__table__).from_select(list(HISTORY_COLUMNS), source)


def _apply(
    session: Session,
    ob: Obligation,
    stmt,
    params: dict[str, Any],
    *,
    as_of: dt.datetime,
    run_id: str | None,
    historical: bool,
) -> int:
    """Write the changed rows of ``stmt``: upsert into evaluation, archive each stored verdict
    whose status changes in evaluation_history and append each change of status (the first
    decision included) to the audit log — all in the caller's transaction.

    The rows go through a temporary table with INSERT … SELECT, so the database does the
    bulk work; only the changes of status come back to Python, streamed, for the
    hash-chained audit log: one link per batch of up to ``AUDIT_BATCH`` changes, listing
    ``AUDIT_FIELDS`` once and then each change's values.
    """
    conn = session.connection()
    tmp = q.CHANGED_TABLE
    q.fill_temp(conn, tmp, [])
    n = conn.execute(tmp.insert().from_select(list(q.OUT_COLUMNS) + ["old_status"], stmt), params).rowcount
    if not n:
        return 0
    now = as_of.astimezone(UTC)
    constants = {
        "obligation_id": literal(ob.id, String()),
        "subject_kind": literal(ob.subject.kind, String()),
        "evaluated_at": literal(now, UTCDateTime()),
        "run_id": literal(run_id, String()),
        "historical": literal(historical, Boolean()),
    }
    # Rows with no stored row when computed (old_status NULL: evaluation.status is NOT NULL)
    # are new: a plain INSERT (a first run writes only these). ON CONFLICT costs a
    # speculative insertion per row, and on PostgreSQL key order keeps the unique index's
    # insertions local: together about a third of a first run's insert time there. (On
    # SQLite the sort costs more than it saves: rows go in as computed.)
    order = (tmp.c.subject_id, tmp.c.period) if conn.dialect.name == "postgresql" else ()
    new_rows = _from_changed(
        session, Evaluation.__table__, EVALUATION_COLUMNS, constants, tmp.c.old_status.is_(None), order
    )
    stored = tmp.c.old_status.isnot(None)
    # The stored verdicts whose status changes are archived before they are overwritten
    # (a first decision has none: it is written once, to evaluation).
    conn.execute(_archive_replaced(session, ob, now, run_id))
    if conn.dialect.name == "postgresql":
        # A concurrent run may have committed one of these keys since our snapshot: then
        # fall back to the upsert of every row (what this did before, same result).
        try:
            # The savepoint lives on the session's connection as the nested transaction
            # holds it: ``session.connection()`` inside the block, not the outer ``conn``.
            with session.begin_nested():
                inserted = session.connection().execute(new_rows).rowcount
        except IntegrityError:
            inserted, stored = 0, true()
    else:  # SQLite: one writer at a time, and a stale snapshot cannot write at all
        inserted = conn.execute(new_rows).rowcount
    if inserted < n:
        # SQLite needs a WHERE in the SELECT of an INSERT … SELECT … ON CONFLICT.
        upsert = _from_changed(session, Evaluation.__table__, EVALUATION_COLUMNS, constants, stored)
        upsert = upsert.on_conflict_do_update(
            index_elements=["obligation_id", *q.KEY_COLUMNS],
            set_={c: upsert.excluded[c] for c in UPDATE_COLUMNS},
        )
        conn.execute(upsert)
    changed = tmp.c.old_status.is_distinct_from(tmp.c.status)

    # Each change's values come as their canonical JSON text, written by the database: the
    # link's payload is that text put together, with nothing parsed or encoded per value here.
    values = json_values(
        *[tmp.c[c] for c in ("subject_id", "period", "old_status", "status", "counted", "reason", "evidence")]
    )
    changes = conn.execute(
        select(tmp.c.subject_id, tmp.c.period, values).where(changed).order_by(tmp.c.period, tmp.c.subject_id),
        # Fetched a whole append's links at a time: a round trip per link would cost as much
        # as the links themselves (PostgreSQL streams this from a server-side cursor).
        execution_options={"yield_per": AUDIT_BATCH * AUDIT_LINKS_PER_APPEND},
    )
    # The payload's keys in sorted order, as ``audit.canonical`` writes them.
    tail = audit.canonical(
        {"fields": list(AUDIT_FIELDS), "historical": historical, "obligation_id": ob.id, "run_id": run_id}
    )
    links = []
    for batch in changes.partitions(AUDIT_BATCH):
        first, last = batch[0], batch[-1]
        if len(batch) == 1:
            key = f"{ob.id}|{first.subject_id}|{first.period}"
        else:
            key = f"{ob.id}|batch|{first.period}..{last.period}"
        payload = '{"changes":[' + ",".join(r[2] for r in batch) + "]," + tail[1:]
        links.append(("evaluation", key, "status", payload))
        if len(links) == AUDIT_LINKS_PER_APPEND:
            audit.append_canonical(session, links, now)
            links = []
    if links:
        audit.append_canonical(session, links, now)
    q.clear_temp(conn, tmp)
    return n


@dataclass(frozen=True)
class Verdict:
    """One verdict of a key's timeline: its status, the one before it, and who wrote it when."""

    previous_status: str | None
    status: str
    counted: int
    reason: str | None
    evidence: str | None
    at: dt.datetime
    run_id: str | None
    current: bool


def verdict_timeline(session: Session, obligation_id: str, subject_id: str, period: str) -> list[Verdict]:
    """The verdicts of obligation × subject × period in order: the replaced ones
    (``evaluation_history``), then the current one (``evaluation``); empty when never
    evaluated. Each change of status is one step; ``previous_status`` of the first is None."""
    out: list[Verdict] = []
    for table, current in ((EvaluationHistory.__table__, False), (Evaluation.__table__, True)):
        where = and_(table.c.obligation_id == obligation_id, table.c.subject_id == subject_id, table.c.period == period)
        cols = [table.c[n] for n in ("status", "counted", "reason", "evidence", "evaluated_at", "run_id")]
        for row in session.execute(select(*cols).where(where).order_by(table.c.id)):
            before = out[-1].status if out else None
            out.append(
                Verdict(
                    before, row.status, row.counted, row.reason, row.evidence, row.evaluated_at, row.run_id, current
                )
            )
    return out


def _count_statuses(
    session: Session, ob: Obligation, period_keys: list[str] | None, subject_ids: list[str] | None
) -> Counter:
    ev = Evaluation.__table__
    stmt = select(ev.c.status, func.count()).where(ev.c.obligation_id == ob.id).group_by(ev.c.status)
    if period_keys is not None:
        stmt = stmt.where(ev.c.period.in_(period_keys))
    if subject_ids is not None:
        stmt = stmt.where(ev.c.subject_id.in_(subject_ids))
    return Counter({s: n for s, n in session.execute(stmt)})


def tune_transaction(conn) -> None:
    """Settings for an evaluation transaction. PostgreSQL (this transaction only): sorts and
    hashes of a province-scale population get 64 MB before spilling to disk, and no JIT
    compilation, which costs about a second per statement and never pays back here. SQLite
    (this connection): the bulk page cache, :func:`safegov.db.engine.use_bulk_page_cache`."""
    use_bulk_page_cache(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL work_mem = '64MB'"))
        conn.execute(text("SET LOCAL jit = off"))


def _evaluate_one(
    engine: Engine,
    ob: Obligation,
    periods: list[Period],
    *,
    as_of: dt.datetime,
    run_id: str | None,
    historical: bool,
    subject_ids: list[str] | None = None,
    event_filter: list[str] | None = None,
) -> tuple[Counter, int]:
    """Evaluate ``ob`` for ``periods`` (optionally only some subjects) in one transaction."""
    rule = rule_for(ob)
    as_of = _aware(as_of)
    with Session(engine) as session, session.begin():
        conn = session.connection()
        tune_transaction(conn)
        plan = rule.plan(RuleRun(session, ob, periods, as_of, subject_ids, event_filter))
        if plan is None:
            return Counter(), 0
        changed = _apply(session, ob, plan.statement, plan.params, as_of=as_of, run_id=run_id, historical=historical)
        for table in plan.temp_tables:
            q.clear_temp(conn, table)
        keys = [p.key for p in periods] if periods else None
        counts = _count_statuses(session, ob, keys, subject_ids)
    if changed >= REFRESH_STATISTICS_AFTER and engine.dialect.name == "postgresql":
        # VACUUM runs outside a transaction block.
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(table_maintenance("VACUUM (ANALYZE)", Evaluation.__table__))
    return counts, changed


def _merge(total: dict, counts: Counter, changed: int) -> None:
    for s in STATUSES:
        total[s] = total.get(s, 0) + counts.get(s, 0)
    total["changed"] = total.get("changed", 0) + changed


def _empty() -> dict:
    return {**{s: 0 for s in STATUSES}, "changed": 0}


# --------------------------------------------------------------------------- public API


def evaluate_period(
    engine: Engine,
    register: Register,
    obligation_id: str,
    period_key: str,
    *,
    as_of: dt.datetime,
    run_id: str | None = None,
    historical: bool = False,
) -> dict:
    """Evaluate one obligation for one period; returns counts by status (+ ``changed``).

    A key of another cadence selects the obligation's periods overlapping it (``2024-03``
    for a quarterly obligation evaluates ``2024-Q1``); for event obligations, the events of
    the months in it; for a once obligation, its period if its due year overlaps.
    """
    ob = register.get(obligation_id)
    result = _empty()
    periods = periods_for(ob, period_key, period_key)
    if ob.cadence is not Cadence.ONCE and ob.cadence is not Cadence.EVENT:
        exact = [p for p in periods if p.key == period_key]
        periods = exact or periods
    counts, changed = _evaluate_one(engine, ob, periods, as_of=as_of, run_id=run_id, historical=historical)
    _merge(result, counts, changed)
    return result


def evaluate_range(
    engine: Engine,
    register: Register,
    from_key: str,
    to_key: str,
    *,
    as_of: dt.datetime,
    obligation_ids: Iterable[str] | None = None,
    run_id: str | None = None,
    historical: bool = False,
    progress: Progress | None = None,
) -> dict:
    """Evaluate obligations (all by default, events included) for every period overlapping
    [from_key, to_key]. Returns totals by status, ``changed`` and ``by_obligation``.
    ``progress``: told of the obligations (:data:`PROGRESS_OBLIGATIONS`, each evaluated for
    all its periods in one transaction) and of the evaluations counted (:data:`PROGRESS_EVALUATIONS`)."""
    progress = progress or NO_PROGRESS
    obligations = [register.get(i) for i in obligation_ids] if obligation_ids else list(register.obligations)
    planned = [(ob, periods) for ob in obligations if (periods := periods_for(ob, from_key, to_key))]
    progress.add(PROGRESS_OBLIGATIONS, len(planned))
    result = _empty()
    result["by_obligation"] = {}
    for ob, periods in planned:
        counts, changed = _evaluate_one(engine, ob, periods, as_of=as_of, run_id=run_id, historical=historical)
        one = _empty()
        _merge(one, counts, changed)
        result["by_obligation"][ob.id] = one
        _merge(result, counts, changed)
        progress.advance(PROGRESS_OBLIGATIONS)
        progress.advance(PROGRESS_EVALUATIONS, sum(one[s] for s in STATUSES))
    return result


def evaluate_events(
    engine: Engine,
    register: Register,
    *,
    as_of: dt.datetime,
    run_id: str | None = None,
    historical: bool = False,
    from_key: str | None = None,
    to_key: str | None = None,
) -> dict:
    """Evaluate the event obligations (hazards, accidents, 12350 tickets) — all events, or
    those whose period month lies in [from_key, to_key] — and the one-off milestones
    (their single period; with a range, only when their due year overlaps it)."""
    result = _empty()
    result["by_obligation"] = {}
    for ob in register.obligations:
        if not rule_for(ob).event and ob.cadence is not Cadence.ONCE:
            continue
        if ob.cadence is Cadence.ONCE:
            periods = periods_for(ob, from_key, to_key or from_key) if from_key else [_once_period(ob)]
            if not periods:
                continue
        else:
            periods = periods_for(ob, from_key, to_key or from_key) if from_key else []
        counts, changed = _evaluate_one(engine, ob, periods, as_of=as_of, run_id=run_id, historical=historical)
        one = _empty()
        _merge(one, counts, changed)
        result["by_obligation"][ob.id] = one
        _merge(result, counts, changed)
    return result


# --------------------------------------------------------------------------- late data


def _leaders(session: Session, leader_ids: set[str]) -> dict[str, tuple[str, str, str | None]]:
    if not leader_ids:
        return {}
    lt = Leader.__table__
    rows = session.execute(
        select(lt.c.leader_id, lt.c.unit_code, lt.c.role, lt.c.department_id).where(
            lt.c.leader_id.in_(sorted(leader_ids))
        )
    )
    return {r.leader_id: (r.unit_code, r.role, r.department_id) for r in rows}


def _decided_periods(session: Session, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (obligation id, period key) pairs of ``keys`` that already have evaluation rows.

    One indexed probe per pair (ix_evaluation_dashboard leads with obligation, period): a
    batch touches a few obligations × periods, while a period may hold 100,000 rows.
    """
    ev = Evaluation.__table__
    probe = select(ev.c.id).where(ev.c.obligation_id == bindparam("o"), ev.c.period == bindparam("p")).limit(1)
    return {(o, p) for o, p in keys if session.execute(probe, {"o": o, "p": p}).first() is not None}


def _subject_of(ob: Obligation, t: dict, leaders: dict) -> str | None:
    kind = ob.subject.kind
    if kind == "unit":
        return t.get("unit_code")
    if kind == "enterprise":
        return t.get("enterprise_id")
    if kind == "post":
        info = leaders.get(t.get("leader_id") or "")
        if info and info[1] in (ob.subject.roles or ()):
            return f"{info[0]}:{info[1]}"
        return None
    if kind == "department":
        if t.get("department_id"):
            return t["department_id"]
        info = leaders.get(t.get("leader_id") or "")
        return info[2] if info and info[1] == "department_head" else None
    return None


def _placed_periods(session: Session, ob: Obligation, t: dict, subject: str, day: dt.date) -> set[str]:
    """Period keys a touched record can fall in for ``ob``.

    Normally the period of its date; when the obligation places records by another column
    (bulletin → its ``period`` column; ENT-RISK-PUBLISH → published_on) the stored records of
    the subject with that date are looked up, and the date's own period is kept too."""
    keys = {period_of(day, ob.cadence).key}
    ev = ob.evidence
    rt = RECORD_TYPES[ev.record_type]
    placing = ev.period_column or ev.effective_date_column
    if placing == rt.date_column or ob.subject.kind not in ("unit", "enterprise"):
        return keys
    table = RECORD_MODELS[ev.record_type].__table__
    subject_col = table.c.unit_code if ob.subject.kind == "unit" else table.c.enterprise_id
    if ev.period_column:
        keys.add(period_of(day.replace(day=1) - dt.timedelta(days=1), ob.cadence).key)  # the month reported on
    placed = select(table.c[placing]).where(subject_col == subject, table.c[rt.date_column] == day)
    for (value,) in session.execute(placed):
        if value is None:
            continue
        keys.add(parse_period(value).key if ev.period_column else period_of(q.as_date(value), ob.cadence).key)
    return keys


def reevaluate_touched(
    engine: Engine,
    register: Register,
    touched: Iterable[dict],
    *,
    as_of: dt.datetime,
    run_id: str | None = None,
    historical: bool = False,
) -> dict:
    """Re-evaluate exactly the obligation × subject × period rows that touched records affect.

    ``touched``: dicts {record_type, unit_code, enterprise_id, leader_id, department_id,
    record_date} (``IngestReport.touched``: accepted and quarantined rows). Record types map
    to the obligations whose evidence uses them; the subject comes from the hint columns
    (posts and departments through the leader registry); the period from record_date per
    the obligation's cadence. Event obligations are re-evaluated for the enterprise's
    hazards or the unit's accidents / tickets. Registry rows (enterprise, leader, department)
    re-evaluate the periods already evaluated for the subjects they describe (scope,
    responsible leader). A miss cured by a late record becomes ``met_late``; the earlier
    ``missed`` stays in ``evaluation_history``.
    """
    touched = [dict(t) for t in touched]
    as_of = _aware(as_of)
    result = _empty()
    result["rows"] = 0
    if not touched:
        return result
    with Session(engine) as session:
        leaders = _leaders(session, {t["leader_id"] for t in touched if t.get("leader_id")})
        # (obligation id, period key) → subject ids; event obligation id → filter values
        targets: dict[tuple[str, str], set[str]] = defaultdict(set)
        events: dict[str, set[str]] = defaultdict(set)
        registry_subjects: dict[str, set[str]] = defaultdict(set)
        for t in touched:
            rt = t.get("record_type")
            day = q.as_date(t.get("record_date"))
            if rt in REGISTRY_SUBJECT_KINDS:
                for ob in register.obligations:
                    # … and the obligations judged on the registry itself (ENT-SUPERVISOR 〔八〕).
                    if ob.subject.kind in REGISTRY_SUBJECT_KINDS[rt] or ob.evidence.record_type == rt:
                        s = _subject_of(ob, t, leaders)
                        if s:
                            registry_subjects[ob.id].add(s)
                continue
            for ob in register.obligations:
                if ob.evidence.record_type != rt:
                    continue
                rule = rule_for(ob)
                if rule.event:
                    value = t.get(rule.event_filter_column)
                    if value:
                        events[ob.id].add(value)
                    continue
                if ob.subject.kind == "staff" and day is not None:
                    # A training names its officer only in its own columns, not in the hints: re-decide
                    # the whole of each year whose rolling window holds its date ("*": every subject).
                    for k in range(int(ob.params.get("window_years", 1))):
                        targets[(ob.id, str(day.year + k))].add("*")
                    continue
                subject = _subject_of(ob, t, leaders)
                if not subject:
                    continue
                if ob.cadence is Cadence.ONCE:
                    targets[(ob.id, _once_period(ob).key)].add(subject)
                elif day is not None:
                    for key in _placed_periods(session, ob, t, subject, day):
                        targets[(ob.id, key)].add(subject)
        ev = Evaluation.__table__
        for ob_id, subjects_ in registry_subjects.items():
            rows = session.execute(
                select(ev.c.period, ev.c.subject_id).where(
                    and_(ev.c.obligation_id == ob_id, ev.c.subject_id.in_(sorted(subjects_)))
                )
            )
            for period, subject in rows:
                targets[(ob_id, period)].add(subject)
        # Late data re-decides closed periods only: a period never evaluated is decided
        # first by its periodic run (or a backfill, which marks it historical), not by
        # whichever record happens to arrive first — loading history must not open live cases.
        decided = _decided_periods(session, {k for k in targets})
        targets = {k: v for k, v in targets.items() if k in decided}

    # One statement per obligation and period, restricted to the touched subjects.
    for (ob_id, key), subjects_ in sorted(targets.items()):
        ob = register.get(ob_id)
        period = _once_period(ob) if ob.cadence is Cadence.ONCE else parse_period(key)
        # A file touching thousands of subjects (a province-wide monthly upload) is cheaper
        # as the whole period's statement; untouched rows that did not change are not written.
        subject_ids = sorted(subjects_) if len(subjects_) <= MAX_SUBJECT_FILTER and "*" not in subjects_ else None
        counts, changed = _evaluate_one(
            engine, ob, [period], as_of=as_of, run_id=run_id, historical=historical, subject_ids=subject_ids
        )
        _merge(result, counts, changed)
        result["rows"] += sum(counts.values())
    for ob_id, values in sorted(events.items()):
        ob = register.get(ob_id)
        counts, changed = _evaluate_one(
            engine, ob, [], as_of=as_of, run_id=run_id, historical=historical, event_filter=sorted(values)
        )
        result["changed"] += changed
        result["rows"] += changed
    return result
