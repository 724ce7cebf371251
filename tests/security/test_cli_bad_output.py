"""Issue #17: an unwritable ``--out`` or an impossible ``--year`` ends in one line on stderr
and exit 2 (the CLI's convention for bad input), not a traceback."""

from __future__ import annotations

import secrets

import pytest


@pytest.fixture
def unwritable(tmp_path):
    """Paths that cannot be opened for writing whoever runs the tests (root included)."""
    folder = tmp_path / f"dir-{secrets.token_hex(4)}"
    folder.mkdir()
    a_file = tmp_path / f"file-{secrets.token_hex(4)}"
    a_file.write_text("x")
    return {"a folder": folder, "a file's child": a_file / "out.csv", "a deeper child": a_file / "sub" / "out.csv"}


def _one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"safegov {command}: ")
    return lines[0]


@pytest.mark.parametrize("kind", ["a folder", "a file's child", "a deeper child"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_to_an_unwritable_path(cli_db, capsys, unwritable, kind, fmt):
    from safegov.cli.main import main

    out = unwritable[kind]
    code = main(["export", "evaluations", "--from", "2024-01", "--to", "2024-03", "--format", fmt, "--out", str(out)])
    assert code == 2
    assert str(out) in _one_line_error(capsys, "export")


@pytest.mark.parametrize("kind", ["a folder", "a file's child"])
def test_veto_to_an_unwritable_path(cli_db, capsys, unwritable, kind):
    from safegov.cli.main import main

    out = unwritable[kind]
    assert main(["report", "veto", "--year", "2024", "--out", str(out)]) == 2
    assert str(out) in _one_line_error(capsys, "report")


@pytest.mark.parametrize("year", ["99999", "0", "-5", "9999"])
def test_veto_for_an_impossible_year(cli_db, capsys, year):
    from safegov.cli.main import main

    assert main(["report", "veto", "--year", year]) == 2
    assert f"--year {int(year)}" in _one_line_error(capsys, "report")


def test_the_writable_cases_still_work(cli_db, capsys, tmp_path):
    from safegov.cli.main import main

    out = tmp_path / "new" / "folder" / "evaluations.csv"
    assert main(["export", "evaluations", "--from", "2024-01", "--to", "2024-03", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8-sig").startswith("obligation_id,subject_kind,subject_id")
    assert main(["report", "veto", "--year", "2024", "--out", str(tmp_path / "veto.csv")]) == 0
    assert (tmp_path / "veto.csv").read_text(encoding="utf-8").startswith("year,unit_code")
