"""Small SQL constructs of the evaluation statements: typed literals, and the few pieces that
differ between SQLite and PostgreSQL.

Everything else in the engine is portable SQLAlchemy Core; these pieces differ: ordered
string aggregation, the Asia/Shanghai date and month of a UTC moment, the month key of a
date, the seconds between two moments, a row's values as canonical JSON, and the
maintenance of temporary tables.
"""

from __future__ import annotations

from sqlalchemy import Date, Float, Integer, String, Text, cast, literal, null
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.functions import FunctionElement

# China has kept UTC+08:00 without daylight saving since 1991; SQLite has no tz database,
# so the fixed offset is what both dialects use (PostgreSQL names the zone anyway).
_SQLITE_OFFSET = "'+8 hours'"


def text_literal(value: str):
    """A string bound as a typed literal (a bare Python string in a CASE has no SQL type)."""
    return literal(value, String())


def int_literal(value: int):
    return literal(value, Integer())


def typed_null(type_):
    """NULL of a type, so that both dialects agree on a UNION's or a CASE's column type."""
    return cast(null(), type_)


class json_values(FunctionElement):
    """The values (text, integers, NULL) as one JSON array in the audit log's canonical form
    (``safegov.db.audit.canonical`` of the list: no spaces, non-ASCII kept, control
    characters escaped as Python's ``json`` escapes them), written by the database.

    SQLite's ``json_array`` writes exactly that. PostgreSQL's ``json_build_array`` puts a
    space after each comma, so each value goes through ``to_json`` and the commas are
    written here. tests/evaluation/test_write_path.py holds both to ``canonical``.
    """

    type = Text()
    inherit_cache = True
    name = "json_values"


@compiles(json_values, "postgresql")
def _jv_pg(element, compiler, **kw):
    parts = [f"COALESCE(to_json({compiler.process(c, **kw)})::text, 'null')" for c in element.clauses]
    return "('[' || " + " || ',' || ".join(parts) + " || ']')"


@compiles(json_values)
def _jv_default(element, compiler, **kw):
    return f"json_array({', '.join(compiler.process(c, **kw) for c in element.clauses)})"


class ordered_concat(FunctionElement):
    """Non-null values joined by ``;`` in ascending order (deterministic evidence lists).

    PostgreSQL orders inside the aggregate. SQLite 3.40 has no ORDER BY in aggregates: the
    engine feeds ``group_concat`` from a subquery ordered by the group key and the value,
    which SQLite consumes in order (checked by the idempotence tests).
    """

    type = Text()
    inherit_cache = True
    name = "ordered_concat"


@compiles(ordered_concat, "postgresql")
def _oc_pg(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"string_agg({arg}, ';' ORDER BY {arg})"


@compiles(ordered_concat)
def _oc_default(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"group_concat({arg}, ';')"


class local_date(FunctionElement):
    """The Asia/Shanghai calendar date of a UTC moment."""

    type = Date()
    inherit_cache = True
    name = "local_date"


@compiles(local_date, "postgresql")
def _ld_pg(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"CAST(({arg} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


@compiles(local_date)
def _ld_default(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"date({arg}, {_SQLITE_OFFSET})"


class local_month(FunctionElement):
    """The month key ``YYYY-MM`` of a UTC moment, in Asia/Shanghai."""

    type = String()
    inherit_cache = True
    name = "local_month"


@compiles(local_month, "postgresql")
def _lm_pg(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"to_char(({arg} AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM')"


@compiles(local_month)
def _lm_default(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"strftime('%Y-%m', {arg}, {_SQLITE_OFFSET})"


class month_key(FunctionElement):
    """The month key ``YYYY-MM`` of a (local) date column."""

    type = String()
    inherit_cache = True
    name = "month_key"


@compiles(month_key, "postgresql")
def _mk_pg(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"to_char({arg}, 'YYYY-MM')"


@compiles(month_key)
def _mk_default(element, compiler, **kw):
    arg = compiler.process(list(element.clauses)[0], **kw)
    return f"strftime('%Y-%m', {arg})"


class seconds_between(FunctionElement):
    """Seconds from the first moment to the second (millisecond precision on SQLite)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _sb_pg(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({b} - {a}))"


@compiles(seconds_between)
def _sb_default(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    # julianday is a float: round to the millisecond so that exactly one hour is 3600.0.
    return f"round((julianday({b}) - julianday({a})) * 86400.0, 3)"


class table_maintenance(Executable, ClauseElement):
    """``ANALYZE``, ``VACUUM (ANALYZE)`` or ``TRUNCATE`` of one table (PostgreSQL), its name
    quoted by the dialect.

    For the engine's tables: statistics right after filling a temporary table (the planner
    otherwise guesses a few rows), a vacuum with statistics after writing many verdicts
    (outside a transaction), and clearing a temporary table without leaving dead rows.
    """

    inherit_cache = False

    def __init__(self, verb: str, table) -> None:
        if verb not in ("ANALYZE", "VACUUM (ANALYZE)", "TRUNCATE"):
            raise ValueError(f"table_maintenance: unknown verb {verb!r}")
        self.verb, self.table = verb, table


@compiles(table_maintenance)
def _table_maintenance(element, compiler, **kw):
    return f"{element.verb} {compiler.preparer.format_table(element.table)}"
