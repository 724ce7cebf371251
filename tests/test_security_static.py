"""Static security checks over the product code (issue: production shape, security).

- SQL only with bound parameters: no ``text()`` built from an f-string, ``%``, ``+`` or
  ``.format()`` anywhere in include/, dags/ or plugins/.
- No secret in the repository: no SendGrid API key shape in any tracked file.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_DIRS = ("include", "dags", "plugins")


def _python_files():
    for d in PRODUCT_DIRS:
        yield from (ROOT / d).rglob("*.py")


def _string_built(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return True
    return False


def find_string_built_sql(source: str) -> list[int]:
    """Line numbers of ``text(...)``/``exec_driver_sql(...)`` calls whose SQL is built from strings."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name in {"text", "exec_driver_sql"} and _string_built(node.args[0]):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    "snippet, bad",
    [
        ('text(f"SELECT * FROM t WHERE id = {x}")', True),
        ('text("SELECT * FROM t WHERE id = %s" % x)', True),
        ('text("SELECT * FROM t WHERE id = " + x)', True),
        ('text("SELECT * FROM t WHERE id = {}".format(x))', True),
        ('conn.exec_driver_sql(f"DROP TABLE {x}")', True),
        ('text("SELECT * FROM t WHERE id = :id")', False),
        ('sa.text("SELECT 1")', False),
    ],
)
def test_detector_itself(snippet, bad):
    assert bool(find_string_built_sql(snippet)) is bad


def test_no_string_built_sql_in_product_code():
    offenders = []
    for path in _python_files():
        for line in find_string_built_sql(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == [], f"SQL built from strings (use bound parameters): {offenders}"


SENDGRID_KEY = re.compile(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")


def test_no_sendgrid_key_in_tracked_files():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = []
    for name in files:
        path = ROOT / name
        if path.is_file() and path.stat().st_size < 5_000_000:
            if SENDGRID_KEY.search(path.read_text(encoding="utf-8", errors="ignore")):
                hits.append(name)
    assert hits == []
