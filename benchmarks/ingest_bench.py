"""Ingestion throughput: rows/second for one large file of one record type on SQLite,
and the share of that time spent inside Great Expectations.

  .venv/bin/python benchmarks/ingest_bench.py [--rows 100000] [--type hazard_inspection]
                                              [--bad 0.02] [--docs] [--url sqlite:///...]

Prints figures only (no assertions). The first GX import is timed apart: it happens once
per process, not per file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))


def build(rows: int, bad: float, folder: Path, seed: int = 7) -> tuple[Path, list[str]]:
    from safegov.creditcode import ALPHABET, make_credit_code

    rnd = random.Random(seed)
    enterprises = [make_credit_code("9115" + "".join(rnd.choice(ALPHABET) for _ in range(13))) for _ in range(2000)]
    path = folder / "hazard_inspection_bench.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "enterprise_id", "inspected_on", "led_by_role", "hazards_found", "archived"])
        start = dt.date(2023, 1, 1)
        for i in range(rows):
            day = start + dt.timedelta(days=rnd.randrange(500))
            row = [f"R{i:07d}", rnd.choice(enterprises), day.isoformat(),
                   rnd.choice(("legal_representative", "actual_controller", "other")), str(rnd.randrange(6)),
                   rnd.choice(("是", "否", "true"))]
            if rnd.random() < bad:
                k = rnd.randrange(4)
                row[[2, 3, 4, 1][k]] = ["2023-02-30", "boss", "-1", row[1][:-1] + "0"][k]
            w.writerow(row)
    return path, enterprises


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--bad", type=float, default=0.02, help="share of rows made invalid")
    ap.add_argument("--docs", action="store_true", help="also write GX Data Docs")
    ap.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="safegov-bench-"))
    os.environ.setdefault("SAFEGOV_DATA_DIR", str(tmp / "data"))
    t0 = time.perf_counter()
    import great_expectations  # noqa: F401  (timed apart: once per process)

    from safegov.validation import _custom_expectations, quiet_gx

    quiet_gx()
    _custom_expectations()
    t_import = time.perf_counter() - t0

    from sqlalchemy.orm import Session

    from safegov.db import make_engine, migrate
    from safegov.ingest import ingest_paths
    from safegov.models import Enterprise
    from safegov.orgs import sync_units

    engine = make_engine(args.url or f"sqlite:///{tmp / 'bench.db'}")
    migrate(engine)
    path, enterprises = build(args.rows, args.bad, tmp)
    with Session(engine) as s, s.begin():
        sync_units(s)
        s.add_all(Enterprise(enterprise_id=e, name=f"E{i}", county_code="150102", registered_on=dt.date(2000, 1, 1))
                  for i, e in enumerate(enterprises))
    size = path.stat().st_size
    now = dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc)
    # Warm-up on a tiny file so that suite building is not charged to the big one.
    small = tmp / "hazard_inspection_warm.csv"
    small.write_text(path.read_text(encoding="utf-8").split("\n", 3)[0] + "\n" + path.read_text(encoding="utf-8").split("\n", 3)[1] + "\n",
                     encoding="utf-8")
    ingest_paths(engine, [small], docs_dir=(tmp / "docs") if args.docs else None, now=now)

    t = time.perf_counter()
    cpu = time.process_time()
    rep = ingest_paths(engine, [path], docs_dir=(tmp / "docs") if args.docs else None, now=now)
    wall = time.perf_counter() - t
    cpu = time.process_time() - cpu
    (f,) = rep.files
    print(f"file: {f.rows_total} rows of {f.record_type}, {size / 1e6:.1f} MB, backend {engine.dialect.name}")
    print(f"GX import + custom expectations (once per process): {t_import:.1f} s")
    print(f"ingest: {wall:.1f} s → {f.rows_total / wall:,.0f} rows/s "
          f"(accepted {f.accepted}, quarantined {f.quarantined}: {dict(sorted(f.rejections_by_rule.items()))})")
    print(f"CPU time of this process: {cpu:.1f} s → {f.rows_total / cpu:,.0f} rows per CPU-second "
          f"(the figure that depends least on other load; load average now {os.getloadavg()[0]:.1f})")
    print(f"GX validation: {f.seconds_gx:.1f} s = {100 * f.seconds_gx / wall:.0f}% of the time")
    print(f"rest (read, typing, raw rows, rejections, upserts, history): {wall - f.seconds_gx:.1f} s")
    t = time.perf_counter()
    rep2 = ingest_paths(engine, [path], now=now, docs_dir=None)
    print(f"re-ingest of the same file: {rep2.files[0].status} in {time.perf_counter() - t:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
