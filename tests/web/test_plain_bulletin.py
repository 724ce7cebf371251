"""The monthly bulletin 〔十五〕 in plain words (issue #19): its Markdown, HTML and official
document (.docx) name enterprises by their registry name, the credit code in brackets after
it, never alone; and read as Chinese (no English word, no ISO date, no empty value)."""

from __future__ import annotations

import datetime as dt

import pytest
from docx import Document
from sqlalchemy.orm import Session

from plainwords import problems

from .seed import ENT_A, ENT_B

UNCHECKED = "91150102MA0000009X"  # a third enterprise, of 新城区
CODES = {ENT_A: "新城煤业有限公司", ENT_B: "东河化工有限公司", UNCHECKED: "新城晨光建材有限公司"}


@pytest.fixture
def enterprise_misses(seeded):
    """March 2024's bulletin reports February's ENT-HAZARD-SELFCHECK misses (no enterprise
    filed a hazard inspection; grace ends in March), enterprises as subjects, as
    ``safegov evaluate`` finds them."""
    from safegov.core.periods import TZ
    from safegov.db.models import Enterprise
    from safegov.evaluation.engine import evaluate_period
    from safegov.register.obligations import get_register

    with Session(seeded) as s, s.begin():
        s.add(
            Enterprise(
                enterprise_id=UNCHECKED,
                name=CODES[UNCHECKED],
                county_code="150102",
                registered_on=dt.date(2020, 1, 1),
            )
        )
    evaluate_period(
        seeded, get_register(), "ENT-HAZARD-SELFCHECK", "2024-02", as_of=dt.datetime(2024, 6, 1, tzinfo=TZ), run_id="t"
    )
    return seeded


def _drafts(engine, out, period: str, office: str) -> dict[str, str]:
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(engine, period, out_dir=out, unit_codes={office})
    doc = Document(str(out / f"{office}.docx"))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return {
        "md": (out / f"{office}.md").read_text(encoding="utf-8"),
        "html": (out / f"{office}.html").read_text(encoding="utf-8"),
        "docx": "\n".join([p.text for p in doc.paragraphs] + cells),
    }


@pytest.mark.parametrize("office", ["150000", "150102"])
def test_missed_enterprises_are_named(enterprise_misses, tmp_path, office):
    drafts = _drafts(enterprise_misses, tmp_path, "2024-03", office)
    for fmt, text in drafts.items():
        assert "新城晨光建材有限公司（91150102MA0000009X）" in text, fmt
        assert problems(text, "zh", codes=CODES, html=fmt == "html") == [], fmt


@pytest.mark.parametrize("office", ["150000", "150200", "150102"])
def test_reported_accidents_are_named_by_their_enterprise(seeded, tmp_path, office):
    drafts = _drafts(seeded, tmp_path, "2024-03", office)
    for fmt, text in drafts.items():
        assert "新城煤业有限公司" in text or office == "150200", fmt  # ACC-1 is 新城区's
        assert ("东河化工有限公司" in text) == (office != "150102"), fmt  # ACC-2 is 东河区's
        assert problems(text, "zh", codes=CODES, html=fmt == "html") == [], fmt


def test_a_bare_enterprise_code_fails_the_walk(enterprise_misses, tmp_path, monkeypatch):
    """Without the registry's names the bulletin shows the credit codes alone, and the walk says so."""
    from safegov.reports import bulletin

    monkeypatch.setattr(bulletin, "_registry_names", lambda session, figs: ({}, {}))
    drafts = _drafts(enterprise_misses, tmp_path, "2024-03", "150102")
    for fmt, text in drafts.items():
        found = problems(text, "zh", codes=CODES, html=fmt == "html")
        assert any(f"bare code {UNCHECKED!r}" in p for p in found), (fmt, found)
