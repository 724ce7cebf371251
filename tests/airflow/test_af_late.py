"""late.touched_for_files: the rows a batch of files touched, from the raw rows' hints."""

from __future__ import annotations

import datetime as dt

from safegov.db.models import RawRow, SubmissionFile
from safegov.intake.late import touched_for_files

T0 = dt.datetime(2024, 4, 10, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _file(session, name, record_type):
    f = SubmissionFile(
        file_name=name,
        sha256=name.ljust(64, "0")[:64],
        record_type=record_type,
        received_at=T0,
        ingested_at=T0,
        status="processed",
        rows_total=2,
    )
    session.add(f)
    session.flush()
    return f.id


def _row(session, file_id, n, record_type, status="accepted", **hints):
    values = hints.pop("values", {})
    session.add(
        RawRow(
            file_id=file_id,
            row_number=n,
            record_type=record_type,
            received_at=T0,
            values=values,
            status=status,
            **hints,
        )
    )


def test_touched_rows_of_the_given_files_only(session):
    f1 = _file(session, "meeting_2024-03.csv", "meeting")
    f2 = _file(session, "inspection_2024-03.csv", "inspection")
    f3 = _file(session, "meeting_2024-02.csv", "meeting")
    _row(session, f1, 1, "meeting", unit_code="150102", record_date=dt.date(2024, 3, 5))
    _row(session, f1, 2, "meeting", unit_code="150102", record_date=dt.date(2024, 3, 5))  # same key: once
    _row(session, f1, 3, "meeting", status="quarantined", unit_code="150103", record_date=dt.date(2024, 3, 9))
    _row(
        session,
        f2,
        1,
        "inspection",
        unit_code="150100",
        leader_id="L1",
        record_date=dt.date(2024, 3, 20),
        values={"department_id": "D150100-01"},
    )
    _row(session, f3, 1, "meeting", unit_code="150200", record_date=dt.date(2024, 2, 1))
    session.flush()

    got = touched_for_files(session, [f2, f1])
    assert got == [
        {
            "record_type": "meeting",
            "unit_code": "150102",
            "enterprise_id": None,
            "leader_id": None,
            "department_id": None,
            "record_date": dt.date(2024, 3, 5),
        },
        {
            "record_type": "meeting",
            "unit_code": "150103",
            "enterprise_id": None,
            "leader_id": None,
            "department_id": None,
            "record_date": dt.date(2024, 3, 9),
        },  # quarantined rows count too
        {
            "record_type": "inspection",
            "unit_code": "150100",
            "enterprise_id": None,
            "leader_id": "L1",
            "department_id": "D150100-01",
            "record_date": dt.date(2024, 3, 20),
        },
    ]
    assert touched_for_files(session, [f3])[0]["unit_code"] == "150200"


def test_no_files_no_rows(session):
    assert touched_for_files(session, []) == []
    assert touched_for_files(session, [987654]) == []
