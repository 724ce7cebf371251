"""The ``safegov`` command line (SPEC §9): the same functions the DAGs call.

Each command lives in ``safegov.cli.commands.<name>`` with ``configure(parser)`` and
``run(args) -> int``; this file only builds the parser and maps errors to exit codes:
0 success, 2 bad input (one-line reason on stderr), 1 unexpected.
Command modules keep their heavy imports inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name → (module, help)
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("safegov.cli.commands.db", "migrate the compliance database and load the registries from config/"),
    "register": ("safegov.cli.commands.register", "check or list the obligation register"),
    "ingest": (
        "safegov.cli.commands.ingest",
        "ingest submission files or folders (CSV, XLSX, XLS, ODS, WPS ET, JSON Lines)",
    ),
    "evaluate": ("safegov.cli.commands.evaluate", "evaluate obligations for a range of periods"),
    "escalate": ("safegov.cli.commands.escalate", "run the ladder, accident, hazard and blacklist rules"),
    "export": ("safegov.cli.commands.export", "export evaluations, cases, blacklist or quarantine: CSV, JSON, xlsx"),
    "blacklist": ("safegov.cli.commands.blacklist", "check and manage the blacklist (严重失信主体名单)"),
    "cases": ("safegov.cli.commands.cases", "list, approve or reject accountability cases"),
    "mail": ("safegov.cli.commands.mail", "the email outbox: deliver, list, and the local SendGrid server"),
    "report": ("safegov.cli.commands.report", "annual one-vote-veto report and monthly bulletin drafts"),
    "audit": ("safegov.cli.commands.audit", "verify the hash-chained audit log"),
    "calendar": ("safegov.cli.commands.calendar", "the working-day calendar: years covered and the next to enter"),
    "backfill": ("safegov.cli.commands.backfill", "list and cancel backfills of the safegov DAGs (Airflow REST API)"),
    "demo": ("safegov.cli.commands.demo", "write the deterministic demo data set into the inbox"),
    "synth": ("safegov.cli.commands.synth", "write a province-scale synthetic data set"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safegov",
        description="safegov — the work-safety governance calendar (内蒙古安全生产决定). "
        "Reads SAFEGOV_DATABASE_URL, SAFEGOV_INBOX and SAFEGOV_CONFIG_DIR.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(
            name,
            help=help_text,
            description=module.__doc__ or help_text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure(p)
        if not p.get_default("_run"):
            p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from safegov.core.errors import SafegovError
    from safegov.core.periods import CalendarRangeError, PeriodKeyError
    from safegov.register.obligations import RegisterError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except SafegovError as exc:
        print(f"safegov {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except (RegisterError, CalendarRangeError, PeriodKeyError, FileNotFoundError) as exc:
        print(f"safegov {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `safegov export … | head` is fine
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
