"""Issue #17: a file that a concurrent run ingested first is reported as taken by that
run — no traceback, no refusal, exit 0."""

from __future__ import annotations

import logging

import pytest
from tests.intake.conftest import ingest, write_csv

MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]
ROW = ["M1", "150102", "safety_committee", "2024-03-05", "纪要"]


@pytest.fixture
def race(monkeypatch):
    """The other run commits between this run's duplicate check and its write."""
    from safegov.intake import pipeline

    monkeypatch.setattr(pipeline, "_already_taken", lambda engine, fr: False)


def test_taken_by_another_run(db, inbox, tmp_path, race, caplog):
    first = write_csv(tmp_path / "meeting_a.csv", MEETING, [ROW])
    (a,) = ingest(db, first).files
    assert a.status == "processed"
    copy = inbox / "meeting_a.csv"
    copy.write_bytes(first.read_bytes())
    other = write_csv(inbox / "meeting_b.csv", MEETING, [["M2", *ROW[1:]]])
    with caplog.at_level(logging.INFO, logger="safegov.intake.pipeline"):
        rep = ingest(db, [copy, other], move_to=inbox)
    by_name = {f.name: f for f in rep.files}
    f = by_name["meeting_a.csv"]
    assert f.status == "skipped" and f.reason.startswith("taken_by_another_run") and f.file_id == a.file_id
    assert by_name["meeting_b.csv"].status == "processed"
    assert rep.ok
    assert not any(r.exc_info for r in caplog.records)
    assert (inbox / "processed" / "meeting_a.csv").exists()


def test_cli_exit_0_for_files_taken_by_another_run(tmp_path, monkeypatch, capsys, race):
    from sqlalchemy.orm import Session

    from safegov.cli.main import main
    from safegov.core.settings import get_settings
    from safegov.db.engine import get_engine, make_engine, migrate
    from safegov.org.units import sync_units

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for key, value in {
        "SAFEGOV_DATABASE_URL": url,
        "SAFEGOV_INBOX": str(inbox),
        "SAFEGOV_DATA_DIR": str(tmp_path / "data"),
        "SAFEGOV_NOW": "2024-06-01T10:00:00+08:00",
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        eng = make_engine(url)
        migrate(eng)
        with Session(eng) as s, s.begin():
            sync_units(s)
        eng.dispose()
        elsewhere = write_csv(tmp_path / "meeting_a.csv", MEETING, [ROW])
        assert main(["ingest", str(elsewhere), "--no-docs"]) == 0
        (inbox / "meeting_a.csv").write_bytes(elsewhere.read_bytes())
        capsys.readouterr()
        assert main(["ingest", str(inbox), "--no-docs"]) == 0
        out, err = capsys.readouterr()
        assert "meeting_a.csv: skipped: taken_by_another_run" in out
        assert "Traceback" not in out + err and "IntegrityError" not in out + err
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
