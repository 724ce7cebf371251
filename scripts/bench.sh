#!/usr/bin/env bash
# Runs every benchmark and writes benchmarks/results.md; `make bench` calls this.
# BENCH_SIZE scales the data (smoke, small, medium, full or a fraction); CI runs the smoke size.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_SIZE="${BENCH_SIZE:-full}"
exec .venv/bin/python benchmarks/run_all.py "$@"
