"""Evaluate obligations for a range of periods (SPEC §5, §9).

  safegov evaluate --from 2024-01 --to 2024-12 [--obligation ID ...] [--as-of DATETIME]
      [--run-id ID] [--historical]

Periods whose grace has ended by --as-of (default: now, or SAFEGOV_NOW) are decided; the
rest stay pending. A quarterly, half-yearly, yearly or once obligation is included for each
of its periods that overlaps the month range; event obligations (hazards, accidents,
12350 tickets) for the events whose period month is in it. Prints counts by status per
obligation and in total. Re-running changes nothing unless records changed.

A range whose grace ends fall in a year the working-day calendar does not cover yet
(chinesecalendar, then config/holidays.yaml) is refused with one line naming the year
(exit 2): nothing is written, rather than rows left pending for a reason nobody sees.
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("--from", dest="from_key", required=True, help="first period, e.g. 2024-01")
    parser.add_argument("--to", dest="to_key", required=True, help="last period, e.g. 2024-12")
    parser.add_argument(
        "--obligation",
        action="append",
        dest="obligations",
        metavar="ID",
        help="only this obligation (repeatable; default all)",
    )
    parser.add_argument("--as-of", dest="as_of", help="decide as of this moment (ISO; without offset Asia/Shanghai)")
    parser.add_argument("--run-id", dest="run_id", default=None, help="recorded with each change (default cli:<as-of>)")
    parser.add_argument("--historical", action="store_true", help="mark the evaluations as a historical (backfill) run")


def run(args) -> int:
    from safegov.cli.parsing import parse_moment
    from safegov.cli.progress import open_progress
    from safegov.core.errors import SafegovError
    from safegov.core.periods import parse_period
    from safegov.db.engine import get_engine
    from safegov.evaluation.engine import STATUSES, evaluate_range, require_calendar
    from safegov.register.obligations import get_register

    register = get_register()
    parse_period(args.from_key)
    parse_period(args.to_key)
    if args.obligations:
        known = {ob.id for ob in register.obligations}
        unknown = [o for o in args.obligations if o not in known]
        if unknown:
            raise SafegovError(f"unknown obligation(s) {', '.join(unknown)}; see `safegov register list`")
    require_calendar(register, args.from_key, args.to_key, args.obligations)
    as_of = parse_moment(args.as_of)
    run_id = args.run_id or f"cli:{as_of.isoformat()}"
    with open_progress() as progress:
        result = evaluate_range(
            get_engine(),
            register,
            args.from_key,
            args.to_key,
            as_of=as_of,
            obligation_ids=args.obligations,
            run_id=run_id,
            historical=args.historical,
            progress=progress,
        )
    header = f"{'obligation':<26}" + "".join(f"{s:>10}" for s in STATUSES) + f"{'changed':>10}"
    print(f"evaluated {args.from_key}..{args.to_key} as of {as_of.isoformat()}")
    print(header)
    for ob_id, counts in result["by_obligation"].items():
        print(f"{ob_id:<26}" + "".join(f"{counts[s]:>10}" for s in STATUSES) + f"{counts['changed']:>10}")
    print(f"{'total':<26}" + "".join(f"{result[s]:>10}" for s in STATUSES) + f"{result['changed']:>10}")
    return 0
