"""Row-level rules (SPEC §3): each bad row is quarantined with the exact reason, the good
rows of the same file are loaded, and raw = accepted + quarantined for every file."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.intake.conftest import ENT_A, ENT_UNREGISTERED, conserved, ingest, reasons, write_csv

MEETING = [
    "record_id",
    "unit_code",
    "body",
    "held_on",
    "heard_safety_report",
    "heard_case_reports",
    "published_on",
    "chaired_by",
    "minutes_ref",
]
HAZARD = [
    "hazard_id",
    "enterprise_id",
    "found_on",
    "grade",
    "description",
    "responsible_person",
    "funds_cny",
    "measures",
    "deadline",
    "contingency_plan",
    "rectified_on",
    "verified_on",
]
GOOD_MEETING = ["M1", "150102", "safety_committee", "2024-03-05", "true", "false", "", "L1", "纪要〔2024〕1号"]
GOOD_HAZARD = [
    "H1",
    ENT_A,
    "2024-03-01",
    "major",
    "尾矿库排洪设施堵塞",
    "王五",
    "50000",
    "清淤",
    "2024-04-30",
    "预案A",
    "",
    "",
]


def one_file(db, inbox, name, header, rows):
    report = ingest(db, write_csv(inbox / name, header, rows))
    (f,) = report.files
    assert f.status == "processed", f.reason
    return f


def test_good_meeting_is_loaded(db, inbox):
    from safegov.db.models import Meeting

    f = one_file(db, inbox, "meeting_2024-03_150102.csv", MEETING, [GOOD_MEETING])
    assert conserved(db, f.file_id) == (1, 1, 0)
    with Session(db) as s:
        m = s.scalars(select(Meeting)).one()
    assert (m.unit_code, m.record_id, m.held_on, m.heard_safety_report, m.version) == (
        "150102",
        "M1",
        dt.date(2024, 3, 5),
        True,
        1,
    )
    assert m.received_at == dt.datetime(2024, 6, 1, 2, 0, tzinfo=dt.UTC)


def test_missing_required_column(db, inbox):
    header = [h for h in MEETING if h != "minutes_ref"]
    rows = [GOOD_MEETING[:-1], ["M2"] + GOOD_MEETING[1:-1]]
    f = one_file(db, inbox, "meeting_x.csv", header, rows)
    assert conserved(db, f.file_id) == (2, 0, 2)
    assert reasons(db, f.file_id) == {2: {("minutes_ref", "missing_column")}, 3: {("minutes_ref", "missing_column")}}


@pytest.mark.parametrize(
    "column, bad",
    [
        ("held_on", "2024-02-30"),
        ("held_on", "5/3/2024"),
        ("heard_safety_report", "maybe"),
        ("unit_code", "15010"),
        ("published_on", "soon"),
    ],
)
def test_wrong_types_meeting(db, inbox, column, bad):
    row = list(GOOD_MEETING)
    row[MEETING.index(column)] = bad
    f = one_file(db, inbox, "meeting_t.csv", MEETING, [GOOD_MEETING, ["M9"] + row[1:]])
    assert conserved(db, f.file_id) == (2, 1, 1)
    assert (column, "type") in reasons(db, f.file_id)[3]


@pytest.mark.parametrize("bad", ["many", "1.5", "-"])
def test_wrong_int(db, inbox, bad):
    header = ["record_id", "enterprise_id", "inspected_on", "led_by_role", "hazards_found", "archived"]
    f = one_file(db, inbox, "hazard_inspection_t.csv", header, [["R1", ENT_A, "2024-03-01", "other", bad, "true"]])
    assert reasons(db, f.file_id) == {2: {("hazards_found", "type")}}


@pytest.mark.parametrize(
    "name, header, row, expected",
    [
        ("meeting_u.csv", MEETING, ["M1", "159999"] + GOOD_MEETING[2:], ("unit_code", "unknown_unit")),
        ("meeting_l.csv", MEETING, GOOD_MEETING[:7] + ["L-404", GOOD_MEETING[8]], ("chaired_by", "unknown_leader")),
        (
            "inspection_l.csv",
            ["record_id", "leader_id", "unit_code", "led_on", "targets", "issues_found", "report_ref"],
            ["I1", "L-404", "150102", "2024-03-01", "某煤矿", "2", "R-1"],
            ("leader_id", "unknown_leader"),
        ),
        (
            "hazard_inspection_e.csv",
            ["record_id", "enterprise_id", "inspected_on", "led_by_role", "hazards_found", "archived"],
            ["R1", ENT_UNREGISTERED, "2024-03-01", "legal_representative", "0", "是"],
            ("enterprise_id", "unknown_enterprise"),
        ),
        (
            "accident_c.csv",
            [
                "accident_id",
                "unit_code",
                "occurred_at",
                "reported_at",
                "deaths",
                "serious_injuries",
                "direct_loss_10k_cny",
                "description",
            ],
            ["A1", "150100", "2024-03-01 08:00", "2024-03-01 08:30", "0", "1", "5", "x"],
            ("unit_code", "unknown_county"),
        ),
        (
            "leader_d.csv",
            ["leader_id", "name", "unit_code", "role", "department_id", "term_start"],
            ["L9", "王", "150102", "department_head", "D-404", "2024-01-01"],
            ("department_id", "unknown_department"),
        ),
    ],
)
def test_unknown_registry_codes(db, inbox, name, header, row, expected):
    f = one_file(db, inbox, name, header, [row])
    assert conserved(db, f.file_id) == (1, 0, 1)
    assert reasons(db, f.file_id) == {2: {expected}}


def test_invalid_credit_code(db, inbox):
    bad = ENT_A[:-1] + ("0" if ENT_A[-1] != "0" else "1")
    header = ["enterprise_id", "name", "county_code", "registered_on"]
    f = one_file(
        db,
        inbox,
        "enterprise_2024.csv",
        header,
        [[bad, "丙公司", "150102", "2015-01-01"], ["91150102MA0N0000O0", "丁公司", "150102", "2015-01-01"]],
    )
    assert reasons(db, f.file_id) == {2: {("enterprise_id", "credit_code")}, 3: {("enterprise_id", "credit_code")}}


@pytest.mark.parametrize(
    "held_on, future",
    [
        ("2024-06-01", False),  # the day it was received (Asia/Shanghai) is fine
        ("2024-06-02", True),
    ],
)
def test_future_date(db, inbox, held_on, future):
    row = list(GOOD_MEETING)
    row[3] = held_on
    f = one_file(db, inbox, "meeting_f.csv", MEETING, [row])
    assert reasons(db, f.file_id) == ({2: {("held_on", "future_date")}} if future else {})


def test_future_datetime_compared_in_utc(db, inbox):
    header = [
        "accident_id",
        "unit_code",
        "occurred_at",
        "reported_at",
        "deaths",
        "serious_injuries",
        "direct_loss_10k_cny",
        "description",
    ]
    # received 2024-06-01 10:00 +08:00; 10:30 +08:00 is after it, 02:30Z (=10:30 +08) too, 01:30Z is not.
    rows = [
        ["A1", "150102", "2024-06-01 09:00", "2024-06-01 10:30", "0", "0", "1", "x"],
        ["A2", "150102", "2024-06-01 09:00", "2024-06-01T02:30:00Z", "0", "0", "1", "x"],
        ["A3", "150102", "2024-06-01 09:00", "2024-06-01T01:30:00+00:00", "0", "0", "1", "x"],
    ]
    f = one_file(db, inbox, "accident_2024.csv", header, rows)
    assert reasons(db, f.file_id) == {2: {("reported_at", "future_date")}, 3: {("reported_at", "future_date")}}


def test_deadline_before_found_on(db, inbox):
    row = list(GOOD_HAZARD)
    row[HAZARD.index("deadline")] = "2024-02-28"
    same_day = ["H2"] + GOOD_HAZARD[1:8] + ["2024-03-01"] + GOOD_HAZARD[9:]
    f = one_file(db, inbox, "hazard_d.csv", HAZARD, [row, same_day])
    assert conserved(db, f.file_id) == (2, 1, 1)
    assert reasons(db, f.file_id) == {2: {("deadline", "date_order")}}


def test_reported_before_occurred(db, inbox):
    header = [
        "accident_id",
        "unit_code",
        "occurred_at",
        "reported_at",
        "deaths",
        "serious_injuries",
        "direct_loss_10k_cny",
        "description",
    ]
    f = one_file(
        db,
        inbox,
        "accident_o.csv",
        header,
        [["A1", "150102", "2024-03-01 09:00", "2024-03-01 08:59", "0", "0", "1", "x"]],
    )
    assert reasons(db, f.file_id) == {2: {("reported_at", "date_order")}}


@pytest.mark.parametrize(
    "known_at, quarantined",
    [
        ("2024-03-01 09:30", None),  # learned of half an hour after it occurred
        ("", None),  # blank: the clock runs from occurred_at
        ("2024-03-01 08:59", ("known_at", "date_order")),  # known before it occurred
        ("2024-03-01 11:00", ("reported_at", "date_order")),  # reported before it was known
    ],
)
def test_accident_known_at(db, inbox, known_at, quarantined):
    from safegov.db.models import Accident

    header = [
        "accident_id",
        "unit_code",
        "occurred_at",
        "known_at",
        "reported_at",
        "deaths",
        "serious_injuries",
        "direct_loss_10k_cny",
        "declared_grade",
        "description",
    ]
    row = ["A1", "150102", "2024-03-01 09:00", known_at, "2024-03-01 10:00", "0", "0", "1", "general", "x"]
    f = one_file(db, inbox, "accident_k.csv", header, [row])
    assert reasons(db, f.file_id) == ({2: {quarantined}} if quarantined else {})
    with Session(db) as s:
        loaded = s.scalars(select(Accident.known_at)).all()
    if quarantined:
        assert loaded == []
    else:
        expected = dt.datetime.fromisoformat(known_at + "+08:00") if known_at else None
        assert loaded == [expected]


@pytest.mark.parametrize("element", ["responsible_person", "funds_cny", "measures", "deadline", "contingency_plan"])
def test_hazard_missing_one_of_five_elements(db, inbox, element):
    row = list(GOOD_HAZARD)
    row[HAZARD.index(element)] = ""
    f = one_file(db, inbox, "hazard_5.csv", HAZARD, [row])
    assert conserved(db, f.file_id) == (1, 0, 1)
    assert reasons(db, f.file_id) == {2: {(element, "five_elements")}}


def test_duplicate_key_later_row_quarantined(db, inbox):
    from safegov.db.models import Hazard

    later = list(GOOD_HAZARD)
    later[HAZARD.index("description")] = "another text"
    f = one_file(db, inbox, "hazard_dup.csv", HAZARD, [GOOD_HAZARD, ["H2"] + GOOD_HAZARD[1:], later])
    assert conserved(db, f.file_id) == (3, 2, 1)
    assert reasons(db, f.file_id) == {4: {("hazard_id", "duplicate_key")}}
    with Session(db) as s:
        assert s.scalars(select(Hazard.description).where(Hazard.hazard_id == "H1")).one() == "尾矿库排洪设施堵塞"


def test_value_set_and_min(db, inbox):
    row = ["H1", ENT_A, "2024-03-01", "huge", "d", "p", "-5", "m", "2024-04-01", "c", "", ""]
    f = one_file(db, inbox, "hazard_v.csv", HAZARD, [row])
    assert reasons(db, f.file_id) == {2: {("grade", "value_set"), ("funds_cny", "min")}}


@pytest.mark.parametrize(
    "led_on, ok",
    [("2024-03-31", True), ("2024-04-01", False), ("2020-12-31", False), ("2021-01-01", True)],
)
def test_inspection_leader_in_office(db, inbox, led_on, ok):
    header = ["record_id", "leader_id", "unit_code", "led_on", "targets", "issues_found", "report_ref"]
    f = one_file(db, inbox, "inspection_2024.csv", header, [["I1", "L1", "150102", led_on, "某煤矿", "0", "R-1"]])
    assert reasons(db, f.file_id) == ({} if ok else {2: {("leader_id", "leader_not_in_office")}})


def test_open_term_leader(db, inbox):
    header = ["record_id", "leader_id", "unit_code", "led_on", "targets", "issues_found", "report_ref"]
    f = one_file(db, inbox, "inspection_2024.csv", header, [["I1", "L2", "150102", "2024-05-30", "某煤矿", "0", "R-1"]])
    assert reasons(db, f.file_id) == {}


def test_every_reason_is_kept(db, inbox):
    row = ["M1", "159999", "tea_party", "2024-13-01", "", "", "", "", ""]
    f = one_file(db, inbox, "meeting_many.csv", MEETING, [row])
    assert reasons(db, f.file_id) == {
        2: {("unit_code", "unknown_unit"), ("body", "value_set"), ("held_on", "type"), ("minutes_ref", "required")}
    }


def test_formula_cells_are_stored_as_text(db, inbox):
    from safegov.db.models import Meeting, RawRow

    cells = ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd"]
    rows = [[f"M{i}"] + GOOD_MEETING[1:8] + [c] for i, c in enumerate(cells)]
    f = one_file(db, inbox, "meeting_formula.csv", MEETING, rows)
    assert conserved(db, f.file_id) == (4, 4, 0)
    with Session(db) as s:
        assert sorted(s.scalars(select(Meeting.minutes_ref))) == sorted(cells)
        assert sorted(v["minutes_ref"] for v in s.scalars(select(RawRow.values))) == sorted(cells)


def test_hints_filled_for_quarantined_rows(db, inbox):
    from safegov.db.models import RawRow

    header = ["record_id", "enterprise_id", "inspected_on", "led_by_role", "hazards_found", "archived"]
    f = one_file(db, inbox, "hazard_inspection_h.csv", header, [["R1", ENT_A, "2024-03-07", "boss", "0", "否"]])
    with Session(db) as s:
        r = s.scalars(select(RawRow).where(RawRow.file_id == f.file_id)).one()
    assert (r.status, r.unit_code, r.enterprise_id, r.record_date, r.natural_key) == (
        "quarantined",
        "150102",
        ENT_A,
        dt.date(2024, 3, 7),
        f"{ENT_A}|R1",
    )


def test_received_at_argument_and_column(db, inbox):
    from safegov.db.models import Meeting, RawRow

    header = MEETING + ["received_at"]
    rows = [
        GOOD_MEETING + ["2024-04-02 09:30"],
        ["M2"] + GOOD_MEETING[1:] + [""],
        ["M3"] + GOOD_MEETING[1:] + ["2024-07-01 00:00"],
        ["M4"] + GOOD_MEETING[1:] + ["yesterday"],
    ]
    f = one_file(db, inbox, "meeting_r.csv", header, rows)
    assert reasons(db, f.file_id) == {4: {("received_at", "future_date")}, 5: {("received_at", "type")}}
    with Session(db) as s:
        got = dict(s.execute(select(Meeting.record_id, Meeting.received_at)).tuples().all())
    utc = dt.UTC
    assert got == {"M1": dt.datetime(2024, 4, 2, 1, 30, tzinfo=utc), "M2": dt.datetime(2024, 6, 1, 2, 0, tzinfo=utc)}

    # --received-at wins over the column
    path = write_csv(inbox / "meeting_r2.csv", header, [["M5"] + GOOD_MEETING[1:] + ["2024-04-02 09:30"]])
    rep = ingest(db, path, received_at="2024-05-01T08:00:00+08:00")
    with Session(db) as s:
        rr = s.scalars(select(RawRow).where(RawRow.file_id == rep.files[0].file_id)).one()
    assert rr.received_at == dt.datetime(2024, 5, 1, 0, 0, tzinfo=utc)


def test_touched_lists_accepted_and_quarantined(db, inbox):
    rows = [GOOD_MEETING, ["M2", "150105", "nonsense", "2024-03-09", "", "", "", "", "x"]]
    rep = ingest(db, write_csv(inbox / "meeting_2024.csv", MEETING, rows))
    assert rep.record_types == {"meeting"}
    got = {(t["record_type"], t["unit_code"], t["record_date"]) for t in rep.touched}
    assert got == {("meeting", "150102", dt.date(2024, 3, 5)), ("meeting", "150105", dt.date(2024, 3, 9))}
