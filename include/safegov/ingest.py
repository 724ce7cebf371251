"""Ingestion of submitted files (SPEC §3): every row kept, valid rows loaded, the rest
quarantined with every reason.

For each file, in its own transaction:

1. refuse it whole if it cannot be read (size over the limit — from ``stat``, before any
   read —, unknown type or encoding, corrupt or DTD-carrying XLSX, empty): a
   ``submission_file`` row with status ``rejected`` and the reason, the file moved to
   ``rejected/`` with ``<name>.reason.txt`` beside it; other files go on;
2. skip it if its sha256 is already in ``submission_file`` (each file is taken once);
3. otherwise store every row raw (``raw_row``: file, row number, received time, values as
   submitted, best-effort hints), validate each record type's rows as one DataFrame with
   Great Expectations (``safegov.validation``), upsert the valid rows by natural key
   (``safegov.loaders``) and write a ``rejection`` row per reason for the others.

For every file, rows = accepted + quarantined. The received time of a row is
``received_at`` (argument), else the row's ``received_at`` column, else the ingestion time.
Submitted file names are never used as paths: :func:`safe_name` reduces them to a plain
base name before anything is moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from safegov.models import RawRow, Rejection, SubmissionFile
from safegov.readers import (
    DEFAULT_MAX_BYTES,
    Aliases,
    RawRecord,
    ReadResult,
    UnreadableFile,
    check_size,
    load_aliases,
    read_file,
)
from safegov.records import RECORD_TYPES, RecordType, record_type_for_filename

log = logging.getLogger(__name__)

PROCESSED = "processed"
REJECTED = "rejected"
# Registries first: later rows of the same run refer to them (leaders to departments).
TYPE_ORDER = ("enterprise", "department", "leader")
RULE_RECORD_TYPE = "record_type"
RULE_UNREADABLE_ROW = "unreadable_row"
RULE_AMBIGUOUS = "ambiguous_column"
RAW_CHUNK = 5000
_DEFAULT = object()
_SKIP_SUFFIXES = (".reason.txt", ".tmp", ".part", ".partial", ".crdownload")


# --------------------------------------------------------------------------- reports


@dataclass
class FileReport:
    name: str
    path: str
    status: str  # processed | rejected | skipped | error
    record_type: str | None = None
    rows_total: int = 0
    accepted: int = 0
    quarantined: int = 0
    reason: str | None = None
    sha256: str | None = None
    file_id: int | None = None
    moved_to: str | None = None
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    record_types: list[str] = field(default_factory=list)
    rejections_by_rule: dict[str, int] = field(default_factory=dict)
    docs_url: str | None = None
    seconds: float = 0.0
    seconds_gx: float = 0.0

    def summary(self) -> str:
        head = f"{self.name}: {self.status}"
        if self.status == "processed":
            types = ",".join(self.record_types) or "-"
            rules = ", ".join(f"{k} {v}" for k, v in sorted(self.rejections_by_rule.items()))
            return (f"{head} [{types}] rows {self.rows_total}: accepted {self.accepted} "
                    f"(new {self.inserted}, changed {self.updated}, unchanged {self.unchanged}), "
                    f"quarantined {self.quarantined}" + (f" ({rules})" if rules else ""))
        return f"{head}: {self.reason}"


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)
    touched: list[dict[str, Any]] = field(default_factory=list)
    record_types: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """Every file could be read (rows may still be quarantined)."""
        return all(f.status in ("processed", "skipped") for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {"files": [asdict(f) for f in self.files], "touched": self.touched, "record_types": sorted(self.record_types)}


# --------------------------------------------------------------------------- names and paths


def safe_name(name: str) -> str:
    """A submitted file name reduced to a harmless base name (never a path).

    ``../../etc/x.csv`` → ``x.csv``; ``..\\a.csv`` → ``a.csv``; control characters dropped;
    leading dots removed (no hidden files, no ``..``).
    """
    name = unicodedata.normalize("NFC", str(name))
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    base = base.strip().lstrip(".").strip()
    if not base:
        base = "unnamed"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def _type_rank(name: str) -> tuple[int, str]:
    rt = record_type_for_filename(safe_name(name))
    return (TYPE_ORDER.index(rt) if rt in TYPE_ORDER else len(TYPE_ORDER), name)


def scan_inbox(inbox: Path | str) -> list[Path]:
    """Files waiting in the inbox (not in processed/ or rejected/, not reason notes or
    partial uploads), registries first, then by name."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        return []
    out = []
    for p in inbox.iterdir():
        if not p.is_file() or p.name.startswith((".", "~$")) or p.name.endswith(_SKIP_SUFFIXES):
            continue
        out.append(p)
    return sorted(out, key=lambda p: _type_rank(p.name))


def _expand(paths: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        files.extend(scan_inbox(p) if p.is_dir() else [p])
    # Registries first across all arguments, otherwise the order given.
    order = {id(p): i for i, p in enumerate(files)}
    return sorted(files, key=lambda p: (_type_rank(p.name)[0], order[id(p)]))


def _move(path: Path, folder: Path, name: str, sha: str | None, reason: str | None) -> Path | None:
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    if dest.exists():
        stem, dot, ext = name.rpartition(".")
        tag = (sha or hashlib.sha256(str(time.time_ns()).encode()).hexdigest())[:12]
        dest = folder / (f"{stem}.{tag}.{ext}" if dot else f"{name}.{tag}")
        n = 1
        while dest.exists():
            dest = folder / f"{tag}-{n}-{name}"
            n += 1
    # The destination is built from a sanitised base name inside ``folder``; check anyway.
    if dest.resolve().parent != folder.resolve():
        raise RuntimeError(f"refusing to move outside {folder}: {dest}")
    try:
        shutil.move(str(path), str(dest))
    except FileNotFoundError:
        return None
    if reason is not None:
        dest.with_name(dest.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return dest


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    from safegov.calendar import TZ

    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=TZ)


# --------------------------------------------------------------------------- entry point


def ingest_paths(
    engine: Engine,
    paths: Iterable[Path | str],
    *,
    received_at: dt.datetime | str | None = None,
    run_id: str | None = None,
    move_to: Path | str | None = None,
    max_bytes: int | None = None,
    config_dir: Path | None = None,
    docs_dir: Any = _DEFAULT,
    now: dt.datetime | None = None,
    names: Mapping[Path | str, str] | None = None,
    chunk_rows: int = 100_000,
) -> IngestReport:
    """Ingest files (or the files of folders), each in its own transaction.

    ``move_to``: the inbox whose ``processed/`` and ``rejected/`` folders receive the
    files afterwards (nothing is moved when None). ``names``: the name each path was
    submitted under, when it differs from the path (uploads); always sanitised.
    ``docs_dir``: where GX Data Docs go (default ``$SAFEGOV_DATA_DIR/data_docs``; None: no
    docs). ``now``: the ingestion time (default: the clock).
    """
    from safegov.settings import get_settings

    settings = get_settings()
    if max_bytes is None:
        max_bytes = int(os.environ.get("SAFEGOV_MAX_FILE_BYTES", DEFAULT_MAX_BYTES))
    if docs_dir is _DEFAULT:
        docs_dir = settings.data_dir / "data_docs"
    received = _aware(received_at)
    aliases = load_aliases(config_dir)
    names = {str(k): v for k, v in (names or {}).items()}
    report = IngestReport()
    for path in _expand(paths):
        started = time.perf_counter()
        submitted = names.get(str(path), path.name)
        ingested = _aware(now) if now is not None else _clock_now()
        try:
            fr = _ingest_file(engine, path, safe_name(submitted), aliases, received=received, ingested=ingested,
                              run_id=run_id, max_bytes=max_bytes, docs_dir=docs_dir, chunk_rows=chunk_rows,
                              report=report)
        except Exception as exc:  # noqa: BLE001 - one file's defect never stops the others
            log.exception("ingesting %s failed", path)
            fr = FileReport(safe_name(submitted), str(path), "error", reason=f"internal error: {type(exc).__name__}: {exc}"[:500])
        if move_to is not None and fr.status in ("processed", "skipped", "rejected") and path.exists():
            folder = Path(move_to) / (REJECTED if fr.status == "rejected" else PROCESSED)
            dest = _move(path, folder, fr.name, fr.sha256, fr.reason if fr.status == "rejected" else None)
            fr.moved_to = str(dest) if dest else None
        fr.seconds = time.perf_counter() - started
        report.files.append(fr)
        report.record_types.update(fr.record_types)
    return report


def _clock_now() -> dt.datetime:
    from safegov.clock import get_clock

    return get_clock().now()


# --------------------------------------------------------------------------- one file


def _reject_file(engine: Engine, fr: FileReport, reason: str, received: dt.datetime, ingested: dt.datetime, run_id: str | None) -> FileReport:
    from safegov.db import insert_for

    fr.status, fr.reason = "rejected", reason
    if fr.sha256 is None:
        return fr  # nothing to key it by (vanished file)
    with engine.begin() as conn:
        stmt = insert_for(conn, SubmissionFile.__table__).values(
            file_name=fr.name, sha256=fr.sha256, record_type=fr.record_type, received_at=received, ingested_at=ingested,
            status="rejected", reason=reason, rows_total=0, rows_accepted=0, rows_quarantined=0, run_id=run_id,
        ).on_conflict_do_nothing(index_elements=["sha256"])
        conn.execute(stmt)
        fr.file_id = conn.scalar(select(SubmissionFile.id).where(SubmissionFile.sha256 == fr.sha256))
    return fr


def _ingest_file(
    engine: Engine, path: Path, name: str, aliases: Aliases, *, received: dt.datetime | None, ingested: dt.datetime,
    run_id: str | None, max_bytes: int, docs_dir: Path | None, chunk_rows: int, report: IngestReport,
) -> FileReport:
    fr = FileReport(name, str(path), "processed", record_type=record_type_for_filename(name))
    if not path.is_file():
        fr.status, fr.reason = "error", "no such file"
        return fr
    file_received = received or ingested
    try:
        check_size(path, max_bytes)
    except UnreadableFile as exc:
        fr.sha256 = sha256_file(path)  # streamed: never the whole file in memory
        if _already_taken(engine, fr):
            return fr
        return _reject_file(engine, fr, str(exc), file_received, ingested, run_id)
    fr.sha256 = sha256_file(path)
    if _already_taken(engine, fr):
        return fr
    try:
        read = read_file(path, max_bytes=max_bytes, name=name)
        columns = _canonical_header(read, aliases)
        if fr.record_type is None and "record_type" not in columns.values():
            raise UnreadableFile("unknown record type: the file name starts with no record type "
                                 f"({', '.join(sorted(RECORD_TYPES))}) and there is no record_type column")
    except UnreadableFile as exc:
        return _reject_file(engine, fr, str(exc), file_received, ingested, run_id)
    return _load_file(engine, fr, read, columns, aliases, received=received, ingested=ingested, run_id=run_id,
                      docs_dir=docs_dir, chunk_rows=chunk_rows, report=report)


def _already_taken(engine: Engine, fr: FileReport) -> bool:
    with engine.connect() as conn:
        row = conn.execute(select(SubmissionFile.id, SubmissionFile.status, SubmissionFile.file_name)
                           .where(SubmissionFile.sha256 == fr.sha256)).first()
    if row is None:
        return False
    fr.file_id = row.id
    if row.status == "rejected":
        fr.status, fr.reason = "rejected", f"same content as file #{row.id} ({row.file_name}), already rejected"
    else:
        fr.status, fr.reason = "skipped", f"same content as file #{row.id} ({row.file_name}), already ingested"
    return True


def _canonical_header(read: ReadResult, aliases: Aliases) -> dict[str, str]:
    """Submitted header → canonical column, for the headers that name one.

    Two headers of one sheet meaning the same column make the file ambiguous (refused).
    JSON Lines objects each carry their own keys, so there the check is per row.
    """
    out: dict[str, str] = {}
    owner: dict[str, str] = {}
    for h in read.header:
        canon = aliases.column_for(h)
        if canon is None:
            continue  # unknown columns stay in the raw row only
        if canon in owner and read.format != "jsonl":
            raise UnreadableFile(f"columns {owner[canon]!r} and {h!r} both mean {canon}")
        owner.setdefault(canon, h)
        out[h] = canon
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    # NUL cannot be stored in PostgreSQL text; it never carries meaning in a cell.
    text = str(value).replace("\x00", "").strip()
    return text or None


_DIGITS6 = re.compile(r"^\d{6}$")


@dataclass
class _Row:
    record: RawRecord
    values: dict[str, str | None]  # canonical column → stripped text
    record_type: str | None
    rejections: list[tuple[str | None, str, str | None, str]] = field(default_factory=list)  # column, rule, value, message
    typed: dict[str, Any] | None = None
    received_at: dt.datetime | None = None
    record_date: dt.date | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    raw_row_id: int | None = None


def _load_file(
    engine: Engine, fr: FileReport, read: ReadResult, columns: dict[str, str], aliases: Aliases, *,
    received: dt.datetime | None, ingested: dt.datetime, run_id: str | None, docs_dir: Path | None,
    chunk_rows: int, report: IngestReport,
) -> FileReport:
    from safegov.db import insert_for
    from safegov.validation import load_registries

    rows: list[_Row] = []
    for rec in read.records:
        values: dict[str, str | None] = {}
        ambiguous = []
        for h, canon in columns.items():
            if h not in rec.values and read.format == "jsonl":
                continue
            if canon in values:
                ambiguous.append(canon)
            values[canon] = _text(rec.values.get(h))
        row = _Row(rec, values, None)
        for canon in ambiguous:
            row.rejections.append((canon, RULE_AMBIGUOUS, None, f"two keys of this row both mean {canon}"))
        if rec.error:
            row.rejections.append((None, RULE_UNREADABLE_ROW, rec.values.get("_line"), rec.error))
        claimed = values.get("record_type")
        claimed_type = aliases.record_type_for(claimed) if claimed else None
        if fr.record_type:
            row.record_type = fr.record_type
            if claimed and claimed_type != fr.record_type:
                row.rejections.append(("record_type", RULE_RECORD_TYPE, claimed,
                                       f"record_type says {claimed!r} but the file name says {fr.record_type}"))
        elif claimed_type:
            row.record_type = claimed_type
        elif not rec.error:
            row.rejections.append(("record_type", RULE_RECORD_TYPE, claimed,
                                   "no record type: record_type is empty" if not claimed else f"unknown record type {claimed!r}"))
        rows.append(row)

    present = set(columns.values())
    if received is not None:
        present.discard("received_at")
    types = sorted({r.record_type for r in rows if r.record_type},
                   key=lambda t: (TYPE_ORDER.index(t) if t in TYPE_ORDER else len(TYPE_ORDER), t))
    fr.record_types = types
    if len(types) > 1 or not fr.record_type:
        fr.record_type = ",".join(types)[:32] or fr.record_type

    with engine.begin() as conn:
        file_id = conn.execute(
            insert_for(conn, SubmissionFile.__table__).values(
                file_name=fr.name, sha256=fr.sha256, record_type=fr.record_type, received_at=received or ingested,
                ingested_at=ingested, status="processed", reason=None, rows_total=len(rows), run_id=run_id,
            ).returning(SubmissionFile.__table__.c.id)
        ).scalar_one()
        fr.file_id = file_id
        registries = load_registries(conn)
        pending_loads: list[tuple[RecordType, list[_Row]]] = []
        for type_name in types:
            rt = RECORD_TYPES[type_name]
            # Rows the reader could not split are quarantined as such, not validated.
            group = [r for r in rows if r.record_type == type_name and not r.record.error]
            gx_seconds = _validate_group(rt, group, present, registries, received=received, ingested=ingested,
                                         docs_dir=docs_dir, run_name=f"{fr.name}#{file_id}", chunk_rows=chunk_rows, fr=fr)
            fr.seconds_gx += gx_seconds
            pending_loads.append((rt, group))
            if rt.registry:
                # Load registry rows now so that later groups of this file can refer to them.
                _store_raw(conn, file_id, [r for r in group], fr, registries)
                _load_group(conn, rt, group, ingested, fr)
                registries = load_registries(conn)
        grouped = {id(r) for _t, g in pending_loads for r in g}
        untyped = [r for r in rows if id(r) not in grouped]
        _store_raw(conn, file_id, [r for t, g in pending_loads if not t.registry for r in g] + untyped, fr, registries)
        for rt, group in pending_loads:
            if not rt.registry:
                _load_group(conn, rt, group, ingested, fr)
        fr.rows_total = len(rows)
        fr.quarantined = sum(1 for r in rows if r.rejections)
        fr.accepted = fr.rows_total - fr.quarantined
        conn.execute(update(SubmissionFile.__table__).where(SubmissionFile.__table__.c.id == file_id).values(
            rows_accepted=fr.accepted, rows_quarantined=fr.quarantined,
            reason=None if rows else "no data rows (header only)",
        ))
    if not rows:
        fr.reason = "no data rows (header only)"
    for r in rows:
        for _col, rule, _val, _msg in r.rejections:
            fr.rejections_by_rule[rule] = fr.rejections_by_rule.get(rule, 0) + 1
    _touch(report, rows)
    return fr


def _validate_group(rt: RecordType, group: list[_Row], present: set[str], registries, *, received, ingested,
                    docs_dir, run_name: str, chunk_rows: int, fr: FileReport) -> float:
    """Type and validate one record type's rows with GX; fill typed values and reasons."""
    import pandas as pd

    from safegov.validation import parse_datetimes, typed_frame, validate_frame

    cols = [c for c in rt.column_names if c in present]
    use_claimed = received is None and "received_at" in present
    data = {"_row": [r.record.row_number for r in group]}
    for c in cols + (["received_at"] if use_claimed else []):
        data[c] = [r.values.get(c) for r in group]
    raw = pd.DataFrame(data)
    fallback = pd.Timestamp(received or ingested).tz_convert("UTC")
    rec = pd.Series(fallback, index=raw.index).astype("datetime64[us, UTC]")
    if use_claimed:
        claimed = parse_datetimes(raw["received_at"])
        rec = claimed.where(claimed.notna(), rec).astype("datetime64[us, UTC]")
    frame = typed_frame(raw, rt, rec, ingested_at=ingested)
    by_row = {r.record.row_number: r for r in group}
    seconds = 0.0
    for start in range(0, max(len(frame), 1), chunk_rows):
        part = frame.iloc[start:start + chunk_rows]
        if part.empty:
            continue
        outcome = validate_frame(part, rt, registries, present=set(cols) | ({"received_at"} if use_claimed else set()),
                                 docs_dir=docs_dir, run_name=run_name)
        seconds += outcome.seconds
        fr.docs_url = outcome.docs_url or fr.docs_url
        for row_number, reasons in outcome.rejections.items():
            row = by_row[row_number]
            for rj in reasons:
                value = row.values.get(rj.column) if rj.column in row.values else None
                if rj.rule == "duplicate_key":
                    value = "|".join(str(row.values.get(k)) for k in rt.key)
                row.rejections.append((rj.column, rj.rule, value, rj.message))
    # Typed python values for every row (quarantined rows use them as hints only).
    typed_cols = {c: _to_python(frame[c], rt.column(c).type) for c in cols}
    received_py = list(rec.dt.to_pydatetime()) if len(rec) else []
    date_col = rt.date_column
    for i, row in enumerate(group):
        row.typed = {c: typed_cols[c][i] for c in cols}
        row.received_at = received_py[i]
        d = row.typed.get(date_col) if date_col else None
        row.record_date = _as_local_date(d)
    return seconds


def _as_local_date(value: Any) -> dt.date | None:
    from safegov.calendar import TZ

    if isinstance(value, dt.datetime):
        return value.astimezone(TZ).date()
    if isinstance(value, dt.date):
        return value
    return None


def _to_python(series, type_: str) -> list[Any]:
    import pandas as pd

    if type_ == "date":
        return [None if pd.isna(v) else v.date() for v in series]
    if type_ == "datetime":
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if type_ == "int":
        return [None if pd.isna(v) else int(v) for v in series]
    if type_ == "float":
        return [None if pd.isna(v) else float(v) for v in series]
    if type_ == "bool":
        return [None if v is None or (isinstance(v, float) and pd.isna(v)) else bool(v) for v in series]
    return [None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in series]


def _hints(row: _Row, registries) -> dict[str, Any]:
    v = row.values
    unit = v.get("unit_code") or v.get("county_code")
    unit = unit if unit and _DIGITS6.match(unit) else None
    ent = (v.get("enterprise_id") or "").upper() or None
    ent = ent if ent and len(ent) <= 18 else None
    if unit is None and ent:
        unit = registries.enterprise_county.get(ent)
    leader = v.get("leader_id") or v.get("chaired_by")
    leader = leader if leader and len(leader) <= 64 else None
    return {"unit_code": unit, "enterprise_id": ent, "leader_id": leader, "record_date": row.record_date}


def _store_raw(conn, file_id: int, rows: list[_Row], fr: FileReport, registries) -> None:
    """raw_row for every row (accepted or quarantined) and a rejection per reason."""
    from safegov.db import insert_for
    from safegov.loaders import executemany, natural_key

    if not rows:
        return
    payload = []
    for r in rows:
        rt = RECORD_TYPES.get(r.record_type) if r.record_type else None
        nk = natural_key(rt, r.typed or r.values) if rt else None
        r.hints = _hints(r, registries)
        payload.append({
            "file_id": file_id, "row_number": r.record.row_number, "record_type": (r.record_type or "unknown")[:32],
            "received_at": r.received_at or _aware_utc_now(), "values": r.record.values,
            "natural_key": nk, "status": "quarantined" if r.rejections else "accepted", **r.hints,
        })
    table = RawRow.__table__
    for i in range(0, len(payload), RAW_CHUNK):
        executemany(conn, insert_for(conn, table), table, payload[i:i + RAW_CHUNK])
    numbers = {r.record.row_number for r in rows}
    ids = {n: i for i, n in conn.execute(select(table.c.id, table.c.row_number).where(table.c.file_id == file_id)) if n in numbers}
    rejections = []
    for r in rows:
        r.raw_row_id = ids[r.record.row_number]
        for column, rule, value, message in r.rejections:
            rejections.append({"raw_row_id": r.raw_row_id, "column": column, "rule": rule,
                               "value": None if value is None else str(value).replace("\x00", "")[:10000], "message": message})
    for i in range(0, len(rejections), RAW_CHUNK):
        executemany(conn, insert_for(conn, Rejection.__table__), Rejection.__table__, rejections[i:i + RAW_CHUNK])


def _aware_utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _load_group(conn, rt: RecordType, group: list[_Row], ingested: dt.datetime, fr: FileReport) -> None:
    from safegov.loaders import load_records

    accepted = [
        {**r.typed, "received_at": r.received_at, "raw_row_id": r.raw_row_id}
        for r in group if not r.rejections
    ]
    stats = load_records(conn, rt, accepted, recorded_at=ingested)
    fr.inserted += stats.inserted
    fr.updated += stats.updated
    fr.unchanged += stats.unchanged


def _touch(report: IngestReport, rows: Sequence[_Row]) -> None:
    """Subjects and dates that rows (accepted or quarantined) touch, once each."""
    seen = {tuple(t.values()) for t in report.touched}
    for r in rows:
        if not r.record_type:
            continue
        hints = r.hints
        item = {
            "record_type": r.record_type,
            "unit_code": hints.get("unit_code"),
            "enterprise_id": hints.get("enterprise_id"),
            "leader_id": hints.get("leader_id"),
            "department_id": r.values.get("department_id"),
            "record_date": r.record_date,
        }
        key = tuple(item.values())
        if key not in seen:
            seen.add(key)
            report.touched.append(item)
