"""Migrate the compliance database and load the unit registry from config/.

safegov db migrate      bring the schema to the latest Alembic revision
safegov db init         migrate, then load units and posts (idempotent)
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("action", choices=["migrate", "init"])


def run(args) -> int:
    from safegov.db.engine import get_engine, migrate, session_scope
    from safegov.org.units import sync_units

    engine = get_engine()
    migrate(engine)
    if args.action == "init":
        with session_scope(engine) as session:
            n = sync_units(session)
        print(f"compliance database ready at {engine.url.render_as_string(hide_password=True)}; {n} units")
    else:
        print("compliance database migrated")
    return 0
