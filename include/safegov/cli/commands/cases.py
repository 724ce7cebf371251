"""List, approve, reject or close accountability cases (SPEC §6).

  safegov cases list [--state awaiting_approval] [--kind interview] [--rule ID] [--json]
  safegov cases approve ID... --by NAME
  safegov cases reject ID... --by NAME --reason TEXT
  safegov cases approve|reject [ID...] --historical --period YYYY-MM --by NAME [--reason TEXT]
  safegov cases close ID... --by NAME [--reason TEXT]
  safegov cases remind [--on DATE] [--working-days 5]

Cases that name a person (interview 约谈, admonishment 诫勉谈话, dual_interview 双约谈) wait
in awaiting_approval; approving queues their notices. The same actions are offered in the
Airflow UI as human-in-the-loop tasks. Such cases opened by a historical (backfill) run are
``unreviewed``; ``--historical --period`` approves or rejects all of a month's at once, or the
chosen IDs among them (the Airflow form ``safegov_history_review`` does the same).
"""

from __future__ import annotations

# safegov.accountability.cases.STATES, repeated so that parsing the command line does not
# import the database layer (tests/cli checks that the two agree).
STATES = ("open", "awaiting_approval", "unreviewed", "approved", "rejected", "withdrawn", "closed")


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="list cases")
    p.add_argument("--state", choices=STATES)
    p.add_argument("--kind")
    p.add_argument("--rule", help="rule or obligation id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(_run=run_list)
    for name, help_text in (
        ("approve", "approve cases awaiting approval"),
        ("reject", "reject cases awaiting approval"),
        ("close", "close open or approved cases"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("ids", nargs="*", type=int, metavar="ID")
        if name != "close":
            p.add_argument(
                "--historical",
                action="store_true",
                help="every unreviewed case of historical runs whose period starts in --period (or the IDs among them)",
            )
            p.add_argument("--period", help="with --historical: the month YYYY-MM")
        else:
            p.set_defaults(historical=False, period=None)
        p.add_argument("--by", required=True, help="who decides (name or office)")
        p.add_argument("--reason", required=(name == "reject"))
        p.add_argument("--at", help="decision moment (ISO; default now)")
        p.set_defaults(_run=run_decide)
    p = sub.add_parser("remind", help="queue reminders for approvals open more than N working days")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--working-days", type=int, default=5)
    p.set_defaults(_run=run_remind)


def run(args) -> int:  # pragma: no cover - argparse dispatches to the subcommand
    return args._run(args)


def run_list(args) -> int:
    import json

    from sqlalchemy import select

    from safegov.accountability.cases import case_context
    from safegov.db.engine import session_scope
    from safegov.db.models import Case

    q = select(Case).order_by(Case.id)
    if args.state:
        q = q.where(Case.state == args.state)
    if args.kind:
        q = q.where(Case.kind == args.kind)
    if args.rule:
        q = q.where(Case.rule_id == args.rule)
    with session_scope() as session:
        rows = [case_context(c) | {"historical": c.historical, "decided_by": c.decided_by} for c in session.scalars(q)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return 0
    for r in rows:
        print(
            f"{r['case_id']:>6}  {r['state']:<17} {r['kind']:<19} {r['rule_id']:<22} {r['subject_id']:<30} "
            f"{r['period']:<12} {';'.join(r['persons']) or '-'}"
        )
    print(f"{len(rows)} case(s)")
    return 0


def run_decide(args) -> int:
    from safegov.accountability.cases import close_cases, decide_cases, decide_historical
    from safegov.cli.parsing import parse_moment, parse_month
    from safegov.core.errors import SafegovError
    from safegov.db.engine import get_engine

    at = parse_moment(args.at, "--at")
    if args.historical:
        if not args.period:
            raise SafegovError("--historical needs --period YYYY-MM")
        period = parse_month(args.period, "--period")
        n = decide_historical(
            get_engine(),
            period,
            approve=args.action == "approve",
            decided_by=args.by,
            reason=args.reason,
            at=at,
            case_ids=args.ids or None,
        )
        verb = "批准" if args.action == "approve" else "驳回"
        print(f"{period} 历史案件（未复核）：{verb} {n} 件")
        return 0
    if args.period:
        raise SafegovError("--period is only for --historical")
    if not args.ids:
        raise SafegovError(f"cases {args.action}: give case ids, or --historical --period YYYY-MM")
    if args.action == "close":
        n = close_cases(get_engine(), args.ids, closed_by=args.by, reason=args.reason, at=at)
        print(f"{n} case(s) closed")
        return 0
    n = decide_cases(
        get_engine(), args.ids, approve=args.action == "approve", decided_by=args.by, reason=args.reason, at=at
    )
    print(
        f"{n} case(s) {'approved' if args.action == 'approve' else 'rejected'}"
        + ("; notices queued" if n and args.action == "approve" else "")
    )
    return 0


def run_remind(args) -> int:
    from safegov.accountability.cases import remind_stale_approvals
    from safegov.cli.parsing import parse_day
    from safegov.db.engine import get_engine

    on = parse_day(args.on)
    n = remind_stale_approvals(get_engine(), on=on, working_days=args.working_days)
    print(f"{n} approval reminder(s) queued for {on}")
    return 0
