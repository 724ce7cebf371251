"""The CLI of the escalation area: escalate, cases, blacklist, report veto, exports."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from escalate_helpers import COUNTY, LEAGUE, World, cases, sh
from sqlalchemy.orm import Session

from safegov.core.creditcode import make_credit_code
from safegov.db.engine import session_scope

EID = make_credit_code("91150102MA0N00000")


@pytest.fixture
def cli(sqlite_engine, monkeypatch):
    from safegov.core.settings import get_settings
    from safegov.db.engine import get_engine
    from safegov.org.units import sync_units
    from safegov.register.obligations import get_register

    monkeypatch.setenv("SAFEGOV_DATABASE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("SAFEGOV_NOW", "2025-01-10T12:00:00+08:00")
    for f in (get_settings, get_engine, get_register):
        f.cache_clear()
    with session_scope(sqlite_engine) as s:
        sync_units(s)
    w = World(sqlite_engine)
    for unit in ("150000", LEAGUE, COUNTY):
        w.posts(unit)

    def run(*argv):
        from safegov.cli.main import main

        return main(list(argv))

    yield w, run
    for f in (get_settings, get_engine, get_register):
        f.cache_clear()


def test_escalate_then_approve_and_reject(cli, capsys, sqlite_engine):
    w, run = cli
    w.accident("A1", occurred=sh(2025, 1, 5, 10), deaths=3)
    w.accident("A2", occurred=sh(2025, 1, 6, 10), deaths=4)
    assert run("escalate", "--from", "2025-01", "--to", "2025-01") == 0
    # Two county dual interviews and, for the second larger accident within 6 months, the league one.
    assert "accident_created=3" in capsys.readouterr().out
    assert run("escalate", "--from", "2025-01", "--to", "2025-01") == 0
    assert "nothing new" in capsys.readouterr().out
    assert run("cases", "list", "--state", "awaiting_approval", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    ids = [c["case_id"] for c in listed]
    assert len(ids) == 3
    assert run("cases", "approve", str(ids[0]), "--by", "自治区安委办") == 0
    assert "1 case(s) approved" in capsys.readouterr().out
    assert run("cases", "reject", str(ids[1]), "--by", "自治区安委办", "--reason", "duplicate report") == 0
    assert {c.state for c in cases(sqlite_engine, rule_id="DUAL-INTERVIEW-COUNTY")} == {"approved", "rejected"}
    # Bad input: one-line reason, exit 2.
    assert run("cases", "approve", "9999", "--by", "x") == 2
    assert "no case with id 9999" in capsys.readouterr().err
    assert run("escalate", "--from", "2025-13", "--to", "2025-01") == 2


def _listed_entry(engine):
    from safegov.db.models import BlacklistEntry

    with session_scope(engine) as s:
        e = BlacklistEntry(
            enterprise_id=EID,
            trigger="accident_liability",
            trigger_ref="A1",
            state="candidate",
            candidate_on=dt.date(2024, 2, 1),
            scopes=["bidding"],
            historical=False,
        )
        s.add(e)
        s.flush()
        return e.id


def test_blacklist_cli_lifecycle_and_check(cli, capsys, sqlite_engine):
    _w, run = cli
    eid = _listed_entry(sqlite_engine)
    assert run("blacklist", "notify", str(eid), "--by", "county office", "--on", "2024-02-01") == 0
    assert "objection deadline 2024-02-" in capsys.readouterr().out
    assert (
        run("blacklist", "object", str(eid), "--by", "enterprise", "--reason", "not liable", "--on", "2024-02-02") == 0
    )
    assert run("blacklist", "decide-objection", str(eid), "--dismissed", "--by", "office", "--on", "2024-02-29") == 0
    assert "listed 2024-02-29, repair from 2025-02-28, expires 2027-02-28" in capsys.readouterr().out
    # Restricted or not, check exits 0.
    assert run("blacklist", "check", EID, "--scope", "bidding", "--on", "2025-01-01") == 0
    assert "IS RESTRICTED in bidding" in capsys.readouterr().out
    assert run("blacklist", "check", EID, "--scope", "land_transfer", "--on", "2025-01-01", "--json") == 0
    assert json.loads(capsys.readouterr().out)["restricted"] is False
    assert run("blacklist", "check", EID, "--scope", "bidding", "--on", "2027-02-28") == 0
    assert "is not restricted" in capsys.readouterr().out
    assert run("blacklist", "check", "NOTACODE", "--scope", "bidding") == 2
    assert (
        run("blacklist", "request-removal", str(eid), "--by", "office", "--reason", "repaired", "--on", "2025-01-01")
        == 2
    )
    assert "possible from 2025-02-28" in capsys.readouterr().err
    assert (
        run("blacklist", "request-removal", str(eid), "--by", "office", "--reason", "repaired", "--on", "2025-03-01")
        == 0
    )
    assert (
        run("blacklist", "revoke-removal", str(eid), "--by", "office", "--reason", "forged", "--on", "2025-04-01") == 0
    )
    assert run("blacklist", "list", "--json") == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("[") :])[0]["state"] == "listed"


def test_report_veto(cli, capsys, sqlite_engine, tmp_path):
    w, run = cli
    w.accident("A1", occurred=sh(2024, 6, 5, 10), deaths=10)  # major
    w.accident("A2", unit="150202", occurred=sh(2024, 6, 5, 10), deaths=3)  # larger only
    out = tmp_path / "veto.json"
    assert run("report", "veto", "--year", "2024", "--format", "json", "--out", str(out)) == 0
    rows = {r["unit_code"]: r for r in json.loads(out.read_text(encoding="utf-8"))}
    assert len(rows) == 116
    assert rows[COUNTY]["flagged"] and rows[LEAGUE]["flagged"]
    assert not rows["150202"]["flagged"] and not rows["150000"]["flagged"]
    assert run("report", "veto", "--year", "2023", "--format", "json", "--out", str(out)) == 0
    assert not any(r["flagged"] for r in json.loads(out.read_text(encoding="utf-8")))


def test_exports(world, register, engine):
    from safegov.accountability.cases import decide_cases
    from safegov.reports.exports import BLACKLIST_COLUMNS, CASES_COLUMNS, export_blacklist, export_cases

    ent = "91150102MA0000001X"
    world.accident("A1", occurred=sh(2024, 3, 5, 10), deaths=10, enterprise_id=ent)  # 重大
    world.enterprise()
    world.penalty("P1", "A1", decided_on=dt.date(2024, 3, 20), document_ref="新应急罚〔2024〕3号")
    escalate_range = ("2024-03", "2024-03")
    from safegov.accountability.escalation import escalate

    escalate(engine, register, *escalate_range, as_of=sh(2024, 3, 21, 12))
    (listing,) = cases(engine, kind="blacklist")
    decide_cases(engine, [listing.id], approve=True, decided_by="新城区应急管理局 王五", at=sh(2024, 3, 22, 9))
    escalate(engine, register, *escalate_range, as_of=sh(2024, 3, 22, 12))
    assert {"decided_by", "legal_basis"} <= set(CASES_COLUMNS)
    assert {"ground", "penalty_id", "decided_by"} <= set(BLACKLIST_COLUMNS)
    with Session(engine) as s:
        rows = export_cases(s, "2024-03", "2024-03")
        assert [
            (r["rule_id"], r["subject_id"], r["period"], r["state"], r["decided_by"], r["legal_basis"]) for r in rows
        ] == [
            ("DUAL-INTERVIEW-LEAGUE", LEAGUE, "A1", "awaiting_approval", "", "DUAL-INTERVIEW-LEAGUE@2017-01-26"),
            ("BLACKLIST-ACCIDENT", ent, "A1", "approved", "新城区应急管理局 王五", "BLACKLIST-ACCIDENT@2023-10-01"),
        ]
        assert export_cases(s, "2024-04", "2024-12") == []
        bl = export_blacklist(s)
        assert [
            (r["trigger"], r["state"], r["notified_on"], r["ground"], r["penalty_id"], r["decided_by"]) for r in bl
        ] == [("accident_liability", "notified", dt.date(2024, 3, 22), "BLACKLIST-ACCIDENT", "P1", COUNTY)]
        assert bl[0]["scopes"].count(";") == 10
        assert export_blacklist(s, "2024-04", "2024-04") == []


def test_cli_penalty_ingest_listing_decision_and_export(cli, capsys, sqlite_engine, tmp_path):
    """Order No. 11 through the CLI: a penalty submitted with Chinese headers, the listing case
    for its authority, the approval, the notice, the export with the new columns (CSV, xlsx)."""
    import csv

    from openpyxl import load_workbook

    ENT = EID  # a valid credit code: the penalty row is checked like any submission
    w, run = cli
    w.enterprise(ENT)
    w.accident("A1", enterprise_id=ENT, occurred=sh(2024, 3, 5, 10), deaths=3)
    w.accident("A2", enterprise_id=ENT, occurred=sh(2024, 9, 2, 10), deaths=3)
    assert run("escalate", "--from", "2024-03", "--to", "2024-09") == 0
    assert "blacklist_awaiting_penalty=1" in capsys.readouterr().out
    assert run("cases", "list", "--state", "awaiting_approval", "--json") == 0
    assert not [c for c in json.loads(capsys.readouterr().out) if c["kind"] == "blacklist"]  # no penalty yet
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "penalty_2024-10.csv").write_text(
        "处罚编号,统一社会信用代码,处罚机关,处罚日期,处罚依据类型,处罚依据编号,罚款金额,处罚决定书文号\n"
        f"P1,{ENT},{COUNTY},2024-10-08,accident,A2,600000,新应急罚〔2024〕9号\n"
        f"P2,{ENT},999999,2024-10-08,accident,A2,600000,新应急罚〔2024〕10号\n",
        encoding="utf-8",
    )
    assert run("ingest", str(inbox), "--received-at", "2024-10-09 10:00", "--no-docs") == 0
    with Session(sqlite_engine) as s:
        from sqlalchemy import select

        from safegov.db.models import Penalty, Rejection

        assert [p.penalty_id for p in s.scalars(select(Penalty))] == ["P1"]
        assert "unknown_authority" in {r.rule for r in s.scalars(select(Rejection))}  # P2 quarantined
    capsys.readouterr()
    assert run("escalate", "--from", "2024-09", "--to", "2024-09") == 0
    (listing,) = cases(sqlite_engine, kind="blacklist")
    assert (listing.state, listing.deciding_unit, listing.details["document_ref"]) == (
        "awaiting_approval",
        COUNTY,
        "新应急罚〔2024〕9号",
    )
    assert run("cases", "approve", str(listing.id), "--by", "新城区应急管理局") == 0
    assert run("escalate", "--from", "2024-09", "--to", "2024-09") == 0
    out = tmp_path / "blacklist.csv"
    assert run("export", "blacklist", "--from", "2024-09", "--to", "2024-09", "--format", "csv", "--out", str(out)) == 0
    (row,) = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert (row["state"], row["ground"], row["penalty_id"], row["decided_by"]) == (
        "notified",
        "BLACKLIST-ACCIDENT",
        "P1",
        COUNTY,
    )
    xlsx = tmp_path / "blacklist.xlsx"
    assert (
        run("export", "blacklist", "--from", "2024-09", "--to", "2024-09", "--format", "xlsx", "--out", str(xlsx)) == 0
    )
    sheet = load_workbook(xlsx).active
    headers = [c.value for c in sheet[1]]
    assert {"列入依据（规则编号）", "行政处罚编号", "决定机关或决定人"} <= set(headers)
    out = tmp_path / "cases.csv"
    assert run("export", "cases", "--from", "2024-09", "--to", "2024-09", "--format", "csv", "--out", str(out)) == 0
    rows = {r["rule_id"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    assert rows["BLACKLIST-ACCIDENT"]["legal_basis"] == "BLACKLIST-ACCIDENT@2023-10-01"
    assert rows["BLACKLIST-ACCIDENT"]["decided_by"] == "新城区应急管理局"


def test_blacklist_cli_scopes_advance_and_remind(cli, capsys, sqlite_engine):
    _w, run = cli
    eid = _listed_entry(sqlite_engine)
    assert run("blacklist", "scopes", str(eid), "--set", "bidding,honours", "--by", "office") == 0
    assert run("blacklist", "scopes", str(eid), "--set", "golf", "--by", "office") == 2
    # SAFEGOV_NOW is 2025-01-10: the candidate is notified today, listed after 5 working days.
    assert run("blacklist", "advance") == 0
    assert "notified=1" in capsys.readouterr().out
    assert run("blacklist", "advance", "--on", "2025-01-20") == 0
    assert "listed=1" in capsys.readouterr().out
    assert run("blacklist", "check", EID, "--scope", "honours", "--on", "2025-01-20") == 0
    assert "IS RESTRICTED in honours" in capsys.readouterr().out
    assert run("cases", "remind", "--on", "2025-01-20") == 0
    assert "0 approval reminder(s)" in capsys.readouterr().out


def test_cases_review_history_by_month_then_veto_counts(cli, capsys, sqlite_engine, tmp_path):
    w, run = cli
    for p in ("2024-01", "2024-02", "2024-03"):
        w.evaluation(
            "LEAD-INSPECT-COUNTY", "post", f"{COUNTY}:party_secretary", p, "missed", responsible=f"{COUNTY}-ps"
        )
    assert run("escalate", "--from", "2024-01", "--to", "2024-03", "--historical") == 0
    assert {c.state for c in cases(sqlite_engine, step="admonishment")} == {"unreviewed"}
    capsys.readouterr()
    out = tmp_path / "veto.json"
    assert run("report", "veto", "--year", "2024", "--format", "json", "--out", str(out)) == 0
    assert not any(r["flagged"] for r in json.loads(out.read_text(encoding="utf-8")))
    assert "未计入1件未经复核的历史诫勉谈话案件（涉及1个单位）" in capsys.readouterr().err

    assert run("cases", "list", "--state", "unreviewed") == 0
    assert "2 case(s)" in capsys.readouterr().out  # February's interview, March's admonishment
    approve = ("cases", "approve", "--historical", "--period", "2024-03", "--by", "呼和浩特市安委办")
    assert run(*approve) == 0
    assert "2024-03 历史案件（未复核）：批准 1 件" in capsys.readouterr().out
    assert run(*approve) == 0  # idempotent
    assert "批准 0 件" in capsys.readouterr().out
    assert run("report", "veto", "--year", "2024", "--format", "json", "--out", str(out)) == 0
    rows = {r["unit_code"]: r for r in json.loads(out.read_text(encoding="utf-8"))}
    assert [u for u, r in rows.items() if r["flagged"]] == [COUNTY]
    assert capsys.readouterr().err == ""
    # Ids and --historical do not mix; --historical needs its month.
    assert run("cases", "approve", "1", "--historical", "--period", "2024-03", "--by", "x") == 2
    assert run("cases", "reject", "--historical", "--by", "x", "--reason", "r") == 2
    assert run("cases", "approve", "--by", "x") == 2
