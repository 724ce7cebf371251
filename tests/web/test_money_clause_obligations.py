"""The obligations of 〔十〕 and 〔十六〕 (issue 16 items 3, 6) reach the dashboard's obligation
picker and the monthly bulletin without code of their own: both read the register and the
evaluations. A miss is the news of the month its grace ends in."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from safegov.core.periods import TZ

MONEY = [
    "SAFETY-FUND-BUDGET",
    "ENT-SAFETY-COST",
    "ACCIDENT-REFERRAL-DISCIPLINE",
    "ACCIDENT-REFERRAL-ORG",
    "KEY-INDUSTRY-ASSESS",
]


@pytest.mark.parametrize("oid", MONEY)
def test_the_picker_offers_the_new_obligation(as_user, oid):
    html = as_user("region_office", "/").text
    assert f'<option value="{oid}"' in html


def _bulletin(seeded, tmp_path, month, unit):
    from safegov.reports.bulletin import draft_bulletins

    out = tmp_path / month
    draft_bulletins(seeded, month, out_dir=out, unit_codes={unit})
    with (out / f"{unit}.csv").open(encoding="utf-8") as f:
        rows = {(r["section"], r["key"]): r["value"] for r in csv.DictReader(f)}
    return rows, (out / f"{unit}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "oid, unit, period, news_month, quiet_month, title",
    [
        ("SAFETY-FUND-BUDGET", "150102", "2024", "2025-01", "2024-12", "各级政府设立安全生产专项资金并列入财政预算"),
        (
            "ACCIDENT-REFERRAL-ORG",
            "150100",
            "2024-Q1",
            "2024-04",
            "2024-03",
            "每季度向同级组织部门报送生产安全事故情况",
        ),
    ],
)
def test_a_miss_is_in_the_bulletin_of_the_month_its_grace_ends(
    seeded, tmp_path, oid, unit, period, news_month, quiet_month, title
):
    from safegov.evaluation.engine import evaluate_period
    from safegov.register.obligations import get_register

    evaluate_period(seeded, get_register(), oid, period, as_of=dt.datetime(2025, 6, 1, tzinfo=TZ), run_id="t")
    rows, md = _bulletin(seeded, tmp_path, news_month, unit)
    assert rows[("missed", oid)] == "1"
    assert f"{title}（{oid}）" in md
    assert oid not in _bulletin(seeded, tmp_path, quiet_month, unit)[1]
