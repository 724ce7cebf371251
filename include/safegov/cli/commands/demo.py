"""Write the deterministic demo data set into the inbox (SPEC §3 inbox format).

  safegov demo                              24 months up to last month, into $SAFEGOV_INBOX
  safegov demo --inbox /tmp/inbox --until 2026-10 --months 24 --seed 7
  safegov demo --json                       print the whole summary (planted story, bad rows)

Same seed and --until give byte-identical files. The planted story (which county misses
its meetings, which accident, which enterprise is blacklisted) is in
include/safegov/devtools/demo_story.md and in the summary's known_misses / accidents / bad_rows.
Then: safegov ingest <inbox>.
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("--inbox", help="folder to write into (default: SAFEGOV_INBOX)")
    parser.add_argument("--until", help="last month YYYY-MM (default: the last full month before now)")
    parser.add_argument("--months", type=int, default=24, help="number of months (default 24)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--json", action="store_true", help="print the full summary as JSON")


def run(args) -> int:
    import json
    from pathlib import Path

    from safegov.cli.parsing import parse_month
    from safegov.core.errors import SafegovError

    if args.until is not None:
        parse_month(args.until, "--until")
    if args.months < 1 or args.months > 240:
        raise SafegovError(f"--months {args.months}: expected 1–240")
    from safegov.core.settings import get_settings
    from safegov.devtools.demo import write_demo

    inbox = Path(args.inbox) if args.inbox else get_settings().inbox
    try:
        summary = write_demo(inbox, until=args.until, months=args.months, seed=args.seed)
    except ValueError as exc:
        raise SafegovError(str(exc)) from None
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
        return 0
    print(
        f"demo data {summary['first']}..{summary['until']} (seed {summary['seed']}) written to {inbox}: "
        f"{len(summary['files'])} files, {summary['rows_total']} rows, {len(summary['bad_rows'])} planted bad rows, "
        f"planned compliance {summary['obligations']['compliance']:.1%}"
    )
    for rt, n in summary["counts"].items():
        print(f"  {rt:18} {n}")
    print("known misses:")
    for m in summary["known_misses"]:
        print(f"  {m['obligation_id']:22} {m['subject_id']:20} {', '.join(m['periods'])}")
    for a in summary["accidents"]:
        if a["story"]:
            print(f"  accident {a['accident_id']} ({a['grade']}, {a['report']}) in {a['unit_code']}")
    return 0
