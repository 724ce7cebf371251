"""〔十五〕 ACCIDENT-REPORT-CHAIN (issue 16 item 5) reaches the dashboard's obligation picker and
the monthly bulletin: the chain's reasons in section 二, and section 五 reconciling the issued
bulletin's figures with the accident records, the differences listed in Chinese."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from sqlalchemy.orm import Session

from safegov.core.periods import TZ


@pytest.mark.parametrize("oid", ["ACCIDENT-REPORT-CHAIN", "GOV-EMERGENCY-DRILL"])
def test_the_picker_offers_the_new_obligations(as_user, oid):
    html = as_user("region_office", "/").text
    assert f'<option value="{oid}"' in html


def _seed_march(engine, *, issued_accidents: int | None):
    """150102 in 2024-03: the seed's ACC-1 (reported 2 h late, its county forwarded it in
    time) and ACC-9 known from a 12350 ticket that no party of the county reported (漏报)."""
    from safegov.db.models import Accident, AccidentReport, Bulletin
    from safegov.evaluation.engine import evaluate_events
    from safegov.register.obligations import get_register

    occurred = dt.datetime(2024, 3, 20, 9, 0, tzinfo=TZ)
    at = dt.datetime(2024, 3, 25, 9, 0, tzinfo=TZ)
    rec = {"received_at": at, "content_hash": "c" * 64}
    with Session(engine) as s, s.begin():
        s.add(
            Accident(
                accident_id="ACC-9",
                unit_code="150102",
                occurred_at=occurred,
                reported_at=occurred + dt.timedelta(minutes=30),
                deaths=0,
                serious_injuries=1,
                direct_loss_10k_cny=20.0,
                declared_grade="general",
                concealed=False,
                description="…",
                known_from="hotline",
                source_ref="12350-0320",
                raw_row_id=3001,
                **rec,
            )
        )
        s.add(
            AccidentReport(
                accident_id="ACC-1",
                reporter="150102",
                reported_to="150100",
                reported_at=dt.datetime(2024, 3, 15, 13, 0, tzinfo=TZ),
                raw_row_id=3002,
                **rec,
            )
        )
        if issued_accidents is not None:
            s.add(
                Bulletin(
                    record_id="B150102-2024-03",
                    unit_code="150102",
                    period="2024-03",
                    issued_on=dt.date(2024, 4, 2),
                    accidents_reported=issued_accidents,
                    late_reports=1,
                    concealed_reports=0,
                    doc_ref="新城区安委办通报〔2024-03〕",
                    raw_row_id=3003,
                    **rec,
                )
            )
    evaluate_events(engine, get_register(), as_of=dt.datetime(2024, 6, 1, tzinfo=TZ), from_key="2024-03")


def test_the_bulletin_lists_the_omitted_accident_and_reconciles_the_issued_figures(seeded, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    _seed_march(seeded, issued_accidents=1)
    draft_bulletins(seeded, "2024-03", out_dir=tmp_path, unit_codes={"150102"}, formats=("md", "csv", "html"))
    md = (tmp_path / "150102.md").read_text(encoding="utf-8")
    assert "- 漏报：1 起，新城区（ACC-9）" in md  # an accident of no registered enterprise: its county
    assert "## 五、通报数字核对" in md
    assert "本月已报送通报与事故记录不一致：事故起数通报1起、事故记录2起，相差1起。" in md
    assert "经其他渠道获知、属地未报告的事故（可能漏报）1起：新城区（ACC-9）。" in md
    with (tmp_path / "150102.csv").open(encoding="utf-8") as f:
        figures = {(r["section"], r["key"]): r["value"] for r in csv.DictReader(f)}
    assert figures[("reporting", "omitted")] == "1"
    assert figures[("reconciliation", "accidents_reported")] == "-1"
    assert figures[("reconciliation", "late_reports")] == "0"
    assert 'id="reconciliation"' in (tmp_path / "150102.html").read_text(encoding="utf-8")


def test_matching_figures_and_a_missing_bulletin_are_said_so(seeded, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    _seed_march(seeded, issued_accidents=2)
    draft_bulletins(seeded, "2024-03", out_dir=tmp_path, unit_codes={"150102", "150202"}, formats=("md",))
    assert "本月已报送通报的事故起数、迟报起数、瞒报起数与事故记录一致。" in (tmp_path / "150102.md").read_text(
        encoding="utf-8"
    )
    assert "本单位尚未报送本月事故信息通报，暂无法核对。" in (tmp_path / "150202.md").read_text(encoding="utf-8")


def test_a_county_without_a_drill_is_in_januarys_bulletin(seeded, tmp_path):
    from safegov.evaluation.engine import evaluate_period
    from safegov.register.obligations import get_register
    from safegov.reports.bulletin import draft_bulletins

    evaluate_period(
        seeded, get_register(), "GOV-EMERGENCY-DRILL", "2024", as_of=dt.datetime(2025, 6, 1, tzinfo=TZ), run_id="t"
    )
    # 2024's grace ends 2025-01-08: the miss is January's news.
    draft_bulletins(seeded, "2025-01", out_dir=tmp_path, unit_codes={"150102"}, formats=("md",))
    md = (tmp_path / "150102.md").read_text(encoding="utf-8")
    assert "各级政府每年至少组织1次生产安全事故应急演练（GOV-EMERGENCY-DRILL）" in md
