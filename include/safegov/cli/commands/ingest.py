"""Ingest submission files or folders (CSV, XLSX, XLS, ODS, WPS ET, JSON Lines).

  safegov ingest PATH... [--received-at DATETIME] [--move] [--max-bytes N] [--no-docs]

Folders are scanned for files (not recursively); registries (enterprise, department,
leader) are taken first. Each file is taken once (by content hash). Prints one line per
file; progress goes to stderr (bars on a terminal, log lines otherwise). Exit 0 when every
file could be read, or was left waiting (still being written), or was taken by a concurrent
run (rows may still be quarantined: see `safegov export quarantine`); 2 with a one-line
reason when a file was refused.
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    parser.add_argument(
        "--received-at", help="when these files were originally received (YYYY-MM-DD HH:MM[:SS][+08:00])"
    )
    parser.add_argument(
        "--move",
        action="store_true",
        help="move each file to processed/ or rejected/ of its folder (default for the inbox itself)",
    )
    parser.add_argument(
        "--max-bytes", type=int, default=None, help="size limit per file (default 50 MB, SAFEGOV_MAX_FILE_BYTES)"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not write Great Expectations Data Docs")
    parser.add_argument("--run-id", default=None)


def _received_at(text: str | None):
    import datetime as dt

    from safegov.core.errors import SafegovError
    from safegov.core.periods import TZ

    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SafegovError(f"--received-at {text!r}: expected YYYY-MM-DD HH:MM[:SS] with optional offset") from None
    value = value if value.tzinfo else value.replace(tzinfo=TZ)
    from safegov.core.clock import get_clock

    if value > get_clock().now():
        raise SafegovError(f"--received-at {text!r} is in the future")
    return value


def run(args) -> int:
    from pathlib import Path

    from safegov.cli.progress import open_progress
    from safegov.core.errors import SafegovError
    from safegov.core.settings import get_settings
    from safegov.db.engine import get_engine, migrate
    from safegov.intake.pipeline import ingest_paths

    if args.max_bytes is not None and args.max_bytes <= 0:
        raise SafegovError(f"--max-bytes {args.max_bytes}: must be a positive number of bytes")
    received = _received_at(args.received_at)
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SafegovError(f"no such file or folder: {', '.join(missing)}")
    settings = get_settings()
    engine = get_engine()
    migrate(engine)
    inbox = settings.inbox.resolve()
    kwargs = {} if not args.no_docs else {"docs_dir": None}
    # Files in the inbox are moved to its processed/ and rejected/ folders; elsewhere only with --move.
    groups: dict[Path | None, list[Path]] = {}
    for p in paths:
        folder = p.resolve() if p.is_dir() else p.resolve().parent
        move_to = folder if (args.move or folder == inbox) else None
        groups.setdefault(move_to, []).append(p)
    reports = []
    with open_progress() as progress:
        for move_to, group in groups.items():
            reports.append(
                ingest_paths(
                    engine,
                    group,
                    received_at=received,
                    run_id=args.run_id,
                    move_to=move_to,
                    max_bytes=args.max_bytes,
                    progress=progress,
                    **kwargs,
                )
            )
    files = [f for r in reports for f in r.files]
    for f in files:
        print(f.summary())
    accepted = sum(f.accepted for f in files)
    quarantined = sum(f.quarantined for f in files)
    print(f"{len(files)} file(s): {accepted} row(s) accepted, {quarantined} quarantined")
    # Waiting (still being written) and taken by another run are not refusals.
    bad = [f for f in files if f.status not in ("processed", "skipped", "waiting")]
    if bad:
        first = bad[0]
        raise SafegovError(f"{len(bad)} file(s) refused; first: {first.name}: {first.reason}")
    return 0
