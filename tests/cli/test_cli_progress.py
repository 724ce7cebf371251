"""Progress of the long commands (issue 19 item 5): rich bars on a terminal, plain log lines
otherwise, and in both the final figure of each stage is what the command reports."""

from __future__ import annotations

import io
import logging
import re

import pytest
from sqlalchemy.orm import Session

from safegov.cli.progress import BarProgress, open_progress
from safegov.core.progress import LogProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_bars_anything_else_log_lines():
    with open_progress(Terminal()) as progress:
        assert isinstance(progress, BarProgress)
    with open_progress(io.StringIO()) as progress:
        assert isinstance(progress, LogProgress)


def test_bars_show_every_stage_and_end_on_its_figure():
    from rich.console import Console

    out = io.StringIO()
    with BarProgress(Console(file=out, force_terminal=True, width=120)) as bars:
        bars.add("文件 files", 2)
        bars.advance("文件 files")
        bars.add("文件 files", 1)
        bars.advance("文件 files", 2)
        bars.advance("行 rows", 7)  # no total: a running count
    assert bars.done("文件 files") == 3 and bars.done("行 rows") == 7
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    final = text.rstrip().splitlines()[-2:]
    assert "文件 files" in final[0] and "3/3" in final[0]
    assert "行 rows" in final[1] and "7/7" in final[1]


def test_plain_lines_go_to_the_stream_when_nothing_set_up_logging(monkeypatch):
    from safegov.core.progress import log

    monkeypatch.setattr(log, "hasHandlers", lambda: False)
    stream = io.StringIO()
    with open_progress(stream) as progress:
        progress.add("义务 obligations", 2)
        progress.advance("义务 obligations", 2)
    assert stream.getvalue().rstrip().endswith("义务 obligations: 2/2 (100 %)")
    assert not any(getattr(h, "stream", None) is stream for h in log.handlers)  # taken off again


# --------------------------------------------------------------------------- the commands


@pytest.fixture
def cli(sqlite_engine, monkeypatch, caplog, tmp_path):
    """``safegov`` on a SQLite database with the units; returns run(argv) → (exit code,
    stdout, {stage: its last progress line})."""
    from safegov.cli import main as cli_main
    from safegov.core.settings import get_settings
    from safegov.db.engine import get_engine
    from safegov.org.units import sync_units

    monkeypatch.setenv("SAFEGOV_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SAFEGOV_NOW", "2024-04-09T00:00:00+08:00")
    monkeypatch.setenv("SAFEGOV_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SAFEGOV_INBOX", str(tmp_path / "inbox"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    with Session(sqlite_engine) as s, s.begin():
        sync_units(s)
    caplog.set_level(logging.INFO, logger="safegov.progress")

    def run(argv: list[str], capsys) -> tuple[int, str, dict[str, str]]:
        caplog.clear()
        code = cli_main.main(argv)
        last: dict[str, str] = {}
        for r in caplog.records:
            if r.name == "safegov.progress":
                stage, _, figure = r.getMessage().partition(": ")
                last[stage] = figure
        return code, capsys.readouterr().out, last

    yield run
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_ingest_progress_ends_on_the_summary(cli, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    header = "record_id,unit_code,body,held_on,minutes_ref\n"
    (folder / "meeting_a.csv").write_text(header + "M1,150102,safety_committee,2024-03-05,纪要\n", encoding="utf-8")
    (folder / "meeting_b.csv").write_text(
        header + "M2,150102,safety_committee,2024-03-06,纪要\nM3,999999,safety_committee,2024-03-07,纪要\n",
        encoding="utf-8",
    )
    (folder / "meeting_c.csv").write_bytes(b"")  # refused: a file done with no rows
    code, out, last = cli(["ingest", str(folder), "--no-docs"], capsys)
    assert code == 2
    files, accepted, quarantined = map(int, re.search(r"(\d+) file\(s\): (\d+) row\(s\) accepted, (\d+)", out).groups())
    assert (files, accepted, quarantined) == (3, 2, 1)
    assert last == {"文件 files": f"{files}/{files} (100 %)", "行 rows": f"{accepted + quarantined}"}


def test_evaluate_escalate_and_audit_progress_end_on_their_summaries(cli, capsys):
    code, out, last = cli(["evaluate", "--from", "2024-01", "--to", "2024-03"], capsys)
    assert code == 0
    obligations = [line for line in out.splitlines()[2:] if not line.startswith("total")]
    total = next(line for line in out.splitlines() if line.startswith("total")).split()
    evaluations = sum(map(int, total[1:6]))
    assert evaluations > 0
    assert last == {
        "义务 obligations": f"{len(obligations)}/{len(obligations)} (100 %)",
        "评价 evaluations": str(evaluations),
    }

    code, out, last = cli(["escalate", "--from", "2024-01", "--to", "2024-03"], capsys)
    assert code == 0
    counts = dict(re.findall(r"(\w+)=(\d+)", out))
    changes = sum(map(int, counts.values()))
    assert changes > 0
    steps = last["步骤 steps"].split("/")[0]
    assert last == {"步骤 steps": f"{steps}/{steps} (100 %)", "变动 changes": str(changes)}

    code, out, last = cli(["audit", "verify"], capsys)
    assert code == 0, out
    links = int(re.search(r"audit chain ok: (\d+) links", out).group(1))
    assert links > 0 and last == {"审计链 links": f"{links}/{links} (100 %)"}


def test_synth_progress_ends_on_its_result(cli, tmp_path, capsys):
    import json

    argv = ["synth", "--enterprises", "30", "--from", "2025-01", "--to", "2025-02", "--load", "--json"]
    code, out, last = cli(argv, capsys)
    assert code == 0
    result = json.loads(out)
    loaded = result["ingest"]
    assert loaded["files"] == result["files"] > 0
    assert last == {
        "月份 months": "2/2 (100 %)",
        "写出文件 files written": str(result["files"]),
        "写出行 rows written": str(result["rows_total"]),
        # --load: each chunk goes through the ingestion, which reports into the same progress.
        "文件 files": f"{loaded['files']}/{loaded['files']} (100 %)",
        "行 rows": str(loaded["accepted"] + loaded["quarantined"]),
    }
