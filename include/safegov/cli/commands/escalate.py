"""Run the escalation rules for a range of periods (SPEC §6, §7).

  safegov escalate --from 2024-01 --to 2024-12 [--as-of DATETIME] [--historical] [--run-id ID]

The ladder for missed obligations (notice → interview → admonishment), the accident rules
(DUAL-INTERVIEW-COUNTY, DUAL-INTERVIEW-LEAGUE, REPORTING-VIOLATION), MAJOR-HAZARD-OVERDUE,
overdue 12350 tickets, blacklist triggers and the blacklist's dated transitions. Cases are
keyed rule|subject|period|step, so re-running creates nothing new; a miss cured by a late
record withdraws its cases. --historical (backfills): cases that name a person are stored
unreviewed (review them with ``safegov cases approve|reject --historical --period``) and no
email is sent. --as-of defaults to now (or SAFEGOV_NOW).
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("--from", dest="from_key", required=True, help="first period, e.g. 2024-01")
    parser.add_argument("--to", dest="to_key", required=True, help="last period, e.g. 2024-12")
    parser.add_argument("--as-of", dest="as_of", help="as of this moment (ISO; without offset Asia/Shanghai)")
    parser.add_argument("--run-id", dest="run_id", default=None)
    parser.add_argument(
        "--historical", action="store_true", help="a backfill: cases naming a person stay unreviewed, no email sent"
    )


def run(args) -> int:
    from safegov.accountability.escalation import escalate
    from safegov.cli.parsing import parse_moment
    from safegov.cli.progress import open_progress
    from safegov.core.periods import parse_period
    from safegov.db.engine import get_engine
    from safegov.register.obligations import get_register

    parse_period(args.from_key)
    parse_period(args.to_key)
    as_of = parse_moment(args.as_of)
    with open_progress() as progress:
        result = escalate(
            get_engine(),
            get_register(),
            args.from_key,
            args.to_key,
            as_of=as_of,
            run_id=args.run_id or f"cli:{as_of.isoformat()}",
            historical=args.historical,
            progress=progress,
        )
    shown = {k: v for k, v in sorted(result.items()) if v}
    print(
        f"escalated {args.from_key}..{args.to_key} as of {as_of.isoformat()}: "
        + (", ".join(f"{k}={v}" for k, v in shown.items()) or "nothing new")
    )
    return 0
