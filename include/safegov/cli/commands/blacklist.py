"""Check and manage the blacklist (安全生产严重失信主体名单, SPEC §7, 〔十九〕).

  safegov blacklist check ENTERPRISE_ID --scope bidding [--on 2025-01-01] [--json]
      is the enterprise restricted in that scope on that day? Exit 0 either way.
  safegov blacklist list [--state listed] [--enterprise ID] [--json]
  safegov blacklist notify ENTRY_ID --by NAME [--on DATE]
  safegov blacklist object ENTRY_ID --by NAME --reason TEXT [--on DATE]
  safegov blacklist decide-objection ENTRY_ID (--upheld | --dismissed) --by NAME [--reason TEXT] [--on DATE]
  safegov blacklist request-removal ENTRY_ID --by NAME --reason TEXT [--on DATE]
  safegov blacklist revoke-removal ENTRY_ID --by NAME --reason TEXT [--on DATE]
  safegov blacklist scopes ENTRY_ID --set bidding,government_procurement --by NAME
  safegov blacklist advance [--on DATE]      move entries whose dates have passed

Scopes: operations 经营, project_approval 项目核准, investment_financing 投融资,
government_procurement 政府采购, bidding 招投标, land_transfer 土地出让, honours 授予荣誉,
fiscal_subsidies 财政补贴和政策性资金, import_export 进出口, entry_exit 出入境,
qualification_review 资质审核. Dates default to today (Asia/Shanghai, or SAFEGOV_NOW).
"""

from __future__ import annotations

from typing import get_args

from safegov.accountability.blacklist import Scope
from safegov.cli.parsing import parse_day

# The restriction scopes of 〔十九〕, as the blacklist declares them.
SCOPE_NAMES = get_args(Scope)


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("check", help="is ENTERPRISE_ID restricted in SCOPE on a day?")
    p.add_argument("enterprise_id")
    p.add_argument("--scope", required=True, choices=SCOPE_NAMES)
    p.add_argument("--on", help="YYYY-MM-DD (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(_run=run_check)
    p = sub.add_parser("list", help="list entries")
    p.add_argument("--state")
    p.add_argument("--enterprise")
    p.add_argument("--json", action="store_true")
    p.set_defaults(_run=run_list)
    for name, needs_reason, help_text in (
        ("notify", False, "notify the enterprise (starts the objection window)"),
        ("object", True, "record the enterprise's objection"),
        ("decide-objection", False, "decide an objection"),
        ("request-removal", True, "grant early removal after credit repair (from repair_eligible_on)"),
        ("revoke-removal", True, "revoke a removal that rested on false material"),
        ("scopes", False, "set the restriction scopes of an entry"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("entry_id", type=int)
        p.add_argument("--by", required=True)
        p.add_argument("--on", help="YYYY-MM-DD (default today)")
        p.add_argument("--reason", required=needs_reason)
        if name == "decide-objection":
            g = p.add_mutually_exclusive_group(required=True)
            g.add_argument("--upheld", action="store_true", help="the objection holds: withdraw the entry")
            g.add_argument("--dismissed", action="store_true", help="the objection fails: list the enterprise")
        if name == "scopes":
            p.add_argument("--set", dest="scopes", required=True, help="comma-separated scopes")
        p.set_defaults(_run=run_action)
    p = sub.add_parser("advance", help="move entries whose deadlines have passed (idempotent)")
    p.add_argument("--on", help="YYYY-MM-DD (default today)")
    p.set_defaults(_run=run_advance)


def run(args) -> int:  # pragma: no cover - argparse dispatches to the subcommand
    return args._run(args)


def _json(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def run_check(args) -> int:
    from safegov.accountability.blacklist import check
    from safegov.core.creditcode import is_valid_credit_code
    from safegov.core.errors import SafegovError
    from safegov.db.engine import session_scope

    eid = args.enterprise_id.strip().upper()
    if not is_valid_credit_code(eid):
        raise SafegovError(f"{args.enterprise_id!r} is not a valid unified social credit code (GB 32100-2015)")
    on = parse_day(args.on)
    with session_scope() as session:
        r = check(session, eid, args.scope, on)
    if args.json:
        print(_json(r))
        return 0
    if r["restricted"]:
        until = f"until {r['until']} (exclusive)" if r["until"] else "with no end date set"
        print(
            f"{eid} IS RESTRICTED in {args.scope} ({r['scope_name']}) on {on}: since {r['since']}, {until}; {r['why']}"
        )
    else:
        print(f"{eid} is not restricted in {args.scope} ({r['scope_name']}) on {on}: {r['why']}")
    return 0


def run_list(args) -> int:
    from safegov.accountability.blacklist import list_entries
    from safegov.db.engine import session_scope

    with session_scope() as session:
        rows = list_entries(session, state=args.state, enterprise_id=args.enterprise)
    if args.json:
        print(_json(rows))
        return 0
    for r in rows:
        print(
            f"{r['entry_id']:>5}  {r['enterprise_id']}  {r['trigger']:<19} {r['trigger_ref']:<14} {r['state']:<10} "
            f"notified {r['notified_on'] or '-'}  listed {r['listed_on'] or '-'}  expires {r['expires_on'] or '-'}"
        )
    print(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")
    return 0


def run_action(args) -> int:
    from safegov.accountability import blacklist as bl
    from safegov.db.engine import session_scope

    on = parse_day(args.on)
    with session_scope() as session:
        if args.action == "notify":
            e = bl.notify(session, args.entry_id, on=on, by=args.by)
        elif args.action == "object":
            e = bl.record_objection(session, args.entry_id, on=on, by=args.by, reason=args.reason)
        elif args.action == "decide-objection":
            e = bl.decide_objection(session, args.entry_id, upheld=args.upheld, on=on, by=args.by, reason=args.reason)
        elif args.action == "request-removal":
            e = bl.request_removal(session, args.entry_id, on=on, by=args.by, reason=args.reason)
        elif args.action == "revoke-removal":
            e = bl.revoke_removal(session, args.entry_id, on=on, by=args.by, reason=args.reason)
        else:
            scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
            e = bl.update_scopes(session, args.entry_id, scopes, on=on, by=args.by)
        d = bl.entry_dict(e)
    print(
        f"entry {d['entry_id']} ({d['enterprise_id']}, {d['trigger']} {d['trigger_ref']}) is now {d['state']}"
        + (f"; objection deadline {d['objection_deadline']}" if d["state"] == "notified" else "")
        + (
            f"; listed {d['listed_on']}, repair from {d['repair_eligible_on']}, expires {d['expires_on']}"
            if d["state"] == "listed"
            else ""
        )
    )
    return 0


def run_advance(args) -> int:
    from safegov.accountability.blacklist import advance_blacklist
    from safegov.db.engine import get_engine

    on = parse_day(args.on)
    counts = advance_blacklist(get_engine(), on=on)
    print(f"blacklist advanced to {on}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0
