#!/usr/bin/env bash
# Until the first release, the schema is one migration regenerated from the models.
# (After a release: add a new revision with `alembic revision --autogenerate` instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f include/safegov/migrations/versions/0001_initial_schema.py
tmp=$(mktemp -d)
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from safegov.db import alembic_config
cfg = alembic_config(f"sqlite:///{sys.argv[1]}/gen.db")
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
PY
rm -rf "$tmp"
