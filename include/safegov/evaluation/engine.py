"""The evaluation engine (SPEC §4, §5): every obligation × subject × period, set-based.

For each obligation of the register one SQL statement (per transaction: per obligation and
range of periods) computes every subject × period verdict — ``met``, ``met_late``,
``missed`` (with a reason), ``pending``, ``exempt`` — with counted vs required, due date,
grace end, the deciding records and the responsible leader, and returns only the rows that
differ from what is stored. Those are upserted on (obligation_id, subject_id, period) with
INSERT … SELECT … ON CONFLICT DO UPDATE; each change of status (the first included) is
appended to ``evaluation_history`` and to the hash-chained audit log in the same transaction
(one audit link per batch of up to 500 changes of one obligation: the link names its
``fields`` — subject, period, old and new status, counted, reason, evidence — once and lists
each change as a row of values; a link per change, or a JSON object per change, would
dominate a province-scale run). A re-run with nothing changed writes nothing: no row, no
history, no audit link, ``evaluated_at`` and ``run_id`` stay.

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
  records of any date: achieved by the due date and reported within grace → ``met``,
  otherwise ``met_late``. Counted above ``quota_max`` is still met, with reason
  ``above_quota_max: k of m``.
- Event obligations: a hazard's period is the month of its deadline, an accident's the
  month of occurred_at in Asia/Shanghai, a 12350 ticket's the month it was received.
  Subject ids are hazard_id / accident_id / ticket_id.
- Enterprise scope (partial periods exempt), quality-condition reasons and
  ``evidence_rejected`` are described in ``safegov.evaluation.queries``.

Range semantics for ``from_key``/``to_key`` (month keys, or any period key): a period of a
quarterly, half-yearly, yearly or once obligation is included when it overlaps the range.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Boolean, Engine, String, and_, bindparam, distinct, func, literal, select, text, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safegov.db import audit
from safegov.core.periods import (
    TZ,
    UTC,
    CalendarRangeError,
    Cadence,
    Period,
    add_working_days,
    grace_ends_at,
    grace_ends_on,
    local_date,
    parse_period,
    period_of,
    periods_between,
)
from safegov.db.engine import insert_for
from safegov.evaluation import queries as q
from safegov.evaluation.sqlfn import table_maintenance
from safegov.db.models import RECORD_MODELS, Evaluation, EvaluationHistory, Leader, UTCDateTime
from safegov.register.records import RECORD_TYPES
from safegov.register.obligations import Obligation, Register

STATUSES = ("met", "met_late", "missed", "pending", "exempt")
EVENT_RULES = ("hazard_deadline", "accident_report", "ticket_conclusion")
# The columns written from the changed rows (``q.CHANGED_TABLE``): the evaluation row and the
# history row of a change. The constant columns of a run (obligation, kind, moment, run) are
# filled in by ``_from_changed``.
EVALUATION_COLUMNS = ("obligation_id", "subject_kind", *q.OUT_COLUMNS, "evaluated_at", "run_id", "historical")
HISTORY_COLUMNS = (
    "obligation_id", "subject_kind", *q.KEY_COLUMNS, "previous_status", "status", "counted", "reason", "evidence", "changed_at", "run_id",
)
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
    "tune_transaction",
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
    return Period(q.FAR_PAST, q.FAR_FUTURE, Cadence.ONCE, f"{ob.due_on.year:04d}")


def periods_for(ob: Obligation, from_key: str, to_key: str) -> list[Period]:
    """Periods of ``ob`` overlapping [from_key, to_key] (event obligations: the months)."""
    lo, hi = parse_period(from_key).first, parse_period(to_key).last
    if hi < lo:
        from safegov.core.errors import SafegovError

        raise SafegovError(f"empty range: {from_key} is after {to_key}")
    if ob.cadence is Cadence.ONCE:
        return [_once_period(ob)] if lo.year <= ob.due_on.year <= hi.year else []
    if ob.cadence is Cadence.EVENT:
        return periods_between(lo, hi, Cadence.MONTHLY)
    return periods_between(lo, hi, ob.cadence)


def _period_rows(ob: Obligation, periods: Iterable[Period], as_of: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    by_period_column = ob.evidence.record_type == "bulletin" and ob.evidence.date_column is None
    for p in periods:
        due = ob.due_on if ob.cadence is Cadence.ONCE else p.due_on
        due_period = Period(due, due, Cadence.ONCE, p.key)  # grace counts from the due date
        try:
            g_on = grace_ends_on(due_period, ob.grace_working_days)
            g_at = grace_ends_at(due_period, ob.grace_working_days)
        except CalendarRangeError:
            # The official calendar does not cover the grace days yet: keep it pending.
            g_on, g_at = None, None
        rows.append(
            {
                "obligation_id": ob.id,
                "period": p.key,
                "p_first": p.first,
                "p_last": p.last,
                "due_on": due,
                "grace_on": g_on,
                "grace_at": g_at,
                "ontime_until": (g_on or due) if by_period_column else due,
                "decided": 1 if g_at is not None and as_of >= g_at else 0,
            }
        )
    return rows


def _fill_temp(conn, table, rows: Sequence[dict[str, Any]]) -> None:
    """(Re)fill a session-private temporary table; created once per database connection."""
    from sqlalchemy.schema import CreateTable

    conn.execute(CreateTable(table, if_not_exists=True))
    _clear_temp(conn, table)
    if rows:
        conn.execute(table.insert(), list(rows))
        if conn.dialect.name == "postgresql":
            # Temporary tables get no statistics otherwise, and the planner then guesses
            # a few rows and joins the evidence by nested loops.
            conn.execute(table_maintenance("ANALYZE", table))


def _clear_temp(conn, table) -> None:
    # TRUNCATE leaves no dead rows behind on PostgreSQL; SQLite truncates a DELETE without WHERE.
    conn.execute(table_maintenance("TRUNCATE", table) if conn.dialect.name == "postgresql" else table.delete())


def _day_rows(periods: Iterable[Period]) -> list[dict[str, Any]]:
    rows = []
    for p in periods:
        day = p.first
        while day <= p.last:
            rows.append({"day": day, "period": p.key})
            day += dt.timedelta(days=1)
    return rows


# --------------------------------------------------------------------------- writing


def _as_date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


AUDIT_BATCH = 500
# Audit links appended per call: the changes are streamed, never all held in memory.
AUDIT_LINKS_PER_APPEND = 20


def _from_changed(session: Session, table, names: Sequence[str], constants: dict[str, Any], where, order_by=()):
    """INSERT INTO ``table`` (names) SELECT … FROM the changed rows WHERE …: each name is a
    column of ``q.CHANGED_TABLE`` or one of ``constants`` (the run's obligation, moment…)."""
    tmp = q.CHANGED_TABLE
    source = select(*[(constants[n] if n in constants else tmp.c[n]).label(n) for n in names]).where(where).order_by(*order_by)
    return insert_for(session, table).from_select(list(names), source)


def _apply(session: Session, ob: Obligation, stmt, params: dict[str, Any], *, as_of: dt.datetime, run_id: str | None, historical: bool) -> int:
    """Write the changed rows of ``stmt``: upsert into evaluation, append each change of
    status to evaluation_history and to the audit log — all in the caller's transaction.

    The rows go through a temporary table with INSERT … SELECT, so the database does the
    bulk work; only the changes of status come back to Python, streamed, for the
    hash-chained audit log: one link per batch of up to ``AUDIT_BATCH`` changes, listing
    ``AUDIT_FIELDS`` once and then each change's values.
    """
    conn = session.connection()
    tmp = q.CHANGED_TABLE
    _fill_temp(conn, tmp, [])
    n = conn.execute(tmp.insert().from_select(list(q.OUT_COLUMNS) + ["old_status"], stmt), params).rowcount
    if not n:
        return 0
    now = as_of.astimezone(UTC)
    constants = {
        "obligation_id": literal(ob.id, String()),
        "subject_kind": literal(ob.subject.kind, String()),
        "evaluated_at": literal(now, UTCDateTime()),
        "changed_at": literal(now, UTCDateTime()),
        "run_id": literal(run_id, String()),
        "historical": literal(historical, Boolean()),
        "previous_status": tmp.c.old_status,
    }
    # Rows with no stored row when computed (old_status NULL: evaluation.status is NOT NULL)
    # are new: a plain INSERT (a first run writes only these). ON CONFLICT costs a
    # speculative insertion per row, and on PostgreSQL key order keeps the unique index's
    # insertions local: together about a third of a first run's insert time there. (On
    # SQLite the sort costs more than it saves: rows go in as computed.)
    order = (tmp.c.subject_id, tmp.c.period) if conn.dialect.name == "postgresql" else ()
    new_rows = _from_changed(session, Evaluation.__table__, EVALUATION_COLUMNS, constants, tmp.c.old_status.is_(None), order)
    stored = tmp.c.old_status.isnot(None)
    if conn.dialect.name == "postgresql":
        # A concurrent run may have committed one of these keys since our snapshot: then
        # fall back to the upsert of every row (what this did before, same result).
        try:
            with session.begin_nested():
                inserted = conn.execute(new_rows).rowcount
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
    conn.execute(_from_changed(session, EvaluationHistory.__table__, HISTORY_COLUMNS, constants, changed, (tmp.c.period, tmp.c.subject_id)))

    changes = conn.execute(
        select(tmp.c.subject_id, tmp.c.period, tmp.c.old_status, tmp.c.status, tmp.c.counted, tmp.c.reason, tmp.c.evidence)
        .where(changed)
        .order_by(tmp.c.period, tmp.c.subject_id),
        execution_options={"yield_per": AUDIT_BATCH},
    )
    links = []
    fields = list(AUDIT_FIELDS)
    for batch in changes.partitions(AUDIT_BATCH):
        first, last = batch[0], batch[-1]
        key = f"{ob.id}|{first.subject_id}|{first.period}" if len(batch) == 1 else f"{ob.id}|batch|{first.period}..{last.period}"
        # Plain JSON values (str, int, None) with the keys in sorted order: what the audit
        # log's canonical round trip would give back, so ``native=True`` skips it.
        payload = {"changes": [list(r) for r in batch], "fields": fields,
                   "historical": historical, "obligation_id": ob.id, "run_id": run_id}
        links.append(("evaluation", key, "status", payload))
        if len(links) == AUDIT_LINKS_PER_APPEND:
            audit.append_many(session, links, now, native=True)
            links = []
    if links:
        audit.append_many(session, links, now, native=True)
    _clear_temp(conn, tmp)
    return n


def _count_statuses(session: Session, ob: Obligation, period_keys: list[str] | None, subject_ids: list[str] | None) -> Counter:
    ev = Evaluation.__table__
    stmt = select(ev.c.status, func.count()).where(ev.c.obligation_id == ob.id).group_by(ev.c.status)
    if period_keys is not None:
        stmt = stmt.where(ev.c.period.in_(period_keys))
    if subject_ids is not None:
        stmt = stmt.where(ev.c.subject_id.in_(subject_ids))
    return Counter({s: n for s, n in session.execute(stmt)})


def tune_transaction(conn) -> None:
    """PostgreSQL settings for an evaluation transaction (this transaction only): sorts and
    hashes of a province-scale population get 64 MB before spilling to disk, and no JIT
    compilation, which costs about a second per statement and never pays back here."""
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
    as_of = _aware(as_of)
    with Session(engine) as session, session.begin():
        conn = session.connection()
        tune_transaction(conn)
        keys = [p.key for p in periods]
        params: dict[str, Any] = {}
        if ob.rule in ("count", "milestone"):
            if not periods:
                return Counter(), 0
            _fill_temp(conn, q.PERIOD_TABLE, _period_rows(ob, periods, as_of))
            temps = [q.PERIOD_TABLE]
            if q.places_by_day(ob):
                _fill_temp(conn, q.DAY_TABLE, _day_rows(periods))
                temps.append(q.DAY_TABLE)
                params = {"ev_lo": min(p.first for p in periods), "ev_hi": max(p.last for p in periods)}
            stmt = q.count_query(ob, conn.dialect.name, subject_ids)
            changed = _apply(session, ob, stmt, params, as_of=as_of, run_id=run_id, historical=historical)
            for table in temps:
                _clear_temp(conn, table)
            return _count_statuses(session, ob, keys, subject_ids), changed
        lo = min(p.first for p in periods) if periods else None
        hi = max(p.last for p in periods) if periods else None
        as_of_date = local_date(as_of)
        if ob.rule == "hazard_deadline":
            stmt = q.hazard_query(ob, as_of_date=as_of_date, lo=lo, hi=hi, enterprise_ids=event_filter)
        elif ob.rule == "accident_report":
            lo_at = dt.datetime.combine(lo, dt.time(), TZ) if lo else None
            hi_at = dt.datetime.combine(hi + dt.timedelta(days=1), dt.time(), TZ) if hi else None
            stmt = q.accident_query(ob, lo=lo_at, hi=hi_at, unit_codes=event_filter)
        elif ob.rule == "ticket_conclusion":
            _fill_temp(conn, q.DEADLINE_TABLE, _ticket_deadlines(session, ob, lo, hi))
            stmt = q.ticket_query(ob, as_of_date=as_of_date, lo=lo, hi=hi, unit_codes=event_filter)
        else:  # pragma: no cover - the register's schema lists the rules
            raise ValueError(f"obligation {ob.id}: unknown rule {ob.rule}")
        changed = _apply(session, ob, stmt, params, as_of=as_of, run_id=run_id, historical=historical)
        if ob.rule == "ticket_conclusion":
            _clear_temp(conn, q.DEADLINE_TABLE)
        return _count_statuses(session, ob, keys if periods else None, None), changed


def _ticket_deadlines(session: Session, ob: Obligation, lo: dt.date | None, hi: dt.date | None) -> list[dict]:
    """received_on → deadline for every distinct received day in range (computed once in
    Python with the official calendar, joined in SQL; never a loop per ticket)."""
    from safegov.db.models import Complaint

    c = Complaint.__table__
    stmt = select(distinct(c.c.received_on))
    if lo is not None:
        stmt = stmt.where(c.c.received_on >= lo)
    if hi is not None:
        stmt = stmt.where(c.c.received_on <= hi)
    n = int(ob.params.get("conclude_within_working_days", 15))
    out = []
    for (day,) in session.execute(stmt):
        day = _as_date(day)
        try:
            deadline = add_working_days(day, n)
        except CalendarRangeError:
            deadline = None
        out.append({"day": day, "deadline": deadline})
    return out


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
) -> dict:
    """Evaluate obligations (all by default, events included) for every period overlapping
    [from_key, to_key]. Returns totals by status, ``changed`` and ``by_obligation``."""
    obligations = [register.get(i) for i in obligation_ids] if obligation_ids else list(register.obligations)
    result = _empty()
    result["by_obligation"] = {}
    for ob in obligations:
        periods = periods_for(ob, from_key, to_key)
        if not periods:
            continue
        counts, changed = _evaluate_one(engine, ob, periods, as_of=as_of, run_id=run_id, historical=historical)
        one = _empty()
        _merge(one, counts, changed)
        result["by_obligation"][ob.id] = one
        _merge(result, counts, changed)
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
        if ob.rule not in EVENT_RULES and ob.cadence is not Cadence.ONCE:
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
    rows = session.execute(select(lt.c.leader_id, lt.c.unit_code, lt.c.role, lt.c.department_id).where(lt.c.leader_id.in_(sorted(leader_ids))))
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
    by_period_column = ev.record_type == "bulletin" and ev.date_column is None
    placing = "period" if by_period_column else ev.effective_date_column
    if placing == rt.date_column or ob.subject.kind not in ("unit", "enterprise"):
        return keys
    table = RECORD_MODELS[ev.record_type].__table__
    subject_col = table.c.unit_code if ob.subject.kind == "unit" else table.c.enterprise_id
    if by_period_column:
        keys.add(period_of(day.replace(day=1) - dt.timedelta(days=1), ob.cadence).key)  # the month reported on
    for (value,) in session.execute(select(table.c[placing]).where(subject_col == subject, table.c[rt.date_column] == day)):
        if value is None:
            continue
        keys.add(parse_period(value).key if by_period_column else period_of(_as_date(value), ob.cadence).key)
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
            day = _as_date(t.get("record_date"))
            if rt in ("enterprise", "leader", "department"):
                for ob in register.obligations:
                    kind = ob.subject.kind
                    if rt == "enterprise" and kind == "enterprise" and t.get("enterprise_id"):
                        registry_subjects[ob.id].add(t["enterprise_id"])
                    elif rt == "department" and kind == "department" and t.get("department_id"):
                        registry_subjects[ob.id].add(t["department_id"])
                    elif rt == "leader" and kind in ("post", "department"):
                        s = _subject_of(ob, t, leaders)
                        if s:
                            registry_subjects[ob.id].add(s)
                continue
            for ob in register.obligations:
                if ob.evidence.record_type != rt:
                    continue
                if ob.rule in EVENT_RULES:
                    value = t.get("enterprise_id") if ob.rule == "hazard_deadline" else t.get("unit_code")
                    if value:
                        events[ob.id].add(value)
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
                select(ev.c.period, ev.c.subject_id).where(and_(ev.c.obligation_id == ob_id, ev.c.subject_id.in_(sorted(subjects_))))
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
        subject_ids = sorted(subjects_) if len(subjects_) <= MAX_SUBJECT_FILTER else None
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
