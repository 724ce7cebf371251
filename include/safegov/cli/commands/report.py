"""Reports of the safety offices.

  safegov report bulletin --period 2024-03 [--out DIR] [--unit CODE ...] [--format md,html,csv,docx]
      draft the monthly information-reporting bulletin 〔十五〕 of every safety office
      (region, leagues, counties) as Markdown, HTML, CSV and an official document (.docx
      laid out per GB/T 9704-2012) under
      $SAFEGOV_DATA_DIR/bulletins/<period>/<unit_code>.{md,html,csv,docx};
      --format docx writes only the official documents
  safegov report veto --year 2024 [--format csv|json|xlsx] [--out FILE]
      the annual one-vote-veto report 〔十六〕 (units with a major+ accident or an approved
      admonishment in the year); how many unreviewed (backfilled) admonishments it left out
      is printed on stderr

``veto`` prints ``safegov.accountability.veto.veto_report``.
"""

from __future__ import annotations


def configure(parser) -> None:
    sub = parser.add_subparsers(dest="report", metavar="REPORT", required=True)
    b = sub.add_parser("bulletin", help="draft the monthly bulletins 〔十五〕 of every safety office")
    b.add_argument("--period", required=True, help="month, e.g. 2024-03")
    b.add_argument("--out", help="folder (default $SAFEGOV_DATA_DIR/bulletins/<period>)")
    b.add_argument("--unit", action="append", help="only these offices' unit codes (repeatable)")
    b.add_argument(
        "--format",
        default="md,html,csv,docx",
        metavar="md,html,csv,docx",
        help="the files to write, comma-separated (default all; docx: the GB/T 9704 official document)",
    )
    b.set_defaults(_run=run_bulletin)
    v = sub.add_parser("veto", help="annual one-vote-veto report 〔十六〕")
    v.add_argument("--year", required=True, type=int)
    v.add_argument("--format", default="csv", metavar="csv|json|xlsx", help="xlsx needs --out")
    v.add_argument("--out", help="file (default stdout)")
    v.set_defaults(_run=run_veto)


def run(args) -> int:  # pragma: no cover - argparse dispatches to the subcommand
    return args._run(args)


def run_bulletin(args) -> int:
    from pathlib import Path

    from safegov.cli.parsing import parse_format
    from safegov.db.engine import get_engine
    from safegov.reports.bulletin import FORMATS, draft_bulletins

    formats = tuple(parse_format(x.strip(), FORMATS) for x in args.format.split(","))
    paths = draft_bulletins(
        get_engine(),
        args.period,
        out_dir=Path(args.out) if args.out else None,
        unit_codes=set(args.unit) if args.unit else None,
        formats=formats,
    )
    offices = len({p.stem for p in paths})
    folder = paths[0].parent if paths else "-"
    print(f"drafted {offices} bulletins for {args.period} in {folder}")
    return 0


def run_veto(args) -> int:
    import sys

    from safegov.accountability.veto import unreviewed_left_out, veto_report
    from safegov.cli.parsing import parse_format, parse_year
    from safegov.core.errors import SafegovError
    from safegov.db.engine import session_scope

    fmt = parse_format(args.format, ("csv", "json", "xlsx"))
    year = parse_year(args.year)
    if fmt == "xlsx" and args.out in (None, "-"):
        raise SafegovError("--format xlsx writes a workbook: give --out FILE.xlsx")
    with session_scope() as session:
        rows = veto_report(session, year)
    if fmt == "xlsx":
        _write_veto_xlsx(rows, args.out)
    else:
        _write_veto_text(rows, fmt, args.out)
    # On stderr: stdout may be the CSV or JSON itself.
    left_out = unreviewed_left_out(rows)
    if left_out:
        print(left_out, file=sys.stderr)
    return 0


def _write_veto_xlsx(rows, out) -> None:
    from safegov.reports.xlsx import write_xlsx
    from safegov.web.i18n import spreadsheet_words

    labels, translations = spreadsheet_words()
    # The report's reason is already Chinese (the grounds in words): no code column beside it.
    translations = {c: tr for c, tr in translations.items() if c != "reason"}
    cols = list(rows[0].keys()) if rows else ["unit_code"]
    write_xlsx(rows, cols, out, labels=labels, translations=translations, sheet="一票否决")


def _write_veto_text(rows, fmt, out_path) -> None:
    import json
    import sys
    from contextlib import nullcontext

    from safegov.reports.exports import csv_writer, output_file

    with output_file(out_path) if out_path else nullcontext(sys.stdout) as out:
        if fmt == "json":
            json.dump(rows, out, ensure_ascii=False, indent=2, default=str)
            out.write("\n")
        else:
            cols = list(rows[0].keys()) if rows else ["unit_code"]
            w = csv_writer(out, lineterminator="\n")
            w.writerow(cols)
            for r in rows:
                w.writerow(_veto_cell(r.get(c)) for c in cols)


def _veto_cell(value):
    """A list (e.g. the grounds) as one ``;``-joined cell; None as an empty cell."""
    if value is None:
        return ""
    return ";".join(map(str, value)) if isinstance(value, (list, tuple)) else value
