"""The province-scale generator at tiny sizes: deterministic, streamed per month, ~configured compliance."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from safegov.core.creditcode import is_valid_credit_code


def _write(out, **kw):
    from safegov.devtools.synth import write_synth

    args = dict(enterprises=400, from_key="2025-01", to_key="2025-04", seed=5)
    args.update(kw)
    return write_synth(out, **args)


def test_synth_is_deterministic(tmp_path):
    a = _write(tmp_path / "a")
    b = _write(tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert [n for n in names if (tmp_path / "a" / n).read_bytes() != (tmp_path / "b" / n).read_bytes()] == []
    assert a["rows_total"] == b["rows_total"] and a["counts"] == b["counts"]
    _write(tmp_path / "c", seed=6)
    assert (tmp_path / "c" / "hazard_inspection_2025-01.csv").read_bytes() != (
        tmp_path / "a" / "hazard_inspection_2025-01.csv"
    ).read_bytes()


def test_synth_writes_one_file_per_type_per_month_and_counts_them(tmp_path):
    result = _write(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    for month in ("2025-01", "2025-02", "2025-03", "2025-04"):
        for rt in ("meeting", "inspection", "bulletin", "hazard_inspection", "complaint"):
            assert f"{rt}_{month}.csv" in names
    assert {
        "department_registry.csv",
        "leader_registry.csv",
        "enterprise_registry.csv",
        "milestone_2017-2018.csv",
    } <= names
    rows = Counter()
    for p in tmp_path.iterdir():
        with p.open(encoding="utf-8", newline="") as f:
            n = sum(1 for _ in csv.reader(f)) - 1
        rows[p.name.split("_20")[0].replace("_registry.csv", "")] += n
    assert sum(rows.values()) == result["rows_total"]
    assert result["files"] == len(names)
    assert result["bytes"] == sum(p.stat().st_size for p in tmp_path.iterdir())


def _measured_compliance(folder, months: list[str]) -> float:
    """Enterprise-months with a self-check that counts (valid code, led by the legal
    representative, archived, dated in the month) over enterprise-months in scope."""
    ents = {}
    with (folder / "enterprise_registry.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            ents[r["enterprise_id"]] = (r["registered_on"], r["closed_on"] or "9999-12-31")
    in_scope = set()
    for eid, (reg, closed) in ents.items():
        for m in months:
            first, last = f"{m}-01", f"{m}-31"
            if reg <= last and closed >= first:
                in_scope.add((eid, m))
    done = set()
    for m in months:
        with (folder / f"hazard_inspection_{m}.csv").open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                key = (r["enterprise_id"], r["inspected_on"][:7])
                if (
                    is_valid_credit_code(r["enterprise_id"])
                    and r["led_by_role"] == "legal_representative"
                    and r["archived"] == "true"
                    and key in in_scope
                ):
                    done.add(key)
    return len(done) / len(in_scope)


@pytest.mark.parametrize("compliance", [0.90, 0.70])
def test_synth_has_about_the_configured_compliance(tmp_path, compliance):
    months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    result = _write(tmp_path, enterprises=1500, to_key="2025-06", compliance=compliance)
    measured = _measured_compliance(tmp_path, months)
    assert abs(measured - compliance) < 0.03, measured
    assert abs(result["obligations"]["compliance"] - compliance) < 0.03


def test_synth_has_late_rows_bad_rows_and_accidents(tmp_path):
    result = _write(tmp_path, enterprises=3000, to_key="2025-03")
    assert result["late_rows"] > 0 and result["accidents"] > 0
    assert 0.005 < result["bad_rows"] / result["rows_total"] < 0.02


def test_cli_synth(tmp_path, capsys):
    from safegov.cli.main import main

    assert (
        main(["synth", "--enterprises", "50", "--from", "2025-01", "--to", "2025-02", "--out", str(tmp_path / "s")])
        == 0
    )
    assert "synthetic set 2025-01..2025-02" in capsys.readouterr().out
    assert (tmp_path / "s" / "hazard_inspection_2025-02.csv").exists()
    assert main(["synth", "--from", "2025-03", "--to", "2025-01", "--out", str(tmp_path / "s")]) == 2
    assert main(["synth", "--from", "2025-01", "--to", "2025-02"]) == 2  # neither --out nor --load


@pytest.mark.slow
def test_synth_load_goes_through_ingestion(sqlite_engine, monkeypatch):
    from sqlalchemy import func, select

    from safegov.db.engine import session_scope
    from safegov.db.models import RawRow
    from safegov.devtools.synth import write_synth
    from safegov.org.units import sync_units

    monkeypatch.setenv("SAFEGOV_NOW", "2026-11-29T10:00:00+08:00")
    with session_scope(sqlite_engine) as session:
        sync_units(session)
    result = write_synth(None, enterprises=40, from_key="2025-01", to_key="2025-01", seed=2, load_engine=sqlite_engine)
    assert result["ingest"]["rows_total"] == result["rows_total"]
    assert result["ingest"]["accepted"] + result["ingest"]["quarantined"] == result["rows_total"]
    assert result["ingest"]["quarantined"] == result["bad_rows"]
    with sqlite_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(RawRow)) == result["rows_total"]


def test_generator_refuses_months_out_of_order():
    """The quarter slots and hazard follow-ups carry over between months: order matters."""
    from safegov.devtools.demo import Generator

    gen = Generator(seed=1, first="2025-01", last="2025-02", enterprises=20)
    gen.month("2025-01")
    with pytest.raises(ValueError, match="expected 2025-02"):
        gen.month("2025-01")
