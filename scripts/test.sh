#!/usr/bin/env bash
# Runs the whole test suite; CI calls this through `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q -n 2 --dist loadgroup --timeout=1800 --durations=40 "$@"
