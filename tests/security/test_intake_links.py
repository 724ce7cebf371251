"""Issue #17: only regular files inside the inbox are read; a link is refused, moved
itself (never its target), and nothing of the target is stored."""

from __future__ import annotations

import os

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.intake.conftest import ingest, write_csv

MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]
SECRET = "TOP-SECRET-OUTSIDE-THE-INBOX"


def _stored_text(engine) -> str:
    from safegov.db.models import RawRow, Rejection, SubmissionFile

    with Session(engine) as s:
        parts = [str(v) for v in s.scalars(select(RawRow.values))]
        parts += [f"{r.value} {r.message}" for r in s.scalars(select(Rejection))]
        parts += [f"{f.file_name} {f.reason}" for f in s.scalars(select(SubmissionFile))]
    return "\n".join(parts)


def test_link_to_a_file_outside_the_inbox_is_refused(db, inbox, tmp_path):
    from safegov.db.models import RawRow
    from safegov.intake.pipeline import scan_inbox

    outside = write_csv(
        tmp_path / "outside.csv", MEETING, [[SECRET, "150102", "safety_committee", "2024-03-05", SECRET]]
    )
    link = inbox / "meeting_x.csv"
    link.symlink_to(outside)
    ok = write_csv(inbox / "meeting_ok.csv", MEETING, [["M1", "150102", "safety_committee", "2024-03-05", "纪要"]])

    assert link in scan_inbox(inbox)  # listed, so that it is refused rather than left
    rep = ingest(db, [inbox], move_to=inbox)
    by_name = {f.name: f for f in rep.files}
    f = by_name["meeting_x.csv"]
    assert f.status == "rejected" and f.reason.startswith("not_regular_file:")
    assert "符号链接" in f.reason and SECRET not in f.reason
    moved = inbox / "rejected" / "meeting_x.csv"
    assert moved.is_symlink() and os.readlink(moved) == str(outside)  # the link itself, moved
    assert outside.read_text(encoding="utf-8").count(SECRET) == 2  # the target untouched
    assert (inbox / "rejected" / "meeting_x.csv.reason.txt").read_text(encoding="utf-8").startswith("not_regular_file")
    assert by_name[ok.name].status == "processed"  # the others go on
    assert SECRET not in _stored_text(db)
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(RawRow)) == 1


def test_link_to_etc_passwd_and_dangling_link(db, inbox):
    (inbox / "meeting_passwd.csv").symlink_to("/etc/passwd")
    (inbox / "meeting_gone.csv").symlink_to(inbox / "no-such-file.csv")
    rep = ingest(db, [inbox], move_to=inbox)
    assert {f.name: f.status for f in rep.files} == {"meeting_passwd.csv": "rejected", "meeting_gone.csv": "rejected"}
    for name in ("meeting_passwd.csv", "meeting_gone.csv"):
        assert (inbox / "rejected" / name).is_symlink()
        assert not os.path.lexists(inbox / name)
    assert "root:" not in _stored_text(db)
    assert not rep.ok


def test_fifo_is_refused_without_blocking(db, inbox):
    fifo = inbox / "meeting_pipe.csv"
    os.mkfifo(fifo)
    (f,) = ingest(db, [inbox], move_to=inbox).files
    assert f.status == "rejected" and "not_regular_file" in f.reason
    assert not os.path.lexists(fifo)


def test_explicit_link_path_is_refused(db, tmp_path):
    target = write_csv(tmp_path / "t.csv", MEETING, [["M1", "150102", "safety_committee", "2024-03-05", SECRET]])
    link = tmp_path / "meeting_link.csv"
    link.symlink_to(target)
    (f,) = ingest(db, link).files
    assert f.status == "rejected" and f.reason.startswith("not_regular_file")
    assert SECRET not in _stored_text(db)
