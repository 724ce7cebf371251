"""Ingestion of submitted files (SPEC §3): every row kept, valid rows loaded, the rest
quarantined with every reason.

One :func:`ingest_paths` call takes its files as a batch, a slice at a time: a slice is a
run of whole files of at most ``slice_rows`` rows (a larger file alone), read, validated and
written before the next slice is read, so that memory holds one slice, whatever the batch's
size (:class:`_Slices`). Each slice goes through three steps:

1. **Read** each file (registries first, then in the order given). Only a regular file is
   read, never through a link (``lstat``, ``O_NOFOLLOW``); a link or special file is moved
   itself to ``rejected/`` with its reason. From an inbox, a file changed less than
   ``inbox_settle_seconds`` ago is left there for the next run (status ``waiting``). The
   bytes are read once (a file that may hold accident rows is also looked at, writing
   nothing, when a slice before it is written: :class:`_Slices`): what is hashed is what
   is parsed, and after the move the file is
   checked to be unchanged (else flagged ``changed_after_read``). Refuse it whole if it
   cannot be read (size over the limit — from ``fstat``, before any read —, unknown type
   or encoding, corrupt or DTD-carrying XLSX, duplicate headers, empty): a
   ``submission_file`` row with status ``rejected`` and the reason, the file moved to
   ``rejected/`` with ``<name>.reason.txt`` beside it. Skip it if its sha256 is already
   accepted in ``submission_file`` (accepted content is taken once; refused content is
   judged again, and its record becomes the accepted one).
2. **Validate** each record type's rows with Great Expectations (``safegov.intake.validation``)
   once for the whole slice: the rows of that type from every file form one DataFrame
   whose ``_file`` and ``_row`` columns say where each row came from, so GX's cost per run
   is paid per record type, not per file. Validation writes nothing. Files that carry
   registry rows (enterprise, department, leader) are the exception: they go first, one at
   a time, validated inside their own transaction type by type, because the rows that
   follow — theirs and the other files' — are checked against the registries they update.
   Files named as registries are read before all others, so they are in the first slices;
   every slice loads the registries as the slices before it left them.
3. **Write** each file in its own transaction: its ``submission_file`` row, every row raw
   (``raw_row``: file, row number, received time, values as submitted, best-effort hints),
   a ``rejection`` row per reason, and the valid rows upserted by natural key
   (``safegov.intake.loaders``, bulk: ``executemany`` on SQLite, ``COPY`` on PostgreSQL).

A file never stops the others: an unexpected error on it (not a verdict on its rows) makes
its status ``error`` with nothing of it written; if a batch validation raises, each file
of that batch is validated alone so that only the culprit fails; a move that fails is that
file's error alone; a file whose content another run wrote first is skipped as taken by
it. A row with a cell longer than ``max_cell_chars`` is quarantined (``cell_too_long``).
For every file, rows = accepted + quarantined. The received time of a row is ``received_at`` (argument), else the
row's ``received_at`` column, else the ingestion time. Submitted file names are never used
as paths: :func:`safe_name` reduces them to a plain base name, at most
``NAME_MAX_BYTES`` bytes of UTF-8, before anything is moved.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from json.encoder import encode_basestring
from operator import methodcaller
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from safegov.core.progress import NO_PROGRESS, Progress
from safegov.db.models import RawRow, Rejection, SubmissionFile
from safegov.intake.readers import (
    DEFAULT_MAX_BYTES,
    SPREADSHEET_FORMATS,
    Aliases,
    RawRecord,
    ReadResult,
    UnreadableFile,
    load_aliases,
    read_file,
)
from safegov.register.records import RECORD_TYPES, RecordType, record_type_for_filename

log = logging.getLogger(__name__)

PROCESSED = "processed"
REJECTED = "rejected"
# Registries first: later rows of the same run refer to them (leaders, enterprises by their
# supervising department 〔八〕 and enforcement staff 〔九〕 to departments).
TYPE_ORDER = ("department", "staff", "enterprise", "leader")
RULE_RECORD_TYPE = "record_type"
RULE_UNREADABLE_ROW = "unreadable_row"
RULE_AMBIGUOUS = "ambiguous_column"
RAW_CHUNK = 5000
# The longest name (UTF-8 bytes) a submitted file keeps: 255 - 12-hex tag - ".reason.txt", with margin.
NAME_MAX_BYTES = 200
# Machine codes of file-level refusals and notes, at the head of the reason a person reads.
CODE_NOT_REGULAR = "not_regular_file"
CODE_CHANGED = "changed_after_read"
CODE_MOVE_FAILED = "move_failed"
CODE_TAKEN = "taken_by_another_run"
RULE_CELL_TOO_LONG = "cell_too_long"
_DEFAULT = object()
_SKIP_SUFFIXES = (".reason.txt", ".tmp", ".part", ".partial", ".crdownload")
# Progress stages (safegov.core.progress): files done of those given, and their rows.
PROGRESS_FILES = "文件 files"
PROGRESS_ROWS = "行 rows"


# --------------------------------------------------------------------------- reports


@dataclass
class FileReport:
    name: str
    path: str
    status: str  # processed | rejected | skipped | waiting (not settled, left in the inbox) | error
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
    # The file as read (size, mtime in ns), to check after the move that it did not change.
    size: int | None = None
    mtime_ns: int | None = None
    changed_after_read: bool = False

    def summary(self) -> str:
        head = f"{self.name}: {self.status}"
        if self.status == "processed":
            types = ",".join(self.record_types) or "-"
            rules = ", ".join(f"{k} {v}" for k, v in sorted(self.rejections_by_rule.items()))
            return (
                f"{head} [{types}] rows {self.rows_total}: accepted {self.accepted} "
                f"(new {self.inserted}, changed {self.updated}, unchanged {self.unchanged}), "
                f"quarantined {self.quarantined}" + (f" ({rules})" if rules else "")
            )
        return f"{head}: {self.reason}"


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)
    touched: list[dict[str, Any]] = field(default_factory=list)
    record_types: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """Every file could be read (rows may still be quarantined)."""
        return all(f.status in ("processed", "skipped", "waiting") for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": [asdict(f) for f in self.files],
            "touched": self.touched,
            "record_types": sorted(self.record_types),
        }


# --------------------------------------------------------------------------- names and paths


def safe_name(name: str) -> str:
    """A submitted file name reduced to a harmless base name (never a path).

    ``../../etc/x.csv`` → ``x.csv``; ``..\\a.csv`` → ``a.csv``; control characters dropped;
    leading dots removed (no hidden files, no ``..``); cut to :data:`NAME_MAX_BYTES` bytes
    of UTF-8, extension kept.
    """
    name = unicodedata.normalize("NFC", str(name))
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    base = base.strip().lstrip(".").strip()
    if not base:
        base = "unnamed"
    if len(base.encode("utf-8")) > NAME_MAX_BYTES:
        # File systems cap names in bytes (255 on ext4), and a CJK character is 3 bytes in
        # UTF-8: cut in bytes, keeping the extension, with room left for the uniqueness tag
        # and ``.reason.txt`` that moving may add.
        stem, dot, ext = base.rpartition(".")
        if not (dot and stem and len(ext.encode("utf-8")) <= 10):
            stem, ext = base, ""
        tail = ("." + ext) if ext else ""
        budget = NAME_MAX_BYTES - len(tail.encode("utf-8"))
        stem = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
        base = stem + tail
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
        if p.name.startswith((".", "~$")) or p.name.endswith(_SKIP_SUFFIXES):
            continue
        # lstat: a link is listed (and refused as such), never followed; folders are not files.
        try:
            if stat.S_ISDIR(p.lstat().st_mode):
                continue
        except FileNotFoundError:  # taken away meanwhile (another run)
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
    if os.path.lexists(dest):
        stem, dot, ext = name.rpartition(".")
        tag = (sha or hashlib.sha256(str(time.time_ns()).encode()).hexdigest())[:12]
        dest = folder / (f"{stem}.{tag}.{ext}" if dot else f"{name}.{tag}")
        n = 1
        while os.path.lexists(dest):
            dest = folder / f"{tag}-{n}-{name}"
            n += 1
    # The destination is built from a sanitised base name inside ``folder``; check anyway.
    if dest.parent.resolve() != folder.resolve() or dest.name in ("", ".", ".."):
        raise RuntimeError(f"refusing to move outside {folder}: {dest}")
    try:
        # A rename moves a link itself, never what it points to (same file system: the
        # inbox and its folders); shutil.move would copy across file systems.
        if path.is_symlink():
            os.rename(path, dest)
        else:
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
    from safegov.core.periods import TZ

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
    slice_rows: int | None = None,
    settle_seconds: float | None = None,
    max_cell_chars: int | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files (or the files of folders) as one batch, each file in its own transaction.

    ``move_to``: the inbox whose ``processed/`` and ``rejected/`` folders receive the
    files afterwards (nothing is moved when None). ``names``: the name each path was
    submitted under, when it differs from the path (uploads); always sanitised.
    ``docs_dir``: where GX Data Docs go (default ``$SAFEGOV_DATA_DIR/data_docs``; None: no
    docs). ``now``: the ingestion time (default: the clock, read as each file is read).
    ``chunk_rows``: the most rows one GX run validates. ``slice_rows`` (default: the setting
    ``ingest_slice_rows``): the most rows read before they are validated and written — whole
    files, a larger file alone (see :func:`_Slices`). A file's ``seconds`` and
    ``seconds_gx`` include its share, by rows, of its slice's validation.
    ``settle_seconds`` (default: the setting ``inbox_settle_seconds``, and only when files
    are moved, i.e. taken from an inbox): a file changed more recently is left where it is
    (status ``waiting``). ``max_cell_chars`` (default: the setting): longer cells
    quarantine their row. ``progress``: told of the files (stage :data:`PROGRESS_FILES`) and
    the rows of each file once it is done (:data:`PROGRESS_ROWS`: accepted + quarantined).
    """
    from safegov.core.settings import get_settings

    settings = get_settings()
    if max_bytes is None:
        max_bytes = int(os.environ.get("SAFEGOV_MAX_FILE_BYTES", DEFAULT_MAX_BYTES))
    if docs_dir is _DEFAULT:
        docs_dir = settings.data_dir / "data_docs"
    if settle_seconds is None:
        settle_seconds = settings.inbox_settle_seconds if move_to is not None else 0.0
    if max_cell_chars is None:
        max_cell_chars = settings.max_cell_chars
    if slice_rows is None:
        slice_rows = settings.ingest_slice_rows
    if slice_rows < 1:
        raise ValueError(f"slice_rows must be at least 1, not {slice_rows}")
    received = _aware(received_at)
    aliases = load_aliases(config_dir)
    names = {str(k): v for k, v in (names or {}).items()}
    report = IngestReport()
    reports: list[tuple[int, FileReport]] = []  # in the order given
    touched: dict[tuple, None] = {}  # of the processed files, in the order written, once each
    pending = list(enumerate(_expand(paths)))
    progress = progress or NO_PROGRESS
    progress.add(PROGRESS_FILES, len(pending))

    def finished(fr: FileReport) -> None:
        progress.advance(PROGRESS_FILES)
        progress.advance(PROGRESS_ROWS, fr.accepted + fr.quarantined)

    def scan(rest: list[tuple[int, Path]]) -> set[str]:
        return _accident_ids_ahead(
            [(path, safe_name(names.get(str(path), path.name))) for _index, path in rest],
            aliases,
            max_bytes=max_bytes,
            settle_seconds=settle_seconds,
        )

    def write(batch: list[_File], accidents: frozenset[str]) -> None:
        _validate_and_write(
            engine, batch, docs_dir=docs_dir, chunk_rows=chunk_rows, finished=finished, accidents=accidents
        )
        for f in batch:
            _put_away(engine, f.fr, f.path, move_to)
            if f.fr.status == "processed":
                touched.update(dict.fromkeys(f.touched))

    # A slice's rows are millions of small objects that live until it is written: every full
    # collection of the cyclic GC would walk them all again (≈ 10 % of the time). The slices
    # collect once each instead, so that what a slice left in cycles is freed before the next.
    collecting = gc.isenabled()
    gc.disable()
    try:
        while pending:
            slices = _Slices(slice_rows, write, scan)
            later: list[tuple[int, Path]] = []
            for at, (index, path) in enumerate(pending):
                started = time.perf_counter()
                name = safe_name(names.get(str(path), path.name))
                ingested = _aware(now) if now is not None else _clock_now()
                try:
                    fr, f = _read(
                        engine,
                        path,
                        name,
                        aliases,
                        received=received,
                        ingested=ingested,
                        run_id=run_id,
                        max_bytes=max_bytes,
                        settle_seconds=settle_seconds,
                        max_cell_chars=max_cell_chars,
                    )
                except Exception as exc:  # noqa: BLE001 - one file's defect never stops the others
                    log.exception("ingesting %s failed", path)
                    fr, f = _failed(FileReport(name, str(path), "error"), exc), None
                if f is not None and slices.holds(fr.sha256):
                    # A copy of a file of this slice: it is taken (or skipped) once that one is written.
                    later.append((index, path))
                    continue
                fr.seconds = time.perf_counter() - started
                reports.append((index, fr))
                if f is None:
                    _put_away(engine, fr, path, move_to)
                    finished(fr)
                else:
                    slices.add(f, pending[at + 1 :])
                    f = None  # the slice holds it for as long as it has to, and no longer
            slices.close()
            pending = later
    finally:
        if collecting:
            gc.enable()
    report.files = [fr for _index, fr in sorted(reports, key=lambda item: item[0])]
    report.touched = [
        {
            "record_type": t,
            "unit_code": unit,
            "enterprise_id": ent,
            "leader_id": leader,
            "department_id": dep,
            "record_date": dt.date.fromisoformat(day) if day else None,
        }
        for t, unit, ent, leader, dep, day in touched
    ]
    for fr in report.files:
        report.record_types.update(fr.record_types)
    return report


def _clock_now() -> dt.datetime:
    from safegov.core.clock import get_clock

    return get_clock().now()


def _put_away(engine: Engine, fr: FileReport, path: Path, move_to: Path | str | None) -> None:
    """Move the file to processed/ or rejected/ and check it is still the file that was
    read. A move that fails is that file's failure only: reported, the others go on."""
    if move_to is None or fr.status not in ("processed", "skipped", "rejected") or not os.path.lexists(path):
        return
    folder = Path(move_to) / (REJECTED if fr.status == "rejected" else PROCESSED)
    try:
        dest = _move(path, folder, fr.name, fr.sha256, fr.reason if fr.status == "rejected" else None)
    except OSError as exc:
        log.error("moving %s to %s failed: %s", path, folder, exc)
        note = f"{CODE_MOVE_FAILED}: 未能移动文件 / could not move the file to {folder.name}/: {exc.strerror or exc}"
        fr.reason = f"{fr.reason}; {note}" if fr.reason else note
        fr.status = "error"
        return
    fr.moved_to = str(dest) if dest else None
    if dest is not None and fr.size is not None:
        try:
            _check_unchanged(engine, fr, dest)
        except FileNotFoundError:  # moved on already (another run): nothing left to compare
            log.warning("%s: gone from %s before it could be checked", fr.name, dest)


def _check_unchanged(engine: Engine, fr: FileReport, dest: Path) -> None:
    """After the move, the file must still be the bytes that were read: same size, mtime
    and hash. A difference is logged and marked on the report and the file's record."""
    st = os.lstat(dest)
    same = stat.S_ISREG(st.st_mode) and (st.st_size, st.st_mtime_ns) == (fr.size, fr.mtime_ns)
    if same and fr.sha256 is not None:
        same = sha256_file(dest) == fr.sha256
    if same:
        return
    fr.changed_after_read = True
    note = f"{CODE_CHANGED}: 文件在读取后被改动 / the file changed after it was read (what was ingested is as read)"
    log.warning("%s: %s (%s)", fr.name, note, dest)
    fr.reason = f"{fr.reason}; {note}" if fr.reason else note
    if fr.file_id is not None and fr.status in ("processed", "rejected"):
        table = SubmissionFile.__table__
        with engine.begin() as conn:
            old = conn.scalar(select(table.c.reason).where(table.c.id == fr.file_id))
            conn.execute(update(table).where(table.c.id == fr.file_id).values(reason=f"{old}; {note}" if old else note))


def _failed(fr: FileReport, exc: BaseException) -> FileReport:
    """The file's report becomes an internal error (nothing of it was written)."""
    fresh = FileReport(
        fr.name,
        fr.path,
        "error",
        reason=f"internal error: {type(exc).__name__}: {exc}"[:500],
        sha256=fr.sha256,
        seconds=fr.seconds,
    )
    vars(fr).update(vars(fresh))
    return fr


# --------------------------------------------------------------------------- step 1: read


def _reject_file(
    engine: Engine, fr: FileReport, reason: str, received: dt.datetime, ingested: dt.datetime, run_id: str | None
) -> FileReport:
    from safegov.db.engine import insert_for

    fr.status, fr.reason = "rejected", reason
    if fr.sha256 is None:
        return fr  # nothing to key it by (vanished file)
    with engine.begin() as conn:
        stmt = (
            insert_for(conn, SubmissionFile.__table__)
            .values(
                file_name=fr.name,
                sha256=fr.sha256,
                record_type=fr.record_type,
                received_at=received,
                ingested_at=ingested,
                status="rejected",
                reason=reason,
                rows_total=0,
                rows_accepted=0,
                rows_quarantined=0,
                run_id=run_id,
            )
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
        conn.execute(stmt)
        fr.file_id = conn.scalar(select(SubmissionFile.id).where(SubmissionFile.sha256 == fr.sha256))
    return fr


def _read(
    engine: Engine,
    path: Path,
    name: str,
    aliases: Aliases,
    *,
    received: dt.datetime | None,
    ingested: dt.datetime,
    run_id: str | None,
    max_bytes: int,
    settle_seconds: float = 0.0,
    max_cell_chars: int | None = None,
) -> tuple[FileReport, _File | None]:
    """The file's report, and its rows when there is anything to validate and write.

    Only a regular file is read, never through a link (``lstat``, then ``O_NOFOLLOW``);
    its bytes are read once, and what is hashed is exactly what is parsed."""
    fr = FileReport(name, str(path), "processed", record_type=record_type_for_filename(name))
    file_received = received or ingested
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        fr.status, fr.reason = "error", "no such file"
        return fr, None
    if not stat.S_ISREG(st.st_mode):
        return _reject_file(engine, fr, _not_regular(st), file_received, ingested, run_id), None
    age = time.time() - st.st_mtime
    if age < settle_seconds:
        fr.status = "waiting"
        fr.reason = (
            f"not_settled: 文件可能仍在写入 / changed {max(age, 0):.1f} s ago "
            f"(less than {settle_seconds:g} s): left in the inbox for the next run"
        )
        return fr, None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        fr.status, fr.reason = "error", "no such file"
        return fr, None
    except OSError as exc:  # ELOOP: it became a link after the lstat
        return _reject_file(engine, fr, f"{CODE_NOT_REGULAR}: {exc.strerror}", file_received, ingested, run_id), None
    with os.fdopen(fd, "rb") as fh:
        opened = os.fstat(fh.fileno())
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
            return _reject_file(engine, fr, _not_regular(opened), file_received, ingested, run_id), None
        fr.size, fr.mtime_ns = opened.st_size, opened.st_mtime_ns
        if not 0 < opened.st_size <= max_bytes:
            h = hashlib.sha256()  # streamed: never the whole of an over-limit file in memory
            while chunk := fh.read(1 << 20):
                h.update(chunk)
            fr.sha256 = h.hexdigest()
            data = None
        else:
            data = fh.read(max_bytes + 1)
            fr.sha256 = hashlib.sha256(data).hexdigest()
    if _already_taken(engine, fr):
        return fr, None
    try:
        if data is None and opened.st_size:
            raise UnreadableFile(f"file is {opened.st_size} bytes, over the limit of {max_bytes} bytes")
        if data is None:
            raise UnreadableFile("empty file (0 bytes)")
        read = read_file(path, max_bytes=max_bytes, name=name, data=data)
        columns = _canonical_header(read, aliases)
        if fr.record_type is None and "record_type" not in columns.values():
            raise UnreadableFile(
                "unknown record type: the file name starts with no record type "
                f"({', '.join(sorted(RECORD_TYPES))}) and there is no record_type column"
            )
    except UnreadableFile as exc:
        return _reject_file(engine, fr, str(exc), file_received, ingested, run_id), None
    f = _File.from_read(fr, path, read, columns, aliases, received=received, ingested=ingested, run_id=run_id)
    # A text file no longer than the limit cannot hold a longer cell (a workbook can: zipped, or shared strings).
    if max_cell_chars is not None and (read.format in SPREADSHEET_FORMATS or len(data) > max_cell_chars):
        _check_cells(f, columns, max_cell_chars)
    return fr, f


def _not_regular(st: os.stat_result) -> str:
    kind = (
        "符号链接 / a symbolic link"
        if stat.S_ISLNK(st.st_mode)
        else "目录 / a folder"
        if stat.S_ISDIR(st.st_mode)
        else "特殊文件 / a special file (pipe, device or socket)"
    )
    return f"{CODE_NOT_REGULAR}: 不是普通文件，未读取 / not a regular file but {kind}: not read"


def _check_cells(f: _File, columns: dict[str, str], limit: int) -> None:
    """Quarantine every row with a cell (known column or not) longer than ``limit``."""
    for i, values in enumerate(f.raw):
        for column, value in zip(f.csv_header, values) if isinstance(values, tuple) else values.items():
            if isinstance(value, str) and len(value) > limit:
                f.reasons.setdefault(i, []).append(
                    (
                        columns.get(column, column)[:64],
                        RULE_CELL_TOO_LONG,
                        value[:200],
                        f"cell of {len(value)} characters, over the limit of {limit}",
                    )
                )


def _already_taken(engine: Engine, fr: FileReport) -> bool:
    with engine.connect() as conn:
        row = conn.execute(
            select(SubmissionFile.id, SubmissionFile.status, SubmissionFile.file_name).where(
                SubmissionFile.sha256 == fr.sha256
            )
        ).first()
    # Only accepted content is taken once: refused bytes are judged again each time they
    # come (under a corrected name, or a larger size limit, they may now be readable).
    if row is None or row.status == "rejected":
        return False
    fr.file_id = row.id
    fr.status, fr.reason = "skipped", f"same content as file #{row.id} ({row.file_name}), already ingested"
    return True


def _canonical_header(read: ReadResult, aliases: Aliases) -> dict[str, str]:
    """Submitted header → canonical column, for the headers that name one.

    Two headers of one sheet meaning the same column make the file ambiguous (refused).
    JSON Lines objects each carry their own keys, so there the check is per row.
    """
    out: dict[str, str] = {}
    owner: dict[str, str] = {}
    for h in read.duplicates:
        # Two columns with one header: which one holds the value is anyone's guess.
        raise UnreadableFile(f"ambiguous_header: 表头重复 / the header {h!r} appears more than once")
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


def _texts(cells: list[Any], plain: bool) -> list[str | None]:
    """:func:`_text` of every cell; ``plain``: CSV cells — text (never blank: the reader
    makes blank cells None) or None, and never a NUL (the reader refuses those files) —
    need stripping only."""
    if plain and None not in cells:
        return list(map(str.strip, cells))
    if plain:
        return [c.strip() if c is not None else None for c in cells]
    return [_text(c) for c in cells]


# A reason a row is quarantined: column, rule, offending value, message.
Reason = tuple[str | None, str, Any, str]


@dataclass
class _Group:
    """One record type's rows of one file (those the reader could split), in file order."""

    rt: RecordType
    positions: Sequence[int]  # indexes into the file's rows
    frame: Any = None  # safegov.intake.validation.typed_frame of these rows, once validated


@dataclass
class _File:
    """A read file on its way through the batch: its rows as columns of canonical text."""

    fr: FileReport
    path: Path
    run_id: str | None
    received: dt.datetime | None  # the call's received_at
    ingested: dt.datetime
    row_numbers: list[int]
    # Values as submitted, one dict per row — or, for a CSV row with a cell under every
    # header, a tuple of its cells in the header's order (a third of the dict's size).
    raw: list[dict[str, Any] | tuple]
    csv_header: list[str] | None  # a CSV file's header: the keys of its full-width rows, in order
    values: dict[str, list[str | None]]  # canonical column → stripped text per row
    present: frozenset[str]  # canonical columns the file has (received_at: only when it counts)
    record_types: list[str | None]
    reasons: dict[int, list[Reason]]  # row index → reasons, for quarantined rows only
    groups: dict[str, _Group]  # record type → rows, registries first
    # Filled while writing, per row: raw row id, natural key, hints, received time, date.
    raw_ids: list[int | None] = field(default_factory=list)
    natural_keys: list[str | None] = field(default_factory=list)
    record_dates: list[str | None] = field(default_factory=list)
    received_at: Any = None  # pandas Series (UTC), set as the file is written
    hints: dict[str, list[str | None]] = field(default_factory=dict)
    # (record type, unit, enterprise, leader, department, ISO date) of the rows, once each
    touched: list[tuple] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.row_numbers)

    @property
    def use_claimed(self) -> bool:
        return "received_at" in self.present

    @classmethod
    def from_read(
        cls,
        fr: FileReport,
        path: Path,
        read: ReadResult,
        columns: dict[str, str],
        aliases: Aliases,
        *,
        received: dt.datetime | None,
        ingested: dt.datetime,
        run_id: str | None,
    ) -> _File:
        records = read.records
        n = len(records)
        reasons: dict[int, list[Reason]] = {}
        if read.format == "jsonl":
            values = _jsonl_values(records, columns, reasons)
        else:
            plain = read.format == "csv"
            cells = [r.values for r in records]
            values = {canon: _texts(list(map(methodcaller("get", h), cells)), plain) for h, canon in columns.items()}
        for i, rec in enumerate(records):
            if rec.error:
                reasons.setdefault(i, []).append((None, RULE_UNREADABLE_ROW, rec.values.get("_line"), rec.error))
        types = _record_types(fr, records, values.get("record_type"), aliases, reasons)
        order = sorted(
            {t for t in types if t}, key=lambda t: (TYPE_ORDER.index(t) if t in TYPE_ORDER else len(TYPE_ORDER), t)
        )
        fr.record_types = order
        if len(order) > 1 or not fr.record_type:
            fr.record_type = ",".join(order)[:32] or fr.record_type
        groups: dict[str, _Group] = {}
        if len(order) == 1 and not any(r.error for r in records) and all(t == order[0] for t in types):
            groups[order[0]] = _Group(RECORD_TYPES[order[0]], range(n))  # the usual file: one type, all rows
        else:
            for i, (t, rec) in enumerate(zip(types, records)):
                if t and not rec.error:  # rows the reader could not split are quarantined as such
                    groups.setdefault(t, _Group(RECORD_TYPES[t], [])).positions.append(i)
            groups = {t: groups[t] for t in order if t in groups}
        present = set(columns.values())
        if received is not None:
            present.discard("received_at")
        raw = [r.values for r in records]
        if read.format == "csv":
            # A CSV row's keys are header names in the header's order: as many as the header
            # are the header itself.
            width = len(read.header)
            raw = [tuple(v.values()) if len(v) == width else v for v in raw]
        return cls(
            fr,
            path,
            run_id,
            received,
            ingested,
            [r.row_number for r in records],
            raw,
            read.header if read.format == "csv" else None,
            values,
            frozenset(present),
            types,
            reasons,
            groups,
        )

    def release(self) -> None:
        """Let go of the rows once the file is done: its report and ``touched`` stay."""
        self.row_numbers, self.raw, self.values, self.record_types = [], [], {}, []
        self.reasons, self.groups, self.raw_ids, self.natural_keys = {}, {}, [], []
        self.record_dates, self.received_at, self.hints = [], None, {}

    def take(self, column: list, positions: Sequence[int]) -> list:
        if isinstance(positions, range) and len(positions) == len(column):
            return column
        return [column[i] for i in positions]


def _jsonl_values(
    records: list[RawRecord], columns: dict[str, str], reasons: dict[int, list[Reason]]
) -> dict[str, list]:
    """Canonical columns of JSON Lines rows: each object has its own keys, so two of them
    meaning one column is a reason on that row."""
    out: dict[str, list] = {canon: [None] * len(records) for canon in set(columns.values())}
    for i, rec in enumerate(records):
        seen: set[str] = set()
        for h, canon in columns.items():
            if h not in rec.values:
                continue
            if canon in seen:
                reasons.setdefault(i, []).append(
                    (canon, RULE_AMBIGUOUS, None, f"two keys of this row both mean {canon}")
                )
            seen.add(canon)
            out[canon][i] = _text(rec.values.get(h))
    return out


def _record_types(
    fr: FileReport,
    records: list[RawRecord],
    claimed: list[str | None] | None,
    aliases: Aliases,
    reasons: dict[int, list[Reason]],
) -> list[str | None]:
    """Each row's record type: the file name's, else its record_type column's."""
    if claimed is None:
        return [fr.record_type] * len(records)
    known: dict[str | None, str | None] = {}
    out: list[str | None] = []
    for i, (text, rec) in enumerate(zip(claimed, records)):
        if text not in known:
            known[text] = aliases.record_type_for(text) if text else None
        claimed_type = known[text]
        if fr.record_type:
            out.append(fr.record_type)
            if text and claimed_type != fr.record_type:
                reasons.setdefault(i, []).append(
                    (
                        "record_type",
                        RULE_RECORD_TYPE,
                        text,
                        f"record_type says {text!r} but the file name says {fr.record_type}",
                    )
                )
        elif claimed_type:
            out.append(claimed_type)
        else:
            out.append(None)
            if not rec.error:
                reasons.setdefault(i, []).append(
                    (
                        "record_type",
                        RULE_RECORD_TYPE,
                        text,
                        "no record type: record_type is empty" if not text else f"unknown record type {text!r}",
                    )
                )
    return out


# --------------------------------------------------------------------------- step 2: validate


def _batch_accident_ids(files: list[_File]) -> frozenset[str]:
    """The accident ids of the accident rows of ``files``."""
    ids: set[str] = set()
    for f in files:
        g = f.groups.get("accident")
        column = f.values.get("accident_id")
        if g is not None and column is not None:
            ids.update(v for v in f.take(column, g.positions) if v)
    return frozenset(ids)


def _accident_ids_ahead(
    files: list[tuple[Path, str]], aliases: Aliases, *, max_bytes: int, settle_seconds: float
) -> set[str]:
    """The accident ids of the accident rows of files not read yet (path, sanitised name):
    what a slice written before them must know of the batch (see :class:`_Slices`).

    Only files that can hold accident rows are read — named as accidents, or named as no
    record type (a ``record_type`` column) —, one at a time, and nothing is written: a
    file that cannot be read here adds nothing, and is judged when its turn comes."""
    ids: set[str] = set()
    for path, name in files:
        record_type = record_type_for_filename(name)
        if record_type not in (None, "accident"):
            continue
        data = _peek(path, max_bytes=max_bytes, settle_seconds=settle_seconds)
        if data is None:
            continue
        try:
            read = read_file(path, max_bytes=max_bytes, name=name, data=data)
            columns = _canonical_header(read, aliases)
            fr = FileReport(name, str(path), "processed", record_type=record_type)
            f = _File.from_read(fr, path, read, columns, aliases, received=None, ingested=_clock_now(), run_id=None)
        except UnreadableFile:
            continue
        except Exception:  # noqa: BLE001 - one file's defect never stops the others; _read reports it
            log.warning("%s: could not look for accident ids ahead of its turn", path, exc_info=True)
            continue
        ids |= _batch_accident_ids([f])
    return ids


def _peek(path: Path, *, max_bytes: int, settle_seconds: float) -> bytes | None:
    """The bytes of a settled regular file within the size limit, read without following a
    link; None for anything :func:`_read` would not parse."""
    try:
        st = os.lstat(path)
        if (
            not stat.S_ISREG(st.st_mode)
            or not 0 < st.st_size <= max_bytes
            or time.time() - st.st_mtime < settle_seconds
        ):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # gone, or a link now
        return None
    with os.fdopen(fd, "rb") as fh:
        opened = os.fstat(fh.fileno())
        if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
            return None
        data = fh.read(max_bytes + 1)
    return data if len(data) <= max_bytes else None


class _Slices:
    """The files of a batch, as they are read, gathered into slices and written a slice at a
    time, so that what the batch holds in memory is one slice (and the file just read), not
    the batch.

    A slice is a run of whole files of at most ``budget`` rows in all; a file over the
    budget is a slice alone. It is validated (one GX run per record type, as
    :func:`_validate_and_write`) and written as soon as it is full or the next file would
    overflow it. Files named as registries are read before the others (:func:`_expand`),
    so their rows are written, and reloaded as registries, before any slice that refers to
    them. A file whose record types come from a ``record_type`` column alone is read in its
    place: its registry rows go first within its slice, as in any slice, but a slice
    written before it does not know them (its rows naming them are quarantined as unknown).

    A training review 〔十四〕 or an accident-report hop 〔十五〕 may name an accident sent in
    the same batch, in any slice: a slice is validated knowing the accident ids of every
    slice before it, of the file in hand, and — when files remain unread — of those files
    (:func:`_accident_ids_ahead`, read once, at the first slice written before the batch
    is all read). A batch that fits in one slice is never read twice.
    """

    def __init__(
        self,
        budget: int,
        write: Callable[[list[_File], frozenset[str]], None],
        scan: Callable[[list[tuple[int, Path]]], set[str]],
    ) -> None:
        self.budget, self.write, self.scan = budget, write, scan
        self.files: list[_File] = []
        self.rows = 0
        self.seen: set[str] = set()  # accident ids of the slices written
        self.ahead: set[str] | None = None  # accident ids of the files unread at the first early slice

    def holds(self, sha256: str | None) -> bool:
        return any(sha256 == f.fr.sha256 for f in self.files)

    def add(self, f: _File, rest: list[tuple[int, Path]]) -> None:
        """Take ``f``; ``rest``: the files still to be read after it."""
        if self.files and self.rows + f.n > self.budget:
            self._flush(rest, f)
        self.files.append(f)
        self.rows += f.n
        if self.rows >= self.budget:
            self._flush(rest)

    def close(self) -> None:
        if self.files:
            self._flush([])

    def _flush(self, rest: list[tuple[int, Path]], in_hand: _File | None = None) -> None:
        files, self.files, self.rows = self.files, [], 0
        known = set(self.seen)
        if in_hand is not None:
            known |= _batch_accident_ids([in_hand])
        if rest:
            if self.ahead is None:
                self.ahead = self.scan(rest)
            known |= self.ahead
        self.seen |= _batch_accident_ids(files)
        self.write(files, frozenset(known))
        del files
        gc.collect()


def _validate_and_write(
    engine: Engine,
    batch: list[_File],
    *,
    docs_dir: Path | None,
    chunk_rows: int,
    finished: Callable[[FileReport], None] = lambda fr: None,
    accidents: frozenset[str] = frozenset(),
) -> None:
    """Files with registry rows first, one at a time (validated inside their transaction,
    as each record type's registry changes); then one GX run per record type for all other
    files, and each of them written in its own transaction. ``finished(report)`` is called
    as each file is done (written, or failed); then what the file holds of its rows is let
    go. ``accidents``: accident ids sent in the batch outside ``batch``."""
    from safegov.intake.validation import load_registries

    registry_files = [f for f in batch if any(g.rt.registry for g in f.groups.values())]
    for f in registry_files:
        _guarded(
            f, lambda f=f: _write(engine, f, None, docs_dir=docs_dir, chunk_rows=chunk_rows), timed=True, engine=engine
        )
        finished(f.fr)
        f.release()
    others = [f for f in batch if f not in registry_files]
    if not others:
        return
    with engine.connect() as conn:
        registries = load_registries(conn)
    # A training review 〔十四〕 or a hop 〔十五〕 may name an accident of the same batch; an
    # accident row of it quarantined leaves such a record unmatched.
    registries.batch_accidents = _batch_accident_ids(others) | accidents
    variants: dict[tuple, list[tuple[_File, _Group]]] = {}
    for f in others:
        for name, g in f.groups.items():
            variants.setdefault((name, f.present & set(g.rt.column_names), f.use_claimed), []).append((f, g))
    for parts in variants.values():
        try:
            _validate(parts, registries, docs_dir=docs_dir, chunk_rows=chunk_rows)
        except Exception:  # noqa: BLE001 - find the file at fault: each alone, the rest go on
            log.warning(
                "batch validation of %s failed; validating its %d file(s) one by one",
                parts[0][1].rt.name,
                len(parts),
                exc_info=True,
            )
            for f, g in parts:
                _guarded(f, lambda f=f, g=g: _validate([(f, g)], registries, docs_dir=docs_dir, chunk_rows=chunk_rows))
    for f in others:
        if f.fr.status == "processed":
            _guarded(
                f,
                lambda f=f: _write(engine, f, registries, docs_dir=docs_dir, chunk_rows=chunk_rows),
                timed=True,
                engine=engine,
            )
        finished(f.fr)
        f.release()


def _guarded(f: _File, work, *, timed: bool = False, engine: Engine | None = None) -> None:
    """``work()``; if it raises, the file becomes an internal error and the batch goes on —
    unless another run wrote the same content meanwhile (``engine``: where to look), which
    is no error: the file is skipped as taken by that run."""
    started = time.perf_counter()
    try:
        work()
    except IntegrityError as exc:
        taken = _taken_meanwhile(engine, f.fr) if engine is not None else None
        if taken is None:
            log.exception("ingesting %s failed", f.path)
            _failed(f.fr, exc)
        else:
            log.info("%s: taken by another run (file #%s)", f.path, taken)
            _skip_taken(f.fr, taken)
    except Exception as exc:  # noqa: BLE001 - one file's defect never stops the others
        log.exception("ingesting %s failed", f.path)
        _failed(f.fr, exc)
    if timed:
        f.fr.seconds += time.perf_counter() - started


def _taken_meanwhile(engine: Engine, fr: FileReport) -> int | None:
    """The id of the accepted submission with this file's content, if there is one now."""
    table = SubmissionFile.__table__
    with engine.connect() as conn:
        return conn.scalar(select(table.c.id).where(table.c.sha256 == fr.sha256, table.c.status == "processed"))


def _skip_taken(fr: FileReport, file_id: int) -> None:
    fresh = FileReport(
        fr.name,
        fr.path,
        "skipped",
        record_type=fr.record_type,
        reason=f"{CODE_TAKEN}: 已由另一次运行导入 / taken by another run (file #{file_id})",
        sha256=fr.sha256,
        file_id=file_id,
        seconds=fr.seconds,
        size=fr.size,
        mtime_ns=fr.mtime_ns,
    )
    vars(fr).update(vars(fresh))


def _validate(parts: list[tuple[_File, _Group]], registries, *, docs_dir: Path | None, chunk_rows: int) -> None:
    """One GX run (per ``chunk_rows``) over one record type's rows of ``parts``; fills each
    group's typed frame and each file's reasons only once every chunk has passed."""
    import numpy as np
    import pandas as pd

    from safegov.intake.validation import parse_datetimes, typed_frame, validate_frame

    started = time.perf_counter()
    first, group = parts[0]
    rt = group.rt
    cols = [c for c in rt.column_names if c in first.present]
    use_claimed = first.use_claimed
    sizes = [len(g.positions) for _f, g in parts]
    data: dict[str, Any] = {
        "_file": np.repeat(np.arange(len(parts), dtype="int64"), sizes),
        "_row": [n for f, g in parts for n in f.take(f.row_numbers, g.positions)],
    }
    for c in cols + (["received_at"] if use_claimed else []):
        data[c] = pd.Series([v for f, g in parts for v in f.take(f.values[c], g.positions)], dtype="object")
    raw = pd.DataFrame(data)
    # Received: the call's received_at, else the row's received_at column, else ingestion time.
    fallback = np.repeat(
        np.array([pd.Timestamp(f.received or f.ingested).tz_convert("UTC").as_unit("us").asm8 for f, _g in parts]),
        sizes,
    )
    rec = pd.Series(fallback, index=raw.index).dt.tz_localize("UTC").astype("datetime64[us, UTC]")
    if use_claimed:
        claimed = parse_datetimes(raw["received_at"])
        rec = claimed.where(claimed.notna(), rec).astype("datetime64[us, UTC]")
    ingested = pd.Series(
        np.repeat(np.array([pd.Timestamp(f.ingested).tz_convert("UTC").as_unit("us").asm8 for f, _g in parts]), sizes),
        index=raw.index,
    ).dt.tz_localize("UTC")
    frame = typed_frame(raw, rt, rec, ingested_at=ingested)
    run_name = parts[0][0].fr.name if len(parts) == 1 else f"{rt.name}-batch-of-{len(parts)}-files"
    rejections: dict[tuple[int, int], list] = {}
    gx_seconds = 0.0
    docs_url = None
    present = set(cols) | ({"received_at"} if use_claimed else set())
    for start in range(0, len(frame), chunk_rows):
        outcome = validate_frame(
            frame.iloc[start : start + chunk_rows],
            rt,
            registries,
            present=present,
            docs_dir=docs_dir,
            run_name=run_name,
        )
        gx_seconds += outcome.seconds
        docs_url = outcome.docs_url or docs_url
        rejections.update(outcome.rejections)
    # Every chunk passed: hand each file its rows and reasons. A file's share of the
    # batch's time (and of GX's) is its share of the rows.
    seconds = time.perf_counter() - started
    total = max(len(frame), 1)
    by_file: dict[int, list[tuple[int, list]]] = {}
    for (k, row), reasons in rejections.items():
        by_file.setdefault(k, []).append((row, reasons))
    offset = 0
    for k, (f, g) in enumerate(parts):
        size = sizes[k]
        g.frame = frame.iloc[offset : offset + size].reset_index(drop=True)
        offset += size
        f.fr.seconds_gx += gx_seconds * size / total
        f.fr.seconds += seconds * size / total
        f.fr.docs_url = docs_url or f.fr.docs_url
        found = by_file.get(k, [])
        # Row numbers grow down a file: find each row's index by bisection.
        at = np.searchsorted(np.asarray(f.row_numbers), [row for row, _r in found]).tolist() if found else []
        for i, (_row, reasons) in zip(at, found):
            for rj in reasons:
                value = f.values[rj.column][i] if rj.column in f.values else None
                if rj.rule == "duplicate_key":
                    value = "|".join(str(f.values[c][i] if c in f.values else None) for c in rt.key)
                f.reasons.setdefault(i, []).append((rj.column, rj.rule, value, rj.message))


# --------------------------------------------------------------------------- step 3: write


def _write(engine: Engine, f: _File, registries, *, docs_dir: Path | None, chunk_rows: int) -> None:
    """The file in one transaction: its submission row, every row raw, reasons, loads.

    ``registries`` None: the file carries registry rows, so its record types are validated
    here, in order, each against the registries as the previous ones left them.
    """
    from safegov.db.engine import insert_for
    from safegov.intake.loaders import prepare_bulk
    from safegov.intake.validation import load_registries

    fr = f.fr
    _fill_row_columns(f)
    table = SubmissionFile.__table__
    with engine.begin() as conn:
        prepare_bulk(conn)
        submission = {
            "file_name": fr.name,
            "sha256": fr.sha256,
            "record_type": fr.record_type,
            "received_at": f.received or f.ingested,
            "ingested_at": f.ingested,
            "status": "processed",
            "reason": None,
            "rows_total": f.n,
            "run_id": f.run_id,
        }
        # The same bytes refused before (e.g. under a wrong name): their record becomes this one.
        fr.file_id = conn.scalar(
            update(table)
            .where(table.c.sha256 == fr.sha256, table.c.status == "rejected")
            .values(**submission)
            .returning(table.c.id)
        )
        if fr.file_id is None:
            fr.file_id = conn.execute(insert_for(conn, table).values(**submission).returning(table.c.id)).scalar_one()
        validate_here = registries is None
        if validate_here:
            registries = load_registries(conn)
        stored: set[int] = set()
        for g in f.groups.values():
            if validate_here:
                _validate([(f, g)], registries, docs_dir=docs_dir, chunk_rows=chunk_rows)
                _fill_row_columns(f, g)
            if g.rt.registry:
                # Load registry rows now so that later groups of this file can refer to them.
                _store_raw(conn, f, g.positions, registries)
                stored.update(g.positions)
                _load_group(conn, f, g)
                registries = load_registries(conn)
        rest = range(f.n) if not stored else [i for i in range(f.n) if i not in stored]
        # What the loads need that no query gives is made while the raw rows go in.
        loads = [g for g in f.groups.values() if not g.rt.registry]
        prepared = _store_raw(
            conn, f, rest, registries, meanwhile=lambda: [_prepare_group(f, g, conn.dialect.name) for g in loads]
        )
        for g, ready in zip(loads, prepared):
            _load_group(conn, f, g, ready)
        fr.rows_total = f.n
        fr.quarantined = len(f.reasons)
        fr.accepted = fr.rows_total - fr.quarantined
        conn.execute(
            update(SubmissionFile.__table__)
            .where(SubmissionFile.__table__.c.id == fr.file_id)
            .values(
                rows_accepted=fr.accepted,
                rows_quarantined=fr.quarantined,
                reason=None if f.n else "no data rows (header only)",
            )
        )
    if not f.n:
        fr.reason = "no data rows (header only)"
    for reasons in f.reasons.values():
        for _col, rule, _val, _msg in reasons:
            fr.rejections_by_rule[rule] = fr.rejections_by_rule.get(rule, 0) + 1
    f.touched = _touched(f)


def _fill_row_columns(f: _File, only: _Group | None = None) -> None:
    """Per row: received time (UTC), natural key and record date (local ISO date) from the
    typed values of the validated groups; the rest stay at the fallback / None."""
    import pandas as pd

    from safegov.core.periods import TZ
    from safegov.intake.loaders import date_texts

    if only is None:
        f.natural_keys = [None] * f.n
        f.record_dates = [None] * f.n
        f.received_at = pd.Series(pd.Timestamp(f.received or f.ingested).tz_convert("UTC"), index=range(f.n)).astype(
            "datetime64[us, UTC]"
        )
    for g in [only] if only is not None else f.groups.values():
        if g.frame is None:
            continue
        frame, rt = g.frame, g.rt
        whole = isinstance(g.positions, range) and len(g.positions) == f.n
        if whole:
            f.received_at = frame["_received_at"]
        else:
            f.received_at.iloc[list(g.positions)] = frame["_received_at"].array
        # Key columns are text types: typed value = stripped text (credit codes upper-cased).
        parts = zip(*(frame[k].tolist() for k in rt.key))
        if frame[list(rt.key)].notna().all(axis=None):
            keys = [key[:200] for key in map("|".join, parts)]
        else:
            keys = [None if any(p is None or p != p for p in key) else "|".join(key)[:200] for key in parts]
        dates: list[str | None] = [None] * len(keys)
        if rt.date_column:
            day = frame[rt.date_column]
            if rt.column(rt.date_column).type == "datetime":
                day = day.dt.tz_convert(TZ).dt.tz_localize(None)
            dates = date_texts(day)
        if whole:
            f.natural_keys, f.record_dates = keys, dates
            continue
        for i, key, date in zip(g.positions, keys, dates):
            f.natural_keys[i] = key
            f.record_dates[i] = date


_DIGITS6 = re.compile(r"^\d{6}$")


def _hints(f: _File, positions: Sequence[int], registries) -> dict[str, list[str | None]]:
    """Best-effort subject of each row (quarantined rows too): unit, enterprise, leader.

    Each distinct value is judged once (a file repeats few units, enterprises, leaders)."""

    def first(*names: str) -> list[str | None]:  # per row, the first of these columns with a value
        columns = [f.take(f.values[name], positions) for name in names if name in f.values]
        if not columns:
            return [None] * len(positions)
        return columns[0] if len(columns) == 1 else [a or b for a, b in zip(*columns)]

    def judged(values: list[str | None], verdict) -> list[str | None]:
        known = {v: verdict(v) if v else None for v in set(values)}
        return list(map(known.__getitem__, values))

    unit = judged(first("unit_code", "county_code"), lambda u: u if _DIGITS6.match(u) else None)
    ent = judged(first("enterprise_id"), lambda e: e.upper() if len(e) <= 18 else None)
    if None in unit:
        county = registries.enterprise_county
        unit = [u if u is not None or e is None else county.get(e) for u, e in zip(unit, ent)]
    if None in unit and "accident_id" in f.values:  # an accident report 〔十五〕: its accident's county
        accidents = registries.accidents
        found = f.take(f.values["accident_id"], positions)
        unit = [u if u is not None or not a else accidents.get(a, (None,))[0] for u, a in zip(unit, found)]
    leader = judged(first("leader_id", "chaired_by"), lambda leader: leader if len(leader) <= 64 else None)
    return {"unit_code": unit, "enterprise_id": ent, "leader_id": leader}


_RAW_JSON = json.JSONEncoder(ensure_ascii=False).encode


def _raw_json(f: _File, positions: Sequence[int]) -> list[str]:
    """Each row's submitted values as JSON text. A full-width CSV row (a tuple) holds the
    header's cells in order: one template per file, filled with encoded strings, is the
    same text as the encoder's at a third of its cost."""
    rows = f.take(f.raw, positions)
    header = f.csv_header
    if header is None:
        return list(map(_RAW_JSON, rows))
    template = "{" + ", ".join(encode_basestring(h).replace("%", "%%") + ": %s" for h in header) + "}"
    out = []
    for values in rows:
        if not isinstance(values, tuple):
            out.append(_RAW_JSON(values))
            continue
        try:
            out.append(template % tuple(map(encode_basestring, values)))
        except TypeError:  # a blank cell (None)
            out.append(_RAW_JSON(dict(zip(header, values))))
    return out


class _RawJson:
    """:func:`_raw_json` of ``positions``, made a slice at a time as it is asked for."""

    def __init__(self, f: _File, positions: Sequence[int]) -> None:
        self.f, self.positions = f, positions

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, where: slice) -> list[str]:
        return _raw_json(self.f, self.positions[where])


def _store_raw(conn, f: _File, positions: Sequence[int], registries, meanwhile=None) -> Any:
    """raw_row for every row (accepted or quarantined) and a rejection per reason.

    ``meanwhile()``: work that needs no database, done while the raw rows are being
    inserted (on PostgreSQL the server takes them in a COPY of its own, see
    ``safegov.intake.loaders.start_insert``); its result is returned."""
    from safegov.intake.loaders import insert_rows, moment_texts, start_insert

    if not positions:
        return meanwhile() if meanwhile is not None else None
    fr = f.fr
    hints = _hints(f, positions, registries)
    for name, values in hints.items():
        column = f.hints.setdefault(name, [None] * f.n)
        for i, v in zip(positions, values):
            column[i] = v
    reasons = f.reasons
    table = RawRow.__table__
    wait = start_insert(
        conn,
        table,
        {
            "file_id": [fr.file_id] * len(positions),
            "row_number": f.take(f.row_numbers, positions),
            "record_type": [(t or "unknown")[:32] for t in f.take(f.record_types, positions)],
            "received_at": moment_texts(f.received_at.iloc[list(positions)], conn.dialect.name),
            # PostgreSQL's COPY takes columns a slice at a time: the JSON is made as it is sent.
            "values": _RawJson(f, positions) if conn.dialect.name == "postgresql" else _raw_json(f, positions),
            "natural_key": f.take(f.natural_keys, positions),
            "status": ["quarantined" if i in reasons else "accepted" for i in positions],
            **hints,
            "record_date": f.take(f.record_dates, positions),
        },
    )
    try:
        made = meanwhile() if meanwhile is not None else None
    finally:
        wait()
    if not f.raw_ids:
        f.raw_ids = [None] * f.n
    ids = dict(conn.execute(select(table.c.row_number, table.c.id).where(table.c.file_id == fr.file_id)).all())
    for i in positions:
        f.raw_ids[i] = ids[f.row_numbers[i]]
    rejections = [
        (f.raw_ids[i], column, rule, None if value is None else str(value).replace("\x00", "")[:10000], message)
        for i in positions
        if i in reasons
        for column, rule, value, message in reasons[i]
    ]
    insert_rows(
        conn,
        Rejection.__table__,
        dict(zip(["raw_row_id", "column", "rule", "value", "message"], map(list, zip(*rejections)))),
    )
    return made


def _accepted(f: _File, g: _Group) -> tuple[list[bool], Any]:
    """Which of the group's rows are accepted, and their typed frame."""
    accepted = [i not in f.reasons for i in g.positions]
    return accepted, g.frame[accepted] if not all(accepted) else g.frame


def _prepare_group(f: _File, g: _Group, dialect: str):
    """``safegov.intake.loaders.prepare_frame`` of the group's accepted rows (None: nothing to load)."""
    from safegov.intake.loaders import prepare_frame

    if g.frame is None:
        return None
    return prepare_frame(g.rt, _accepted(f, g)[1], dialect)


def _load_group(conn, f: _File, g: _Group, prepared=None) -> None:
    from safegov.intake.loaders import load_frame

    if g.frame is None:
        return
    accepted, frame = (
        _accepted(f, g) if prepared is None else ([i not in f.reasons for i in g.positions], prepared.frame)
    )
    ids = [f.raw_ids[i] for i, ok in zip(g.positions, accepted) if ok]
    stats = load_frame(conn, g.rt, frame, ids, recorded_at=f.ingested, prepared=prepared)
    f.fr.inserted += stats.inserted
    f.fr.updated += stats.updated
    f.fr.unchanged += stats.unchanged


def _touched(f: _File) -> list[tuple]:
    """Subjects and dates that the file's rows (accepted or quarantined) touch, once each."""
    typed = [i for i, t in enumerate(f.record_types) if t]
    if not typed:
        return []
    department = f.values.get("department_id") or [None] * f.n
    return list(
        dict.fromkeys(
            zip(
                *(
                    f.take(column, typed)
                    for column in (
                        f.record_types,
                        f.hints["unit_code"],
                        f.hints["enterprise_id"],
                        f.hints["leader_id"],
                        department,
                        f.record_dates,
                    )
                )
            )
        )
    )
