"""The installed `safegov` entry point: help, exit codes, one-line reasons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAFEGOV = Path(sys.executable).parent / "safegov"


def run(*args, env=None, tmp_path=None):
    e = dict(os.environ)
    if tmp_path is not None:
        e["SAFEGOV_DATA_DIR"] = str(tmp_path)
        e.pop("SAFEGOV_DATABASE_URL", None)
    e.update(env or {})
    return subprocess.run([str(SAFEGOV), *args], capture_output=True, text=True, env=e, timeout=120)


def test_help_lists_the_spec_commands():
    out = run("--help").stdout
    for cmd in ["ingest", "evaluate", "escalate", "export", "blacklist", "audit"]:
        assert cmd in out


def test_db_init_then_audit_verify(tmp_path):
    assert run("db", "init", tmp_path=tmp_path).returncode == 0
    again = run("db", "init", tmp_path=tmp_path)
    assert again.returncode == 0 and "116 units" in again.stdout
    verify = run("audit", "verify", tmp_path=tmp_path)
    assert verify.returncode == 0 and "audit chain ok" in verify.stdout


def test_bad_register_exits_2_with_one_line_reason(tmp_path):
    bad = tmp_path / "obligations.yaml"
    bad.write_text("obligations:\n  - id: X\n", encoding="utf-8")
    res = run("register", "check", "--file", str(bad))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "obligation X: field" in lines[0]


def test_register_check_ok():
    from safegov.register.obligations import load_register

    res = run("register", "check")
    n = len(load_register(Path(__file__).resolve().parents[2] / "config" / "obligations.yaml").obligations)
    assert n >= 23  # the SPEC §4 catalogue (19) and issue 16's clauses
    assert res.returncode == 0 and f"{n} obligations" in res.stdout


def test_unknown_command_is_a_usage_error():
    assert run("frobnicate").returncode == 2
