"""The ingest task: one file at a time, a broken file never stops the others, one asset
event per record type with the submission file ids."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safegov.airflow import tasks as at


class FakeAlias:
    def __init__(self):
        self.added = []

    def add(self, asset, extra=None):
        self.added.append((asset.uri, extra))


def _meeting_file(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", "unit_code", "body", "held_on", "minutes_ref"])
        w.writerows(rows)
    return path


@pytest.fixture
def wired(engine, tmp_path, monkeypatch):
    from safegov.core.settings import load_settings
    from safegov.org.units import sync_units

    with Session(engine) as s, s.begin():
        sync_units(s)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # The files are written just before the task runs: no settling time.
    settings = load_settings(
        {"SAFEGOV_INBOX": str(inbox), "SAFEGOV_DATA_DIR": str(tmp_path), "SAFEGOV_INBOX_SETTLE_SECONDS": "0"}
    )
    monkeypatch.setattr("safegov.core.settings.get_settings", lambda: settings)
    monkeypatch.setattr(at, "engine", lambda: engine)
    return engine, inbox


def test_a_failing_file_does_not_stop_the_others(wired, monkeypatch, caplog):
    import logging

    import safegov.intake.pipeline

    caplog.set_level(logging.INFO, logger="safegov.progress")

    engine, inbox = wired
    _meeting_file(inbox / "meeting_2024-03_a.csv", [["M1", "150102", "safety_committee", "2024-03-05", "m1"]])
    _meeting_file(inbox / "meeting_2024-03_b.csv", [["M2", "150103", "safety_committee", "2024-03-06", "m2"]])
    _meeting_file(inbox / "meeting_2024-03_boom.csv", [["M3", "150104", "safety_committee", "2024-03-07", "m3"]])
    real = safegov.intake.pipeline.ingest_paths

    def flaky(eng, paths, **kw):
        if any("boom" in str(p) for p in paths):
            raise OSError("disk hiccup")
        return real(eng, paths, **kw)

    monkeypatch.setattr(safegov.intake.pipeline, "ingest_paths", flaky)
    alias = FakeAlias()
    context = {
        "dag_run": SimpleNamespace(run_id="scheduled__test", run_type="scheduled"),
        "outlet_events": {at.RECORDS_ALIAS: alias},
    }
    out = at.ingest_inbox(**context)

    assert [e["name"] for e in out["errors"]] == ["meeting_2024-03_boom.csv"]
    assert sorted(f["name"] for f in out["files"]) == ["meeting_2024-03_a.csv", "meeting_2024-03_b.csv"]
    assert (inbox / "meeting_2024-03_boom.csv").exists()  # left for the next run
    assert not (inbox / "meeting_2024-03_a.csv").exists()  # moved to processed/
    from safegov.db.models import SubmissionFile

    with Session(engine) as s:
        ids = sorted(s.scalars(select(SubmissionFile.id).where(SubmissionFile.run_id == "scheduled__test")))
    assert len(ids) == 2
    assert alias.added == [("safegov://records/meeting", {"file_ids": ids})]
    # The task log ends on the progress of the files taken one at a time: the two loaded.
    progress = [r.getMessage() for r in caplog.records if r.name == "safegov.progress"]
    assert progress == ["文件 files: 2/2 (100 %)", "行 rows: 2"]


def test_a_retry_announces_what_the_first_try_loaded(wired):
    engine, inbox = wired
    _meeting_file(inbox / "meeting_2024-04.csv", [["M9", "150102", "safety_committee", "2024-04-05", "m9"]])
    context = {
        "dag_run": SimpleNamespace(run_id="scheduled__retry", run_type="scheduled"),
        "outlet_events": {at.RECORDS_ALIAS: FakeAlias()},
    }
    at.ingest_inbox(**context)  # first try: loads and moves the file (imagine it died before announcing)
    retry_alias = FakeAlias()
    context["outlet_events"] = {at.RECORDS_ALIAS: retry_alias}
    out = at.ingest_inbox(**context)
    assert out["files"] == []  # nothing new in the inbox
    assert [uri for uri, _ in retry_alias.added] == ["safegov://records/meeting"]


def test_an_empty_inbox_announces_nothing(wired):
    alias = FakeAlias()
    out = at.ingest_inbox(
        dag_run=SimpleNamespace(run_id="scheduled__empty", run_type="scheduled"),
        outlet_events={at.RECORDS_ALIAS: alias},
    )
    assert out["files"] == [] and alias.added == []
