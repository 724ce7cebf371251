"""Readers for submitted files (SPEC §3): CSV, XLSX, XLS, ODS, WPS ET (first sheet) and JSON Lines.

A reader returns every row as submitted (cell text keyed by the file's own header), or
raises :class:`UnreadableFile` with a one-line reason — never a partial read. Header names
are mapped to canonical columns through ``config/aliases.yaml`` (:func:`load_aliases`).

Defences: the size is checked with ``stat`` before a byte is read; CSV is UTF-8 (with or
without BOM), UTF-16 with BOM, or GB18030 (Chinese Excel exports); XLSX is a zip whose
members are scanned for a DTD or entity declaration (refused), whose uncompressed size is
bounded, and which openpyxl parses through defusedxml. XLS, ODS and ET go through
python-calamine in a memory-capped child process (:mod:`safegov.intake.sheets`), with the same
caps: an ODS is a zip scanned like an XLSX first; a sheet's grid and every cell read are
bounded; a row with an over-long cell is quarantined by the pipeline like any other.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from safegov.intake.sheets import SheetError, cell_text, read_rows
from safegov.register.records import RECORD_TYPES

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# A zip may expand a lot legitimately (XML is verbose) but not without bound.
XLSX_EXPANSION_FACTOR = 20
# Absolute caps on one XLSX, whatever the size limit: bytes its XML members really expand
# to (declared sizes can lie), shared strings (openpyxl loads them all at once), cells
# read, and seconds spent reading rows.
XLSX_MAX_EXPANDED_BYTES = 512 * 1024 * 1024
XLSX_MAX_SHARED_STRINGS = 2_000_000
XLSX_MAX_CELLS = 10_000_000
XLSX_TIME_BUDGET_SECONDS = 300.0

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
# Read by calamine (issue 19 item 2). WPS 表格's own .et is an OLE2/BIFF compound file like
# .xls in the versions seen in the wild (it opens as .xls once renamed: "利用DeepSeek辅助WPS电子
# 表格ET格式分析", dtcms.com/a/337124.html), and some describe a zip like XLSX: it is read by
# its content, either way, and refused with what to do otherwise.
CALAMINE_SUFFIXES = {".xls": "xls", ".ods": "ods", ".et": "et"}
SPREADSHEET_FORMATS = ("xlsx", "xls", "ods", "et")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
SAVE_AS_XLSX = "在 Excel 或 WPS 中另存为 .xlsx 后重新报送 / save it as .xlsx in Excel or WPS and send that"
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
EXTRA_COLUMNS = ("record_type", "received_at")


class UnreadableFile(Exception):
    """The file cannot be read at all; the reason is one line for the operator."""


@dataclass
class RawRecord:
    row_number: int  # spreadsheet convention: the header is row 1; JSON Lines: the line number
    values: dict[str, Any]  # header as submitted → cell (text, or the JSON value)
    error: str | None = None  # the reader could not split this row (e.g. a bad JSON line)


@dataclass
class ReadResult:
    format: str
    encoding: str | None
    header: list[str]
    records: list[RawRecord] = field(default_factory=list)
    # Header texts that appear more than once (the later ones renamed ``text#2`` …).
    duplicates: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- aliases


class AliasConfigError(ValueError):
    """config/aliases.yaml is invalid; the message names the file, key and reason."""


class AliasConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    columns: dict[str, list[str]]
    record_types: dict[str, str] = {}

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        known = canonical_columns()
        for name in value:
            if name not in known:
                raise ValueError(f"columns.{name}: not a column of any record type")
        return value

    @field_validator("record_types")
    @classmethod
    def _known_types(cls, value: dict[str, str]) -> dict[str, str]:
        for alias, name in value.items():
            if name not in RECORD_TYPES:
                raise ValueError(f"record_types.{alias}: {name!r} is not a record type")
        return value


@dataclass(frozen=True)
class Aliases:
    header: dict[str, str]  # normalised header text → canonical column
    record_types: dict[str, str]  # normalised type text → canonical type

    def column_for(self, header: str) -> str | None:
        return self.header.get(normalise_header(header))

    def record_type_for(self, text: Any) -> str | None:
        if text is None:
            return None
        return self.record_types.get(normalise_header(str(text)))


def canonical_columns() -> set[str]:
    return {c.name for rt in RECORD_TYPES.values() for c in rt.columns} | set(EXTRA_COLUMNS)


def normalise_header(text: str) -> str:
    # Excel and hand-made files add BOMs, non-breaking and full-width spaces, odd case.
    return re.sub(r"[\s\u00a0\u3000\ufeff]+", "", str(text)).lower()


def load_aliases(config_dir: Path | None = None) -> Aliases:
    if config_dir is None:
        from safegov.core.settings import get_settings

        config_dir = get_settings().config_dir
    path = Path(config_dir) / "aliases.yaml"
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    return _load_aliases(str(path), mtime)


@lru_cache(maxsize=8)
def _load_aliases(path_str: str, _mtime: int) -> Aliases:
    path = Path(path_str)
    header = {normalise_header(c): c for c in canonical_columns()}
    types = {normalise_header(t): t for t in RECORD_TYPES}
    if not path.exists():
        return Aliases(header, types)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        config = AliasConfig.model_validate(data)
    except yaml.YAMLError as exc:
        raise AliasConfigError(f"{path}: not valid YAML: {exc}".splitlines()[0]) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise AliasConfigError(f"{path}: {where}: {err['msg']}") from None
    owner: dict[str, str] = {}
    for column, aliases in config.columns.items():
        for alias in aliases:
            key = normalise_header(alias)
            if not key:
                raise AliasConfigError(f"{path}: columns.{column}: empty alias")
            claimed = owner.get(key) or (header[key] if key in header and header[key] != column else None)
            if claimed and claimed != column:
                raise AliasConfigError(f"{path}: columns.{column}: alias {alias!r} is already claimed by {claimed}")
            owner[key] = column
    header.update(owner)
    for alias, name in config.record_types.items():
        types[normalise_header(alias)] = name
    return Aliases(header, types)


# --------------------------------------------------------------------------- files


def file_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CALAMINE_SUFFIXES:
        return CALAMINE_SUFFIXES[suffix]
    raise UnreadableFile(
        f"unknown file type {suffix or '(no extension)'!r}: send CSV, XLSX, XLS, ODS, WPS ET or JSON Lines"
    )


def check_size(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """Refuse an over-limit file from its ``stat`` alone (never reads it)."""
    size = path.stat().st_size
    if size > max_bytes:
        raise UnreadableFile(f"file is {size} bytes, over the limit of {max_bytes} bytes")
    if size == 0:
        raise UnreadableFile("empty file (0 bytes)")
    return size


def read_file(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, name: str | None = None, data: bytes | None = None
) -> ReadResult:
    """The file's rows; ``data``: its bytes, already read (the caller hashed exactly
    these, so what is parsed is what is recorded) — ``path`` then only names it."""
    path = Path(path)
    fmt = file_format(name or path.name)
    if data is None:
        check_size(path, max_bytes)
        data = path.read_bytes()
    if len(data) > max_bytes:  # it grew after stat
        raise UnreadableFile(f"file is over the limit of {max_bytes} bytes")
    if not data:
        raise UnreadableFile("empty file (0 bytes)")
    if fmt == "xlsx":
        return read_xlsx(data, max_bytes=max_bytes)
    if fmt in CALAMINE_SUFFIXES.values():
        return read_calamine(data, fmt, max_bytes=max_bytes)
    text, encoding = decode(data)
    if not text.strip():
        raise UnreadableFile("empty file (no header)")
    if fmt == "csv":
        return read_csv_text(text, encoding, tab=(Path(name or path.name).suffix.lower() == ".tsv"))
    return read_jsonl_text(text, encoding)


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030; anything else is refused."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UnreadableFile(f"file starts with a UTF-8 BOM but is not UTF-8 (byte {exc.start})") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise UnreadableFile("file starts with a UTF-16 BOM but is not UTF-16") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile("unknown encoding: neither UTF-8 nor GB18030") from None
    if "\x00" in text:
        raise UnreadableFile("unknown encoding: binary content (NUL bytes)")
    _check_gb18030(data, text)
    return text, "gb18030"


# Share of a GB18030 text's non-ASCII characters that may lie outside GB2312 (the 6,763
# common hanzi and CJK punctuation). Chinese text stays far below it; Big5 or Shift-JIS
# bytes read as GB18030 decode to mostly rare GBK characters, far above it.
GB18030_RARE_SHARE = 0.25


def _check_gb18030(data: bytes, text: str) -> None:
    """Refuse bytes that decode as GB18030 without being GB18030 text (Big5, Shift-JIS):
    they must round-trip, carry no replacement or private-use characters, and be mostly
    common characters."""
    if text.encode("gb18030") != data:
        raise UnreadableFile("unknown encoding: the bytes do not round-trip as GB18030")
    counts = Counter(ch for ch in text if ch > "\x7f")
    total = sum(counts.values())
    if not total:
        return
    odd = sum(n for ch, n in counts.items() if ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff")
    if odd:
        raise UnreadableFile("unknown encoding: replacement or private-use characters when read as GB18030")
    rare = sum(n for ch, n in counts.items() if not _in_gb2312(ch))
    if rare > total * GB18030_RARE_SHARE:
        raise UnreadableFile(
            f"unknown encoding: read as GB18030, {rare} of {total} characters are rare "
            "(Big5 or Shift-JIS?): save the file as UTF-8"
        )


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _cell_text(value: str) -> str | None:
    return value if value.strip() != "" else None


def read_csv_text(text: str, encoding: str, *, tab: bool = False) -> ReadResult:
    if "\x00" in text:
        raise UnreadableFile("not a text file: NUL bytes in the CSV")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if tab else ",")
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableFile("empty file (no header)") from None
    except csv.Error as exc:
        raise UnreadableFile(f"malformed CSV header: {exc}") from None
    submitted = [h.strip().lstrip("\ufeff") for h in header]
    header = _unique_header(submitted)
    if not any(header):
        raise UnreadableFile("empty header row")
    records: list[RawRecord] = []
    width = len(header)
    i = 1
    try:
        for i, cells in enumerate(reader, start=2):
            if len(cells) == width and all(map(str.strip, cells)):  # the usual row: every cell filled
                records.append(RawRecord(i, dict(zip(header, cells))))
                continue
            if not cells or all(c.strip() == "" for c in cells):
                continue  # blank lines carry nothing
            values = {header[j]: _cell_text(c) for j, c in enumerate(cells[:width])}
            for j, c in enumerate(cells[width:], start=width + 1):
                if c.strip():
                    values[f"_extra_{j}"] = c
            records.append(RawRecord(i, values))
    except csv.Error as exc:
        raise UnreadableFile(f"malformed CSV at row {i}: {exc}") from None
    return ReadResult("csv", encoding, header, records, _duplicates(submitted))


def _duplicates(header: list[str]) -> list[str]:
    seen: set[str] = set()
    return list(dict.fromkeys(h for h in header if h and (h in seen or seen.add(h))))


def _unique_header(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for j, h in enumerate(header, start=1):
        h = h or f"_column_{j}"
        if h in seen:
            seen[h] += 1
            h = f"{h}#{seen[h]}"
        else:
            seen[h] = 1
        out.append(h)
    return out


def read_jsonl_text(text: str, encoding: str) -> ReadResult:
    header: dict[str, None] = {}
    records: list[RawRecord] = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        deep = False
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            records.append(
                RawRecord(i, {"_line": line[:10000]}, error=f"not valid JSON: {exc.msg} at column {exc.colno}")
            )
            continue
        except RecursionError:
            obj, deep = None, True
        if deep or (
            isinstance(obj, dict) and any(isinstance(v, (dict, list)) for v in obj.values()) and _too_deep(obj)
        ):
            # Deeper than any submission needs, and too deep to encode back to JSON text.
            records.append(
                RawRecord(i, {"_line": line[:10000]}, error=f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            )
            continue
        if not isinstance(obj, dict):
            records.append(
                RawRecord(i, {"_line": line[:10000]}, error=f"a JSON line must be an object, got {type(obj).__name__}")
            )
            continue
        for k in obj:
            header.setdefault(str(k), None)
        records.append(RawRecord(i, {str(k): v for k, v in obj.items()}))
    return ReadResult("jsonl", encoding, list(header), records)


MAX_JSON_DEPTH = 32


def _too_deep(obj: Any) -> bool:
    """Whether ``obj`` nests lists or objects deeper than :data:`MAX_JSON_DEPTH` (iterative:
    the check itself must not recurse)."""
    stack = [(obj, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False


_XML_DANGER = ((b"<!DOCTYPE", "a DTD (<!DOCTYPE>)"), (b"<!ENTITY", "an entity declaration (<!ENTITY>)"))


def _scan_xlsx(path: Path | io.BytesIO, max_bytes: int, label: str = "XLSX") -> None:
    """Refuse a zipped sheet (XLSX, or ODS: ``label``) that is no zip, lacks its table of
    contents, expands beyond the caps or carries a DTD or entity declaration."""
    if not zipfile.is_zipfile(path):
        raise UnreadableFile(f"corrupt {label}: not a zip archive")
    required = "mimetype" if label == "ODS" else "[Content_Types].xml"
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > max_bytes * XLSX_EXPANSION_FACTOR:
                raise UnreadableFile(f"{label} expands to {total} bytes, over {XLSX_EXPANSION_FACTOR}× the size limit")
            if not any(i.filename == required for i in infos):
                raise UnreadableFile(f"corrupt {label}: no {required}")
            if label == "ODS" and zf.read("mimetype").strip() != ODS_MIMETYPE:
                raise UnreadableFile(f"not an OpenDocument spreadsheet: its mimetype is {zf.read('mimetype')[:80]!r}")
            expanded = 0
            for info in infos:
                if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                shared = info.filename.lower().endswith("sharedstrings.xml")
                strings = 0
                with zf.open(info) as member:
                    tail = b""
                    while chunk := member.read(1 << 20):
                        expanded += len(chunk)
                        if expanded > XLSX_MAX_EXPANDED_BYTES:
                            raise UnreadableFile(f"{label} expands to over {XLSX_MAX_EXPANDED_BYTES} bytes")
                        window = tail + chunk
                        for needle, what in _XML_DANGER:
                            if needle in window:
                                raise UnreadableFile(f"{label} refused: {info.filename} carries {what}")
                        if shared:
                            # Matches wholly inside the tail were counted with the previous chunk.
                            strings += sum(window.count(n) - tail.count(n) for n in (b"<si>", b"<si "))
                            if strings > XLSX_MAX_SHARED_STRINGS:
                                raise UnreadableFile(f"XLSX has over {XLSX_MAX_SHARED_STRINGS} shared strings")
                        tail = window[-16:]
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(f"corrupt {label}: {exc}") from None


_xlsx_text = cell_text


def read_xlsx(source: Path | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    if isinstance(source, bytes):
        _scan_xlsx(io.BytesIO(source), max_bytes)
        path: Path | io.BytesIO = io.BytesIO(source)
    else:
        _scan_xlsx(source, max_bytes)
        path = source
    from openpyxl import load_workbook
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # pragma: no cover - defusedxml is a pinned dependency
        raise UnreadableFile("XLSX refused: defusedxml is not installed")
    try:
        # data_only=False: a formula is kept as the text that was typed, never evaluated.
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "cannot be read"
        raise UnreadableFile(f"corrupt XLSX: {type(exc).__name__}: {exc}".splitlines()[0][:300]) from None
    try:
        if not wb.worksheets:
            raise UnreadableFile("XLSX has no worksheet")
        sheet = wb.worksheets[0]
        # The declared dimension (e.g. A1:XFD1048576) would make openpyxl pad every row to
        # its width and add empty rows to its height: only the cells present are read.
        sheet.reset_dimensions()
        return _sheet_result(sheet.iter_rows(values_only=True), "xlsx")
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure means "cannot be read", with its cause
        raise UnreadableFile(f"corrupt XLSX: {type(exc).__name__}: {exc}".splitlines()[0][:300]) from None
    finally:
        wb.close()


def _sheet_result(rows: Iterator[Sequence[Any]], fmt: str) -> ReadResult:
    """The records of a sheet's rows (cells as read, or text): the first row is the header;
    empty rows are skipped; cells beyond the header are kept as ``_extra_<n>``."""
    label = fmt.upper()
    deadline = time.monotonic() + XLSX_TIME_BUDGET_SECONDS
    try:
        first = next(rows)
    except StopIteration:
        raise UnreadableFile("empty file (the first sheet has no header)") from None
    submitted = [str(_xlsx_text(h) or "").strip() for h in first]
    header = _unique_header(submitted)
    while header and header[-1].startswith("_column_"):
        header.pop()
    if not header:
        raise UnreadableFile("empty header row")
    width = len(header)
    records: list[RawRecord] = []
    cells_read = len(first)
    for i, cells in enumerate(rows, start=2):
        cells_read += len(cells)
        if cells_read > XLSX_MAX_CELLS:
            raise UnreadableFile(f"{label} has over {XLSX_MAX_CELLS} cells")
        if i % 1000 == 0 and time.monotonic() > deadline:
            raise UnreadableFile(f"{label} took over {XLSX_TIME_BUDGET_SECONDS:g} s to read")
        texts = [_xlsx_text(c) for c in cells]
        if all(t is None for t in texts):
            continue
        values = {header[j]: (texts[j] if j < len(texts) else None) for j in range(width)}
        for j, t in enumerate(texts[width:], start=width + 1):
            if t is not None:
                values[f"_extra_{j}"] = t
        records.append(RawRecord(i, values))
    return ReadResult(fmt, None, header, records, _duplicates(submitted))


def read_calamine(data: bytes, fmt: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """An XLS, ODS or WPS ET submission (``fmt``), read by its content: the file must be
    what its name says (an ``.xls`` saved from a web page as HTML is refused, not guessed
    at); an ET may be either of the forms WPS writes (OLE2/BIFF like XLS, or a zip like XLSX)."""
    label = {"xls": "XLS", "ods": "ODS", "et": "WPS ET"}[fmt]
    if fmt == "ods":
        _scan_xlsx(io.BytesIO(data), max_bytes, "ODS")
    elif fmt == "et" and data.startswith(b"PK\x03\x04"):
        read = read_xlsx(data, max_bytes=max_bytes)
        read.format = "et"
        return read
    elif not data.startswith(OLE2_MAGIC):
        what = "an HTML page" if data.lstrip()[:1] == b"<" else "not an OLE2 compound file"
        raise UnreadableFile(f"{label} refused: the file is {what}, not a {label} workbook: {SAVE_AS_XLSX}")
    try:
        rows = read_rows(data, timeout=XLSX_TIME_BUDGET_SECONDS)
    except SheetError as exc:
        hint = f" ({SAVE_AS_XLSX})" if fmt == "et" else ""
        raise UnreadableFile(f"{label} could not be read: {exc}{hint}") from None
    return _sheet_result(iter(rows), fmt)
