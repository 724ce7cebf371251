"""Write (or load) a province-scale synthetic data set, streamed month by month.

  safegov synth --enterprises 100000 --from 2017-02 --to 2026-12 --seed 1 --out /data/synth
  safegov synth --enterprises 2000 --from 2025-01 --to 2025-12 --load     ingest chunk by chunk

One plain UTF-8 CSV per record type per month in the inbox format (SPEC §3), about 90 %
compliance, late arrivals, bad rows and accidents; deterministic for a given seed and range.
--load feeds each month through the same ingestion as `safegov ingest` (into
SAFEGOV_DATABASE_URL, migrated first) and deletes the chunk unless --out is given too.
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("--enterprises", type=int, default=100_000, help="number of enterprises (default 100000)")
    parser.add_argument("--from", dest="from_key", required=True, help="first month YYYY-MM")
    parser.add_argument("--to", dest="to_key", required=True, help="last month YYYY-MM")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compliance", type=float, default=0.90, help="share of obligations met (default 0.90)")
    parser.add_argument("--out", help="output folder")
    parser.add_argument("--load", action="store_true", help="ingest each chunk into the compliance database")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args) -> int:
    import json
    from pathlib import Path

    from safegov.cli.parsing import parse_month
    from safegov.core.errors import SafegovError

    parse_month(args.from_key, "--from")
    parse_month(args.to_key, "--to")
    if args.from_key > args.to_key:
        raise SafegovError(f"--from {args.from_key} is after --to {args.to_key}")
    if args.enterprises < 1:
        raise SafegovError("--enterprises must be ≥ 1")
    if not 0.0 < args.compliance <= 1.0:
        raise SafegovError("--compliance must be in (0, 1]")
    if not args.out and not args.load:
        raise SafegovError("give --out DIR, --load, or both")
    engine = None
    if args.load:
        from safegov.db.engine import get_engine, migrate, session_scope
        from safegov.org.units import sync_units

        engine = get_engine()
        migrate(engine)
        with session_scope(engine) as session:
            sync_units(session)
    from safegov.cli.progress import open_progress
    from safegov.devtools.synth import write_synth

    with open_progress() as progress:
        result = write_synth(
            Path(args.out) if args.out else None,
            enterprises=args.enterprises,
            from_key=args.from_key,
            to_key=args.to_key,
            seed=args.seed,
            compliance=args.compliance,
            load_engine=engine,
            progress=progress,
        )
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(
        f"synthetic set {result['from']}..{result['to']}: {result['enterprises']} enterprises, "
        f"{result['files']} files, "
        f"{result['rows_total']} rows, {result['bytes'] / 1e6:.1f} MB, {result['write_seconds']} s writing "
        f"({result['rows_per_second']} rows/s), planned compliance {result['obligations']['compliance']:.1%}"
    )
    if "ingest" in result:
        i = result["ingest"]
        print(
            f"loaded: {i['files']} files, {i['accepted']} accepted, {i['quarantined']} quarantined "
            f"in {result['load_seconds']} s"
        )
    return 0
