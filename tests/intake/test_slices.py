"""A batch ingested in slices (``slice_rows``): each slice read, validated and written before
the next is read, with the same tables and reports as the batch in one slice — registries
first, accidents of the batch known to every slice, copies taken once."""

from __future__ import annotations

import weakref

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.intake.conftest import ENT_A, ENT_B, ENT_UNREGISTERED, conserved, ingest, reasons, with_registries, write_csv

HI = ["record_id", "enterprise_id", "inspected_on", "led_by_role", "hazards_found", "archived"]
MEETING = ["record_id", "unit_code", "body", "held_on", "minutes_ref"]
ENTERPRISE = ["enterprise_id", "name", "county_code", "registered_on"]
ACCIDENT = ["accident_id", "unit_code", "occurred_at", "reported_at", "deaths", "serious_injuries"]
ACCIDENT += ["direct_loss_10k_cny", "description", "认定责任事故日期"]
REVIEW = ["record_id", "accident_id", "unit_code", "reviewed_on", "training_failures", "doc_ref"]
HOP = ["accident_id", "reporter", "reported_to", "reported_at"]


def _batch(inbox) -> list:
    """Files of several record types and sizes, bad rows, duplicates and a copy, in an order
    that puts the registry file and the accidents after the records that name them."""
    hi = [
        write_csv(
            inbox / "hazard_inspection_a.csv",
            HI,
            [
                ["R1", ENT_A, "2024-03-01", "other", "1", "是"],
                ["R2", ENT_A, "2024-03-02", "other", "x", "是"],
                ["R1", ENT_A, "2024-03-01", "other", "9", "是"],
            ],
        ),
        write_csv(
            inbox / "hazard_inspection_b.csv",
            HI,
            [
                ["R1", ENT_A, "2024-03-01", "other", "2", "是"],  # updates file a's R1
                ["R3", ENT_UNREGISTERED, "2024-03-03", "other", "0", "否"],  # registered by a later file
                ["R4", ENT_B, "2099-01-01", "other", "2", "否"],
            ],
        ),
    ]
    meetings = [
        write_csv(inbox / "meeting_1.csv", MEETING, [["M1", "150102", "safety_committee", "2024-03-05", "m1"]]),
        write_csv(inbox / "meeting_2.csv", MEETING, [["M2", "999999", "safety_committee", "2024-03-06", "m2"]]),
    ]
    review = write_csv(
        inbox / "review_2024.csv",
        REVIEW,
        [["V1", "A7", "150102", "2024-05-20", "0", "x"], ["V2", "A8", "150102", "2024-05-20", "0", "x"]],
    )
    m1 = [["M1", "150102", "safety_committee", "2024-03-05", "m1"]]
    copy = write_csv(inbox / "meeting_1_resent.csv", MEETING, m1)
    registry = write_csv(
        inbox / "enterprise_more.csv", ENTERPRISE, [[ENT_UNREGISTERED, "丙建材", "150105", "2015-01-01"]]
    )
    accidents = write_csv(
        inbox / "accident_2024-03.csv",
        ACCIDENT,
        [
            ["A7", "150102", "2024-03-01 09:00", "2024-03-01 09:40", "1", "0", "50", "x", "2024-05-06"],
            ["A9", "150102", "2024-03-02 09:00", "2024-03-02 09:40", "-1", "0", "5", "y", ""],  # quarantined
        ],
    )
    hops = write_csv(
        inbox / "accident_report_2024-03.csv",
        HOP,
        [["A7", "150102", "150100", "2024-03-01 10:00"], ["A9", "150102", "150100", "2024-03-02 10:00"]],
    )
    return [*hi, review, hops, meetings[0], copy, meetings[1], registry, accidents]


def _report(report) -> list[tuple]:
    """What a report says of each file, less its timings and the database's ids."""
    out = []
    for f in report.files:
        out.append(
            (
                f.name,
                f.status,
                f.record_type,
                f.rows_total,
                f.accepted,
                f.quarantined,
                (f.inserted, f.updated, f.unchanged),
                f.record_types,
                f.rejections_by_rule,
                None if f.reason is None else f.reason.split(" as file #")[0],
                f.moved_to is not None and f.moved_to.split("/")[-2:],
            )
        )
    return out


def _tables(engine) -> dict[str, list[tuple]]:
    """The rows ingestion writes, without surrogate ids and ingestion times."""
    from safegov.db.models import (
        Accident,
        AccidentReport,
        Enterprise,
        HazardInspection,
        Meeting,
        RawRow,
        RecordVersion,
        Rejection,
        Review,
        SubmissionFile,
    )

    with Session(engine) as s:
        files = dict(s.execute(select(SubmissionFile.id, SubmissionFile.file_name)).all())
        out = {
            "submission_file": sorted(
                s.execute(
                    select(
                        SubmissionFile.file_name,
                        SubmissionFile.status,
                        SubmissionFile.record_type,
                        SubmissionFile.rows_total,
                        SubmissionFile.rows_accepted,
                        SubmissionFile.rows_quarantined,
                        SubmissionFile.reason,
                    )
                ).all()
            ),
            "raw_row": sorted(
                (files[r.file_id], r.row_number, r.record_type, r.status, r.natural_key, r.unit_code)
                + (r.enterprise_id, r.leader_id, r.record_date, r.received_at, str(r.values))
                for r in s.scalars(select(RawRow))
            ),
            "rejection": sorted(
                (files[file_id], row, column, rule, value)
                for file_id, row, column, rule, value in s.execute(
                    select(RawRow.file_id, RawRow.row_number, Rejection.column, Rejection.rule, Rejection.value).join(
                        RawRow, RawRow.id == Rejection.raw_row_id
                    )
                )
            ),
            "record_version": sorted(
                (v.record_type, v.natural_key, v.version, str(v.values)) for v in s.scalars(select(RecordVersion))
            ),
        }
        for model in (HazardInspection, Meeting, Enterprise, Accident, AccidentReport, Review):
            columns = [c for c in model.__table__.columns if c.name not in ("id", "raw_row_id", "recorded_at")]
            out[model.__tablename__] = sorted(map(tuple, s.execute(select(*columns)).all()), key=repr)
    return out


@pytest.mark.parametrize("slice_rows", [1, 2, 3, 5, 8])
def test_slices_give_the_tables_and_reports_of_one_slice(db, twin_engine, inbox, tmp_path, slice_rows):
    one_inbox = tmp_path / "one"
    one_inbox.mkdir()
    with_registries(twin_engine)
    whole = ingest(twin_engine, _batch(one_inbox), move_to=one_inbox, slice_rows=10**6)
    sliced = ingest(db, _batch(inbox), move_to=inbox, slice_rows=slice_rows)

    assert _report(sliced) == _report(whole)
    assert sliced.touched == whole.touched
    assert sliced.record_types == whole.record_types
    assert _tables(db) == _tables(twin_engine)
    for f in sliced.files:
        if f.status == "processed":
            conserved(db, f.file_id)
    # What the batch says, whichever the slicing: the registry file was written first, the
    # accidents of the batch were known to the review and the hops (a quarantined one too),
    # the copy was taken once.
    files = {f.name: f for f in sliced.files}
    assert reasons(db, files["hazard_inspection_b.csv"].file_id) == {4: {("inspected_on", "future_date")}}
    assert reasons(db, files["review_2024.csv"].file_id) == {3: {("accident_id", "unknown_accident")}}
    assert reasons(db, files["accident_report_2024-03.csv"].file_id) == {}
    assert files["meeting_1_resent.csv"].status == "skipped"


class _Recorder:
    """A progress that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def add(self, stage: str, total: int) -> None:
        self.calls.append(("add", stage, total))

    def advance(self, stage: str, done: int = 1) -> None:
        self.calls.append(("advance", stage, done))


def test_progress_is_told_of_every_file_and_row_whatever_the_slicing(db, twin_engine, inbox, tmp_path):
    one_inbox = tmp_path / "one"
    one_inbox.mkdir()
    with_registries(twin_engine)
    whole, sliced = _Recorder(), _Recorder()
    ingest(twin_engine, _batch(one_inbox), slice_rows=10**6, progress=whole)
    ingest(db, _batch(inbox), slice_rows=1, progress=sliced)
    assert sorted(sliced.calls) == sorted(whole.calls)
    assert ("add", "文件 files", 9) in sliced.calls
    assert sum(n for kind, stage, n in sliced.calls if kind == "advance" and stage == "文件 files") == 9


MIXED = ["record_type", *ACCIDENT]


@pytest.mark.parametrize("accident_file", ["accident_2024-03.csv", "mixed_2024-03.csv"])
@pytest.mark.parametrize("accidents_first", [True, False], ids=["accidents-first", "review-first"])
@pytest.mark.parametrize("slice_rows", [1, 10**6], ids=["slices", "one-slice"])
def test_a_review_may_name_an_accident_of_another_slice(db, inbox, accident_file, accidents_first, slice_rows):
    """A review names an accepted accident (A7), a quarantined one (A9), one not sent (A8):
    only A8 is unknown, in whichever slice and order the accidents come, and whether the
    file is named as accidents or says so in a record_type column."""
    rows = [
        ["A7", "150102", "2024-03-01 09:00", "2024-03-01 09:40", "1", "0", "50", "x", "2024-05-06"],
        ["A9", "150102", "2024-03-02 09:00", "2024-03-02 09:40", "-1", "0", "5", "y", ""],
    ]
    if accident_file.startswith("mixed"):
        accidents = write_csv(inbox / accident_file, MIXED, [["accident", *r] for r in rows])
    else:
        accidents = write_csv(inbox / accident_file, ACCIDENT, rows)
    review = write_csv(
        inbox / "review_2024.csv",
        REVIEW,
        [
            ["V1", "A7", "150102", "2024-05-20", "0", "x"],
            ["V2", "A9", "150102", "2024-05-20", "0", "x"],
            ["V3", "A8", "150102", "2024-05-20", "0", "x"],
        ],
    )
    hops = write_csv(inbox / "accident_report_2024-03.csv", HOP, [["A9", "150102", "150100", "2024-03-02 10:00"]])
    files = [accidents, review, hops] if accidents_first else [review, hops, accidents]
    report = ingest(db, files, slice_rows=slice_rows)
    by_name = {f.name: f for f in report.files}
    assert [f.status for f in report.files] == ["processed"] * 3
    assert reasons(db, by_name[accident_file].file_id) == {3: {("deaths", "min")}}
    assert conserved(db, by_name["review_2024.csv"].file_id) == (3, 2, 1)
    assert reasons(db, by_name["review_2024.csv"].file_id) == {4: {("accident_id", "unknown_accident")}}
    assert conserved(db, by_name["accident_report_2024-03.csv"].file_id) == (1, 1, 0)


def test_a_slice_lets_go_of_its_files_before_the_next_is_read(db, inbox, monkeypatch):
    """Memory is a slice's: when a file is read, no file of an earlier slice is still held."""
    import safegov.intake.pipeline as pipeline

    read = pipeline._read
    held: list[weakref.ref] = []
    alive: list[int] = []

    def reading(*args, **kwargs):
        alive.append(sum(ref() is not None for ref in held))
        fr, f = read(*args, **kwargs)
        if f is not None:
            held.append(weakref.ref(f))
        return fr, f

    monkeypatch.setattr(pipeline, "_read", reading)
    paths = [
        write_csv(inbox / f"meeting_{k}.csv", MEETING, [[f"M{k}", "150102", "safety_committee", "2024-03-05", "m"]])
        for k in range(6)
    ]
    report = ingest(db, paths, slice_rows=2)
    assert [f.status for f in report.files] == ["processed"] * 6
    # Two one-row files make a full slice, written before the next file is read.
    assert alive == [0, 1, 0, 1, 0, 1]


@pytest.mark.parametrize("slice_rows", [1, 10**6], ids=["slices", "one-slice"])
def test_a_registry_file_given_after_the_records_that_name_it_is_written_first(db, inbox, slice_rows):
    hazards = write_csv(
        inbox / "hazard_inspection_c.csv", HI, [["R1", ENT_UNREGISTERED, "2024-03-03", "other", "0", "否"]]
    )
    meeting = write_csv(inbox / "meeting_1.csv", MEETING, [["M1", "150102", "safety_committee", "2024-03-05", "m1"]])
    registry = write_csv(
        inbox / "enterprise_more.csv", ENTERPRISE, [[ENT_UNREGISTERED, "丙建材", "150105", "2015-01-01"]]
    )
    report = ingest(db, [hazards, meeting, registry], slice_rows=slice_rows)
    by_name = {f.name: f for f in report.files}
    assert conserved(db, by_name["hazard_inspection_c.csv"].file_id) == (1, 1, 0)
    assert by_name["hazard_inspection_c.csv"].inserted == 1
