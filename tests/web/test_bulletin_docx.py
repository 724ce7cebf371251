"""Issue #19 item 3: the monthly bulletin 〔十五〕 as an official document (.docx, GB/T 9704-2012).

The file is opened with python-docx and held against the standard's layout (A4, margins,
版头, title, 主送机关, headings, 成文日期, page numbers, fonts) and against the HTML draft of the
same run (its title and every table cell). The rendering test converts it with LibreOffice
headless to PDF and the first page to PNG (test-artifacts/, git-ignored).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from safegov.core.errors import SafegovError
from safegov.core.periods import TZ

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


class _HtmlTables(HTMLParser):
    """The <h1> and every <table>'s cells of a bulletin's HTML draft, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.h1 = ""
        self.tables: list[list[list[str]]] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append("")
        if tag in ("h1", "td", "th"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "h1":
            self.h1 += data
        elif self._in in ("td", "th"):
            self.tables[-1][-1][-1] += data


def _html(path: Path) -> _HtmlTables:
    parser = _HtmlTables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _draft(engine, out: Path, office: str, period: str = "2024-03", formats=("html", "docx")):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(engine, period, out_dir=out, unit_codes={office}, formats=formats)
    return Document(str(out / f"{office}.docx"))


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def _paragraph(doc, text: str):
    found = [p for p in doc.paragraphs if p.text == text]
    assert len(found) == 1, f"{text!r} not once in {_texts(doc)}"
    return found[0]


def _fonts(paragraph) -> set[str]:
    """East Asian faces of the paragraph's runs; None: the Normal style's (3号 仿宋_GB2312)."""
    runs = [r._element.rPr for r in paragraph.runs if r.text.strip()]
    return {None if rpr is None else rpr.rFonts.get(qn("w:eastAsia")) for rpr in runs}


def test_page_is_a4_with_the_standards_margins_and_grid(seeded, tmp_path):
    doc = _draft(seeded, tmp_path, "150000")
    s = doc.sections[0]
    for actual, mm in (
        (s.page_width, 210),
        (s.page_height, 297),
        (s.top_margin, 37),
        (s.left_margin, 28),
        (s.page_width - s.left_margin - s.right_margin, 156),  # 版心 width
        (s.page_height - s.top_margin - s.bottom_margin, 225),  # 版心 height
    ):
        assert abs(actual - Mm(mm)) < Mm(0.1), (actual.mm, mm)
    grid = s._sectPr.find(qn("w:docGrid"))
    # 22 lines: the grid's pitch (twentieths of a point) × 22 is the 版心's 225 mm
    assert abs(int(grid.get(qn("w:linePitch"))) / 20 * 22 - Mm(225).pt) < 1
    # … and every paragraph from the 发文字号 on (the title aside) takes one line of it
    for p in doc.paragraphs[1:2] + doc.paragraphs[3:]:
        spacing = p.paragraph_format.line_spacing or p.style.paragraph_format.line_spacing
        assert spacing.pt * 22 == pytest.approx(Mm(225).pt, abs=0.5), p.text
    normal = doc.styles["Normal"]  # what a paragraph the office adds gets: 3号, two characters in
    assert normal.font.size.pt == 16 and normal.paragraph_format.first_line_indent.pt == 32


def test_head_title_addressees_sections_date_and_notes(seeded, tmp_path):
    doc = _draft(seeded, tmp_path, "150000")
    texts = _texts(doc)
    head = doc.paragraphs[0]  # 发文机关标志 …
    assert head.text == "内蒙古自治区安全生产委员会办公室"
    assert {str(r.font.color.rgb) for r in head.runs} == {"FF0000"}  # … red, centred, 小标宋
    assert head.alignment == 1 and _fonts(head) == {"方正小标宋简体"}
    number = doc.paragraphs[1]
    assert number.text == "内安委办〔2024〕4号"
    border = number._element.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))  # the red line under it
    assert border.get(qn("w:color")) == "FF0000"
    title = doc.paragraphs[2]
    assert (
        title.text.replace("\n", "")
        == _html(tmp_path / "150000.html").h1
        == "内蒙古自治区安全生产信息通报（2024年3月）"
    )
    assert {r.font.size.pt for r in title.runs} == {22}  # 2号
    assert texts[4] == "各盟市安全生产委员会办公室，自治区安全生产委员会各成员单位："  # 主送机关 after one blank line
    assert texts[3] == ""
    headings = [t for t in texts if t[:2] in ("一、", "二、", "三、", "四、")]
    assert headings == [
        "一、生产安全事故情况",
        "二、事故信息报告情况",
        "三、本月认定的未履行职责情况",
        "四、本月新立问责案件",
    ]
    assert _fonts(_paragraph(doc, "一、生产安全事故情况")) == {"黑体"}
    second = _paragraph(doc, "（一）迟报。共1起。")
    assert [r.text for r in second.runs] == ["（一）迟报。", "共1起。"]
    assert _fonts(second) == {"楷体_GB2312", None}  # the heading in 楷体, the rest in the body's 仿宋
    assert "1.新城煤业有限公司，事故编号ACC-1。" in texts  # third level: the enterprise by name
    assert "（四）瞒报。共1起。" in texts and "（三）未报告事故等级。共0起。" in texts
    sign = texts.index("内蒙古自治区安全生产委员会办公室", 1)  # 署名, then the 成文日期 below it
    assert texts[sign + 1] == "2024年4月1日"
    assert texts[sign + 2] == "（本通报为系统生成草稿，经安委办审核后印发。）"  # 附注
    assert texts[sign + 3].startswith("（数据存证：")


def test_page_numbers_are_page_fields_between_dashes_odd_right_even_left(seeded, tmp_path):
    doc = _draft(seeded, tmp_path, "150000")
    s = doc.sections[0]
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, alignment in ((s.footer, 2), (s.even_page_footer, 0)):  # RIGHT, LEFT
        p = footer.paragraphs[0]
        assert p.alignment == alignment
        xml = p._element.xml
        assert xml.count('w:fldCharType="begin"') == 1 and xml.count('w:fldCharType="end"') == 1
        assert [t.text for t in p._element.iter(qn("w:instrText"))] == [" PAGE "]
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert {r.font.size.pt for r in p.runs} == {14}  # 4号


def test_font_table_names_the_fallbacks(seeded, tmp_path):
    import zipfile

    _draft(seeded, tmp_path, "150000")
    package = zipfile.ZipFile(tmp_path / "150000.docx")
    assert "docProps/thumbnail.jpeg" not in package.namelist()  # not python-docx's template's picture
    assert b"thumbnail" not in package.read("_rels/.rels")
    xml = package.read("word/fontTable.xml").decode()
    for face, fallback in (
        ("仿宋_GB2312", "仿宋"),
        ("楷体_GB2312", "楷体"),
        ("方正小标宋简体", "宋体"),
        ("黑体", "SimHei"),
    ):
        assert f'<w:font w:name="{face}"><w:altName w:val="{fallback}"/><w:charset w:val="86"/>' in xml


def test_paragraph_properties_are_in_schema_order(seeded, tmp_path):
    """Word reports a file "unreadable" when a w:pPr's children are out of ECMA-376 order."""
    from safegov.reports.official_document import PPR_ORDER

    doc = _draft(seeded, tmp_path, "150000")
    parts = [doc.element, doc.styles.element] + [
        f._element for f in (doc.sections[0].footer, doc.sections[0].even_page_footer)
    ]
    checked = 0
    for part in parts:
        for ppr in part.iter(qn("w:pPr")):
            tags = [child.tag.replace(qn("w:x")[:-1], "w:") for child in ppr]
            assert [PPR_ORDER.index(t) for t in tags] == sorted(PPR_ORDER.index(t) for t in tags), tags
            checked += 1
    assert checked > 40  # the red line's border and the tables' grid opt-outs among them


@pytest.mark.parametrize("office", ["150000", "150200", "150202", "150103"])
def test_tables_hold_the_html_drafts_cells(seeded, tmp_path, office):
    doc = _draft(seeded, tmp_path, office)
    html = _html(tmp_path / f"{office}.html").tables
    docx = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    assert docx == html
    for t in doc.tables:  # as wide as the 版心, no column narrower than its header (+ margins)
        widths = [c.width for c in t.columns]
        assert abs(sum(widths) - Mm(156)) < Mm(0.5)
        for w, header in zip(widths, t.rows[0].cells, strict=True):
            assert w.pt >= (len(header.text) + 1) * 14 - 0.5, (header.text, w.pt)
        assert doc.paragraphs[
            [p._element for p in doc.paragraphs].index(t._element.getprevious())
        ].paragraph_format.keep_with_next
    if office == "150000":  # the region: accidents, the 150202 miss, two cases
        assert [len(t) for t in docx] == [3, 2, 3]
        assert docx[0][2] == ["东河区（150202）", "2", "3", "0", "100.0"]
    if office == "150103":  # nothing happened: no tables, the sections say so
        assert docx == [] and "本月未新立案件。" in _texts(doc)


@pytest.mark.parametrize(
    "period,office,signed,number,issuer",
    [
        ("2024-03", "150000", "2024年4月1日", "内安委办〔2024〕4号", "内蒙古自治区安全生产委员会办公室"),
        # the National Day holiday: the first working day of October 2024 is the 8th
        ("2024-09", "150200", "2024年10月8日", "包头市安委办〔2024〕10号", "包头市安全生产委员会办公室"),
        # December's bulletin opens the next year's series (New Year's Day off)
        ("2024-12", "150202", "2025年1月2日", "东河区安委办〔2025〕1号", "包头市东河区安全生产委员会办公室"),
        # Spring Festival 2025 (28 Jan – 4 Feb): signed on the 5th, no leading zero
        ("2025-01", "150102", "2025年2月5日", "新城区安委办〔2025〕2号", "呼和浩特市新城区安全生产委员会办公室"),
    ],
)
def test_date_and_number_follow_from_the_month(sqlite_engine, tmp_path, period, office, signed, number, issuer):
    doc = _draft(sqlite_engine, tmp_path, office, period, formats=("docx",))
    texts = _texts(doc)
    assert texts[0] == issuer and texts[1] == number
    assert texts[texts.index(issuer, 1) + 1] == signed
    midnight = dt.datetime.strptime(signed, "%Y年%m月%d日").replace(tzinfo=TZ)  # Beijing time
    assert doc.core_properties.created == doc.core_properties.modified == midnight


def test_a_year_without_a_holiday_calendar_fails_after_the_other_drafts(sqlite_engine, tmp_path):
    """December 2099's 成文日期 falls in 2100, whose holidays nobody has entered: the .docx
    cannot be dated, the run fails saying so, and the Markdown, HTML and CSV drafts are there."""
    from safegov.core.errors import CalendarRangeError
    from safegov.reports.bulletin import draft_bulletins

    with pytest.raises(CalendarRangeError, match="holidays.yaml"):
        draft_bulletins(sqlite_engine, "2099-12", out_dir=tmp_path / "b", unit_codes={"150000", "150100"})
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        f"{c}.{e}" for c in ("150000", "150100") for e in ("csv", "html", "md")
    ]


def test_redrafting_writes_identical_bytes(seeded, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(seeded, "2024-03", out_dir=tmp_path / "a", unit_codes={"150000"}, formats=("docx",))
    draft_bulletins(seeded, "2024-03", out_dir=tmp_path / "b", unit_codes={"150000"}, formats=("docx",))
    assert (tmp_path / "a" / "150000.docx").read_bytes() == (tmp_path / "b" / "150000.docx").read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["150000.docx"]


@pytest.mark.parametrize("formats", [("pdf",), ("docx", "doc"), ()])
def test_unknown_formats_fail(sqlite_engine, tmp_path, formats):
    from safegov.reports.bulletin import draft_bulletins

    with pytest.raises(SafegovError, match="bulletin formats are md, html, csv, docx"):
        draft_bulletins(sqlite_engine, "2024-03", out_dir=tmp_path, formats=formats)


def test_dashboard_offers_the_docx_within_scope(seeded, as_user, tmp_path):
    from safegov.reports.bulletin import draft_bulletins

    draft_bulletins(
        seeded, "2024-03", out_dir=tmp_path / "data" / "bulletins" / "2024-03", unit_codes={"150102", "150202"}
    )
    page = as_user("xincheng_office", "/bulletins").text
    assert "/bulletins/2024-03/150102.docx" in page and "150202.docx" not in page
    r = as_user("xincheng_office", "/bulletins/2024-03/150102.docx")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.content == (tmp_path / "data" / "bulletins" / "2024-03" / "150102.docx").read_bytes()
    assert as_user("xincheng_office", "/bulletins/2024-03/150202.docx").status_code == 404  # another county
    assert as_user("region_office", "/bulletins/2024-03/150202.docx").status_code == 200
    assert {d["unit_code"]: d["files"] for d in as_user("region_office", "/api/bulletins").json()}["150202"] == [
        "html",
        "md",
        "csv",
        "docx",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # one backend is enough to render
def test_first_page_renders_as_a_png(seeded, tmp_path):
    """LibreOffice headless → PDF → PNG of page 1, kept in test-artifacts/ to look at."""
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if soffice is None or pdftoppm is None:
        if os.environ.get("CI"):
            pytest.fail("soffice and pdftoppm are required in CI: `make browser-deps` installs them")
        pytest.skip("LibreOffice or poppler-utils not installed (make browser-deps)")
    _draft(seeded, tmp_path, "150000", formats=("docx",))
    profile = (tmp_path / "lo-profile").as_uri()  # a private profile: parallel runs do not share a lock
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path)]
        + [str(tmp_path / "150000.docx")],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / "150000.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "595.304 x 841.89 pts (A4)" in info
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    text = text.replace(" ", "")
    for expected in ("内蒙古自治区安全生产委员会办公室", "内安委办〔2024〕4号", "各盟市安全生产委员会办公室"):
        assert expected in text
    assert "—1—" in text  # the page number field, evaluated
    subprocess.run([pdftoppm, "-png", "-r", "96", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(tmp_path / "p")])
    png = tmp_path / "p.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(png, ARTIFACTS / "bulletin-150000-2024-03-page1.png")
