"""Issue #17: a file still being written is left in the inbox; what is hashed is what is
parsed; a file that changes after it was read is flagged, not silently accepted."""

from __future__ import annotations

import os
import time

import pytest
from tests.intake.conftest import ingest, write_csv

MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]
ROW = ["M1", "150102", "safety_committee", "2024-03-05", "纪要"]


def test_setting_is_validated():
    from pydantic import ValidationError

    from safegov.core.settings import load_settings

    assert load_settings({}).inbox_settle_seconds == 5
    assert load_settings({"SAFEGOV_INBOX_SETTLE_SECONDS": "0.5"}).inbox_settle_seconds == 0.5
    for bad in ("-1", "soon"):
        with pytest.raises(ValidationError):
            load_settings({"SAFEGOV_INBOX_SETTLE_SECONDS": bad})


def test_fresh_file_waits_then_is_taken(db, inbox):
    path = write_csv(inbox / "meeting_fresh.csv", MEETING, [ROW])
    old = write_csv(inbox / "meeting_old.csv", MEETING, [["M2", *ROW[1:]]])
    past = time.time() - 120
    os.utime(old, (past, past))
    rep = ingest(db, [inbox], move_to=inbox, settle_seconds=60)
    by_name = {f.name: f for f in rep.files}
    fresh = by_name["meeting_fresh.csv"]
    assert fresh.status == "waiting" and fresh.reason.startswith("not_settled")
    assert path.exists() and fresh.moved_to is None and fresh.sha256 is None
    assert by_name["meeting_old.csv"].status == "processed"
    assert rep.ok

    os.utime(path, (past, past))  # it has been quiet long enough now
    (f,) = ingest(db, [inbox], move_to=inbox, settle_seconds=60).files
    assert f.status == "processed" and f.accepted == 1
    assert (inbox / "processed" / "meeting_fresh.csv").exists()


def test_settle_time_comes_from_the_setting(db, inbox, monkeypatch):
    from safegov.core.settings import get_settings

    monkeypatch.setenv("SAFEGOV_INBOX_SETTLE_SECONDS", "3600")
    get_settings.cache_clear()
    try:
        write_csv(inbox / "meeting_fresh.csv", MEETING, [ROW])
        (f,) = ingest(db, [inbox], move_to=inbox).files
        assert f.status == "waiting"
    finally:
        monkeypatch.delenv("SAFEGOV_INBOX_SETTLE_SECONDS")
        get_settings.cache_clear()


def test_hash_is_of_the_bytes_parsed(db, inbox):
    import hashlib

    path = write_csv(inbox / "meeting_a.csv", MEETING, [ROW])
    data = path.read_bytes()
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.sha256 == hashlib.sha256(data).hexdigest()
    assert (f.size, f.changed_after_read) == (len(data), False)


def test_file_changed_after_read_is_flagged(db, inbox, monkeypatch):
    from sqlalchemy.orm import Session

    from safegov.db.models import SubmissionFile
    from safegov.intake import pipeline

    path = write_csv(inbox / "meeting_a.csv", MEETING, [ROW])
    real_move = pipeline._move

    def move_then_append(src, folder, name, sha, reason):
        with open(src, "ab") as fh:  # a writer that was still at work
            fh.write(b"M9,150102,safety_committee,2024-03-09,late\n")
        return real_move(src, folder, name, sha, reason)

    monkeypatch.setattr(pipeline, "_move", move_then_append)
    (f,) = ingest(db, path, move_to=inbox).files
    assert f.changed_after_read and "changed_after_read" in f.reason
    assert f.status == "processed" and f.accepted == 1
    with Session(db) as s:
        assert "changed_after_read" in s.get(SubmissionFile, f.file_id).reason
