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
    """The body rows of the first figure table in an area's part of results.md."""
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
    assert list(run_all.sections_of(text)) == ["smoke"]
    sections = {s.split("\n", 1)[0].strip(): s for s in text.split("\n### ")[1:]}
    for area in expected:
        assert area in sections, f"no section for {area}"
        rows = _rows(sections[area])
        assert rows, f"no figure rows for {area}:\n{sections[area]}"
        for row in rows:
            assert len(row) == 8, row
            assert math.isfinite(_number(row[1])), f"{area}: {row[0]} has no number: {row[1]!r}"


def _body(name: str, commit: str, met: str) -> str:
    return f"## BENCH_SIZE {name}\n\n| | |\n|---|---|\n| Commit | {commit} |\n\n**{met} targets met**.\n\n### mail\n\nx"


@pytest.mark.parametrize(
    ("existing", "size", "expected_order", "kept"),
    [
        # no file yet: the run's size alone
        (None, "full", ["full"], {}),
        # a file from before sections (no markers): replaced by the run's section
        ("# safegov benchmarks\n\n| Commit | old |\n", "medium", ["medium"], {}),
        # the other size kept as it was, in the fixed order whatever runs last
        ([("full", "aaa", "3 of 4")], "medium", ["full", "medium"], {"full": "aaa"}),
        ([("medium", "bbb", "1 of 4")], "full", ["full", "medium"], {"medium": "bbb"}),
        # the run's own size replaced, not added twice
        ([("full", "aaa", "3 of 4"), ("medium", "bbb", "1 of 4")], "full", ["full", "medium"], {"medium": "bbb"}),
        # a fraction comes after the named sizes
        ([("full", "aaa", "3 of 4")], "0.1", ["full", "0.1"], {"full": "aaa"}),
    ],
)
def test_a_run_rewrites_its_size_and_keeps_the_others(monkeypatch, existing, size, expected_order, kept):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import run_all

    if isinstance(existing, list):
        text = None
        for name, commit, met in existing:
            text = run_all.report(text, name, _body(name, commit, met))
        existing = text
    out = run_all.report(existing, size, _body(size, "new", "2 of 2"))
    sections = run_all.sections_of(out)
    assert list(sections) == expected_order
    assert "| Commit | new |" in sections[size]
    for name, commit in kept.items():
        assert f"| Commit | {commit} |" in sections[name]
    index = [ln for ln in out.splitlines() if ln.startswith(f"| {size} |")]
    assert index == [f"| {size} | new | — | 2 of 2 |"]
    assert "| Commit | old |" not in out
