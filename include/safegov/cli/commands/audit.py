"""Verify and anchor the hash-chained audit log.

safegov audit verify [--anchor LENGTH:HASH ...]
    exit 0 when every link holds, every stored checkpoint's signature holds, the chain has
    every checkpointed (and every given published) head at its length, and the evaluation,
    case and blacklist states replayed from the chain are what the tables hold; otherwise
    names the first broken link, checkpoint or row.
safegov audit checkpoint
    sign the chain's current head now (the DAG runs do this on their own).
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("action", choices=["verify", "checkpoint"])
    parser.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="LENGTH:HASH",
        help="a head published in a bulletin or an asset event that the chain must still hold",
    )


def run(args) -> int:
    from safegov.cli.parsing import parse_anchor
    from safegov.cli.progress import open_progress
    from safegov.core.clock import get_clock
    from safegov.core.errors import SafegovError
    from safegov.db.checkpoint import load_key, verify_all, write_checkpoint
    from safegov.db.engine import session_scope

    if args.action == "checkpoint":
        with session_scope() as session:
            cp = write_checkpoint(session, load_key(create=True), get_clock().now(), run_id="cli")
        print(cp.describe() if cp else "审计链为空，无需签署锚点")
        return 0
    published = tuple(parse_anchor(a) for a in args.anchor)
    with session_scope() as session, open_progress() as progress:
        result = verify_all(session, published=published, progress=progress)
    if not result.ok:
        where = f"after {result.checked} good links" if result.broken_id else f"({result.checked} links read)"
        raise SafegovError(f"audit chain broken {where}: {result.reason}")
    print(
        f"audit chain ok: {result.checked} links, head {result.head_hash}; "
        f"{result.anchors} anchor(s) held; evaluation, case and blacklist states match the audited changes"
    )
    return 0
