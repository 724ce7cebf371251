"""Export evaluations, cases, blacklist or quarantined rows as CSV or JSON.

  safegov export {evaluations,cases,blacklist,quarantine} --from YYYY-MM --to YYYY-MM
                 [--format csv|json] [--out FILE]

CSV cells that a spreadsheet would run as formulas get a leading apostrophe.
"""

from __future__ import annotations

import re

KINDS = ("evaluations", "cases", "blacklist", "quarantine")

COLUMNS = {
    "evaluations": ("obligation_id", "subject_kind", "subject_id", "period", "status", "counted", "required",
                    "due_on", "reason", "evidence"),
    "cases": ("case_id", "kind", "rule_id", "subject_id", "persons", "period", "state", "opened_on", "historical"),
    "blacklist": ("enterprise_id", "trigger", "state", "notified_on", "listed_on", "repair_eligible_on", "expires_on",
                  "removed_on", "scopes"),
}


def configure(parser) -> None:
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--from", dest="from_key", required=True, metavar="YYYY-MM")
    parser.add_argument("--to", dest="to_key", required=True, metavar="YYYY-MM")
    parser.add_argument("--format", dest="fmt", choices=("csv", "json"), default="csv")
    parser.add_argument("--out", default=None, help="file to write (default: standard output)")


def _month(text: str, flag: str) -> str:
    from safegov.core.errors import SafegovError

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text or ""):
        raise SafegovError(f"{flag} {text!r}: expected a month YYYY-MM")
    return text


def run(args) -> int:
    import sys

    from safegov.reports import exports
    from safegov.db.engine import get_engine, session_scope
    from safegov.core.errors import NotAvailableYet, SafegovError

    from_key, to_key = _month(args.from_key, "--from"), _month(args.to_key, "--to")
    if from_key > to_key:
        raise SafegovError(f"--from {from_key} is after --to {to_key}")
    if args.kind == "quarantine":
        func, columns = exports.export_quarantine, exports.QUARANTINE_COLUMNS
    else:
        func = getattr(exports, f"export_{args.kind}", None)
        if func is None:
            raise NotAvailableYet(f"'safegov export {args.kind}' is not available yet")
        # The owning area may declare its columns in exports.py (EVALUATION_COLUMNS, CASES_COLUMNS…).
        columns = (getattr(exports, f"{args.kind.upper()}_COLUMNS", None)
                   or getattr(exports, f"{args.kind.rstrip('s').upper()}_COLUMNS", None) or COLUMNS[args.kind])
    with session_scope(get_engine()) as session:
        rows = func(session, from_key, to_key)
    n = exports.write_rows(rows, columns, args.fmt, args.out)
    if args.out:
        print(f"{n} row(s) written to {args.out}", file=sys.stderr)
    return 0
