"""Read-only, scoped queries behind the dashboard and its JSON API.

Every function takes the signed-in user's ``Scope`` and puts it into the SQL (``unit_code
IN (...)``, or the enterprise's county), so a county office can never read another
county's rows, whatever URL it asks for.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from safegov.core.periods import parse_period
from safegov.db.models import (
    RECORD_MODELS,
    BlacklistEntry,
    Case,
    Enterprise,
    Evaluation,
    Leader,
    OutboxMessage,
    RawRow,
    Rejection,
    SubmissionFile,
)
from safegov.org.tree import UnitTree
from safegov.register.records import RECORD_TYPES
from safegov.web.scope import Scope

STATUSES = ("met", "met_late", "missed", "pending", "exempt")
OPEN_CASE_STATES = ("open", "awaiting_approval")
ID_COLUMNS = ("record_id", "hazard_id", "accident_id", "ticket_id", "enterprise_id", "leader_id", "department_id")
ESCALATION_DAG = "safegov_escalation"
ESCALATION_APPROVAL_TASK = "approve_cases"  # the HITL task of dags/safegov_escalation.py
PER_PAGE = 200  # rows of a list page and of an API page unless ``per_page`` says otherwise
MAX_PER_PAGE = 1000  # an API client asks for at most this many rows at once


def unit_clause(col, scope: Scope):
    """The scope as a SQL condition on a unit-code column."""
    if scope.kind == "all":
        return true()
    if scope.kind == "none" or not scope.units:
        return false()
    return col.in_(sorted(scope.units))


def enterprise_clause(col, scope: Scope):
    """The scope on an enterprise-id column: the enterprise's county must be in scope."""
    if scope.kind == "all":
        return true()
    if scope.kind == "none" or not scope.units:
        return false()
    return col.in_(select(Enterprise.enterprise_id).where(Enterprise.county_code.in_(sorted(scope.units))))


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Page:
    """One page of a long list (分页): its rows, which page of how many, and how many rows the
    whole list holds. The lists behind it are ordered on a unique key last, so the pages
    cover every row exactly once."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_row(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def last_row(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    def counts(self) -> dict[str, int]:
        """Which page of how many, of how many rows (the API's envelope without the rows)."""
        return {"total": self.total, "page": self.page, "per_page": self.per_page, "pages": self.pages}

    def as_json(self) -> dict[str, Any]:
        return {"items": self.items, **self.counts()}


def paginate(session: Session, stmt, *, page: int, per_page: int, clamp: bool) -> tuple[int, int, list[Any]]:
    """(total, page, rows) of page ``page`` of ``stmt``. ``clamp`` moves a page past the end to
    the last one (a page a person reads after the list shrank); the API does not, so a
    client walking the pages until one is empty never gets a row twice."""
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    if clamp:
        page = min(page, max(1, -(-total // per_page)))
    rows = session.execute(stmt.offset((page - 1) * per_page).limit(per_page)).all() if total else []
    return total, page, list(rows)


# --------------------------------------------------------------------------- heatmap


@dataclass
class Cell:
    # Counts are complete when the cell is drawn; the derived values are cached because a
    # province-wide heatmap draws thousands of cells.
    counts: dict[str, int] = field(default_factory=dict)

    @cached_property
    def total(self) -> int:
        return sum(self.counts.values())

    @cached_property
    def decided(self) -> int:
        c = self.counts
        return c.get("met", 0) + c.get("met_late", 0) + c.get("missed", 0)

    @cached_property
    def status(self) -> str:
        """The colour of the cell: the worst status present (a miss is what offices act on)."""
        for s in ("missed", "met_late", "pending", "met", "exempt"):
            if self.counts.get(s):
                return s
        return "none"

    @cached_property
    def label(self) -> str:
        missed = self.counts.get("missed", 0)
        if self.decided == 0:
            return str(self.total) if self.status == "pending" else ""
        return f"{self.decided - missed}/{self.decided}"


@dataclass
class HeatRow:
    unit_code: str
    unit_name: str
    cells: dict[str, Cell]


@dataclass
class HeatGroup:
    code: str | None
    name: str
    rows: list[HeatRow]


@dataclass
class Heatmap:
    obligation_id: str
    periods: list[str]
    groups: list[HeatGroup]

    def to_json(self) -> dict[str, Any]:
        return {
            "obligation_id": self.obligation_id,
            "periods": self.periods,
            "groups": [
                {
                    "league": g.code,
                    "name": g.name,
                    "units": [
                        {
                            "unit_code": r.unit_code,
                            "name": r.unit_name,
                            "cells": {p: {"status": c.status, "counts": c.counts} for p, c in r.cells.items()},
                        }
                        for r in g.rows
                    ],
                }
                for g in self.groups
            ],
        }


def evaluation_periods(session: Session, scope: Scope, obligation_id: str, *, last: int) -> list[str]:
    """The obligation's ``last`` evaluated periods in the scope, in order. The database reads
    them from the end of the dashboard index (ten years of an enterprise duty hold millions
    of rows)."""
    stmt = (
        select(Evaluation.period)
        .where(Evaluation.obligation_id == obligation_id, unit_clause(Evaluation.unit_code, scope))
        .distinct()
        .order_by(Evaluation.period.desc())
        .limit(last)
    )
    return sorted(session.scalars(stmt).all())


def heatmap(
    session: Session,
    scope: Scope,
    tree: UnitTree,
    obligation_id: str,
    *,
    from_key: str | None = None,
    to_key: str | None = None,
    last: int = 12,
) -> Heatmap:
    """Units (grouped by league/city) × periods, counting evaluations by status: the periods
    evaluated in [from_key, to_key], or the ``last`` ones. One read of the dashboard index
    over the range gives both the periods and the counts."""
    bounds = []
    if from_key:
        bounds.append(Evaluation.period >= from_key)
    if to_key:
        bounds.append(Evaluation.period <= to_key)
    if not bounds:
        recent = evaluation_periods(session, scope, obligation_id, last=last)
        if not recent:
            return Heatmap(obligation_id, [], [])
        bounds.append(Evaluation.period >= recent[0])
    # Grouped in the dashboard index's order (obligation, period, unit, status): both
    # databases then count as they read the index, with no hash table or sort of the range.
    q = (
        select(Evaluation.unit_code, Evaluation.period, Evaluation.status, func.count())
        .where(Evaluation.obligation_id == obligation_id, *bounds, unit_clause(Evaluation.unit_code, scope))
        .group_by(Evaluation.period, Evaluation.unit_code, Evaluation.status)
    )
    cells: dict[str, dict[str, Cell]] = defaultdict(lambda: defaultdict(Cell))
    seen: set[str] = set()
    for unit, period, status, n in session.execute(q):
        seen.add(period)
        if unit is None:
            continue
        cells[unit][period].counts[status] = n
    periods = sorted(seen)
    if not periods:
        return Heatmap(obligation_id, [], [])
    by_league: dict[str | None, list[HeatRow]] = defaultdict(list)
    for unit in sorted(cells):
        by_league[tree.league_of(unit)].append(HeatRow(unit, tree.name(unit), dict(cells[unit])))
    groups = []
    for league in sorted(by_league, key=lambda c: c or ""):
        rows = sorted(by_league[league], key=lambda r: (r.unit_code != league, r.unit_code))
        name = tree.name(league) if league else tree.name("150000")
        groups.append(HeatGroup(league, name, rows))
    return Heatmap(obligation_id, periods, groups)


# --------------------------------------------------------------------------- cell detail


def _row_dict(obj) -> dict[str, Any]:
    out = {}
    for col in obj.__table__.columns:
        if col.name in ("content_hash",):
            continue
        v = getattr(obj, col.key)
        out[col.name] = v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v
    return out


def _id_column(model):
    for name in ID_COLUMNS:
        if name in model.__table__.columns:
            return model.__table__.columns[name]
    return None


def _owner_column(record_type: str):
    """The column that qualifies a record id in the natural key (SPEC §3): a meeting's
    ``unit_code``, a hazard inspection's ``enterprise_id``; None when the id is unique alone."""
    model = RECORD_MODELS[record_type]
    key = RECORD_TYPES[record_type].key
    return next((model.__table__.columns[c] for c in key if c in ("unit_code", "enterprise_id")), None)


def _scope_of_record(model, scope: Scope):
    """The scope on a record table: its unit, else its enterprise's county."""
    cols = model.__table__.columns
    if "unit_code" in cols:
        return unit_clause(cols["unit_code"], scope)
    return enterprise_clause(cols["enterprise_id"], scope)


def records_for(
    session: Session, scope: Scope, record_type: str, refs: list[tuple[str | None, str]]
) -> list[dict[str, Any]]:
    """The record rows behind evidence: ``refs`` are (owner, record id) pairs, the owner being
    the value of the natural key's unit or enterprise column (ignored when the id is unique
    alone). Record ids are only unique per unit or enterprise, so an id alone would also find
    another unit's record."""
    model = RECORD_MODELS.get(record_type)
    col = _id_column(model) if model is not None else None
    if col is None or not refs:
        return []
    owner = _owner_column(record_type)
    stmt = select(model).where(col.in_(sorted({i for _, i in refs})), _scope_of_record(model, scope))
    if owner is None:
        return [{"record_type": record_type, **_row_dict(o)} for o in session.scalars(stmt)]
    # Both key columns as IN lists (bounded SQL whatever the number of subjects), then the
    # exact pairs kept here.
    wanted = set(refs)
    stmt = stmt.where(owner.in_(sorted({o for o, _ in refs if o is not None})))
    return [
        {"record_type": record_type, **_row_dict(o)}
        for o in session.scalars(stmt)
        if (getattr(o, owner.key), getattr(o, col.key)) in wanted
    ]


def _evidence_owner(record_type: str, e: Evaluation) -> str | None:
    """The natural key's owner of the records behind evaluation ``e``: its unit, or the
    enterprise it evaluates (``safegov.evaluation.rules.count`` places records that way)."""
    owner = _owner_column(record_type)
    if owner is None:
        return None
    return e.subject_id if owner.name == "enterprise_id" else e.unit_code


def cell_detail(
    session: Session,
    scope: Scope,
    register,
    obligation_id: str,
    unit_code: str,
    period: str,
    *,
    rejected_page: int = 1,
    per_page: int = PER_PAGE,
    clamp: bool = False,
) -> dict[str, Any]:
    """One heatmap cell: the evaluations, the records that decided them, rejected rows (a page
    at a time: ``rejected`` says which of how many), cases."""
    evs = session.scalars(
        select(Evaluation)
        .where(
            Evaluation.obligation_id == obligation_id,
            Evaluation.unit_code == unit_code,
            Evaluation.period == period,
            unit_clause(Evaluation.unit_code, scope),
        )
        .order_by(Evaluation.status.desc(), Evaluation.subject_id)
    ).all()
    obligation = _obligation(register, obligation_id)
    record_type = obligation.evidence.record_type if obligation is not None else None
    evaluations = []
    refs: list[tuple[str | None, str]] = []
    for e in evs:
        ids = [i for i in (e.evidence or "").split(";") if i]
        if record_type:
            owner = _evidence_owner(record_type, e)
            refs.extend((owner, i) for i in ids)
        evaluations.append({**_row_dict(e), "evidence_ids": ids})
    records = records_for(session, scope, record_type, refs) if record_type else []
    # The subject itself is the record for event obligations (accident, hazard, ticket).
    event_subjects = [e.subject_id for e in evs if e.subject_kind in ("accident", "hazard", "ticket")]
    if record_type and event_subjects:
        seen = {r.get(_id_column(RECORD_MODELS[record_type]).name) for r in records}
        records += [
            r
            for r in records_for(session, scope, record_type, [(None, s) for s in event_subjects])
            if r.get(_id_column(RECORD_MODELS[record_type]).name) not in seen
        ]
    rejected: list[dict[str, Any]] = []
    rejected_total = 0
    if record_type and evs:
        subject_ids = [e.subject_id for e in evs]
        q = (
            select(RawRow, SubmissionFile.file_name)
            .join(SubmissionFile, SubmissionFile.id == RawRow.file_id)
            .where(RawRow.record_type == record_type, RawRow.status == "quarantined")
            .where(
                or_(
                    RawRow.unit_code == unit_code,
                    RawRow.enterprise_id.in_(subject_ids),
                    RawRow.leader_id.in_([e.responsible for e in evs if e.responsible]),
                )
            )
            .order_by(RawRow.id)
        )
        # ``period`` matched stored evaluations above, so it is a valid period key.
        p = parse_period(period)
        q = q.where(
            or_(RawRow.record_date.is_(None), and_(RawRow.record_date >= p.first, RawRow.record_date <= p.last))
        )
        rejected_total, rejected_page, raws = paginate(session, q, page=rejected_page, per_page=per_page, clamp=clamp)
        reasons = defaultdict(list)
        if raws:
            for r in session.scalars(select(Rejection).where(Rejection.raw_row_id.in_([rr.id for rr, _ in raws]))):
                reasons[r.raw_row_id].append(
                    {"column": r.column, "rule": r.rule, "value": r.value, "message": r.message}
                )
        for rr, fname in raws:
            rejected.append(
                {
                    "raw_row_id": rr.id,
                    "file": fname,
                    "row": rr.row_number,
                    "values": rr.values,
                    "reasons": reasons[rr.id],
                }
            )
    cases = session.scalars(
        select(Case)
        .where(
            Case.rule_id == obligation_id,
            Case.unit_code == unit_code,
            Case.period == period,
            unit_clause(Case.unit_code, scope),
        )
        .order_by(Case.id)
    ).all()
    return {
        "obligation_id": obligation_id,
        "unit_code": unit_code,
        "period": period,
        "evaluations": evaluations,
        "records": records,
        "rejected_rows": rejected,
        "rejected": Page(rejected, rejected_total, rejected_page, per_page).counts(),
        "cases": [case_json(c) for c in cases],
    }


def _obligation(register, obligation_id: str):
    """The register's obligation of that id, or None for an id the register does not know."""
    return next((o for o in register.obligations if o.id == obligation_id), None)


# --------------------------------------------------------------------------- cases


AIRFLOW_RUN_ID = re.compile(r"^(manual|scheduled|asset_triggered|dataset_triggered|backfill)__")


def approval_links(c: Case) -> dict[str, str]:
    """Where the office approves a case: the HITL ("required actions") page of the
    ``safegov_escalation`` run that asked (task ``approve_cases``), and the DAG's list of
    pending required actions (a later run asks again if that one is gone)."""
    from urllib.parse import quote

    details = c.details or {}
    dag_id = details.get("approval_dag_id") or ESCALATION_DAG
    links = {"required_actions": f"/dags/{quote(dag_id, safe='')}/required_actions"}
    run_id = details.get("approval_run_id") or c.run_id
    task_id = details.get("approval_task_id") or ESCALATION_APPROVAL_TASK
    # Cases opened from the CLI carry no Airflow run: no run link for them.
    if run_id and AIRFLOW_RUN_ID.match(run_id):
        base = f"/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
        links["run"] = base
        links["approval"] = f"{base}/tasks/{quote(task_id, safe='')}/required_actions"
    return links


def case_json(c: Case) -> dict[str, Any]:
    d = _row_dict(c)
    d["links"] = approval_links(c)
    return d


def open_cases(session: Session, scope: Scope, *, page: int = 1, per_page: int = PER_PAGE, clamp: bool = False) -> Page:
    """The scope's open cases, a page at a time."""
    stmt = (
        select(Case)
        .where(Case.state.in_(OPEN_CASE_STATES), unit_clause(Case.unit_code, scope))
        # Cases waiting for an office's decision first: they are what someone must act on.
        .order_by(case((Case.state == "awaiting_approval", 0), else_=1), Case.opened_on.desc(), Case.id.desc())
    )
    total, page, rows = paginate(session, stmt, page=page, per_page=per_page, clamp=clamp)
    return Page([case_json(c) for (c,) in rows], total, page, per_page)


def cases_by_kind_month(
    session: Session, scope: Scope, *, months: int = 12
) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Cases per month of the facts and kind (a stacked bar chart): the month the missed period
    began or the event happened (``period_start``), not the day the case was opened — a
    backfill opens years of cases on one day. A case without a period start counts by its
    opening day."""
    month = func.coalesce(Case.period_start, Case.opened_on)
    rows = session.execute(select(month, Case.kind).where(unit_clause(Case.unit_code, scope))).all()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, kind in rows:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
        counts[day.strftime("%Y-%m")][kind] += 1
    keys = sorted(counts)[-months:]
    return keys, {k: dict(counts[k]) for k in keys}


# --------------------------------------------------------------------------- trend


def trend_from_heatmap(hm: Heatmap) -> tuple[list[str], dict[str, dict[str, float]]]:
    """The per-league compliance rate of the heatmap's cells (no second scan of the table):
    (met + met_late) / decided, summed over the league's (or the region's) units."""
    series: dict[str, dict[str, float]] = {}
    for g in hm.groups:
        key = g.code or "150000"
        for p in hm.periods:
            decided = sum(r.cells[p].decided for r in g.rows if p in r.cells)
            missed = sum(r.cells[p].counts.get("missed", 0) for r in g.rows if p in r.cells)
            if decided:
                series.setdefault(key, {})[p] = (decided - missed) / decided
    return hm.periods, series


def compliance_trend(
    session: Session, scope: Scope, tree: UnitTree, *, obligation_ids: list[str] | None = None, periods: int = 12
) -> tuple[list[str], dict[str, dict[str, float]]]:
    """Share of decided evaluations that were met (met + met_late) per league and period:
    for the given obligations, or for every monthly obligation when none is given."""
    q = (
        select(Evaluation.unit_code, Evaluation.period, Evaluation.status, func.count())
        .where(Evaluation.status.in_(("met", "met_late", "missed")), unit_clause(Evaluation.unit_code, scope))
        .group_by(Evaluation.unit_code, Evaluation.period, Evaluation.status)
    )
    if obligation_ids:
        q = q.where(Evaluation.obligation_id.in_(obligation_ids))
    else:
        q = q.where(func.length(Evaluation.period) == 7)  # all monthly obligations: one time axis
    met: dict[tuple[str, str], int] = defaultdict(int)
    total: dict[tuple[str, str], int] = defaultdict(int)
    for unit, period, status, n in session.execute(q):
        league = tree.league_of(unit) if unit else None
        if league is None:
            continue
        total[(league, period)] += n
        if status != "missed":
            met[(league, period)] += n
    keys = sorted({p for _, p in total})[-periods:]
    series: dict[str, dict[str, float]] = defaultdict(dict)
    for (league, period), n in total.items():
        if period in keys and n:
            series[league][period] = met[(league, period)] / n
    return keys, dict(series)


# --------------------------------------------------------------------------- blacklist


def blacklist_search(q: str):
    """The blacklist page's search as a condition on ``BlacklistEntry`` alone (credit code,
    enterprise name or trigger containing ``q``), so the page and its download filter alike."""
    like = f"%{q.strip()}%"
    return or_(
        BlacklistEntry.enterprise_id.ilike(like),
        BlacklistEntry.enterprise_id.in_(select(Enterprise.enterprise_id).where(Enterprise.name.ilike(like))),
        BlacklistEntry.trigger.ilike(like),
    )


def blacklist(
    session: Session,
    scope: Scope,
    *,
    q: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    clamp: bool = False,
) -> Page:
    """The scope's blacklist entries (those matching the search ``q``), a page at a time."""
    stmt = (
        select(BlacklistEntry, Enterprise.name, Enterprise.county_code)
        .join(Enterprise, Enterprise.enterprise_id == BlacklistEntry.enterprise_id, isouter=True)
        .where(enterprise_clause(BlacklistEntry.enterprise_id, scope))
        .order_by(BlacklistEntry.state, BlacklistEntry.enterprise_id, BlacklistEntry.id)
    )
    if q:
        stmt = stmt.where(blacklist_search(q))
    total, page, rows = paginate(session, stmt, page=page, per_page=per_page, clamp=clamp)
    out = []
    for entry, name, county in rows:
        d = _row_dict(entry)
        d["enterprise_name"] = name
        d["county_code"] = county
        out.append(d)
    return Page(out, total, page, per_page)


# --------------------------------------------------------------------------- data quality


def quality(
    session: Session, scope: Scope, *, from_key: str | None = None, to_key: str | None = None
) -> list[dict[str, Any]]:
    """Rejected (quarantined) rows by submitting unit and month, with the commonest rule.

    The unit of a row is its ``unit_code`` hint, else its enterprise's county; the month is
    the month it was received (Asia/Shanghai), as in ``safegov.intake.quality.quality_summary``."""
    unit = func.coalesce(RawRow.unit_code, Enterprise.county_code)
    base = select(
        RawRow.id, unit.label("unit"), RawRow.record_date, RawRow.received_at, RawRow.record_type, RawRow.status
    ).join(Enterprise, Enterprise.enterprise_id == RawRow.enterprise_id, isouter=True)
    if scope.kind != "all":
        base = base.where(unit_clause(unit, scope))
    rows = session.execute(base).all()
    from safegov.core.periods import local_date

    agg: dict[tuple[str, str], dict[str, Any]] = {}
    quarantined_ids: dict[int, tuple[str, str]] = {}
    for rid, u, _record_date, received, rtype, status in rows:
        month = local_date(received).strftime("%Y-%m")  # the month it was submitted (as quality_summary)
        if (from_key and month < from_key) or (to_key and month > to_key):
            continue
        key = (u or "", month)
        a = agg.setdefault(
            key,
            {
                "unit_code": u,
                "month": month,
                "rows": 0,
                "rejected": 0,
                "types": defaultdict(int),
                "rules": defaultdict(int),
            },
        )
        a["rows"] += 1
        if status == "quarantined":
            a["rejected"] += 1
            a["types"][rtype] += 1
            quarantined_ids[rid] = key
    if quarantined_ids:
        ids = list(quarantined_ids)
        for i in range(0, len(ids), 500):
            for raw_id, rule in session.execute(
                select(Rejection.raw_row_id, Rejection.rule).where(Rejection.raw_row_id.in_(ids[i : i + 500]))
            ):
                agg[quarantined_ids[raw_id]]["rules"][rule] += 1
    out = []
    for (_, _), a in sorted(agg.items(), key=lambda kv: (kv[0][1], kv[0][0]), reverse=True):
        if not a["rejected"]:
            continue
        a["types"] = dict(a["types"])
        a["rules"] = dict(sorted(a["rules"].items(), key=lambda kv: -kv[1]))
        a["rate"] = a["rejected"] / a["rows"] if a["rows"] else 0.0
        out.append(a)
    return out


# --------------------------------------------------------------------------- outbox


def mask_email(addr: str | None) -> str:
    """``zhang.san@example.gov.cn`` → ``z***@example.gov.cn`` (the page is no address book)."""
    if not addr:
        return ""
    local, at, domain = addr.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


OUTBOX_STATES = ("pending", "failed", "dead")  # what the outbox page lists: mail not (yet) delivered


def outbox_select(scope: Scope, states=OUTBOX_STATES):
    """The scope's mail in ``states``, in the page's order (state, newest first, id last)."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.state.in_(states))
        .order_by(OutboxMessage.state, OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    if scope.kind != "all":
        units = sorted(scope.units or ())
        # A message belongs to the unit of its recipient (an office's unit code or a
        # leader's unit) or of its subject (a post, a unit, an enterprise).
        stmt = stmt.where(
            or_(
                OutboxMessage.recipient.in_(units),
                OutboxMessage.recipient.in_(select(Leader.leader_id).where(Leader.unit_code.in_(units))),
                func.substr(OutboxMessage.subject_id, 1, 6).in_(units),
                enterprise_clause(OutboxMessage.subject_id, scope),
            )
            if units
            else false()
        )
    return stmt


def outbox_json(m: OutboxMessage) -> dict[str, Any]:
    """A message as the page and the API show it: addresses masked, no body."""
    return {
        "id": m.id,
        "state": m.state,
        "purpose": m.purpose,
        "step": m.step,
        "subject_id": m.subject_id,
        "period": m.period,
        "recipient": m.recipient,
        "to": mask_email(m.to_email),
        "cc": [mask_email(c) for c in (m.cc or [])],
        "subject": m.mail_subject,
        "attempts": m.attempts,
        "reason": m.reason,
        "last_status": m.last_status,
        "next_attempt_at": m.next_attempt_at.isoformat() if m.next_attempt_at else None,
        "created_at": m.created_at.isoformat() if m.created_at else None,
    }


def outbox(
    session: Session,
    scope: Scope,
    *,
    states=OUTBOX_STATES,
    page: int = 1,
    per_page: int = PER_PAGE,
    clamp: bool = False,
) -> Page:
    """The scope's undelivered mail in ``states``, a page at a time."""
    total, page, rows = paginate(session, outbox_select(scope, states), page=page, per_page=per_page, clamp=clamp)
    return Page([outbox_json(m) for (m,) in rows], total, page, per_page)
