"""Issue #17: refused content is judged again when it comes back (a corrected name, a
larger size limit); only accepted content is taken once. ``--max-bytes`` must be > 0."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.intake.conftest import ingest, write_csv

MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]
ROW = ["M1", "150102", "safety_committee", "2024-03-05", "纪要"]


def _files(engine):
    from safegov.db.models import SubmissionFile

    with Session(engine) as s:
        return [(f.file_name, f.status) for f in s.scalars(select(SubmissionFile).order_by(SubmissionFile.id))]


def test_corrected_name_ingests_refused_bytes(db, inbox):
    bad = write_csv(inbox / "notes.csv", MEETING, [ROW])  # no record type in the name
    (f,) = ingest(db, bad, move_to=inbox).files
    assert f.status == "rejected" and "unknown record type" in f.reason
    good = inbox / "meeting_notes.csv"
    good.write_bytes((inbox / "rejected" / "notes.csv").read_bytes())
    (g,) = ingest(db, good, move_to=inbox).files
    assert g.status == "processed" and g.accepted == 1
    assert _files(db) == [("meeting_notes.csv", "processed")]  # the refusal's record became this one
    # Accepted content is still taken once.
    again = inbox / "meeting_again.csv"
    again.write_bytes(good.read_bytes() if good.exists() else (inbox / "processed" / "meeting_notes.csv").read_bytes())
    (h,) = ingest(db, again, move_to=inbox).files
    assert h.status == "skipped" and h.file_id == g.file_id


def test_larger_limit_ingests_refused_bytes(db, inbox):
    from safegov.db.models import RawRow

    path = write_csv(inbox / "meeting_big.csv", MEETING, [ROW])
    (f,) = ingest(db, path, max_bytes=10).files
    assert f.status == "rejected" and "over the limit" in f.reason
    (g,) = ingest(db, path).files
    assert g.status == "processed"
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(RawRow)) == 1


def test_cli_refuses_non_positive_max_bytes(tmp_path, capsys):
    from safegov.cli.main import main

    for value in ("0", "-5"):
        assert main(["ingest", str(tmp_path), "--max-bytes", value]) == 2
        err = capsys.readouterr().err.strip()
        assert "--max-bytes" in err and "positive" in err and len(err.splitlines()) == 1
