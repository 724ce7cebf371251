"""Issue #17: names are capped in bytes (CJK is 3 bytes a character), and a move that
fails is reported for that file alone."""

from __future__ import annotations

from tests.intake.conftest import ingest, write_csv

MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]
ROW = ["M1", "150102", "safety_committee", "2024-03-05", "纪要"]


def test_safe_name_caps_bytes_and_keeps_extension():
    from safegov.intake.pipeline import NAME_MAX_BYTES, safe_name

    name = safe_name("meeting_" + "会议纪要" * 60 + ".csv")
    assert len(name.encode("utf-8")) <= NAME_MAX_BYTES and name.endswith(".csv")
    assert name.startswith("meeting_会议纪要")
    assert safe_name("meeting_short.csv") == "meeting_short.csv"


def test_long_cjk_names_move_and_do_not_block_later_runs(db, inbox):
    # 80 CJK characters: 240 bytes, under the 255-byte limit, so the file can exist; the
    # tag and ``.reason.txt`` added on moving would have pushed it over.
    long_ok = write_csv(inbox / ("meeting_" + "会" * 80 + ".csv"), MEETING, [ROW])
    long_bad = inbox / ("meeting_" + "坏" * 80 + ".csv")
    long_bad.write_bytes(b"")
    rep = ingest(db, [inbox], move_to=inbox)
    statuses = {f.name[:9]: f.status for f in rep.files}
    assert statuses == {"meeting_会": "processed", "meeting_坏": "rejected"}
    assert not long_ok.exists() and not long_bad.exists()
    for f in rep.files:
        assert f.moved_to and len(f.moved_to.rsplit("/", 1)[1].encode()) <= 200
    # The same long name again (different content) moves beside the first one.
    write_csv(inbox / ("meeting_" + "会" * 80 + ".csv"), MEETING, [["M2", *ROW[1:]]])
    (f,) = ingest(db, [inbox], move_to=inbox).files
    assert f.status == "processed" and f.moved_to
    assert len(list((inbox / "processed").iterdir())) == 2


def test_a_failed_move_is_that_files_failure_only(db, inbox, monkeypatch):
    from safegov.intake import pipeline

    write_csv(inbox / "meeting_a.csv", MEETING, [ROW])
    write_csv(inbox / "meeting_b.csv", MEETING, [["M2", *ROW[1:]]])
    real_move = pipeline._move

    def move(src, folder, name, sha, reason):
        if name == "meeting_a.csv":
            raise OSError(36, "File name too long")
        return real_move(src, folder, name, sha, reason)

    monkeypatch.setattr(pipeline, "_move", move)
    rep = ingest(db, [inbox], move_to=inbox)
    by_name = {f.name: f for f in rep.files}
    assert by_name["meeting_a.csv"].status == "error"
    assert by_name["meeting_a.csv"].reason.startswith("move_failed") and "too long" in by_name["meeting_a.csv"].reason
    assert by_name["meeting_b.csv"].status == "processed" and by_name["meeting_b.csv"].moved_to
    # The next run finds it ingested and can move it now.
    monkeypatch.setattr(pipeline, "_move", real_move)
    (f,) = ingest(db, [inbox], move_to=inbox).files
    assert f.status == "skipped" and f.moved_to
