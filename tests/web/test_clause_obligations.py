"""The obligations added by issue 16 reach the dashboard's obligation picker and the monthly
bulletin without code of their own: both read the register and the evaluations."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from safegov.core.periods import TZ

ISSUE16 = ["ENT-SUPERVISOR", "ENFORCE-PLAN-UNIT", "ENFORCE-PLAN-DEPT", "STAFF-ROTATION-TRAINING"]


@pytest.mark.parametrize("oid", ISSUE16)
def test_the_picker_offers_the_new_obligation(as_user, oid):
    html = as_user("region_office", "/").text
    assert f'<option value="{oid}"' in html


def test_a_county_without_supervising_bodies_is_in_januarys_bulletin(seeded, tmp_path):
    from sqlalchemy.orm import Session

    from safegov.db.models import Enterprise
    from safegov.evaluation.engine import evaluate_period
    from safegov.register.obligations import get_register
    from safegov.reports.bulletin import draft_bulletins

    with Session(seeded) as s, s.begin():
        s.add(
            Enterprise(
                enterprise_id="91150102MA0000009X",
                name="新城区无监管主体企业",
                county_code="150102",
                registered_on=dt.date(2020, 1, 1),
            )
        )
    as_of = dt.datetime(2025, 6, 1, tzinfo=TZ)
    evaluate_period(seeded, get_register(), "ENT-SUPERVISOR", "2024", as_of=as_of, run_id="t")
    # 2024's grace ends 2025-01-08: the miss is January's news, not December's.
    draft_bulletins(seeded, "2025-01", out_dir=tmp_path / "jan", unit_codes={"150102"})
    draft_bulletins(seeded, "2024-12", out_dir=tmp_path / "dec", unit_codes={"150102"})
    with (tmp_path / "jan" / "150102.csv").open(encoding="utf-8") as f:
        jan = {(r["section"], r["key"]): r["value"] for r in csv.DictReader(f)}
    assert jan[("missed", "ENT-SUPERVISOR")] == "1"
    md = (tmp_path / "jan" / "150102.md").read_text(encoding="utf-8")
    assert "每个生产经营单位明确安全生产监管主体（ENT-SUPERVISOR）" in md
    assert "ENT-SUPERVISOR" not in (tmp_path / "dec" / "150102.md").read_text(encoding="utf-8")
