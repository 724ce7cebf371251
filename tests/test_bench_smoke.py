"""`make bench` at the smoke size: every area with a ``bench`` runs and reports numbers.

A smoke of the harness only (CI runs it through `make test`): it asserts that the benchmarks
run and report, never how fast (figures are judged in benchmarks/results.md, not here).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]

_CELL_SPLIT = re.compile(r"(?<!\\)\|")  # notes may hold escaped pipes


def _rows(section: str) -> list[list[str]]:
    """The body rows of the first figure table in a results.md section."""
    lines = [ln for ln in section.splitlines() if ln.startswith("| ")]
    if not lines or not lines[0].startswith("| figure |"):
        return []
    return [[c.strip() for c in _CELL_SPLIT.split(ln)[1:-1]] for ln in lines[1:]]


def _number(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_make_bench_smoke_reports_every_area(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import run_all

    if run_all.postgres_version() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL not reachable")
    expected = [area for area in run_all.AREAS if run_all.has_bench(area)]
    assert {"mail", "parse"} <= set(expected)

    out = tmp_path / "results.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--out", str(out), "--work", str(tmp_path / "work")],
        cwd=ROOT,
        env={**os.environ, "BENCH_SIZE": "smoke"},
        capture_output=True,
        text=True,
        timeout=570,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]

    text = out.read_text(encoding="utf-8")
    assert "| BENCH_SIZE | smoke" in text
    sections = {s.split("\n", 1)[0].strip(): s for s in text.split("\n## ")[1:]}
    for area in expected:
        assert area in sections, f"no section for {area}"
        rows = _rows(sections[area])
        assert rows, f"no figure rows for {area}:\n{sections[area]}"
        for row in rows:
            assert len(row) == 8, row
            assert math.isfinite(_number(row[1])), f"{area}: {row[0]} has no number: {row[1]!r}"
