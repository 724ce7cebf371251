"""Check or list the obligation register (config/obligations.yaml).

safegov register check   validate (obligations and accountability rules); prints the first
                         error with file, obligation or rule id and field
safegov register list    one line per obligation, then one per accountability rule version
                         (its trigger and the days it is in force)
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("action", choices=["check", "list"])
    parser.add_argument("--file", help="register file (default: $SAFEGOV_CONFIG_DIR/obligations.yaml)")


def run(args) -> int:
    from safegov.register.obligations import load_register

    register = load_register(args.file)
    if args.action == "check":
        rules = len(register.accountability_rules)
        print(f"register ok: {len(register.obligations)} obligations, {rules} accountability rules")
    else:
        for ob in register.obligations:
            print(
                f"{ob.id}\t〔{'、'.join(ob.article)}〕\t{ob.cadence.value}\t{ob.subject.kind}\t"
                f"quota {ob.quota}\t{ob.title}"
            )
        for r in register.accountability_rules:
            until = r.valid_to.isoformat() if r.valid_to else ""
            print(
                f"{r.id}\t〔{'、'.join(r.article)}〕\trule\t{r.trigger}\t{r.valid_from.isoformat()}..{until}\t{r.title}"
            )
    return 0
