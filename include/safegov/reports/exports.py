"""Exports (SPEC §9): the export queries and the one CSV/JSON writer they share.

``write_rows`` is the one writer every export uses, and ``csv_writer`` the one CSV writer of
the package (exports, the veto report, the bulletin figures): a cell that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return)
gets a leading apostrophe, so a submitted ``=HYPERLINK(...)`` stays text for whoever
opens the file (CSV injection). JSON is written as submitted. (The demo and synthetic
generators in ``safegov.devtools`` write submission files, the input of the pipeline, not
files for people: they write cells as a unit would submit them.)

Export functions take a Session and inclusive period bounds and return a list of dicts:
``export_evaluations``, ``export_cases``, ``export_blacklist`` and ``export_quarantine``.
``EXPORTS`` names each with its columns (``safegov export <kind>``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

QUARANTINE_COLUMNS = (
    "file_name",
    "file_id",
    "row_number",
    "record_type",
    "received_at",
    "unit_code",
    "enterprise_id",
    "leader_id",
    "record_date",
    "column",
    "rule",
    "value",
    "message",
    "raw",
)


def neutralise(value: Any) -> Any:
    """A cell safe to open in a spreadsheet: formula-looking text gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class NeutralisingWriter:
    """``csv.writer`` whose every cell goes through ``neutralise``."""

    def __init__(self, stream: IO[str], *, lineterminator: str = "\r\n"):
        self._writer = csv.writer(stream, lineterminator=lineterminator)

    def writerow(self, cells: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(c) for c in cells])


def csv_writer(stream: IO[str], *, lineterminator: str = "\r\n") -> NeutralisingWriter:
    """The CSV writer for every CSV file the package writes for people to open."""
    return NeutralisingWriter(stream, lineterminator=lineterminator)


def plain_cell(value: Any) -> Any:
    """A value as a CSV (and a workbook) cell shows it: dates ISO, lists ``;``-joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def write_rows(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str = "csv", out: str | Path | IO[str] | None = None
) -> int:
    """Write ``rows`` (only ``columns``, in order) as CSV or JSON to a path, a text stream
    or stdout (``None`` or ``-``). Returns the number of rows written."""
    if fmt not in ("csv", "json"):
        from safegov.core.errors import SafegovError

        raise SafegovError(f"unknown format {fmt!r}: use csv or json")
    if out is None or out == "-":
        return _write(rows, columns, fmt, sys.stdout)
    if isinstance(out, (str, Path)):
        # utf-8-sig for CSV: Excel on Chinese Windows reads it as UTF-8 only with the BOM.
        with output_file(out, encoding="utf-8-sig" if fmt == "csv" else "utf-8", make_folder=True) as f:
            return _write(rows, columns, fmt, f)
    return _write(rows, columns, fmt, out)


@contextmanager
def output_file(out: str | Path, *, encoding: str = "utf-8", make_folder: bool = False) -> Iterator[IO[str]]:
    """``out`` opened for writing text. A path that cannot be written (a folder, a file's
    child, no permission) is bad input: a ``SafegovError`` naming it, not a traceback."""
    from safegov.core.errors import SafegovError

    path = Path(out)
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        f = path.open("w", encoding=encoding, newline="")
    except OSError as exc:
        raise SafegovError(f"cannot write {path}: {exc.strerror or exc}") from None
    with f:
        yield f


def _write(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str, stream: IO[str]) -> int:
    n = 0
    if fmt == "csv":
        # "\r\n" (RFC 4180) also makes the writer quote a lone CR inside a cell.
        writer = csv_writer(stream, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([plain_cell(row.get(c)) for c in columns])
            n += 1
        return n
    stream.write("[")
    for row in rows:
        line = json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False, default=_json_default)
        stream.write(("," if n else "") + "\n  " + line)
        n += 1
    stream.write("\n]\n" if n else "]\n")
    return n


def render_rows(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str = "csv") -> str:
    buf = io.StringIO()
    write_rows(rows, columns, fmt, buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- quarantine


def _month_bounds(from_key: str | None, to_key: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start of ``from_key``, start of the period after ``to_key``) in Asia/Shanghai."""
    from safegov.core.periods import TZ, parse_period

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), TZ)

    lo = midnight(parse_period(from_key).first) if from_key else None
    hi = midnight(parse_period(to_key).last + dt.timedelta(days=1)) if to_key else None
    return lo, hi


def export_quarantine(
    session, from_key: str | None = None, to_key: str | None = None, *, where: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """One row per rejection reason of quarantined rows received in [from_key, to_key]
    (months, Asia/Shanghai), with the row as submitted in ``raw`` (JSON). ``where``: more
    SQL conditions (the dashboard's unit scope), as for every export."""
    from sqlalchemy import select

    from safegov.db.models import RawRow, Rejection, SubmissionFile

    lo, hi = _month_bounds(from_key, to_key)
    stmt = (
        select(
            SubmissionFile.file_name,
            RawRow.file_id,
            RawRow.row_number,
            RawRow.record_type,
            RawRow.received_at,
            RawRow.unit_code,
            RawRow.enterprise_id,
            RawRow.leader_id,
            RawRow.record_date,
            Rejection.column,
            Rejection.rule,
            Rejection.value,
            Rejection.message,
            RawRow.values,
        )
        .join(RawRow, RawRow.file_id == SubmissionFile.id)
        .join(Rejection, Rejection.raw_row_id == RawRow.id)
        .order_by(RawRow.file_id, RawRow.row_number, Rejection.id)
    )
    if lo is not None:
        stmt = stmt.where(RawRow.received_at >= lo)
    if hi is not None:
        stmt = stmt.where(RawRow.received_at < hi)
    stmt = stmt.where(*where)
    out = []
    for r in session.execute(stmt):
        d = dict(r._mapping)
        d["raw"] = json.dumps(d.pop("values"), ensure_ascii=False, sort_keys=True, default=str)
        out.append(d)
    return out


# --------------------------------------------------------------------------- cases and blacklist

CASES_COLUMNS = (
    "case_id",
    "kind",
    "rule_id",
    "subject_id",
    "persons",
    "period",
    "state",
    "opened_on",
    "historical",
    "decided_by",
    "legal_basis",
)
BLACKLIST_COLUMNS = (
    "enterprise_id",
    "trigger",
    "state",
    "notified_on",
    "listed_on",
    "repair_eligible_on",
    "expires_on",
    "removed_on",
    "scopes",
    "ground",
    "penalty_id",
    "decided_by",
)


def _day_bounds(from_key: str | None, to_key: str | None) -> tuple[dt.date | None, dt.date | None]:
    from safegov.core.periods import parse_period

    return (parse_period(from_key).first if from_key else None, parse_period(to_key).last if to_key else None)


def export_cases(
    session, from_key: str | None = None, to_key: str | None = None, *, where: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """Cases whose period (or event day: accident day, hazard deadline, ticket due date)
    starts in [from_key, to_key]; ``persons`` are the leader ids (or names) joined by ``;``;
    ``decided_by`` who approved or rejected it; ``legal_basis`` the rule version it rests on
    (``rule_id@valid_from``: as recorded when the case was opened, else the register's version
    in force on its date)."""
    from sqlalchemy import select

    from safegov.db.models import Case
    from safegov.register.obligations import get_register

    register = get_register()

    lo, hi = _day_bounds(from_key, to_key)
    stmt = select(Case).where(*where).order_by(Case.period_start, Case.id)
    if lo is not None:
        stmt = stmt.where(Case.period_start >= lo)
    if hi is not None:
        stmt = stmt.where(Case.period_start <= hi)
    return [
        {
            "case_id": c.id,
            "kind": c.kind,
            "rule_id": c.rule_id,
            "subject_id": c.subject_id,
            "persons": c.persons or "",
            "period": c.period,
            "state": c.state,
            "opened_on": c.opened_on,
            "historical": c.historical,
            "subject_kind": c.subject_kind,
            "unit_code": c.unit_code,
            "deciding_unit": c.deciding_unit,
            "step": c.step,
            "decided_by": c.decided_by or "",
            "legal_basis": (c.details or {}).get("legal_basis")
            or register.legal_basis(c.rule_id, c.period_start)
            or "",
        }
        for c in session.scalars(stmt)
    ]


def export_blacklist(
    session, from_key: str | None = None, to_key: str | None = None, *, where: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """Blacklist entries whose trigger day (candidate_on) lies in [from_key, to_key]
    (both optional: the whole list); ``scopes`` joined by ``;``; ``ground`` the register's
    ground, ``penalty_id`` the penalty decision the listing follows and ``decided_by`` the
    authority deciding it (a unit code or a department id)."""
    from sqlalchemy import select

    from safegov.db.models import BlacklistEntry

    lo, hi = _day_bounds(from_key, to_key)
    stmt = select(BlacklistEntry).where(*where).order_by(BlacklistEntry.candidate_on, BlacklistEntry.id)
    if lo is not None:
        stmt = stmt.where(BlacklistEntry.candidate_on >= lo)
    if hi is not None:
        stmt = stmt.where(BlacklistEntry.candidate_on <= hi)
    return [
        {
            "enterprise_id": e.enterprise_id,
            "trigger": e.trigger,
            "state": e.state,
            "notified_on": e.notified_on,
            "listed_on": e.listed_on,
            "repair_eligible_on": e.repair_eligible_on,
            "expires_on": e.expires_on,
            "removed_on": e.removed_on,
            "scopes": ";".join(e.scopes or []),
            "ground": e.ground or "",
            "penalty_id": e.penalty_id or "",
            "decided_by": e.decided_by or "",
            "trigger_ref": e.trigger_ref,
            "entry_id": e.id,
            "legal_basis": e.legal_basis or "",
        }
        for e in session.scalars(stmt)
    ]


# --------------------------------------------------------------------------- evaluations

EVALUATION_COLUMNS = (
    "obligation_id",
    "subject_kind",
    "subject_id",
    "period",
    "status",
    "counted",
    "required",
    "due_on",
    "reason",
    "evidence",
)


def period_keys_overlapping(from_key: str, to_key: str) -> list[str]:
    """Every month, quarter, half and year key overlapping [from_key, to_key]; event rows
    carry month keys and once rows year keys, so they are selected by the same list."""
    from safegov.core.periods import PERIODIC, parse_period, periods_between

    lo, hi = parse_period(from_key).first, parse_period(to_key).last
    keys: list[str] = []
    for cadence in PERIODIC:
        keys += [p.key for p in periods_between(lo, hi, cadence)]
    return keys


def export_evaluations(session, from_key: str, to_key: str, *, where: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Evaluations (SPEC §9 columns) whose period overlaps [from_key, to_key]: months, and the
    quarters, halves and years that overlap them (event rows carry the month of the event,
    one-off obligations the due year), ordered by obligation, period, subject; the
    register's obligations (every evaluation is of one of them).

    Values are plain (``due_on`` a date, empty reason/evidence ``None``); ``write_rows``
    formats them. ``evidence``: the deciding record ids joined by ``;``."""
    from sqlalchemy import select

    from safegov.db.models import Evaluation
    from safegov.register.obligations import get_register

    keys = period_keys_overlapping(from_key, to_key)
    cols = [getattr(Evaluation, c) for c in EVALUATION_COLUMNS]
    # Naming the register's obligations lets the dashboard index (obligation, period, …) find
    # the periods: evaluation keeps no index led by the period (each costs every verdict written).
    obligations = Evaluation.obligation_id.in_(sorted(o.id for o in get_register().obligations))
    out: list[dict[str, Any]] = []
    for i in range(0, len(keys), 500):
        stmt = select(*cols).where(obligations, Evaluation.period.in_(keys[i : i + 500]), *where)
        out += [dict(zip(EVALUATION_COLUMNS, row, strict=True)) for row in session.execute(stmt)]
    out.sort(key=lambda r: (r["obligation_id"], r["period"], r["subject_id"]))
    return out


# --------------------------------------------------------------------------- names

# Id column → the name column put right after it by ``with_names``.
NAMED = {"unit_code": "unit_name", "enterprise_id": "enterprise_name", "leader_id": "leader_name"}


def with_names(session, rows: list[dict[str, Any]], columns: Sequence[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """``rows`` and ``columns`` with the name of each unit, enterprise and leader id (of a unit
    or enterprise ``subject_id``, of a case's ``persons``) in a column after the id, for files
    people read.
    An id the registries do not know gets an empty name: the id column still says who."""
    from sqlalchemy import select

    from safegov.db.models import Enterprise, Leader, Unit

    wanted: dict[str, set[str]] = {"unit": set(), "enterprise": set(), "leader": set()}
    for r in rows:
        for key, kind in (("unit_code", "unit"), ("enterprise_id", "enterprise"), ("leader_id", "leader")):
            if r.get(key):
                wanted[kind].add(r[key])
        if r.get("subject_id") and r.get("subject_kind") in ("unit", "enterprise"):
            wanted[r["subject_kind"]].add(r["subject_id"])
        wanted["leader"].update(p for p in (r.get("persons") or "").split(";") if p)
    tables = {"unit": (Unit.code, Unit.name), "enterprise": (Enterprise.enterprise_id, Enterprise.name)}
    tables["leader"] = (Leader.leader_id, Leader.name)
    names: dict[str, dict[str, str]] = {}
    for kind, (key, name) in tables.items():
        ids = sorted(wanted[kind])
        names[kind] = {}
        for i in range(0, len(ids), 500):
            # A Result has .keys() (its columns), so dict.update would take it for a mapping.
            for k, v in session.execute(select(key, name).where(key.in_(ids[i : i + 500]))):
                names[kind][k] = v
    out_columns: list[str] = []
    for c in columns:
        out_columns.append(c)
        if c in NAMED or c == "subject_id":
            out_columns.append(NAMED.get(c, "subject_name"))
        if c == "persons":
            out_columns.append("persons_names")
    kinds = {"unit_code": "unit", "enterprise_id": "enterprise", "leader_id": "leader"}
    out = []
    for r in rows:
        named = dict(r)
        for c, kind in kinds.items():
            named[NAMED[c]] = names[kind].get(r.get(c) or "", "")
        subject_names = names.get(r.get("subject_kind") or "", {})
        named["subject_name"] = subject_names.get(r.get("subject_id") or "", "")
        # A case's persons are leader ids, or names where the rule had no id: kept as given.
        persons = (r.get("persons") or "").split(";")
        named["persons_names"] = "；".join(names["leader"].get(p, p) for p in persons if p)
        out.append(named)
    return out, out_columns


# --------------------------------------------------------------------------- by kind

# ``safegov export <kind>``: the export function and its columns.
EXPORTS: dict[str, tuple[Callable[..., list[dict[str, Any]]], tuple[str, ...]]] = {
    "evaluations": (export_evaluations, EVALUATION_COLUMNS),
    "cases": (export_cases, CASES_COLUMNS),
    "blacklist": (export_blacklist, BLACKLIST_COLUMNS),
    "quarantine": (export_quarantine, QUARANTINE_COLUMNS),
}
