"""Row validity by Great Expectations 1.x (SPEC §3): one suite per record type.

The suites are built from ``safegov.register.records.RECORD_TYPES``: required fields, types, value
sets, ranges, date order, no date after the row's received time, registry membership
(units, counties, leaders, enterprises, departments — read from the database at
validation time), the five elements of a hazard 〔四〕"五落实", the GB 32100 check character
and an inspection leader's term of office. Row-level reasons are read from GX's own
unexpected-index results (``result_format=COMPLETE`` with ``_row`` as the index column),
never from a second hand-written checker.

Frame layout handed to GX (built by :func:`typed_frame`): ``_file`` (which file of the
batch) and ``_row`` (the row number in that file) — together the index GX reports
unexpected rows by —, for each contract column ``<col>`` its typed value (invalid →
missing) and, for non-text columns, ``<col>__raw`` the submitted text; ``_received_at``
(UTC) and ``_received_on`` (its Asia/Shanghai date); ``_dup_of`` (the earlier row of the
same file that this one repeats, by natural key). One frame may hold the rows of many
files: GX's cost per run (≈ 0.1–0.5 s, more with Data Docs) is then paid once per batch.

GX is imported inside functions only (DAG files import this module cheaply); its loggers
are quieted and its progress bars are off.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safegov.core.creditcode import is_valid_credit_code
from safegov.org.directory import in_term
from safegov.register.records import PERIOD_TYPES, RECORD_TYPES, RecordType

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

TZ = "Asia/Shanghai"

# Rule names stored in rejection.rule (stable: exports and evaluation read them).
RULE_REQUIRED = "required"
RULE_MISSING_COLUMN = "missing_column"
RULE_TYPE = "type"
RULE_VALUE_SET = "value_set"
RULE_MIN = "min"
RULE_ORDER = "date_order"
RULE_FUTURE = "future_date"
RULE_CREDIT_CODE = "credit_code"
RULE_FIVE_ELEMENTS = "five_elements"
RULE_LEADER_IN_OFFICE = "leader_not_in_office"
# 〔九〕 持证上岗: an inspection naming an officer not certified and in service on led_on.
RULE_UNCERTIFIED_OFFICER = "uncertified_officer"
RULE_DUPLICATE_KEY = "duplicate_key"
RULE_UNKNOWN = {  # registry → rule
    "unit": "unknown_unit",
    "county": "unknown_county",
    "leader": "unknown_leader",
    "enterprise": "unknown_enterprise",
    "department": "unknown_department",
    "authority": "unknown_authority",
    "staff": "unknown_staff",
    # 〔十五〕 accident reports: the accident, and who sent or received each hop.
    "accident": "unknown_accident",
    "party": "unknown_party",
}
# 〔十五〕 an accident report dated before the accident occurred.
RULE_REPORT_BEFORE_ACCIDENT = "reported_before_occurred"

# 〔四〕 五落实: responsibility, funds, measures, time limit, contingency plan.
FIVE_ELEMENTS = ("responsible_person", "funds_cny", "measures", "deadline", "contingency_plan")
# Dates that legitimately lie ahead of the submission (a rectification deadline, a term's
# planned end, the first day of next year's enforcement plan); every other date must not be
# after the row's received time.
FORWARD_DATES = frozenset({"deadline", "term_end", "effective_on"})

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "有", "已", "√", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "无", "未", "×", "0.0"})

_CODE_RE = r"^\d{6}$"
_PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
# Period keys by column type: a month (a bulletin's period), a quarter (a referral's 〔十六〕),
# a year (a budget's fiscal year 〔十〕), as ``safegov.core.periods`` spells them.
_PERIOD_RES = {"period": _PERIOD_RE, "quarter": r"^\d{4}-Q[1-4]$", "year": r"^\d{4}$"}
_EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_INT_RE = r"^[+-]?\d+(\.0*)?$"
_OFFSET_RE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


# --------------------------------------------------------------------------- typing


def coerce_series(raw: pd.Series, type_: str) -> pd.Series:
    """Typed values of a text column; anything that does not parse becomes missing.

    The same function types the loaded rows and serves GX's type expectation, so what GX
    accepts is exactly what the loader can store.
    """
    import numpy as np
    import pandas as pd

    s = raw.astype("object")
    if type_ in ("str", "code", *PERIOD_TYPES, "email"):
        return s
    if type_ == "credit_code":
        return s.where(s.isna(), s.astype(str).str.upper())
    if type_ == "int":
        txt = s.astype("string")
        ok = txt.str.fullmatch(_INT_RE).fillna(False).astype(bool)
        num = pd.to_numeric(txt.where(ok), errors="coerce")
        return num.astype("float64")
    if type_ == "float":
        num = pd.to_numeric(s.astype("string").str.replace(",", "", regex=False), errors="coerce")
        return num.astype("float64").where(np.isfinite(num.astype("float64")))
    if type_ == "bool":
        low = s.astype("string").str.strip().str.lower()
        out = pd.Series(None, index=s.index, dtype="object")
        out[low.isin(TRUE_WORDS).fillna(False).astype(bool)] = True
        out[low.isin(FALSE_WORDS).fillna(False).astype(bool)] = False
        return out
    if type_ == "date":
        return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    if type_ == "datetime":
        return parse_datetimes(s)
    raise ValueError(f"unknown column type {type_!r}")


def parse_datetimes(s: pd.Series) -> pd.Series:
    """``YYYY-MM-DD HH:MM[:SS]`` in Asia/Shanghai unless an offset is given → UTC."""
    import pandas as pd

    txt = s.astype("string").str.strip().str.replace("T", " ", n=1, regex=False)
    has_offset = txt.str.contains(_OFFSET_RE).fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")
    naive = txt.where(~has_offset)
    if naive.notna().any():
        parsed = pd.to_datetime(naive, format="mixed", errors="coerce")
        # Only date+time shapes count as datetimes ("2024-03-01" alone is not a moment).
        shape_ok = (
            naive.str.fullmatch(r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}(:\d{2}(\.\d+)?)?").fillna(False).astype(bool)
        )
        parsed = parsed.where(shape_ok)
        local = parsed.dt.tz_localize(TZ, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        out = out.where(has_offset, local.astype("datetime64[us, UTC]"))
    if has_offset.any():
        aware = pd.to_datetime(txt.where(has_offset), format="ISO8601", errors="coerce", utc=True)
        out = out.where(~has_offset, aware.astype("datetime64[us, UTC]"))
    return out


def typed_frame(
    raw: pd.DataFrame, rt: RecordType, received_at: pd.Series, *, ingested_at: dt.datetime | pd.Series | None = None
) -> pd.DataFrame:
    """The frame GX validates: typed columns, their raw text, received time, duplicates.

    ``raw``: ``_row``, optionally ``_file`` (default 0: one file), and the submitted text of
    the contract columns; ``ingested_at``: one moment, or one per row (files of a batch).
    """
    import pandas as pd

    df = pd.DataFrame(index=raw.index)
    df["_file"] = raw["_file"].astype("int64") if "_file" in raw.columns else 0
    df["_row"] = raw["_row"].astype("int64")
    for col in rt.columns:
        src = raw[col.name] if col.name in raw.columns else pd.Series(None, index=raw.index, dtype="object")
        if col.type not in ("str", "code", *PERIOD_TYPES, "email", "credit_code"):
            df[f"{col.name}__raw"] = src.astype("object")
        df[col.name] = coerce_series(src, col.type)
    if "received_at" in raw.columns:
        # A file may say when each row was received; what it claims must parse and not
        # lie ahead of the ingestion itself.
        df["received_at__raw"] = raw["received_at"].astype("object")
        df["_received_claimed"] = parse_datetimes(raw["received_at"])
        if isinstance(ingested_at, pd.Series):
            ingested = pd.to_datetime(ingested_at, utc=True).set_axis(df.index)
        else:
            ingested = pd.Series(pd.Timestamp(ingested_at or dt.datetime.now(dt.UTC)).tz_convert("UTC"), index=df.index)
        df["_ingested_at"] = ingested.astype("datetime64[us, UTC]")
    rec = pd.to_datetime(received_at, utc=True).astype("datetime64[us, UTC]")
    df["_received_at"] = rec.set_axis(df.index)
    df["_received_on"] = (
        rec.dt.tz_convert(TZ).dt.tz_localize(None).dt.normalize().astype("datetime64[us]").set_axis(df.index)
    )
    # The later of two rows of one file sharing a natural key is the duplicate (the first
    # one stands); files of a batch never make each other's rows duplicates.
    key = ["_file", *rt.key]
    keyed = df[key].notna().all(axis=1)
    sub = df.loc[keyed, key + ["_row"]]
    dup = sub.duplicated(subset=key, keep="first")
    first_row = sub.groupby(key, sort=False)["_row"].transform("first")
    df["_dup_of"] = pd.Series(float("nan"), index=df.index, dtype="float64")
    if dup.any():
        df.loc[dup[dup].index, "_dup_of"] = first_row[dup].astype("float64")
    return df


# --------------------------------------------------------------------------- registries


@dataclass
class Registries:
    """Registry membership at validation time (SPEC §3: codes exist in the registries)."""

    unit: frozenset[str] = frozenset()
    county: frozenset[str] = frozenset()
    leader: frozenset[str] = frozenset()
    enterprise: frozenset[str] = frozenset()
    department: frozenset[str] = frozenset()
    # enterprise_id → county_code (hints for quarantined rows)
    enterprise_county: dict[str, str] = field(default_factory=dict)
    # leader_id → list of (term_start, term_end or None)
    terms: dict[str, list[tuple[dt.date, dt.date | None]]] = field(default_factory=dict)
    staff: frozenset[str] = frozenset()
    # staff_id → (certified_on or None, joined_on, left_on or None) 〔九〕
    staff_service: dict[str, tuple[dt.date | None, dt.date, dt.date | None]] = field(default_factory=dict)

    def officer_certified(self, staff_id: str, day: dt.date) -> bool:
        """凡进必考、持证上岗: certified by ``day`` and in service on it (joined_on ≤ day ≤ left_on)."""
        found = self.staff_service.get(staff_id)
        if found is None:
            return False
        certified_on, joined_on, left_on = found
        return certified_on is not None and certified_on <= day and in_term(joined_on, left_on, day)

    # accident_id → (county code, occurred_at) 〔十五〕: the accidents a report may name
    accidents: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)
    # The accident ids of the batch being validated: a hop 〔十五〕 or a training review 〔十四〕
    # may name an accident sent with it (validated together, before either is written).
    batch_accidents: frozenset[str] = frozenset()

    @property
    def accident(self) -> frozenset[str]:
        """The accident ids a record may name: on record, or in the same batch."""
        return frozenset(self.accidents) | self.batch_accidents

    @property
    def party(self) -> frozenset[str]:
        """Who sends or receives an accident report: a unit (its safety office) or a department."""
        return self.unit | self.department

    @property
    def authority(self) -> frozenset[str]:
        """Who may impose a penalty: a unit (its government) or a department of the registry."""
        return self.unit | self.department


def load_registries(session: Session | Connection) -> Registries:
    """Registry membership now (a Session or a Connection inside the file's transaction)."""
    from sqlalchemy import select

    from safegov.db.models import Accident, Department, Enterprise, Leader, Staff, Unit

    units = session.execute(select(Unit.code, Unit.level)).all()
    terms: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for leader_id, start, end in session.execute(select(Leader.leader_id, Leader.term_start, Leader.term_end)):
        terms.setdefault(leader_id, []).append((start, end))
    enterprise_county = {e: c for e, c in session.execute(select(Enterprise.enterprise_id, Enterprise.county_code))}
    staff = {
        sid: (certified, joined, left)
        for sid, certified, joined, left in session.execute(
            select(Staff.staff_id, Staff.certified_on, Staff.joined_on, Staff.left_on)
        )
    }
    return Registries(
        unit=frozenset(c for c, _ in units),
        county=frozenset(c for c, lvl in units if lvl == "county"),
        leader=frozenset(terms),
        enterprise=frozenset(enterprise_county),
        enterprise_county=enterprise_county,
        department=frozenset(d for (d,) in session.execute(select(Department.department_id))),
        terms=terms,
        staff=frozenset(staff),
        staff_service=staff,
        accidents={
            aid: (unit, occurred)
            for aid, unit, occurred in session.execute(
                select(Accident.accident_id, Accident.unit_code, Accident.occurred_at)
            )
        },
    )


# The registry snapshot the custom expectations read. Expectation kwargs name the registry
# only (a value set of 100k credit codes would bloat every suite and Data Docs page).
_ACTIVE = threading.local()
_LOCK = threading.RLock()


def _active_registries() -> Registries:
    reg = getattr(_ACTIVE, "registries", None)
    if reg is None:
        raise RuntimeError("no registry snapshot active: call validate_frame()")
    return reg


# --------------------------------------------------------------------------- GX plumbing


def quiet_gx() -> None:
    """GX logs ~200 INFO lines per run and draws tqdm bars; keep task logs readable."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.WARNING)


_CUSTOM: dict[str, type] = {}


def _custom_expectations() -> dict[str, type]:
    """Define the project's custom expectations once per process (GX imported lazily)."""
    if _CUSTOM:
        return _CUSTOM
    quiet_gx()
    from typing import ClassVar

    import numpy as np
    import pandas as pd
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import ColumnMapExpectation, ColumnPairMapExpectation
    from great_expectations.expectations.metrics.map_metric_provider import (
        ColumnMapMetricProvider,
        ColumnPairMapMetricProvider,
        column_condition_partial,
        column_pair_condition_partial,
    )

    class ColumnValuesValidCreditCode(ColumnMapMetricProvider):
        condition_metric_name = "column_values.safegov_valid_credit_code"

        @column_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column, **kwargs):
            # A batch repeats few enterprises many times: check each distinct code once.
            verdict = {code: is_valid_credit_code(code) for code in column.unique()}
            return column.map(verdict).astype(bool)

    class ExpectColumnValuesToBeValidCreditCode(ColumnMapExpectation):
        """GB 32100-2015 unified social credit code: alphabet, length and check character."""

        map_metric: ClassVar[str] = "column_values.safegov_valid_credit_code"
        success_keys: ClassVar[tuple[str, ...]] = ("mostly",)

    class ColumnValuesParseAs(ColumnMapMetricProvider):
        condition_metric_name = "column_values.safegov_parse_as"
        condition_value_keys = ("type_",)

        @column_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column, type_, **kwargs):
            typed = coerce_series(column, type_)
            ok = typed.notna()
            if type_ in ("code", *PERIOD_TYPES, "email"):
                pattern = {"code": _CODE_RE, "email": _EMAIL_RE, **_PERIOD_RES}[type_]
                ok = column.astype("string").str.fullmatch(pattern).fillna(False).astype(bool)
            return ok.to_numpy(dtype=bool)

    class ExpectColumnValuesToParseAs(ColumnMapExpectation):
        """Each submitted text parses as the contract's type (date, int, bool, …)."""

        type_: str
        map_metric: ClassVar[str] = "column_values.safegov_parse_as"
        success_keys: ClassVar[tuple[str, ...]] = ("type_", "mostly")

    class ColumnValuesInRegistry(ColumnMapMetricProvider):
        condition_metric_name = "column_values.safegov_in_registry"
        condition_value_keys = ("registry",)

        @column_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column, registry, **kwargs):
            members = getattr(_active_registries(), registry)
            return column.isin(members).to_numpy(dtype=bool)

    class ExpectColumnValuesToBeInSafegovRegistry(ColumnMapExpectation):
        """Codes exist in a registry (unit, county, leader, enterprise, department) now."""

        registry: str
        map_metric: ClassVar[str] = "column_values.safegov_in_registry"
        success_keys: ClassVar[tuple[str, ...]] = ("registry", "mostly")

    class ColumnPairLeaderInOffice(ColumnPairMapMetricProvider):
        condition_metric_name = "column_pair_values.safegov_leader_in_office"
        condition_domain_keys = (
            "batch_id",
            "table",
            "column_A",
            "column_B",
            "row_condition",
            "condition_parser",
            "ignore_row_if",
        )

        @column_pair_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column_A, column_B, **kwargs):
            terms = _active_registries().terms
            out = np.ones(len(column_A), dtype=bool)
            for i, (leader_id, on) in enumerate(zip(column_A.tolist(), column_B.tolist())):
                spans = terms.get(leader_id)
                if not spans:
                    continue  # unknown leaders are reported by the registry expectation
                day = on.date() if isinstance(on, dt.datetime) else on
                out[i] = any(in_term(start, end, day) for start, end in spans)
            return out

    class ExpectColumnPairValuesToBeLeaderInOffice(ColumnPairMapExpectation):
        """column_A (leader_id) holds a post on column_B (a date): term_start ≤ day ≤ term_end."""

        map_metric: ClassVar[str] = "column_pair_values.safegov_leader_in_office"
        success_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "ignore_row_if", "mostly")
        ignore_row_if: str = "either_value_is_missing"

    class ColumnPairOfficersCertified(ColumnPairMapMetricProvider):
        condition_metric_name = "column_pair_values.safegov_officers_certified"
        condition_domain_keys = ColumnPairLeaderInOffice.condition_domain_keys

        @column_pair_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column_A, column_B, **kwargs):
            reg = _active_registries()
            out = np.ones(len(column_A), dtype=bool)
            for i, (ids, on) in enumerate(zip(column_A.tolist(), column_B.tolist())):
                day = on.date() if isinstance(on, dt.datetime) else on
                officers = [o.strip() for o in str(ids).replace("；", ";").split(";") if o.strip()]
                out[i] = all(reg.officer_certified(o, day) for o in officers)
            return out

    class ExpectColumnPairValuesToBeCertifiedOfficers(ColumnPairMapExpectation):
        """column_A (staff ids joined by ';') are each certified and in service on column_B."""

        map_metric: ClassVar[str] = "column_pair_values.safegov_officers_certified"
        success_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "ignore_row_if", "mostly")
        ignore_row_if: str = "either_value_is_missing"

    class ColumnPairReportedAfterAccident(ColumnPairMapMetricProvider):
        condition_metric_name = "column_pair_values.safegov_reported_after_accident"
        condition_domain_keys = ColumnPairLeaderInOffice.condition_domain_keys

        @column_pair_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column_A, column_B, **kwargs):
            accidents = _active_registries().accidents
            out = np.ones(len(column_A), dtype=bool)
            for i, (aid, at) in enumerate(zip(column_A.tolist(), column_B.tolist())):
                found = accidents.get(aid)
                if found is None:
                    continue  # unknown accidents are reported by the registry expectation
                occurred = found[1] if found[1].tzinfo else found[1].replace(tzinfo=dt.UTC)
                out[i] = pd.Timestamp(at).to_pydatetime() >= occurred
            return out

    class ExpectColumnPairValuesToBeReportedAfterAccident(ColumnPairMapExpectation):
        """column_B (reported_at) is not before the accident column_A names occurred 〔十五〕."""

        map_metric: ClassVar[str] = "column_pair_values.safegov_reported_after_accident"
        success_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "ignore_row_if", "mostly")
        ignore_row_if: str = "either_value_is_missing"

    _CUSTOM.update(
        reported_after_accident=ExpectColumnPairValuesToBeReportedAfterAccident,
        credit_code=ExpectColumnValuesToBeValidCreditCode,
        parse_as=ExpectColumnValuesToParseAs,
        in_registry=ExpectColumnValuesToBeInSafegovRegistry,
        leader_in_office=ExpectColumnPairValuesToBeLeaderInOffice,
        officers_certified=ExpectColumnPairValuesToBeCertifiedOfficers,
        _metrics=(
            ColumnValuesValidCreditCode,
            ColumnValuesParseAs,
            ColumnValuesInRegistry,
            ColumnPairLeaderInOffice,
            ColumnPairOfficersCertified,
            ColumnPairReportedAfterAccident,
        ),
    )
    return _CUSTOM


def build_suite(rt: RecordType, present: Iterable[str] | None = None, name: str | None = None):
    """The GX expectation suite of one record type (SPEC §3 rules), each expectation tagged
    in ``meta`` with the rejection ``rule`` and ``column`` it reports."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    custom = _custom_expectations()
    present = set(rt.column_names if present is None else present)
    suite = gx.ExpectationSuite(name=name or f"safegov.{rt.name}")

    def add(exp, rule: str, column: str, message: str) -> None:
        exp.meta = {"rule": rule, "column": column, "message": message}
        suite.add_expectation(exp)

    for col in rt.columns:
        c = col.name
        raw = f"{c}__raw" if col.type not in ("str", "code", *PERIOD_TYPES, "email", "credit_code") else c
        if col.required:
            if c not in present:
                add(
                    gxe.ExpectColumnValuesToNotBeNull(column=raw), RULE_MISSING_COLUMN, c, f"the file has no column {c}"
                )
            elif rt.name == "hazard" and c in FIVE_ELEMENTS:
                add(
                    gxe.ExpectColumnValuesToNotBeNull(column=raw),
                    RULE_FIVE_ELEMENTS,
                    c,
                    f"a hazard needs all five elements of 〔四〕 (五落实); {c} is missing",
                )
            else:
                add(gxe.ExpectColumnValuesToNotBeNull(column=raw), RULE_REQUIRED, c, f"{c} is required")
        if c not in present:
            continue
        if col.type not in ("str", "credit_code"):
            add(custom["parse_as"](column=raw, type_=col.type), RULE_TYPE, c, f"{c} is not a valid {col.type}")
        if col.values:
            add(
                gxe.ExpectColumnValuesToBeInSet(column=c, value_set=list(col.values)),
                RULE_VALUE_SET,
                c,
                f"{c} must be one of {', '.join(col.values)}",
            )
        if col.min is not None:
            add(
                gxe.ExpectColumnValuesToBeBetween(column=c, min_value=col.min),
                RULE_MIN,
                c,
                f"{c} must be ≥ {col.min:g}",
            )
        if col.type == "credit_code":
            add(custom["credit_code"](column=c), RULE_CREDIT_CODE, c, f"{c} fails the GB 32100 check character")
        if col.references:
            add(
                custom["in_registry"](column=c, registry=col.references),
                RULE_UNKNOWN[col.references],
                c,
                f"{c} is not in the {col.references} registry",
            )
        if col.type in ("date", "datetime") and c not in FORWARD_DATES:
            ref = "_received_on" if col.type == "date" else "_received_at"
            add(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=ref, column_B=c, or_equal=True, ignore_row_if="either_value_is_missing"
                ),
                RULE_FUTURE,
                c,
                f"{c} is after the time the row was received",
            )
    for earlier, later in rt.order:
        if earlier in present and later in present:
            add(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
                ),
                RULE_ORDER,
                later,
                f"{later} is before {earlier}",
            )
    if "received_at" in present:
        add(
            custom["parse_as"](column="received_at__raw", type_="datetime"),
            RULE_TYPE,
            "received_at",
            "received_at is not a valid datetime (YYYY-MM-DD HH:MM[:SS], Asia/Shanghai unless an offset is given)",
        )
        add(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="_ingested_at",
                column_B="_received_claimed",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            RULE_FUTURE,
            "received_at",
            "received_at is after the file was ingested",
        )
    if rt.name == "inspection":
        add(
            custom["leader_in_office"](column_A="leader_id", column_B="led_on"),
            RULE_LEADER_IN_OFFICE,
            "leader_id",
            "the leader holds no post on led_on (outside term_start..term_end)",
        )
        if "officer_ids" in present:
            add(
                custom["officers_certified"](column_A="officer_ids", column_B="led_on"),
                RULE_UNCERTIFIED_OFFICER,
                "officer_ids",
                "an officer is not certified (持证上岗) or not in service on led_on 〔九〕",
            )
    if rt.name == "accident_report" and {"accident_id", "reported_at"} <= present:
        add(
            custom["reported_after_accident"](column_A="accident_id", column_B="reported_at"),
            RULE_REPORT_BEFORE_ACCIDENT,
            "reported_at",
            "the report is dated before the accident occurred 〔十五〕",
        )
    add(
        gxe.ExpectColumnValuesToBeNull(column="_dup_of"),
        RULE_DUPLICATE_KEY,
        ",".join(rt.key),
        f"repeats the natural key ({', '.join(rt.key)}) of an earlier row in the same file",
    )
    return suite


# --------------------------------------------------------------------------- the context


@dataclass
class _Gx:
    context: Any
    batch_definition: Any
    validations: dict[str, Any] = field(default_factory=dict)
    docs_dir: Path | None = None


_GX: dict[str, _Gx] = {}
DOCS_SITE = "safegov_site"
DOCS_STORE = "safegov_docs_results"


def _gx(docs_dir: Path | None) -> _Gx:
    """One ephemeral context per process (and docs folder); suites added on first use.

    Validation results are never kept by the context: a trimmed copy goes to a filesystem
    store that the Data Docs site renders, so docs never carry 100k-row lists.
    """
    key = str(docs_dir)
    if key in _GX:
        return _GX[key]
    quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults()
    stores = dict(defaults.stores)
    sites: dict[str, Any] = {}
    if docs_dir is not None:
        docs_dir = Path(docs_dir)
        stores[DOCS_STORE] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir / "_results"),
            },
        }
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "site_section_builders": {
                "validations": {"source_store_name": DOCS_STORE},
                "expectations": {"source_store_name": defaults.expectations_store_name},
            },
        }
    config = DataContextConfig(
        store_backend_defaults=None,
        stores=stores,
        expectations_store_name=defaults.expectations_store_name,
        validation_results_store_name=defaults.validation_results_store_name,
        checkpoint_store_name=defaults.checkpoint_store_name,
        data_docs_sites=sites,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    source = context.data_sources.add_pandas("safegov_submissions")
    asset = source.add_dataframe_asset("rows")
    state = _Gx(context, asset.add_batch_definition_whole_dataframe("file"), docs_dir=docs_dir)
    _GX[key] = state
    return state


def _validation(state: _Gx, rt: RecordType, present: frozenset[str]):
    import great_expectations as gx

    missing = sorted(set(rt.column_names) - present)
    suffix = (f".without_{'_'.join(missing)}" if missing else "") + (
        ".with_received_at" if "received_at" in present else ""
    )
    name = f"safegov.{rt.name}{suffix}"
    vd = state.validations.get(name)
    if vd is None:
        suite = build_suite(rt, present, name)
        suite = state.context.suites.add_or_update(suite)
        vd = state.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"validate.{suite.name}", data=state.batch_definition, suite=suite)
        )
        state.validations[name] = vd
    return vd


# --------------------------------------------------------------------------- validate


@dataclass(frozen=True)
class RowRejection:
    file: int  # the frame's ``_file``
    row: int  # the frame's ``_row``
    column: str | None
    rule: str
    message: str


@dataclass
class ValidationOutcome:
    rejections: dict[tuple[int, int], list[RowRejection]]  # by (_file, _row)
    docs_url: str | None = None
    seconds: float = 0.0


class ValidationCrash(RuntimeError):
    """An expectation raised instead of judging the rows (a defect, never a verdict on rows)."""


def validate_frame(
    frame: pd.DataFrame,
    rt: RecordType,
    registries: Registries,
    *,
    present: Iterable[str],
    docs_dir: Path | None = None,
    run_name: str | None = None,
) -> ValidationOutcome:
    """Run the record type's suite over ``frame`` (from :func:`typed_frame`).

    Returns every rejection reason per ``(_file, _row)``; rows without any are valid.
    """
    import time

    from great_expectations.constants import DATAFRAME_REPLACEMENT_STR
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.validator.v1_validator import Validator

    started = time.perf_counter()
    state = _gx(docs_dir)
    vd = _validation(state, rt, frozenset(present) & (set(rt.column_names) | {"received_at"}))
    with _LOCK:
        _ACTIVE.registries = registries
        try:
            # What ValidationDefinition.run does, less its last step: serialising the whole
            # result (every unexpected row) into the context's result store, a third of
            # the run at 1M rows. The result is read here; Data Docs get a trimmed copy.
            validator = Validator(
                batch_definition=vd.batch_definition,
                batch_parameters={"dataframe": frame},
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": ["_file", "_row"],
                    "return_unexpected_index_query": False,
                    "partial_unexpected_count": 20,
                },
            )
            result = validator.validate_expectation_suite(vd.suite)
        finally:
            _ACTIVE.registries = None
    run_id = RunIdentifier(run_name=(run_name or rt.name)[:200], run_time=dt.datetime.now(dt.UTC))
    result.meta.update(
        validation_id=vd.id,
        checkpoint_id=None,
        run_id=run_id,
        validation_time=run_id.run_time,
        batch_parameters={"dataframe": DATAFRAME_REPLACEMENT_STR},
    )
    rejections: dict[tuple[int, int], list[RowRejection]] = {}
    for r in result.results:
        if r.exception_info and r.exception_info.get("raised_exception"):
            raise ValidationCrash(
                f"{r.expectation_config.type} on {rt.name}: {r.exception_info.get('exception_message')}"
            )
        if r.success:
            continue
        meta = r.expectation_config.meta or {}
        for item in r.result.get("unexpected_index_list") or []:
            where = (int(item["_file"]), int(item["_row"]))
            rejections.setdefault(where, []).append(
                RowRejection(*where, meta.get("column"), meta["rule"], meta.get("message", ""))
            )
    outcome = ValidationOutcome(rejections=rejections)
    if state.docs_dir is not None:
        outcome.docs_url = _write_docs(state, vd, result)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _trimmed(result):
    """For Data Docs, in place (the rows were read already): counts kept, lists cut to 20."""
    docs = result
    for r in docs.results:
        res = r.result or {}
        for k in (
            "unexpected_list",
            "unexpected_index_list",
            "partial_unexpected_index_list",
            "partial_unexpected_list",
        ):
            if isinstance(res.get(k), list) and len(res[k]) > 20:
                res[k] = res[k][:20]
        res.pop("partial_unexpected_counts", None)
        res.pop("unexpected_index_query", None)
    return docs


def _write_docs(state: _Gx, vd, result) -> str | None:
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    ctx = state.context
    suite_id = ExpectationSuiteIdentifier(name=vd.suite.name)
    run_id = result.meta["run_id"]
    vrid = ValidationResultIdentifier(expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier="file")
    ctx.stores[DOCS_STORE].set(vrid, _trimmed(result))
    ctx.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=[vrid, suite_id])
    urls = ctx.get_docs_sites_urls(resource_identifier=vrid, site_name=DOCS_SITE)
    return urls[0]["site_url"] if urls else None


def data_docs_index(docs_dir: Path) -> Path:
    return Path(docs_dir) / "index.html"


def suites() -> dict[str, Any]:
    """The full suite of every record type (for docs and tests)."""
    return {name: build_suite(rt) for name, rt in RECORD_TYPES.items()}
