"""Export evaluations, cases, blacklist or quarantined rows as CSV or JSON.

  safegov export {evaluations,cases,blacklist,quarantine} --from YYYY-MM --to YYYY-MM
                 [--format csv|json] [--out FILE]

CSV cells that a spreadsheet would run as formulas get a leading apostrophe.
"""

from __future__ import annotations

from safegov.cli.parsing import parse_month
from safegov.reports.exports import EXPORTS

KINDS = tuple(EXPORTS)


def configure(parser) -> None:
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--from", dest="from_key", required=True, metavar="YYYY-MM")
    parser.add_argument("--to", dest="to_key", required=True, metavar="YYYY-MM")
    parser.add_argument("--format", dest="fmt", choices=("csv", "json"), default="csv")
    parser.add_argument("--out", default=None, help="file to write (default: standard output)")


def run(args) -> int:
    import sys

    from safegov.core.errors import SafegovError
    from safegov.db.engine import get_engine, session_scope
    from safegov.reports.exports import write_rows

    from_key, to_key = parse_month(args.from_key, "--from"), parse_month(args.to_key, "--to")
    if from_key > to_key:
        raise SafegovError(f"--from {from_key} is after --to {to_key}")
    export, columns = EXPORTS[args.kind]
    with session_scope(get_engine()) as session:
        rows = export(session, from_key, to_key)
    n = write_rows(rows, columns, args.fmt, args.out)
    if args.out:
        print(f"{n} row(s) written to {args.out}", file=sys.stderr)
    return 0
