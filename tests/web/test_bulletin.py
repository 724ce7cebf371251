"""Monthly bulletin drafts 〔十五〕: one per safety office, figures from the database."""

from __future__ import annotations

import csv

import pytest

from safegov.core.errors import SafegovError


def _figures(path):
    with path.open(encoding="utf-8") as f:
        return {(r["section"], r["key"]): r["value"] for r in csv.DictReader(f)}


def test_every_office_gets_md_html_csv(seeded, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    paths = draft_bulletins(seeded, "2024-03", out_dir=tmp_path)
    offices = {p.stem for p in paths}
    assert len(offices) == 1 + 12 + 103  # region, leagues/cities, counties
    for code in ("150000", "150100", "150102"):
        for ext in ("md", "html", "csv", "docx"):
            assert (tmp_path / f"{code}.{ext}").is_file()


@pytest.mark.parametrize(
    "office,accidents,late,under,concealed,missed,cases",
    [
        # region: all three accidents; ACC-1 late, ACC-2 under-graded + concealed; the 150202 miss of March
        ("150000", 3, 1, 1, 1, 1, {"notice": "1", "reporting_violation": "1"}),
        ("150200", 2, 0, 1, 1, 1, {"reporting_violation": "1"}),  # the interview was opened in April
        ("150100", 1, 1, 0, 0, 0, {"notice": "1"}),  # 新城区's February notice, opened 2024-03-08
        ("150102", 1, 1, 0, 0, 0, {"notice": "1"}),
        ("150103", 0, 0, 0, 0, 0, {}),
    ],
)
def test_figures_per_office(seeded, tmp_path, office, accidents, late, under, concealed, missed, cases):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(seeded, "2024-03", out_dir=tmp_path, unit_codes={office})
    fig = _figures(tmp_path / f"{office}.csv")
    assert fig[("accidents", "total")] == str(accidents)
    assert fig[("reporting", "late_report")] == str(late)
    assert fig[("reporting", "under_graded")] == str(under)
    assert fig[("reporting", "concealed")] == str(concealed)
    assert fig.get(("missed", "SC-MEET-LOCAL"), "0") == str(missed)
    assert {k: v for (s, k), v in fig.items() if s == "cases_opened"} == cases


def test_a_miss_counts_in_the_month_its_grace_ended(seeded, tmp_path):
    """February's miss with grace to 2024-03-07 is found in March, not February."""
    import datetime as dt

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from safegov.db.models import Evaluation
    from safegov.reports.bulletin import draft_bulletins

    with Session(seeded) as s:
        s.execute(
            update(Evaluation)
            .where(Evaluation.subject_id == "150102", Evaluation.period == "2024-02")
            .values(grace_ends_on=dt.date(2024, 3, 7))
        )
        s.commit()
    draft_bulletins(seeded, "2024-02", out_dir=tmp_path / "feb", unit_codes={"150102"})
    draft_bulletins(seeded, "2024-03", out_dir=tmp_path / "mar", unit_codes={"150102"})
    assert ("missed", "SC-MEET-LOCAL") not in _figures(tmp_path / "feb" / "150102.csv")
    assert _figures(tmp_path / "mar" / "150102.csv")[("missed", "SC-MEET-LOCAL")] == "1"


def test_february_counts_the_february_miss_and_notice(seeded, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(seeded, "2024-02", out_dir=tmp_path, unit_codes={"150100"})
    fig = _figures(tmp_path / "150100.csv")
    assert fig[("missed", "SC-MEET-LOCAL")] == "1"
    assert fig[("accidents", "total")] == "0"


def test_markdown_is_chinese_and_names_the_counties(seeded, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(seeded, "2024-03", out_dir=tmp_path, unit_codes={"150000"})
    md = (tmp_path / "150000.md").read_text(encoding="utf-8")
    assert md.startswith("# 内蒙古自治区安全生产信息通报（2024年3月）")
    assert "新城区（150102）" in md and "东河区（150202）" in md
    # Accidents by their enterprise's name (ACC-1 新城煤业, ACC-2 东河化工), the id in brackets.
    assert "迟报：1 起，新城煤业有限公司（ACC-1）" in md and "瞒报：1 起，东河化工有限公司（ACC-2）" in md
    assert "未报告事故等级：0 起" in md  # a blank declared grade is a reporting violation too
    assert "| 盟市、旗县(市、区)安委会每月至少召开1次会议（SC-MEET-LOCAL） | 1 | 东河区（150202） |" in md
    assert "统计期间 2024年3月1日至2024年3月31日" in md
    html = (tmp_path / "150000.html").read_text(encoding="utf-8")
    assert "<id='accidents-total'>" not in html and "id='accidents-total'>3<" in html


def test_redrafting_is_identical(seeded, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(seeded, "2024-03", out_dir=tmp_path, unit_codes={"150000"})
    first = (tmp_path / "150000.md").read_bytes()
    draft_bulletins(seeded, "2024-03", out_dir=tmp_path, unit_codes={"150000"})
    assert (tmp_path / "150000.md").read_bytes() == first
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("bad", ["2024-Q1", "2024", "2024-13", "March"])
def test_period_must_be_a_month(sqlite_engine, tmp_path, bad):
    from safegov.reports.bulletin import draft_bulletins

    with pytest.raises(SafegovError):
        draft_bulletins(sqlite_engine, bad, out_dir=tmp_path)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the CLI's wiring; one backend is enough
def test_cli_report_bulletin(seeded, tmp_path, monkeypatch, capsys):
    from safegov.cli.main import main

    monkeypatch.setenv("SAFEGOV_DATABASE_URL", seeded.url.render_as_string(hide_password=False))
    from safegov.core.settings import get_settings
    from safegov.db.engine import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    args = ["report", "bulletin", "--period", "2024-03", "--unit", "150102"]
    try:
        rc = main([*args, "--out", str(tmp_path / "b")])
        # --format docx: only the official document (issue #19 item 3); an unknown format fails
        rc_docx = main([*args, "--out", str(tmp_path / "docx"), "--format", "docx"])
        rc_pdf = main([*args, "--out", str(tmp_path / "pdf"), "--format", "docx,pdf"])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert (rc, rc_docx, rc_pdf) == (0, 0, 2)
    out, err = capsys.readouterr()
    assert out.count("drafted 1 bulletins for 2024-03") == 2 and "--format 'pdf'" in err
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [f"150102.{e}" for e in ("csv", "docx", "html", "md")]
    assert sorted(p.name for p in (tmp_path / "docx").iterdir()) == ["150102.docx"]
    assert main(["report", "bulletin", "--period", "2024-Q1"]) == 2


@pytest.mark.parametrize(
    "subject, shown",
    [
        ("150202", "东河区（150202）"),
        ("150202:party_secretary", "东河区党委书记（150202）"),  # a post, not a code pair
        ("91150102MA0000001X", "新城煤业有限公司（91150102MA0000001X）"),  # by the registry's name
        ("D-150102-EMERG", "新城区应急管理局（D-150102-EMERG）"),
        ("91150102MA0000009X", "91150102MA0000009X"),  # no register names it: the code as it is
    ],
)
def test_bulletin_subjects_by_name(subject, shown):
    from safegov.org.tree import UnitTree
    from safegov.reports.bulletin import _subject

    names = {"91150102MA0000001X": "新城煤业有限公司", "D-150102-EMERG": "新城区应急管理局"}
    assert _subject(subject, UnitTree.from_config(), names) == shown
