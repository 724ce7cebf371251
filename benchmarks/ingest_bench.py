"""Ingestion throughput (issue #7: 1 million rows ingested and validated in ≤ 60 s) and what
Great Expectations costs against the same checks written as vectorised pandas.

  .venv/bin/python benchmarks/ingest_bench.py [--rows 100000] [--bad 0.02] [--docs]
                                              [--backend sqlite|postgresql|both] [--url URL]
                                              [--slice-rows N] [--no-extras]

The rows are ``hazard_inspection`` self-checks of 2,000 registered enterprises, 2 % of them
made invalid (bad date, role, count or check character), written as CSV files of at most
100,000 rows and ingested in one ``ingest_paths`` call (read, validate, store raw, quarantine,
upsert, history). Figures, per backend (a fresh SQLite file; a throw-away PostgreSQL schema):

- peak RSS of the ingest, measured in a process of its own (spawned: it holds nothing but
  the ingest); baseline: the same process just before it. Target ≤ 2 GB at any batch size.
- rows/s and total seconds. Baseline: a bare executemany INSERT of the same cells into a
  plain table without index, in the same run and database (SQLAlchemy Core executemany:
  the driver's own batch path). Target ≤ 60 s for 1M rows, scaled linearly below that.
- 200 small files (the demo's shape) against the same rows in one file: what each file
  costs beyond its rows, now that GX runs once per record type and slice of the batch.

And once: the GX validation of all rows (in the 100k-row chunks ingestion uses) against
:func:`pandas_checks`, the same rules as plain vectorised pandas over the same typed frame;
both must find the same rejections. The first GX import is timed apart (once per process).

``bench(size, work)`` (``make bench``): 1,000,000 × BENCH_SIZE rows (at least 2,000).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import Figure, Size, scratch_database, size_from_env, stopwatch

FULL_ROWS = 1_000_000
TARGET_SECONDS = 60.0  # for FULL_ROWS, issue #7
TARGET_RSS_MB = 2048  # for any batch size, issue #20
FILE_ROWS = 100_000  # rows per submitted file
SMALL_FILES = 200  # the demo: ~200 monthly files, ~23,000 rows
SMALL_ROWS = 23_000
NOW = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
HEADER = ["record_id", "enterprise_id", "inspected_on", "led_by_role", "hazards_found", "archived"]
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# --------------------------------------------------------------------------- data


def enterprises(n: int = 2000, seed: int = 7) -> list[str]:
    from safegov.core.creditcode import ALPHABET, make_credit_code

    rnd = random.Random(seed)
    return [make_credit_code("9115" + "".join(rnd.choice(ALPHABET) for _ in range(13))) for _ in range(n)]


def rows(n: int, bad: float, ents: list[str], seed: int = 7) -> list[list[str]]:
    """``n`` self-check rows, a share ``bad`` of them with one invalid cell."""
    rnd = random.Random(seed)
    start = dt.date(2023, 1, 1)
    out = []
    for i in range(n):
        day = start + dt.timedelta(days=rnd.randrange(500))
        row = [
            f"R{i:07d}",
            rnd.choice(ents),
            day.isoformat(),
            rnd.choice(("legal_representative", "actual_controller", "other")),
            str(rnd.randrange(6)),
            rnd.choice(("是", "否", "true")),
        ]
        if rnd.random() < bad:
            k = rnd.randrange(4)
            row[[2, 3, 4, 1][k]] = ["2023-02-30", "boss", "-1", row[1][:-1] + "0"][k]
        out.append(row)
    return out


def write_files(data: list[list[str]], folder: Path, per_file: int, stem: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, start in enumerate(range(0, len(data), per_file)):
        path = folder / f"hazard_inspection_{stem}_{k:04d}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(HEADER)
            w.writerows(data[start : start + per_file])
        paths.append(path)
    return paths


def register(engine, ents: list[str]) -> None:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from safegov.db.models import Enterprise
    from safegov.org.units import sync_units

    with Session(engine) as s, s.begin():
        sync_units(s)
        s.execute(
            insert(Enterprise),
            [
                {"enterprise_id": e, "name": f"E{i}", "county_code": "150102", "registered_on": dt.date(2000, 1, 1)}
                for i, e in enumerate(ents)
            ],
        )


def warm_gx() -> float:
    """Import GX and define the custom expectations: once per process, timed apart."""
    with stopwatch() as t:
        import great_expectations  # noqa: F401

        from safegov.intake.validation import _custom_expectations, quiet_gx

        quiet_gx()
        _custom_expectations()
    return t[0]


# --------------------------------------------------------------------------- the pandas baseline


def valid_credit_codes(codes) -> Any:
    """GB 32100 check character over a whole column at once (numpy), True where valid."""
    import numpy as np

    from safegov.core.creditcode import ALPHABET, WEIGHTS

    text = codes.astype("object").where(codes.notna(), "").astype(str)
    ok = (text.str.len() == 18).to_numpy(copy=True)
    chars = np.frombuffer(text.where(ok, "0" * 18).str.cat().encode("ascii", "replace"), dtype=np.uint8).reshape(-1, 18)
    value = np.full(256, -1, dtype=np.int64)
    value[np.frombuffer(ALPHABET.encode(), dtype=np.uint8)] = np.arange(len(ALPHABET))
    digits = value[chars]
    ok &= (digits >= 0).all(axis=1)
    check = (31 - (digits[:, :17] * np.array(WEIGHTS)).sum(axis=1) % 31) % 31
    return ok & (check == digits[:, 17])


def pandas_checks(frame, rt, registries, present) -> dict[tuple[int, int], set[tuple[str, str]]]:
    """The suite of ``safegov.intake.validation.build_suite`` as plain vectorised pandas: for each
    unexpected row, ``(_file, _row)`` → {(rule, column)}. GX skips missing values in every
    rule but the null checks; so does this."""
    import pandas as pd

    from safegov.intake.validation import (
        _CODE_RE,
        _EMAIL_RE,
        _PERIOD_RE,
        FIVE_ELEMENTS,
        FORWARD_DATES,
        RULE_CREDIT_CODE,
        RULE_DUPLICATE_KEY,
        RULE_FIVE_ELEMENTS,
        RULE_FUTURE,
        RULE_MIN,
        RULE_MISSING_COLUMN,
        RULE_ORDER,
        RULE_REQUIRED,
        RULE_TYPE,
        RULE_UNKNOWN,
        RULE_VALUE_SET,
        coerce_series,
    )

    checks: list[tuple[str, str, pd.Series]] = []  # rule, column, unexpected
    for col in rt.columns:
        c = col.name
        raw = f"{c}__raw" if col.type not in ("str", "code", "period", "email", "credit_code") else c
        given = frame[raw].notna()
        typed = frame[c].notna()
        if col.required:
            rule = (
                RULE_MISSING_COLUMN
                if c not in present
                else RULE_FIVE_ELEMENTS
                if rt.name == "hazard" and c in FIVE_ELEMENTS
                else RULE_REQUIRED
            )
            checks.append((rule, c, ~given))
        if c not in present:
            continue
        if col.type in ("code", "period", "email"):
            pattern = {"code": _CODE_RE, "period": _PERIOD_RE, "email": _EMAIL_RE}[col.type]
            checks.append((RULE_TYPE, c, given & ~frame[raw].astype("string").str.fullmatch(pattern).fillna(False)))
        elif col.type not in ("str", "credit_code"):
            checks.append((RULE_TYPE, c, given & coerce_series(frame[raw], col.type).isna()))
        if col.values:
            checks.append((RULE_VALUE_SET, c, typed & ~frame[c].isin(col.values)))
        if col.min is not None:
            checks.append((RULE_MIN, c, typed & ~(frame[c] >= col.min)))
        if col.type == "credit_code":
            checks.append((RULE_CREDIT_CODE, c, typed & ~valid_credit_codes(frame[c])))
        if col.references:
            checks.append(
                (RULE_UNKNOWN[col.references], c, typed & ~frame[c].isin(getattr(registries, col.references)))
            )
        if col.type in ("date", "datetime") and c not in FORWARD_DATES:
            ref = frame["_received_on" if col.type == "date" else "_received_at"]
            checks.append((RULE_FUTURE, c, typed & ref.notna() & ~(ref >= frame[c])))
    for earlier, later in rt.order:
        if earlier in present and later in present:
            both = frame[earlier].notna() & frame[later].notna()
            checks.append((RULE_ORDER, later, both & ~(frame[later] >= frame[earlier])))
    if "received_at" in present:
        given = frame["received_at__raw"].notna()
        checks.append((RULE_TYPE, "received_at", given & coerce_series(frame["received_at__raw"], "datetime").isna()))
        both = frame["_ingested_at"].notna() & frame["_received_claimed"].notna()
        checks.append((RULE_FUTURE, "received_at", both & ~(frame["_ingested_at"] >= frame["_received_claimed"])))
    if rt.name == "inspection":
        raise NotImplementedError("leader_in_office has no pandas twin here: the benchmark uses hazard_inspection")
    checks.append((RULE_DUPLICATE_KEY, ",".join(rt.key), frame["_dup_of"].notna()))
    out: dict[tuple[int, int], set[tuple[str, str]]] = {}
    where = list(zip(frame["_file"].tolist(), frame["_row"].tolist()))
    for rule, column, unexpected in checks:
        for i in unexpected.to_numpy().nonzero()[0].tolist():
            out.setdefault(where[i], set()).add((rule, column))
    return out


def gx_against_pandas(data: list[list[str]], ents: list[str], chunk_rows: int = FILE_ROWS) -> dict:
    """The same typed frame through the GX suite (chunked as ingestion does) and through
    :func:`pandas_checks`; seconds of each and whether they agree."""
    import pandas as pd

    from safegov.intake.validation import Registries, typed_frame, validate_frame
    from safegov.register.records import RECORD_TYPES

    rt = RECORD_TYPES["hazard_inspection"]
    raw = pd.DataFrame(
        {
            "_file": [i // FILE_ROWS for i in range(len(data))],
            "_row": [i % FILE_ROWS + 2 for i in range(len(data))],
            **{c: pd.Series([r[j] for r in data], dtype="object") for j, c in enumerate(HEADER)},
        }
    )
    received = pd.Series(pd.Timestamp(NOW), index=raw.index).astype("datetime64[us, UTC]")
    frame = typed_frame(raw, rt, received, ingested_at=NOW)
    registries = Registries(enterprise=frozenset(ents))
    present = set(HEADER)
    gx: dict[tuple[int, int], set[tuple[str, str]]] = {}
    with stopwatch() as t_gx:
        for start in range(0, len(frame), chunk_rows):
            outcome = validate_frame(frame.iloc[start : start + chunk_rows], rt, registries, present=present)
            for where, reasons in outcome.rejections.items():
                gx.setdefault(where, set()).update((r.rule, r.column) for r in reasons)
    with stopwatch() as t_pd:
        by_pandas = pandas_checks(frame, rt, registries, present)
    return {
        "gx_seconds": t_gx[0],
        "pandas_seconds": t_pd[0],
        "rows": len(frame),
        "chunks": -(-len(frame) // chunk_rows),
        "rows_rejected_gx": len(gx),
        "rows_rejected_pandas": len(by_pandas),
        "agree": gx == by_pandas,
    }


# --------------------------------------------------------------------------- measurements


def bare_insert(engine, data: list[list[str]]) -> float:
    """Seconds to INSERT the same cells into a plain table (no index, no constraint)."""
    from sqlalchemy import Column, MetaData, Table, Text

    plain = Table("bench_plain_rows", MetaData(), *(Column(c, Text) for c in HEADER))
    plain.create(engine)
    try:
        params = [dict(zip(HEADER, r)) for r in data]
        with stopwatch() as t, engine.begin() as conn:
            conn.execute(plain.insert(), params)
        return t[0]
    finally:
        plain.drop(engine)


def measure(
    backend: str,
    data: list[list[str]],
    ents: list[str],
    work: Path,
    *,
    docs: bool = False,
    url: str | None = None,
    small_files: int = 0,
    slice_rows: int | None = None,
) -> dict:
    """Ingest ``data`` (files of FILE_ROWS) into a fresh database of ``backend``; the bare
    INSERT baseline; optionally the same rows again as ``small_files`` files."""
    from safegov.intake.pipeline import ingest_paths

    folder = work / f"inbox-{backend}"
    docs_dir = (work / f"docs-{backend}") if docs else None
    with _database(backend, work, url) as engine:
        register(engine, ents)
        warm = write_files(
            [["W0000001", ents[0], "2024-01-01", "other", "0", "否"]], work / f"warm-{backend}", 1, "warm"
        )
        paths = write_files(data, folder, FILE_ROWS, "bench")
        result = ingest_in_child(engine, paths, warm, docs_dir, len(data), slice_rows=slice_rows)
        result["bare_insert_seconds"] = bare_insert(engine, data)
    result["backend"] = backend
    result["files"] = len(paths)
    if small_files:
        per_file = max(1, min(len(data), SMALL_ROWS) // small_files)
        few = data[: per_file * small_files]
        with _database(backend, work, None) as engine:
            register(engine, ents)
            ingest_paths(engine, warm, docs_dir=None, now=NOW)
            one = write_files(few, work / f"one-{backend}", len(few), "one")
            with stopwatch() as t_one:
                ingest_paths(engine, one, docs_dir=None, now=NOW)
        with _database(backend, work, None) as engine:
            register(engine, ents)
            ingest_paths(engine, warm, docs_dir=None, now=NOW)
            many = write_files(few, work / f"many-{backend}", per_file, "many")
            with stopwatch() as t_many:
                many_report = ingest_paths(engine, many, docs_dir=None, now=NOW)
        result["small"] = {
            "files": len(many),
            "rows": len(few),
            "seconds": t_many[0],
            "one_file_seconds": t_one[0],
            **{k: v for k, v in _summary(many_report, t_many[0], len(few)).items() if k == "gx_seconds"},
        }
    return result


def ingest_in_child(
    engine, paths: list[Path], warm: list[Path], docs_dir: Path | None, expected: int, *, slice_rows: int | None
) -> dict:
    """The timed ingest in a fresh interpreter of its own, so that its peak RSS is the
    ingest's alone: this process holds the generated rows, and the pandas comparison
    builds a typed frame of all of them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from sqlalchemy import text

    options = None
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            options = f"-csearch_path={conn.scalar(text('SHOW search_path'))}"
    url = engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_child_ingest, url, options, paths, warm, docs_dir, expected, slice_rows).result()


def _child_ingest(
    url: str,
    options: str | None,
    paths: list[Path],
    warm: list[Path],
    docs_dir: Path | None,
    expected: int,
    slice_rows: int | None,
) -> dict:
    from safegov.db.engine import make_engine
    from safegov.intake.pipeline import ingest_paths

    logging.basicConfig(level=logging.ERROR)
    engine = make_engine(url, **({"connect_args": {"options": options}} if options else {}))
    try:
        ingest_paths(engine, warm, docs_dir=docs_dir, now=NOW)  # GX imported, suites built, caches warm
        rss_before = _own_peak_rss_mb()
        extra = {} if slice_rows is None else {"slice_rows": slice_rows}
        cpu = time.process_time()
        with stopwatch() as t:
            report = ingest_paths(engine, paths, docs_dir=docs_dir, now=NOW, **extra)
        result = _summary(report, t[0], expected)
        # This process's CPU and the machine's load: what a wall time on a shared machine
        # depends on (the database server's own work is not in the CPU figure).
        result["cpu_seconds"] = time.process_time() - cpu
        result["load_average"] = os.getloadavg()[0]
        result["peak_rss_mb"] = _own_peak_rss_mb()
        result["rss_before_mb"] = rss_before
        return result
    finally:
        engine.dispose()


def _own_peak_rss_mb() -> float:
    """Peak RSS of this process's own address space (VmHWM). Not ``ru_maxrss``: Linux carries
    that over an exec, so a spawned child would count the parent's RSS at the fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _database(backend: str, work: Path, url: str | None):
    if url is None:
        return scratch_database(backend, work)
    from contextlib import nullcontext

    from safegov.db.engine import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    return nullcontext(engine)


def _summary(report, seconds: float, expected: int) -> dict:
    total = sum(f.rows_total for f in report.files)
    accepted = sum(f.accepted for f in report.files)
    quarantined = sum(f.quarantined for f in report.files)
    if total != expected or accepted + quarantined != total or any(f.status != "processed" for f in report.files):
        raise RuntimeError(f"ingestion lost rows: {[f.summary() for f in report.files]}")
    return {
        "seconds": seconds,
        "rows": total,
        "accepted": accepted,
        "quarantined": quarantined,
        "gx_seconds": sum(f.seconds_gx for f in report.files),
    }


# --------------------------------------------------------------------------- figures


def figures(m: dict, size_note: str, target_s: float) -> list[Figure]:
    name = NAMES[m["backend"]]
    n = m["rows"]
    met = m["seconds"] <= target_s
    note = (
        f"{size_note}; {m['files']} file(s), accepted {m['accepted']:,}, quarantined {m['quarantined']:,}; "
        f"GX {m['gx_seconds']:.1f} s ({100 * m['gx_seconds'] / m['seconds']:.0f} %); CPU of this process "
        f"{m['cpu_seconds']:.1f} s, load average {m['load_average']:.1f} on {os.cpu_count()} cores"
    )
    if not met:
        note += f". Over by {m['seconds'] - target_s:.1f} s"
    baseline = "bare executemany INSERT of the same cells into a plain table (same run, same database)"
    out = [
        Figure(
            "ingest",
            f"ingest {n:,} rows, rows/s ({name})",
            n / m["seconds"],
            "rows/s",
            baseline,
            n / m["bare_insert_seconds"],
            f"≥ {FULL_ROWS / TARGET_SECONDS:,.0f} rows/s (1M rows in ≤ 60 s)",
            met,
            note,
            extra=m,
        ),
        Figure(
            "ingest",
            f"ingest {n:,} rows, total ({name})",
            m["seconds"],
            "s",
            baseline,
            m["bare_insert_seconds"],
            f"≤ {target_s:.1f} s (≤ 60 s for 1M rows)",
            met,
            note,
        ),
    ]
    out.append(
        Figure(
            "ingest",
            f"ingest {n:,} rows, peak RSS of the ingesting process ({name})",
            m["peak_rss_mb"],
            "MB",
            "the same process before the ingest (GX imported, one warm-up file ingested)",
            m["rss_before_mb"],
            f"≤ {TARGET_RSS_MB:,} MB, independent of the batch's size",
            m["peak_rss_mb"] <= TARGET_RSS_MB,
            f"{m['files']} file(s) of ≤ {FILE_ROWS:,} rows; measured in a process of its own that does nothing else",
        )
    )
    if "small" in m:
        s = m["small"]
        out.append(
            Figure(
                "ingest",
                f"{s['rows']:,} rows as {s['files']} small files ({name})",
                s["seconds"],
                "s",
                "the same rows as one file",
                s["one_file_seconds"],
                note=(
                    f"{1000 * (s['seconds'] - s['one_file_seconds']) / s['files']:.0f} ms per extra file; GX "
                    f"{s['gx_seconds']:.2f} s "
                    f"for all files (one run per record type, not per file)"
                ),
                extra=s,
            )
        )
    return out


def gx_figure(r: dict, import_seconds: float) -> Figure:
    agree = (
        "same rejections"
        if r["agree"]
        else (f"DISAGREE: GX rejects {r['rows_rejected_gx']:,} rows, pandas {r['rows_rejected_pandas']:,}")
    )
    return Figure(
        "ingest",
        f"GX validation of {r['rows']:,} rows",
        r["gx_seconds"],
        "s",
        "the same rules as vectorised pandas over the same typed frame",
        r["pandas_seconds"],
        note=(
            f"{r['chunks']} GX run(s) of ≤ {FILE_ROWS:,} rows; {agree} ({r['rows_rejected_gx']:,} rows); "
            f"GX import + custom expectations {import_seconds:.1f} s once per process"
        ),
        extra=r,
    )


def run(
    size: Size,
    work: Path,
    *,
    backends=("sqlite", "postgresql"),
    bad: float = 0.02,
    docs: bool = False,
    url: str | None = None,
    slice_rows: int | None = None,
    extras: bool = True,
) -> list[Figure]:
    logging.basicConfig(level=logging.ERROR)
    import_seconds = warm_gx()
    n = size.n(FULL_ROWS, minimum=2000)
    ents = enterprises()
    data = rows(n, bad, ents)
    target_s = TARGET_SECONDS * n / FULL_ROWS
    size_note = (
        f"{n:,} rows"
        if n == FULL_ROWS
        else f"{n:,} rows: target scaled linearly from 60 s for 1M rows to {target_s:.1f} s"
    )
    out: list[Figure] = []
    for backend in backends:
        m = measure(
            backend,
            data,
            ents,
            work,
            docs=docs,
            url=url,
            small_files=SMALL_FILES if backend == "sqlite" and extras else 0,
            slice_rows=slice_rows,
        )
        out.extend(figures(m, size_note, target_s))
    if extras:
        out.append(gx_figure(gx_against_pandas(data, ents), import_seconds))
    return out


def bench(size: Size, work: Path) -> list[Figure]:
    return run(size, work)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=size_from_env().n(FULL_ROWS, minimum=2000))
    ap.add_argument("--bad", type=float, default=0.02, help="share of rows made invalid")
    ap.add_argument("--docs", action="store_true", help="also write GX Data Docs")
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file / PostgreSQL schema)")
    ap.add_argument("--slice-rows", type=int, default=None, help="ingest_paths(slice_rows=…) (default: its own)")
    ap.add_argument("--no-extras", action="store_true", help="only the big ingest: no small files, no GX vs pandas")
    args = ap.parse_args(argv)

    size = Size(f"{args.rows} rows", args.rows / FULL_ROWS)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory(prefix="safegov-ingestbench-") as tmp:
        os.environ.setdefault("SAFEGOV_DATA_DIR", str(Path(tmp) / "data"))
        out = run(
            size,
            Path(tmp),
            backends=backends,
            bad=args.bad,
            docs=args.docs,
            url=args.url,
            slice_rows=args.slice_rows,
            extras=not args.no_extras,
        )
    for f in out:
        ratio = f"  ratio {f.ratio:.2f}" if f.ratio is not None else ""
        verdict = "" if f.met is None else ("  met" if f.met else "  MISSED")
        print(
            f"{f.name}: {f.value:,.2f} {f.unit} (baseline {f.baseline_value or 0:,.2f}){ratio}"
            f"{verdict} {f.target}\n    {f.note}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
