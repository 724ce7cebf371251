#!/usr/bin/env bash
# Until the first release, the schema is one migration (0001) regenerated from the models;
# hand-written revisions after it (0002 …, e.g. PostgreSQL triggers) are kept as they are.
# (After a release: add a new revision with autogenerate instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
versions=include/safegov/db/migrations/versions
aside=$(mktemp -d)
trap 'mv "$aside"/*.py "$versions"/ 2>/dev/null || true; rm -rf "$aside"' EXIT
rm -f "$versions/0001_initial_schema.py"
for f in "$versions"/0*.py; do [ -e "$f" ] && mv "$f" "$aside"/; done
.venv/bin/python - "$aside" <<'PY'
import sys
from alembic import command
from safegov.db.engine import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}/gen.db")
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
PY
rm -f "$aside/gen.db"
