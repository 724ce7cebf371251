"""Export evaluations, cases, blacklist or quarantined rows as CSV, JSON or an Excel workbook.

  safegov export {evaluations,cases,blacklist,quarantine} --from YYYY-MM --to YYYY-MM
                 [--format csv|json|xlsx] [--out FILE]

CSV cells that a spreadsheet would run as formulas get a leading apostrophe.
xlsx (needs --out): Chinese headers on row 1, the CSV's column ids on row 2, frozen, with an
auto filter; ids, credit codes and dates are text cells; states, reasons and kinds in Chinese
next to their codes; the names of units, enterprises and leaders next to their ids.
"""

from __future__ import annotations

from safegov.cli.parsing import parse_format, parse_month
from safegov.reports.exports import EXPORTS

KINDS = tuple(EXPORTS)
FORMATS = ("csv", "json", "xlsx")


def configure(parser) -> None:
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--from", dest="from_key", required=True, metavar="YYYY-MM")
    parser.add_argument("--to", dest="to_key", required=True, metavar="YYYY-MM")
    parser.add_argument("--format", dest="fmt", default="csv", metavar="csv|json|xlsx")
    parser.add_argument("--out", default=None, help="file to write (default: standard output)")


def run(args) -> int:
    import sys

    from safegov.core.errors import SafegovError
    from safegov.db.engine import get_engine, session_scope
    from safegov.reports.exports import write_rows

    fmt = parse_format(args.fmt, FORMATS)
    from_key, to_key = parse_month(args.from_key, "--from"), parse_month(args.to_key, "--to")
    if from_key > to_key:
        raise SafegovError(f"--from {from_key} is after --to {to_key}")
    if fmt == "xlsx" and args.out in (None, "-"):
        raise SafegovError("--format xlsx writes a workbook: give --out FILE.xlsx")
    export, columns = EXPORTS[args.kind]
    with session_scope(get_engine()) as session:
        rows = export(session, from_key, to_key)
        if fmt == "xlsx":
            from safegov.reports.exports import with_names

            rows, columns = with_names(session, rows, columns)
    if fmt == "xlsx":
        from safegov.reports.xlsx import write_xlsx
        from safegov.web.i18n import spreadsheet_words

        labels, translations = spreadsheet_words()
        n = write_xlsx(rows, columns, args.out, labels=labels, translations=translations)
    else:
        n = write_rows(rows, columns, fmt, args.out)
    if args.out:
        print(f"{n} row(s) written to {args.out}", file=sys.stderr)
    return 0
