"""〔十四〕 LIABILITY-TRAINING-REVIEW reaches the dashboard's obligation picker, and an unreviewed
liability accident the monthly bulletin of the month its review fell due; a 〔十八〕 penalty
recommendation is counted in the bulletin in words."""

from __future__ import annotations

import csv
import datetime as dt

from safegov.core.periods import TZ

OB = "LIABILITY-TRAINING-REVIEW"


def test_the_picker_offers_the_liability_review(as_user):
    html = as_user("region_office", "/").text
    assert f'<option value="{OB}"' in html


def _bulletin(tmp_path, engine, month):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(engine, month, out_dir=tmp_path / month, unit_codes={"150102"})
    with (tmp_path / month / "150102.csv").open(encoding="utf-8") as f:
        rows = {(r["section"], r["key"]): r["value"] for r in csv.DictReader(f)}
    return rows, (tmp_path / month / "150102.md").read_text(encoding="utf-8")


def test_an_unreviewed_liability_accident_is_in_the_bulletin_of_its_due_month(seeded, tmp_path):
    from sqlalchemy.orm import Session

    from safegov.db.models import Accident
    from safegov.evaluation.engine import evaluate_events
    from safegov.register.obligations import get_register

    occurred = dt.datetime(2024, 8, 1, 9, tzinfo=TZ)
    with Session(seeded) as s, s.begin():
        s.add(
            Accident(
                accident_id="ACC-LIAB-1",
                unit_code="150102",
                occurred_at=occurred,
                reported_at=occurred,
                deaths=1,
                serious_injuries=0,
                direct_loss_10k_cny=80.0,
                description="运输事故",
                liability_found_on=dt.date(2024, 9, 20),
                received_at=occurred,
                raw_row_id=9001,
                content_hash="liab",
            )
        )
    evaluate_events(seeded, get_register(), as_of=dt.datetime(2024, 11, 1, tzinfo=TZ), run_id="t")
    # Found 2024-09-20, due 2024-10-23: October's news, not September's.
    oct_rows, oct_md = _bulletin(tmp_path, seeded, "2024-10")
    assert oct_rows[("missed", OB)] == "1"
    assert f"生产安全责任事故一律倒查安全培训责任（{OB}）" in oct_md
    _, sep_md = _bulletin(tmp_path, seeded, "2024-09")
    assert OB not in sep_md


def test_a_penalty_recommendation_is_counted_in_words(seeded, tmp_path):
    from sqlalchemy.orm import Session

    from safegov.db.models import Case

    with Session(seeded) as s, s.begin():
        s.add(
            Case(
                case_key="HAZARD-REFUSAL-PENALTY|91150102MA0000001X|H-9|penalty_recommendation",
                kind="penalty_recommendation",
                rule_id="HAZARD-REFUSAL-PENALTY",
                subject_kind="enterprise",
                subject_id="91150102MA0000001X",
                unit_code="150102",
                period="H-9",
                period_start=dt.date(2024, 10, 2),
                step="penalty_recommendation",
                persons="张三;王五",
                deciding_unit="150102",
                state="awaiting_approval",
                opened_on=dt.date(2024, 10, 2),
                historical=False,
            )
        )
    rows, md = _bulletin(tmp_path, seeded, "2024-10")
    assert rows[("cases_opened", "penalty_recommendation")] == "1"
    assert "处罚建议" in md
