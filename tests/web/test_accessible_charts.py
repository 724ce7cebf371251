"""Accessible charts: the heatmap stays a set of links (no role="img" over them), every text
colour keeps a WCAG 2 contrast of 4.5:1 on its background (computed from the CSS of the page
and the colours of the SVG charts), and each chart has its figures as a table to read and to
download."""

from __future__ import annotations

import csv
import io
import re

import pytest

from safegov.web import svg
from safegov.web.rendering import TEMPLATES_DIR


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rgb`` / ``#rrggbb``."""
    h = colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(
    "a, b, ratio",
    [("#000", "#fff", 21.0), ("#2e9d5b", "#fff", 3.45), ("#d9534f", "#fff", 3.96), ("#777", "#fff", 4.48)],
)
def test_the_contrast_formula_gives_the_known_ratios(a, b, ratio):
    """The formula against known values (the issue's 3.45:1 and 3.96:1 of the old colours)."""
    assert round(contrast(a, b), 2) == ratio


def css_rules() -> dict[str, dict[str, str]]:
    """selector → {property: value} of the page's <style> (one rule per selector list)."""
    style = re.search(r"<style>(.*?)</style>", (TEMPLATES_DIR / "base.html").read_text(encoding="utf-8"), re.S)[1]
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", style):
        props = dict((k.strip(), v.strip()) for k, _, v in (p.partition(":") for p in body.split(";") if ":" in p))
        for sel in selectors.split(","):
            rules.setdefault(sel.strip(), {}).update(props)
    return rules


# (selector of the text, selector of its background); the status badges carry both.
CSS_PAIRS = [
    (".s-met", ".s-met"),
    (".s-met_late", ".s-met_late"),
    (".s-missed", ".s-missed"),
    (".s-pending", ".s-pending"),
    (".s-exempt", ".s-exempt"),
    (".muted", "section"),
    ("footer", "body"),
    ("header nav a", "header"),
    ("header .who", "header"),
    ("body", "body"),
    (".restricted", "section"),
    (".free", "section"),
]


@pytest.mark.parametrize("text, background", CSS_PAIRS)
def test_page_text_contrast_is_at_least_4_5(text, background):
    rules = css_rules()
    colour = rules[text]["color"]
    bg = rules[background].get("background", "#fff")
    assert contrast(colour, bg) >= 4.5, (text, colour, bg)


@pytest.mark.parametrize("status", ["met", "met_late", "missed", "pending", "exempt"])
def test_heatmap_cell_text_contrast_is_at_least_4_5(status):
    assert contrast(svg.TEXT_ON[status], svg.COLOURS[status]) >= 4.5


@pytest.mark.parametrize("fill, ink", [svg.FEW_MISSED, svg.SOME_MISSED])
def test_light_red_cells_contrast(fill, ink):
    assert contrast(ink, fill) >= 4.5


def test_css_badges_use_the_chart_colours():
    rules = css_rules()
    for status in ("met", "met_late", "missed", "pending", "exempt"):
        assert rules[f".s-{status}"]["background"] == svg.COLOURS[status]


def test_the_heatmap_is_links_not_an_image(as_user):
    page = as_user("region_office", "/").text
    heat = re.search(r'<svg[^>]*class="heatmap".*?</svg>', page, re.S)[0]
    opening = heat[: heat.index(">")]
    assert 'role="img"' not in opening and 'role="group"' in opening
    links = re.findall(r'<a [^>]*class="cell"[^>]*>', heat)
    assert links, "the heatmap has no cell links"
    labels = [re.search(r'aria-label="([^"]+)"', a)[1] for a in links]
    assert all(labels)
    # Named in words: the unit, the period, the status (the seed's 新城区 missed 2024-02).
    assert any(lbl.startswith("新城区 2024年2月: 未履职") for lbl in labels), labels[:5]


def test_each_chart_has_a_table_and_downloads(as_user):
    page = as_user("region_office", "/").text
    for table in ("trend-table", "cases-table"):
        assert f'id="{table}"' in page
    trend = re.search(r'id="trend-table".*?</details>', page, re.S)[0]
    assert '<th scope="row">呼和浩特市</th>' in trend and "2024年3月" in trend
    for link in ("dl-trend-csv", "dl-trend-xlsx", "dl-cases-chart-csv", "dl-cases-chart-xlsx"):
        assert f'id="{link}"' in page


def test_chart_tables_download_the_charted_figures(as_user):
    from openpyxl import load_workbook

    r = as_user("region_office", "/charts/trend/table?format=csv&obligation=SC-MEET-LOCAL")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    baotou = {row["month"]: float(row["compliance_rate"]) for row in rows if row["unit_code"] == "150200"}
    assert baotou["2024-03"] == 0.5  # 东河区 missed in March, 包头市 met
    cases = as_user("region_office", "/charts/cases/table?format=xlsx")
    ws = load_workbook(io.BytesIO(cases.content)).active
    header = [c.value for c in ws[1]]
    assert header[:2] == ["月份", "案件类型"] and "案件数" in header  # the kind's code beside its name
    assert as_user("region_office", "/charts/nope/table").status_code == 404
