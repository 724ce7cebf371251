"""Set-based loading of accepted rows into the typed tables (SPEC §3), and the bulk writes
that ingestion is made of.

Each accepted row is upserted by its natural key: a new key is version 1; a changed
re-submission replaces the current row with version + 1; an identical one changes nothing.
Every version that ever became current is kept in ``record_version`` (history).

Rows arrive as typed columns (the frame of ``safegov.intake.validation.typed_frame``) and every
value the database needs is made column by column — vectorised where pandas can —, never
through SQLAlchemy's per-bind processing (≈ 0.1 ms a row). Writes are bulk:

- SQLite: the driver's C ``executemany`` with plain tuples;
- PostgreSQL: ``COPY … FROM STDIN`` (psycopg2 ``copy_expert``, text format, streamed),
  straight into the table for plain inserts, else into a temporary table and one
  ``INSERT … SELECT … ON CONFLICT``.

Current versions are read in one join of a temporary key table on the table's unique index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Column, Connection, Date, Float, Integer, MetaData, String, Table, and_, select

from safegov.db.engine import insert_for, use_bulk_page_cache
from safegov.db.models import RECORD_MODELS, RecordVersion, UTCDateTime
from safegov.register.records import RecordType

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

COPY_ROWS_PER_READ = 2000  # rows joined per slice of a COPY (see _TextStream)


@dataclass
class LoadStats:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


# --------------------------------------------------------------------------- canonical form


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def canonical_values(rt: RecordType, row: dict[str, Any]) -> dict[str, Any]:
    return {c: _json_value(row.get(c)) for c in rt.column_names}


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


def content_hash(values: dict[str, Any]) -> str:
    return hash_text(_CANONICAL.encode(values))


def hash_text(canonical_json: str) -> str:
    return hashlib.sha256(canonical_json.encode()).hexdigest()


def natural_key(rt: RecordType, row: dict[str, Any]) -> str | None:
    parts = [row.get(k) for k in rt.key]
    if any(p is None or p == "" for p in parts):
        return None
    return "|".join(str(_json_value(p)) for p in parts)[:200]


def _json_fragments(series: pd.Series, type_: str) -> list[str]:
    """Each value as the JSON text ``json.dumps`` gives its canonical form (see
    :func:`canonical_values`), ``null`` when missing."""
    import numpy as np

    missing = series.isna().to_numpy()
    if type_ == "int":
        values = map(str, series.fillna(0).astype("int64").tolist())
    elif type_ == "float":
        values = map(float.__repr__, series.fillna(0.0).astype("float64").tolist())
    elif type_ == "bool":
        values = ("true" if v else "false" for v in series.tolist())
    elif type_ == "date":
        values = _each_distinct(
            series, lambda days: ['"' + v + '"' for v in days.astype("datetime64[D]").astype(str).tolist()]
        )
    elif type_ == "datetime":
        # datetime.isoformat(): microseconds only when there are any, then the offset.
        values = _each_distinct(
            series.dt.tz_convert("UTC").dt.tz_localize(None),
            lambda moments: [
                '"' + (v[:-7] if v.endswith(".000000") else v) + '+00:00"'
                for v in moments.astype("datetime64[us]").astype(str).tolist()
            ],
        )
    elif not missing.any():
        values = map(encode_basestring, series.tolist())  # text columns hold str or None
    else:
        values = (encode_basestring(v) if isinstance(v, str) else _CANONICAL.encode(v) for v in series.tolist())
    if not missing.any():
        return list(values)
    return ["null" if m else v for v, m in zip(values, np.asarray(missing).tolist())]


def canonical_json(rt: RecordType, columns: dict[str, pd.Series]) -> list[str]:
    """Per row, exactly ``json.dumps(canonical_values(rt, row), sort_keys=True,
    ensure_ascii=False)``, built column by column; a column not given is ``null``."""
    names = sorted(rt.column_names)
    n = len(next(iter(columns.values()))) if columns else 0
    template = "{" + ", ".join(f"{encode_basestring(c)}: %s" for c in names) + "}"
    parts = [_json_fragments(columns[c], rt.column(c).type) if c in columns else ["null"] * n for c in names]
    return [template % row for row in zip(*parts)]


# --------------------------------------------------------------------------- values for the driver


def _each_distinct(series: pd.Series, texts) -> list[Any]:
    """``texts(values)`` (a list per numpy array) applied to each distinct value only:
    a file's rows share few days and usually one received time. Missing stays None."""
    import numpy as np
    import pandas as pd

    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    # factorize gives an Index for a Series of objects, an ndarray for some dtypes.
    made = texts(distinct if isinstance(distinct, np.ndarray) else distinct.to_numpy()) + [None]  # code -1 → None
    return [made[c] for c in codes.tolist()]


def moment_texts(series: pd.Series, dialect: str) -> list[str | None]:
    """Aware moments (datetime64[…, UTC]) as the driver stores them: naive UTC text on
    SQLite (what ``UTCDateTime`` writes), text with the offset for PostgreSQL's COPY."""
    suffix = "" if dialect == "sqlite" else "+00"
    return _each_distinct(
        series.dt.tz_convert("UTC").dt.tz_localize(None),
        lambda moments: [
            t.replace("T", " ", 1) + suffix for t in moments.astype("datetime64[us]").astype(str).tolist()
        ],
    )


def date_texts(series: pd.Series) -> list[str | None]:
    """Dates (datetime64, time of day ignored) as ISO text, which both databases take."""
    return _each_distinct(series, lambda days: days.astype("datetime64[D]").astype(str).tolist())


def _driver_values(series: pd.Series, type_, dialect: str) -> list[Any]:
    """A typed column as plain Python values the driver (or COPY) takes as they are."""
    if isinstance(type_, UTCDateTime):
        return moment_texts(series, dialect)
    if isinstance(type_, Date):
        return date_texts(series)
    if isinstance(type_, Boolean):
        return [None if v is None or v != v else int(bool(v)) for v in series.tolist()]
    if isinstance(type_, Integer):
        if series.isna().any():
            return [None if m else v for v, m in zip(series.fillna(0).astype("int64").tolist(), series.isna().tolist())]
        return series.astype("int64").tolist()
    if isinstance(type_, Float):
        if series.isna().any():
            return [
                None if m else v for v, m in zip(series.fillna(0.0).astype("float64").tolist(), series.isna().tolist())
            ]
        return series.astype("float64").tolist()
    if not series.isna().any():
        return series.tolist()
    return [None if v is None or v != v else v for v in series.tolist()]


# --------------------------------------------------------------------------- bulk writes


def prepare_bulk(conn: Connection) -> None:
    """Settings of a connection about to load a batch: :func:`safegov.db.engine.use_bulk_page_cache`."""
    use_bulk_page_cache(conn)


def insert_rows(
    conn: Connection,
    table: Table,
    data: dict[str, Sequence[Any]],
    *,
    conflict: Sequence[str] | None = None,
    update: Sequence[str] | None = None,
    expect_new: bool = False,
) -> None:
    """INSERT the rows given as columns (column → one value per row, as :func:`moment_texts`,
    :func:`date_texts` and plain numbers/text make them).

    ``conflict``: the unique columns to upsert on — ``update`` columns replaced, or the row
    left alone when ``update`` is empty. ``expect_new``: the caller looked and found none of
    these keys; on PostgreSQL the rows are then copied straight into the table (inside a
    savepoint, the upsert taking over if a key appeared after all), which spares a pass
    through a temporary table. Texts are never empty (cells are stripped to None): COPY
    reads an empty text as NULL.
    """
    if not data or not len(next(iter(data.values()))):
        return
    if conn.dialect.name == "postgresql":
        _pg_insert(conn, table, list(data), list(data.values()), conflict, update, expect_new)
        return
    sql, order = _sqlite_insert(conn, table, tuple(data), tuple(conflict or ()), tuple(update or ()))
    conn.exec_driver_sql(sql, list(zip(*(data[c] for c in order))))


_SQLITE_INSERTS: dict[tuple, tuple[str, list[str]]] = {}


def _sqlite_insert(
    conn: Connection, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], update: tuple[str, ...]
) -> tuple[str, list[str]]:
    """The INSERT's SQL and its bind order, compiled once per shape (≈ 1 ms each time)."""
    key = (table.name, columns, conflict, update)
    if key not in _SQLITE_INSERTS:
        stmt = insert_for(conn, table)
        if conflict:
            stmt = (
                stmt.on_conflict_do_update(index_elements=list(conflict), set_={c: stmt.excluded[c] for c in update})
                if update
                else stmt.on_conflict_do_nothing(index_elements=list(conflict))
            )
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(columns))
        order = list(compiled.positiontup or [])
        if sorted(order) != sorted(columns):  # pragma: no cover - a defect, not data
            raise RuntimeError(f"unexpected binds for {table.name}: {order}")
        _SQLITE_INSERTS[key] = (compiled.string, order)
    return _SQLITE_INSERTS[key]


_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NONE = type(None)


def _text_column(values: Sequence[Any]) -> list[str]:
    """A column's values as fields of COPY's text format: ``\\N`` for None — and for an empty
    text, as the CSV format's FORCE_NULL did —, backslash, tab, newline and carriage return
    escaped, numbers as ``str`` gives them (what the CSV writer wrote).

    A column of texts is searched once, as a whole, for characters to escape: submitted
    cells seldom hold any, so the usual column is taken as it is."""
    kinds = set(map(type, values))
    if kinds <= {str, _NONE}:
        present = [v for v in values if v]
        if not present:
            return ["\\N"] * len(values)
        whole = "".join(present)
        if "\\" in whole or "\t" in whole or "\n" in whole or "\r" in whole:
            return [v.translate(_TEXT_ESCAPES) if v else "\\N" for v in values]
        return [v or "\\N" for v in values] if len(present) < len(values) else list(values)
    return [
        "\\N" if v is None or v == "" else (v.translate(_TEXT_ESCAPES) if isinstance(v, str) else str(v))
        for v in values
    ]


class _TextStream:
    """A file-like reader of COPY text-format lines, made a slice of rows at a time as the
    driver reads: the server parses and inserts each slice while the next one is being
    made, so Python's share and the server's run side by side rather than one after the
    other."""

    def __init__(self, columns: Sequence[Sequence[Any]], per_read: int = COPY_ROWS_PER_READ) -> None:
        self._columns = columns
        self._n = len(columns[0]) if columns else 0
        self._per_read = per_read
        self._at = 0

    def read(self, _size: int = -1) -> str:
        if self._at >= self._n:
            return ""
        a, b = self._at, self._at + self._per_read
        self._at = b
        fields = [_text_column(c[a:b]) for c in self._columns]
        return "\n".join(map("\t".join, zip(*fields))) + "\n"

    readline = read


def _copy(conn: Connection, target: str, columns: Sequence[str], data: Sequence[Sequence[Any]]) -> None:
    """COPY rows given as columns (one sequence of values per column), in the text format
    (see :func:`_text_column`)."""
    _copy_job(conn, target, columns, data)()


def _copy_job(conn: Connection, target: str, columns: Sequence[str], data: Sequence[Sequence[Any]]):
    """The COPY of :func:`_copy` as a callable that touches only the DBAPI connection (the
    SQLAlchemy one is read here, in the caller's thread)."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    sql = f"COPY {target} ({names}) FROM STDIN"
    dbapi = conn.connection.dbapi_connection

    def run() -> None:
        cursor = dbapi.cursor()
        try:
            cursor.copy_expert(sql, _TextStream(data))
        finally:
            cursor.close()

    return run


def start_insert(conn: Connection, table: Table, data: dict[str, Sequence[Any]]) -> Callable[[], None]:
    """:func:`insert_rows` (plain, no conflict handling) begun now; the returned ``wait()``
    finishes it, raising what it raised, and must be called before ``conn`` is used again.

    On PostgreSQL the COPY runs in a thread: psycopg2 sends the data and waits for the
    server without holding the GIL, so while the server inserts the rows (heap, indexes,
    foreign key checks, WAL — the larger part of a load) the caller can do the work that
    needs no database. Elsewhere the rows are inserted here and ``wait()`` does nothing."""
    if conn.dialect.name != "postgresql" or not data or not len(next(iter(data.values()))):
        insert_rows(conn, table, data)
        return lambda: None
    job = _copy_job(conn, conn.dialect.identifier_preparer.quote(table.name), list(data), list(data.values()))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - handed to wait()
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"safegov-copy-{table.name}", daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if failure:
            raise failure[0]

    return wait


def _pg_insert(
    conn: Connection,
    table: Table,
    columns: list[str],
    values: list[Sequence[Any]],
    conflict: Sequence[str] | None,
    update: Sequence[str] | None,
    expect_new: bool,
) -> None:
    from psycopg2.errors import UniqueViolation
    from sqlalchemy.dialects import postgresql

    quote = conn.dialect.identifier_preparer.quote
    if conflict is None:
        _copy(conn, quote(table.name), columns, values)
        return
    if expect_new:
        savepoint = conn.begin_nested()
        try:
            _copy(conn, quote(table.name), columns, values)
        except UniqueViolation:
            savepoint.rollback()
        else:
            savepoint.commit()
            return
    # On failure the transaction rolls back, and the temporary table with it.
    # The stage has the target's column types, so COPY parses the values exactly as into the table.
    stage = Table("_safegov_stage", MetaData(), *(Column(c, table.c[c].type) for c in columns), prefixes=["TEMPORARY"])
    stage.create(conn)
    _copy(conn, "_safegov_stage", columns, values)
    stmt = postgresql.insert(table).from_select(columns, select(*(stage.c[c] for c in columns)))
    stmt = (
        stmt.on_conflict_do_update(index_elements=list(conflict), set_={c: stmt.excluded[c] for c in update})
        if update
        else stmt.on_conflict_do_nothing(index_elements=list(conflict))
    )
    conn.execute(stmt)
    stage.drop(conn)


# --------------------------------------------------------------------------- current versions


_KEYS = Table(
    "_safegov_keys",
    MetaData(),
    Column("k0", String(200)),
    Column("k1", String(200)),
    prefixes=["TEMPORARY"],
)
_KEYS_DDL = "CREATE TEMPORARY TABLE IF NOT EXISTS _safegov_keys (k0 VARCHAR(200), k1 VARCHAR(200))"


def _current_rows(
    conn: Connection, table: Table, rt: RecordType, columns: list[str], key_values: list[list]
) -> tuple[dict[tuple, tuple[str | None, int | None]], dict[tuple, dict[str, Any]]]:
    """For these natural keys (one list per key column): key → (content hash, version) of
    the current row, and the whole row (typed) of those loaded outside ingestion (no
    content hash).

    The keys go to a temporary table joined on the unique index: ``key IN (…)`` needs a
    statement per few thousand keys, and ``(a, b) IN (…)`` scans the table.
    """
    conn.exec_driver_sql(_KEYS_DDL)
    conn.execute(_KEYS.delete())
    names = ["k0", "k1"][: len(rt.key)]
    insert_rows(conn, _KEYS, dict(zip(names, key_values)))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE _safegov_keys")  # the join plan needs its size
    on = and_(*(table.c[k] == _KEYS.c[n] for k, n in zip(rt.key, names)))
    key_cols = [table.c[k] for k in rt.key]
    stmt = select(*key_cols, table.c.content_hash, table.c.version).select_from(table.join(_KEYS, on))
    compiled = stmt.compile(dialect=conn.dialect)
    width = len(rt.key)
    current = {
        tuple(r[:width]): (r[width], r[width + 1])
        for r in conn.exec_driver_sql(compiled.string, compiled.construct_params() or {}).fetchall()
    }
    legacy: dict[tuple, dict[str, Any]] = {}
    if any(h is None for h, _v in current.values()):
        wanted = [table.c[c] for c in columns] + [table.c.version, table.c.raw_row_id, table.c.received_at]
        stmt = select(*wanted).select_from(table.join(_KEYS, on)).where(table.c.content_hash.is_(None))
        for r in conn.execute(stmt).mappings():
            legacy[tuple(r[k] for k in rt.key)] = dict(r)
    return current, legacy


def _defaults(table) -> dict[str, Any]:
    """Scalar defaults of NOT NULL columns: a blank optional bool means the default."""
    out = {}
    for col in table.columns:
        if not col.nullable and col.default is not None and getattr(col.default, "is_scalar", False):
            out[col.name] = col.default.arg
    return out


# --------------------------------------------------------------------------- loading


@dataclass
class PreparedFrame:
    """What :func:`load_frame` makes of a frame before it needs the database (see
    :func:`prepare_frame`)."""

    frame: pd.DataFrame
    table: Table
    columns: list[str]
    canon: list[str]
    digests: list[str]
    key_values: list[list]
    keys: list[tuple]
    natural_keys: list[str]
    received: list[str | None]
    data: dict[str, list]  # contract columns as driver values


def prepare_frame(rt: RecordType, frame: pd.DataFrame, dialect: str) -> PreparedFrame | None:
    """The database-free part of :func:`load_frame`: canonical JSON, content hashes, keys,
    driver values. Ingestion makes it while PostgreSQL is still taking the file's raw rows.
    None for an empty frame."""
    if frame.empty:
        return None
    table = RECORD_MODELS[rt.name].__table__
    columns = [c for c in rt.column_names if c in table.c]
    defaults = _defaults(table)
    typed = {}
    for c in columns:
        series = frame[c]
        if c in defaults and series.isna().any():
            series = series.astype("object").where(series.notna(), defaults[c])
        typed[c] = series
    canon = canonical_json(rt, typed)
    digests = [hash_text(t) for t in canon]
    key_values = [_driver_values(typed[k], table.c[k].type, dialect) for k in rt.key]
    keys = list(zip(*key_values))
    natural_keys = ["|".join(map(str, k))[:200] for k in keys]
    data = {c: _driver_values(typed[c], table.c[c].type, dialect) for c in columns}
    return PreparedFrame(
        frame,
        table,
        columns,
        canon,
        digests,
        key_values,
        keys,
        natural_keys,
        moment_texts(frame["_received_at"], dialect),
        data,
    )


def load_frame(
    conn: Connection,
    rt: RecordType,
    frame: pd.DataFrame,
    raw_row_ids: Sequence[int],
    *,
    recorded_at: dt.datetime,
    prepared: PreparedFrame | None = None,
) -> LoadStats:
    """Upsert accepted rows: ``frame`` holds their typed contract columns and
    ``_received_at`` (``safegov.intake.validation.typed_frame``), ``raw_row_ids`` their raw rows.
    Keys are unique within ``frame`` (in-file duplicates were quarantined). ``prepared``:
    :func:`prepare_frame` of this very frame, when already made."""
    stats = LoadStats()
    if frame.empty:
        return stats
    dialect = conn.dialect.name
    if prepared is None or prepared.frame is not frame:
        prepared = prepare_frame(rt, frame, dialect)
    table, columns, canon, digests = prepared.table, prepared.columns, prepared.canon, prepared.digests
    key_values, keys, natural_keys = prepared.key_values, prepared.keys, prepared.natural_keys

    current, legacy = _current_rows(conn, table, rt, columns, key_values)
    recorded = moment_texts(_series_of([recorded_at]), dialect)[0]
    received = prepared.received
    raw_ids = list(raw_row_ids)
    versions: list[int] = []
    write: list[bool] = []
    history: list[tuple] = []  # versions of rows loaded outside ingestion
    for i, key in enumerate(keys):
        old = current.get(key)
        if old is None:
            versions.append(1)
            write.append(True)
            stats.inserted += 1
            continue
        old_hash, old_version = old
        if old_hash is None:
            old_row = legacy[key]
            old_canon = canonical_values(rt, old_row)
            old_hash = content_hash(old_canon)
            if old_hash != digests[i]:
                # Loaded outside ingestion (config registries): keep that version too.
                history.append(
                    (
                        rt.name,
                        natural_keys[i],
                        old_version or 1,
                        old_hash,
                        _CANONICAL.encode(old_canon),
                        moment_texts(_series_of([old_row["received_at"] or recorded_at]), dialect)[0],
                        old_row["raw_row_id"] or 0,
                        recorded,
                    )
                )
        if old_hash == digests[i]:
            versions.append(0)
            write.append(False)
            stats.unchanged += 1
            continue
        versions.append((old_version or 1) + 1)
        write.append(True)
        stats.updated += 1
    if not any(write):
        return stats

    def chosen(values: list, which: list[bool] = write) -> list:
        return values if all(which) else list(compress(values, which))

    data = dict(prepared.data)
    data.update(received_at=received, raw_row_id=raw_ids, content_hash=digests, version=versions)
    update = [c for c in data if c not in rt.key]
    new = [v == 1 and w for v, w in zip(versions, write)]  # keys that had no row
    changed = [v > 1 for v in versions]
    insert_rows(
        conn, table, {c: chosen(v, new) for c, v in data.items()}, conflict=rt.key, update=update, expect_new=True
    )
    if any(changed):
        insert_rows(conn, table, {c: chosen(v, changed) for c, v in data.items()}, conflict=rt.key, update=update)

    count = sum(write)
    written = [
        [rt.name] * count,
        chosen(natural_keys),
        chosen(versions),
        chosen(digests),
        chosen(canon),
        chosen(received),
        chosen(raw_ids),
        [recorded] * count,
    ]
    older = list(zip(*history)) or [()] * len(written)
    versions_data = {
        c: values + list(more)
        for c, values, more in zip(
            [
                "record_type",
                "natural_key",
                "version",
                "content_hash",
                "values",
                "received_at",
                "raw_row_id",
                "recorded_at",
            ],
            written,
            older,
        )
    }
    insert_rows(
        conn,
        RecordVersion.__table__,
        versions_data,
        conflict=["record_type", "natural_key", "version"],
        expect_new=True,
    )
    return stats


def _series_of(moments: Iterable[dt.datetime]) -> pd.Series:
    import pandas as pd

    return pd.Series(pd.to_datetime(list(moments), utc=True)).astype("datetime64[us, UTC]")
