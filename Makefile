# safegov — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast bench lint format clean-airflow parse-bench

# Install exactly what requirements.lock pins (the lock is generated from pyproject.toml
# with `uv pip compile pyproject.toml --extra test -o requirements.lock`).
install: $(STAMP)
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install --quiet --python $(PY) -r requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

run: install
	./scripts/run.sh

test: install browser-deps lint
	./scripts/test.sh

# ruff (settings in pyproject.toml): lint, import order and formatting, checked, never rewritten.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Rewrites files: import order, safe lint fixes, then the formatter.
format: install
	$(VENV)/bin/ruff check --fix --select I .
	$(VENV)/bin/ruff format .

.PHONY: browser-deps
# Headless Chromium for the dashboard's browser tests (tests/web, marked `browser`), from
# Debian (never `playwright install`), plus a CJK font so screenshots show the Chinese.
browser-deps:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	@fc-list :lang=zh 2>/dev/null | grep -q . || apt-get install -y fonts-wqy-microhei || true
	@# LibreOffice (Writer only, no GUI) and poppler's pdftoppm: the bulletin .docx test renders
	@# its first page docx → PDF → PNG (tests/reports/test_bulletin_docx.py).
	@command -v soffice >/dev/null && command -v pdftoppm >/dev/null || \
		(apt-get update && apt-get install -y --no-install-recommends libreoffice-writer-nogui poppler-utils)

test-fast: install
	$(PY) -m pytest -q -m "not distributed and not browser" -n 2

# Every benchmark → benchmarks/results.md; BENCH_SIZE=smoke|small|medium|full|<fraction> (default
# full, minutes); BENCH_ARGS e.g. "--only mail,parse --out /tmp/results.md".
bench: install
	./scripts/bench.sh $(BENCH_ARGS)

# DAG folder parse time vs a trivial DAG (benchmarks/parse_bench.py).
parse-bench: install
	$(PY) benchmarks/parse_bench.py

.PHONY: lock
# After a change of pyproject.toml's dependencies: requirements.lock (runtime + test extra,
# what .venv and CI install) and requirements-runtime.lock (what the Dockerfile installs),
# the latter with the former as constraints so that both pin the same versions.
lock: install
	$(UV) pip compile pyproject.toml --extra test --python-version 3.11 -o requirements.lock
	$(UV) pip compile pyproject.toml --python-version 3.11 -c requirements.lock -o requirements-runtime.lock
