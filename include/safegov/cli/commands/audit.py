"""Verify the hash-chained audit log.

safegov audit verify    exit 0 when every link holds; otherwise names the first broken link
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("action", choices=["verify"])


def run(args) -> int:
    from safegov.core.errors import SafegovError
    from safegov.db.audit import verify
    from safegov.db.engine import session_scope

    with session_scope() as session:
        result = verify(session)
    if not result.ok:
        raise SafegovError(f"audit chain broken after {result.checked} good links: {result.reason}")
    print(f"audit chain ok: {result.checked} links")
    return 0
