"""The demo data set: deterministic, every record type, every file readable, the story planted."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest

from safegov.core.creditcode import is_valid_credit_code
from safegov.core.periods import grace_ends_on, parse_period
from safegov.intake.validation import FORWARD_DATES
from safegov.register.records import RECORD_TYPES, record_type_for_filename

# xdist_group: the demo and its rows are written once, by the one worker that runs this module.
pytestmark = pytest.mark.xdist_group("demo")

UNTIL, SEED = "2026-10", 7  # as in conftest.py

STORY_DOC = Path(__file__).resolve().parents[2] / "include" / "safegov" / "devtools" / "demo_story.md"


def _rows(inbox: Path, name: str) -> list[dict]:
    """Rows of a demo file as canonical-column dicts of text (any of the demo's formats)."""
    path = inbox / name
    if name.endswith(".jsonl"):
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            out.append(
                {
                    k: "" if v is None else ("true" if v is True else "false" if v is False else str(v))
                    for k, v in rec.items()
                }
            )
        return out
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        ws = load_workbook(path, read_only=True).worksheets[0]
        values = list(ws.iter_rows(values_only=True))
        header = values[0]
        out = []
        for row in values[1:]:
            d = {}
            for h, v in zip(header, row):
                if isinstance(v, dt.datetime):
                    v = v.strftime("%Y-%m-%d %H:%M:%S") if h == "received_at" else v.date().isoformat()
                d[h] = "" if v is None else str(v)
            out.append(d)
        return out
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    canon = _canonical(header)
    return [dict(zip(canon, row)) for row in reader]


def _canonical(header: list[str]) -> list[str]:
    import yaml

    aliases = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "aliases.yaml").read_text("utf-8"))
    back = {a: c for c, names in aliases["columns"].items() for a in names}
    return [back.get(h, h) for h in header]


def _all_rows(inbox: Path, summary: dict) -> dict[str, list[tuple[str, dict]]]:
    by_type: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for name in summary["files"]:
        rt = record_type_for_filename(name)
        by_type[rt].extend((name, r) for r in _rows(inbox, name))
    return by_type


@pytest.fixture(scope="module")
def rows(demo):
    inbox, summary = demo
    return _all_rows(inbox, summary)


def test_same_seed_and_until_give_byte_identical_files(demo, tmp_path):
    from safegov.devtools.demo import write_demo

    inbox, summary = demo
    again = write_demo(tmp_path / "again", until=UNTIL, months=24, seed=SEED)
    assert again["files"] == summary["files"]
    different = [n for n in summary["files"] if (inbox / n).read_bytes() != (tmp_path / "again" / n).read_bytes()]
    assert different == []
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == sorted(summary["files"])


def test_another_seed_gives_other_data(demo, tmp_path):
    from safegov.devtools.demo import write_demo

    inbox, _summary = demo
    write_demo(tmp_path / "other", until=UNTIL, months=24, seed=SEED + 1)
    assert (tmp_path / "other" / "enterprise_registry.csv").read_bytes() != (
        inbox / "enterprise_registry.csv"
    ).read_bytes()


def test_every_record_type_is_present_with_rows(demo, rows):
    _inbox, summary = demo
    assert set(rows) == set(RECORD_TYPES)
    for rt in RECORD_TYPES:
        assert len(rows[rt]) == summary["counts"][rt] > 0, rt


def test_registry_sizes(demo, rows):
    _inbox, summary = demo
    units = {
        r["code"]
        for r in csv.DictReader(open(Path(__file__).resolve().parents[2] / "config" / "units.csv", encoding="utf-8"))
    }
    leaders = [r for _n, r in rows["leader"]]
    for unit in units:
        for role in ("party_secretary", "government_head", "safety_office_director"):
            assert any(r["unit_code"] == unit and r["role"] == role for r in leaders), (unit, role)
    depts = [r for _n, r in rows["department"]]
    assert 90 <= len(depts) <= 110
    assert 2 <= sum(r["safety_duty"] == "false" for r in depts) <= 8
    assert {r["department_id"] for r in depts} <= {
        r["department_id"] for r in leaders if r["role"] == "department_head"
    }
    ents = [r for _n, r in rows["enterprise"]]
    assert 280 <= len(ents) <= 320
    assert all(is_valid_credit_code(r["enterprise_id"]) for r in ents)
    first = parse_period(summary["first"]).first
    assert any(r["registered_on"] >= first.isoformat() for r in ents)
    assert any(r["closed_on"] for r in ents)
    assert len(summary["term_changes"]) >= 2


def test_file_formats_are_mixed(demo):
    inbox, summary = demo
    files = summary["files"]
    boms = [n for n in files if n.endswith(".csv") and (inbox / n).read_bytes().startswith(b"\xef\xbb\xbf")]
    assert boms == [f"bulletin_{summary['first']}.csv"]
    gb = []
    for n in files:
        if n.endswith(".csv"):
            try:
                (inbox / n).read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                gb.append(n)
    assert len(gb) == 1 and gb[0].startswith("complaint_")
    header = (inbox / gb[0]).read_bytes().decode("gb18030").splitlines()[0].split(",")
    assert header[:3] == ["工单编号", "单位代码", "受理日期"]
    assert [n for n in files if n.endswith(".xlsx")] == ["milestone_2017-2018.xlsx"]
    assert [n for n in files if n.endswith(".jsonl")] == [f"accident_{summary['first']}_{summary['until']}.jsonl"]


def test_every_file_is_readable_by_the_ingest_readers(demo):
    from safegov.intake import readers

    inbox, summary = demo
    total = 0
    for name in summary["files"]:
        result = readers.read_file(inbox / name)
        assert not [r for r in result.records if r.error], name
        total += len(result.records)
    assert total == summary["rows_total"]


def _is_planted(summary: dict) -> set[tuple[str, str]]:
    return {(b["record_type"], b["id"]) for b in summary["bad_rows"]}


def test_rows_are_valid_except_the_planted_bad_ones(demo, rows):
    """Every date column ≤ the row's received_at, codes known, five elements present —
    unless the row is listed in bad_rows (and then it really is bad)."""
    _inbox, summary = demo
    planted = _is_planted(summary)
    units = {
        r["code"]
        for r in csv.DictReader(open(Path(__file__).resolve().parents[2] / "config" / "units.csv", encoding="utf-8"))
    }
    ents = {r["enterprise_id"] for _n, r in rows["enterprise"]}
    seen_bad = set()
    for rt, items in rows.items():
        spec = RECORD_TYPES[rt]
        id_col = spec.column_names[0]
        for name, r in items:
            received = r["received_at"][:10]
            problems = []
            for c in spec.columns:
                v = r.get(c.name, "")
                if c.required and v == "":
                    problems.append(f"{c.name} missing")
                if v and c.type in ("date", "datetime") and v[:10] > received and c.name not in FORWARD_DATES:
                    problems.append(f"{c.name} {v} after received {received}")
                if v and c.references in ("unit", "county") and v not in units:
                    problems.append(f"{c.name} {v} unknown")
                if v and c.type == "credit_code" and (not is_valid_credit_code(v) or v not in ents):
                    problems.append(f"{c.name} {v} bad code")
            for earlier, later in spec.order:
                if r.get(earlier) and r.get(later) and r[later] < r[earlier]:
                    problems.append(f"{later} before {earlier}")
            key = (rt, r[id_col])
            if key in planted:
                assert problems, f"planted bad row {key} in {name} is not bad"
                seen_bad.add(key)
            else:
                assert problems == [], f"{name}: {key}: {problems}"
    assert seen_bad == planted
    share = len(planted) / summary["rows_total"]
    assert 0.01 <= share <= 0.02


def test_bad_row_kinds(demo):
    _inbox, summary = demo
    kinds = {b["kind"] for b in summary["bad_rows"]}
    assert kinds == {"unknown_unit", "invalid_credit_code", "missing_element", "deadline_before_found", "future_date"}
    for b in summary["bad_rows"]:
        assert b["file"] in summary["files"]


def test_late_rows_arrive_after_the_grace_end(demo, rows):
    _inbox, summary = demo
    late = defaultdict(int)
    for rt in ("meeting", "inspection", "hazard_inspection"):
        date_col = RECORD_TYPES[rt].date_column
        for _name, r in rows[rt]:
            d = dt.date.fromisoformat(r[date_col])
            if d.isoformat()[:7] > summary["until"]:
                continue  # planted future date
            month = parse_period(f"{d.year:04d}-{d.month:02d}")
            if dt.date.fromisoformat(r["received_at"][:10]) > grace_ends_on(month, 5):
                late[rt] += 1
    for rt in ("meeting", "inspection", "hazard_inspection"):
        assert late[rt] == summary["late_counts"][rt] > 0


def test_compliance_is_about_ninety_percent(demo):
    _inbox, summary = demo
    assert 0.87 <= summary["obligations"]["compliance"] <= 0.93


def test_planted_meeting_misses(demo, rows):
    _inbox, summary = demo
    miss = next(m for m in summary["known_misses"] if m["obligation_id"] == "SC-MEET-LOCAL")
    assert miss["subject_id"] == "150121" and miss["periods"] == ["2026-05", "2026-06", "2026-07"]
    held = {
        r["held_on"][:7] for _n, r in rows["meeting"] if r["unit_code"] == "150121" and r["body"] == "safety_committee"
    }
    assert held == set(summary["months"]) - set(miss["periods"])


def test_planted_selfcheck_misses(demo, rows):
    _inbox, summary = demo
    miss = next(m for m in summary["known_misses"] if m["obligation_id"] == "ENT-HAZARD-SELFCHECK")
    months = {r["inspected_on"][:7] for _n, r in rows["hazard_inspection"] if r["enterprise_id"] == miss["subject_id"]}
    assert months == set(summary["months"]) - set(miss["periods"])
    assert len(miss["periods"]) == 5


def test_planted_accidents(demo, rows):
    from safegov.core.grades import grade_of as accident_grade

    _inbox, summary = demo
    by_id = {r["accident_id"]: r for _n, r in rows["accident"]}
    story = {a["story"]: a for a in summary["accidents"] if a["story"]}
    larger = by_id[story["larger_accident"]["accident_id"]]
    assert (
        accident_grade(int(larger["deaths"]), int(larger["serious_injuries"]), float(larger["direct_loss_10k_cny"]))
        == "larger"
    )
    assert larger["unit_code"] == "150622" and larger["declared_grade"] == "larger"
    late = by_id[story["late_report"]["accident_id"]]
    delay = dt.datetime.fromisoformat(late["reported_at"]) - dt.datetime.fromisoformat(late["occurred_at"])
    assert delay == dt.timedelta(hours=2)
    assert by_id[story["concealed_accident"]["accident_id"]]["concealed"] == "true"
    assert [d["unit_code"] for d in summary["dual_interviews"]] == ["150622"]
    others = [a for a in summary["accidents"] if not a["story"]]
    assert all(a["grade"] == "general" and a["report"] == "on_time" for a in others)
    # MEM Order No. 11: the single larger accident is no ground; the concealed report at a chemical works is.
    assert {b["trigger"] for b in summary["blacklist_expected"]} == {"concealed_report"}


def test_planted_overdue_major_hazard(demo, rows):
    _inbox, summary = demo
    hz = summary["overdue_major_hazard"]
    versions = [r for _n, r in rows["hazard"] if r["hazard_id"] == hz["hazard_id"]]
    assert len(versions) == 1 and versions[0]["grade"] == "major" and versions[0]["rectified_on"] == ""
    assert versions[0]["deadline"] < f"{summary['until']}-01"
    # every other major hazard is rectified by its deadline
    latest = {}
    for _n, r in rows["hazard"]:
        latest[r["hazard_id"]] = r
    planted = _is_planted(summary)
    overdue = [
        h
        for h, r in latest.items()
        if r["grade"] == "major"
        and ("hazard", h) not in planted
        and (not r["rectified_on"] or r["rectified_on"] > r["deadline"])
    ]
    assert overdue == [hz["hazard_id"]]


def test_milestones_one_league_without_rescue_team(rows):
    ms = [r for _n, r in rows["milestone"]]
    teams = {r["unit_code"] for r in ms if r["milestone"] == "rescue_team"}
    leagues = {r["unit_code"] for r in ms if r["unit_code"].endswith("00") and not r["unit_code"].endswith("0000")}
    assert leagues - teams == {"152900"}
    assert sum(r["milestone"] == "rescue_base" for r in ms) == 2
    assert all(r["achieved_on"] <= "2018-12-31" for r in ms)
    assert len([r for r in ms if r["milestone"] == "enforcement_agency"]) == 115


def test_late_tickets_take_more_than_fifteen_working_days(demo, rows):
    from safegov.core.periods import working_days_between

    _inbox, summary = demo
    tickets = {r["ticket_id"]: r for _n, r in rows["complaint"]}
    assert summary["late_tickets"]
    for t in summary["late_tickets"]:
        r = tickets[t]
        assert (
            working_days_between(dt.date.fromisoformat(r["received_on"]), dt.date.fromisoformat(r["concluded_on"])) > 15
        )
    on_time = [
        r
        for t, r in tickets.items()
        if r["concluded_on"] and t not in summary["late_tickets"] and r["unit_code"] != "150198"
    ]
    assert on_time and all(
        working_days_between(dt.date.fromisoformat(r["received_on"]), dt.date.fromisoformat(r["concluded_on"])) <= 15
        for r in on_time
    )


def test_story_page_matches_the_default_demo(demo):
    _inbox, summary = demo
    text = STORY_DOC.read_text(encoding="utf-8")
    for e in summary["story_enterprises"].values():
        assert e["enterprise_id"] in text and e["name"] in text
    assert summary["overdue_major_hazard"]["hazard_id"] in text
    for change in summary["term_changes"]:
        assert change["to_leader"] in text and change["on"] in text
    for d in summary["departments_without_safety_duty"]:
        assert d in text


def test_default_until_is_the_last_full_month(monkeypatch):
    from safegov.devtools.demo import default_until

    monkeypatch.setenv("SAFEGOV_NOW", "2026-11-29T10:00:00+08:00")
    assert default_until() == "2026-10"
    # 2026-12-31 16:30 UTC is 1 January in Shanghai — but December's grace is not over, so
    # its rows could not all have arrived: November is the last month the demo may cover.
    monkeypatch.setenv("SAFEGOV_NOW", "2027-01-01T00:30:00+08:00")
    assert default_until() == "2026-11"
    monkeypatch.setenv("SAFEGOV_NOW", "2026-11-03T10:00:00+08:00")  # October's grace still running
    assert default_until() == "2026-09"


def test_bad_until_is_refused(tmp_path):
    from safegov.devtools.demo import write_demo

    with pytest.raises(ValueError):
        write_demo(tmp_path, until="2026-Q1")


def test_cli_demo(tmp_path, capsys):
    from safegov.cli.main import main

    assert main(["demo", "--inbox", str(tmp_path / "in"), "--until", "2025-06", "--months", "3", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "demo data 2025-04..2025-06" in out
    assert (tmp_path / "in" / "meeting_2025-06.csv").exists()
    assert main(["demo", "--inbox", str(tmp_path / "in"), "--until", "2025-13"]) == 2
    assert "expected a month" in capsys.readouterr().err


def test_received_times_are_never_after_the_first_run_plans_moment(demo, rows):
    """`make run` writes the demo until the month its plan decides live (devtools.first_run):
    this demo (until 2026-10) from October's grace end on. At that very moment no row's
    received_at lies in the future (ingestion would quarantine it as future_date); the planted
    future_date rows are dated after their received_at instead, as listed in bad_rows."""
    from safegov.core.periods import TZ
    from safegov.devtools.first_run import plan_first_run

    moment = dt.datetime(2026, 11, 7, tzinfo=TZ)
    assert (
        plan_first_run(moment, dict.fromkeys(("monthly", "quarterly", "half_yearly", "yearly"), 5)).demo_until.key
        == "2026-10"
    )
    assert plan_first_run(moment - dt.timedelta(seconds=1), {"monthly": 5}).demo_until.key != UNTIL
    received = [r["received_at"] for typed in rows.values() for _name, r in typed if r.get("received_at")]
    assert len(received) > 10_000
    late = [v for v in received if dt.datetime.fromisoformat(v).replace(tzinfo=TZ) > moment]
    assert late == []
