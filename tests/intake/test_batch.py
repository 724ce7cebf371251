"""A batch of files in one ingest_paths call: one GX run per record type, yet every file
keeps its own outcome — its rows, its duplicates, its transaction, its failure."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.intake.conftest import ENT_A, ENT_B, NOW, conserved, ingest, reasons, write_csv, write_jsonl

HI = ["record_id", "enterprise_id", "inspected_on", "led_by_role", "hazards_found", "archived"]
MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]


def _count_runs(monkeypatch) -> list[tuple[str, int, int]]:
    """Record each GX run: record type, rows, files in it."""
    import safegov.intake.validation

    runs: list[tuple[str, int, int]] = []
    real = safegov.intake.validation.validate_frame

    def counted(frame, rt, *args, **kwargs):
        runs.append((rt.name, len(frame), frame["_file"].nunique()))
        return real(frame, rt, *args, **kwargs)

    monkeypatch.setattr(safegov.intake.validation, "validate_frame", counted)
    return runs


def test_one_validation_run_per_record_type_and_reasons_on_the_right_file(db, inbox, monkeypatch):
    runs = _count_runs(monkeypatch)
    a = write_csv(
        inbox / "hazard_inspection_a.csv",
        HI,
        [["R1", ENT_A, "2024-03-01", "other", "1", "是"], ["R2", ENT_A, "2024-03-02", "other", "x", "是"]],
    )
    b = write_csv(
        inbox / "hazard_inspection_b.csv",
        HI,
        [
            ["R3", ENT_B, "2024-03-03", "boss", "0", "否"],
            ["R4", ENT_B, "2024-03-04", "other", "2", "否"],
            ["R5", ENT_B, "2099-01-01", "other", "2", "否"],
        ],
    )
    m1 = write_csv(inbox / "meeting_1.csv", MEETING, [["M1", "150102", "safety_committee", "2024-03-05", "m1"]])
    m2 = write_csv(inbox / "meeting_2.csv", MEETING, [["M2", "999999", "safety_committee", "2024-03-06", "m2"]])
    rep = ingest(db, [a, b, m1, m2])

    assert sorted(runs) == [("hazard_inspection", 5, 2), ("meeting", 2, 2)]
    files = {f.name: f for f in rep.files}
    assert [f.status for f in rep.files] == ["processed"] * 4
    assert conserved(db, files["hazard_inspection_a.csv"].file_id) == (2, 1, 1)
    assert conserved(db, files["hazard_inspection_b.csv"].file_id) == (3, 1, 2)
    assert conserved(db, files["meeting_1.csv"].file_id) == (1, 1, 0)
    assert conserved(db, files["meeting_2.csv"].file_id) == (1, 0, 1)
    assert reasons(db, files["hazard_inspection_a.csv"].file_id) == {3: {("hazards_found", "type")}}
    assert reasons(db, files["hazard_inspection_b.csv"].file_id) == {
        2: {("led_by_role", "value_set")},
        4: {("inspected_on", "future_date")},
    }
    assert reasons(db, files["meeting_2.csv"].file_id) == {2: {("unit_code", "unknown_unit")}}
    # GX's time is shared out by rows
    assert all(f.seconds_gx > 0 for f in rep.files)


def test_duplicates_are_per_file_and_later_files_update_earlier_ones(db, inbox):
    from safegov.db.models import HazardInspection, RecordVersion

    a = write_csv(
        inbox / "hazard_inspection_a.csv",
        HI,
        [["R1", ENT_A, "2024-03-01", "other", "1", "是"], ["R1", ENT_A, "2024-03-01", "other", "9", "是"]],
    )
    b = write_csv(inbox / "hazard_inspection_b.csv", HI, [["R1", ENT_A, "2024-03-01", "other", "2", "是"]])
    rep = ingest(db, [a, b])
    fa, fb = rep.files
    assert reasons(db, fa.file_id) == {3: {("enterprise_id,record_id", "duplicate_key")}}
    assert reasons(db, fb.file_id) == {}
    assert (fa.inserted, fb.inserted, fb.updated) == (1, 0, 1)
    with Session(db) as s:
        row = s.scalars(select(HazardInspection)).one()
        history = s.execute(select(RecordVersion.version, RecordVersion.values).order_by(RecordVersion.version)).all()
    assert (row.version, row.hazards_found) == (2, 2)
    assert [(v, values["hazards_found"]) for v, values in history] == [(1, 1), (2, 2)]


def test_a_crash_in_batch_validation_fails_only_its_file(db, inbox, monkeypatch):
    import safegov.intake.validation
    from safegov.db.models import SubmissionFile

    real = safegov.intake.validation.validate_frame

    def crashing(frame, rt, *args, **kwargs):
        if (frame.get("record_id") == "BOOM").any():
            raise safegov.intake.validation.ValidationCrash("an expectation raised")
        return real(frame, rt, *args, **kwargs)

    monkeypatch.setattr(safegov.intake.validation, "validate_frame", crashing)
    good = write_csv(inbox / "meeting_good.csv", MEETING, [["M1", "150102", "safety_committee", "2024-03-05", "m1"]])
    bad = write_csv(inbox / "meeting_bad.csv", MEETING, [["BOOM", "150102", "safety_committee", "2024-03-05", "m"]])
    other = write_csv(inbox / "meeting_other.csv", MEETING, [["M2", "150102", "safety_committee", "2024-03-06", "m2"]])
    rep = ingest(db, [good, bad, other], move_to=inbox)

    assert {f.name: f.status for f in rep.files} == {
        "meeting_good.csv": "processed",
        "meeting_bad.csv": "error",
        "meeting_other.csv": "processed",
    }
    assert "ValidationCrash" in rep.files[1].reason
    assert bad.exists()  # left in the inbox for the next run
    with Session(db) as s:
        assert sorted(s.scalars(select(SubmissionFile.file_name))) == ["meeting_good.csv", "meeting_other.csv"]


def test_rows_the_reader_could_not_split_are_received_at_ingestion(db, inbox):
    from safegov.db.models import RawRow

    path = write_jsonl(
        inbox / "hazard_inspection_j.jsonl",
        [
            {
                "record_id": "R1",
                "enterprise_id": ENT_A,
                "inspected_on": "2024-03-01",
                "led_by_role": "other",
                "hazards_found": 3,
                "archived": True,
            },
            "{not json",
        ],
    )
    (f,) = ingest(db, path).files
    with Session(db) as s:
        received = dict(
            s.execute(select(RawRow.row_number, RawRow.received_at).where(RawRow.file_id == f.file_id)).all()
        )
    assert received == {1: NOW.astimezone(dt.UTC), 2: NOW.astimezone(dt.UTC)}


def test_a_large_file_goes_through_several_gx_runs(db, inbox, monkeypatch):
    runs = _count_runs(monkeypatch)
    rows = [[f"R{i}", ENT_A if i % 2 else ENT_B, "2024-03-01", "other", str(i % 3), "是"] for i in range(25)]
    rows[13][4] = "-1"
    (f,) = ingest(db, write_csv(inbox / "hazard_inspection_big.csv", HI, rows), chunk_rows=10).files
    assert [n for _t, n, _k in runs] == [10, 10, 5]
    assert conserved(db, f.file_id) == (25, 24, 1)
    assert reasons(db, f.file_id) == {15: {("hazards_found", "min")}}
    with Session(db) as s:
        from safegov.db.models import HazardInspection

        assert s.scalar(select(func.count()).select_from(HazardInspection)) == 24


def test_a_copy_of_a_file_in_the_same_batch_is_skipped(db, inbox):
    from safegov.db.models import SubmissionFile

    rows = [["M1", "150102", "safety_committee", "2024-03-05", "m1"]]
    first = write_csv(inbox / "meeting_a.csv", MEETING, rows)
    copy = write_csv(inbox / "meeting_a_resent.csv", MEETING, rows)
    rep = ingest(db, [first, copy], move_to=inbox)
    assert [(f.name, f.status) for f in rep.files] == [
        ("meeting_a.csv", "processed"),
        ("meeting_a_resent.csv", "skipped"),
    ]
    assert rep.files[1].file_id == rep.files[0].file_id and "meeting_a.csv" in rep.files[1].reason
    assert (inbox / "processed" / "meeting_a_resent.csv").exists()
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(SubmissionFile)) == 1
