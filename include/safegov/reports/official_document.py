"""Official documents (公文) as ``.docx`` laid out per GB/T 9704-2012 《党政机关公文格式》: a
draft an office opens in WPS or Word, edits, signs and seals. What the document says is the
caller's (:class:`OfficialDocument`); this module only lays it out.

GB/T 9704-2012 is in force since 2012-07-01, replacing GB/T 9704-1999; the figures below were
checked against copies of its text found with the ``search`` tool (e.g.
m.dfix.cn/dadarbeb/rbehhvbb, uianet.net/dictionary/b184376.html):

- §5.1 A4 (210 mm × 297 mm); §5.2.1 天头 (top margin) 37 mm, 订口 (left margin) 28 mm,
  版心 156 mm × 225 mm, so the right margin is 26 mm and the bottom one 35 mm;
- §5.2.2 every element in 3号 (16 pt) 仿宋 unless said otherwise; §5.2.3 22 lines of 28
  characters filling the 版心;
- §7.2.4 发文机关标志 in red 小标宋, centred, its top edge 35 mm below the 版心's;
- §7.2.5 发文字号 two lines below it, centred (〔year〕 in full, no 第, no leading zero, 号);
  §7.2.7 a red line as wide as the 版心 4 mm below it;
- §7.3.1 title in 2号 (22 pt) 小标宋, centred, two lines below the red line; §7.3.2 主送机关
  one line below it, flush left, ending with a full-width colon;
- §7.3.3 paragraphs indented two characters; headings 一、 in 黑体, （一） in 楷体, 1. in 仿宋;
- §7.3.5.1 (a sealed document) 成文日期 four characters from the right, the 发文机关署名
  centred over it; §7.3.5.4 the date in Arabic numerals, year in full, no leading zeros
  (``2024年4月1日``). The 二〇二四年四月一日 style is GB/T 9704-1999's (and the 2000
  行政机关公文处理办法's); the 2012 standard replaced it for Party and government
  documents alike, so this module does not write it;
- §7.3.6 附注 in brackets, two characters in, the line below the date;
- §7.5 page numbers in 4号 (14 pt) half-width 宋体 between one-character dashes (— 1 —),
  7 mm below the 版心, odd pages one character in from the right, even pages from the left;
- §8 tables across the 版心.

Fonts: the standard's faces by their usual Windows names (方正小标宋简体, 仿宋_GB2312,
楷体_GB2312, 黑体, 宋体), each named with a fallback (``w:altName``) and the GB2312 character
set in the document's font table (:data:`FONTS`), which WPS and Word substitute when the face
is not installed.

The file depends only on its content: the package's timestamps are the 成文日期, so the same
document always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass, field

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from safegov.core.periods import TZ

# GB/T 9704-2012 §5 (millimetres): A4, top and left margins, the 版心 (type area).
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
TOP_MM, LEFT_MM = 37, 28
TEXT_WIDTH_MM, TEXT_HEIGHT_MM = 156, 225
RIGHT_MM = PAGE_WIDTH_MM - LEFT_MM - TEXT_WIDTH_MM  # 26
BOTTOM_MM = PAGE_HEIGHT_MM - TOP_MM - TEXT_HEIGHT_MM  # 35
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
# Chinese type sizes (字号) in points.
SIZE_2, SIZE_3, SIZE_4 = 22, 16, 14
SIZE_SMALL_CHU = 36  # 小初: the 发文机关标志 when the name fits on one line at it
RED = RGBColor(0xFF, 0x00, 0x00)

_PT_PER_MM = 72 / 25.4
LINE_PITCH_PT = TEXT_HEIGHT_MM * _PT_PER_MM / LINES_PER_PAGE  # ≈ 28.99 pt
CHAR_PITCH_PT = TEXT_WIDTH_MM * _PT_PER_MM / CHARS_PER_LINE  # ≈ 15.79 pt


@dataclass(frozen=True)
class Font:
    name: str  # the face the standard asks for, as Windows and WPS name it
    fallback: str  # what to substitute when it is not installed (font table altName)


TITLE_FONT = Font("方正小标宋简体", "宋体")
BODY_FONT = Font("仿宋_GB2312", "仿宋")
HEADING1_FONT = Font("黑体", "SimHei")
HEADING2_FONT = Font("楷体_GB2312", "楷体")
PAGE_NUMBER_FONT = Font("宋体", "SimSun")
FONTS = (TITLE_FONT, BODY_FONT, HEADING1_FONT, HEADING2_FONT, PAGE_NUMBER_FONT)


@dataclass(frozen=True)
class Table:
    """A table of text cells (every rendering of a report draws these same cells)."""

    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    numeric: frozenset[int]  # columns of counts, right-aligned


@dataclass(frozen=True)
class Heading:
    """``一、`` (level 1), ``（一）`` (2) or ``1.`` (3) and its words; ``rest`` follows in the
    same paragraph in the body face (a run-in heading)."""

    level: int
    text: str
    rest: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: str


Block = Heading | Paragraph | Table


@dataclass(frozen=True)
class OfficialDocument:
    """What a 公文 says, element by element (GB/T 9704-2012 §7)."""

    issuer: str  # 发文机关 in full: the 发文机关标志 and the 发文机关署名
    number: str  # 发文字号, e.g. 内安委办〔2024〕4号
    title: str
    addressees: str  # 主送机关, ending with "："
    body: list[Block]
    signed_on: dt.date  # 成文日期
    notes: list[str] = field(default_factory=list)  # 附注, each in brackets
    comments: str = ""  # the file's comments property


def chinese_date(day: dt.date) -> str:
    """GB/T 9704-2012 §7.3.5.4: ``2024年4月1日`` (year in full, no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


# --------------------------------------------------------------------------- layout helpers


def _set_font(run, font: Font, size: float, *, bold: bool = False, color: RGBColor | None = None) -> None:
    if font == BODY_FONT and size == SIZE_3 and not bold and color is None:
        return  # the Normal style's own: the run inherits it
    run.font.name = font.name
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    _only_font(run._element.get_or_add_rPr(), font)


def _line_spacing(paragraph, points: float) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(points)
    fmt.space_before = fmt.space_after = Pt(0)


def _paragraph(doc, text: str = "", *, indent: bool = True):
    """A body paragraph: the Normal style's (3号 仿宋, one grid line a line, two characters
    in, §7.3.3); ``indent=False`` flush left."""
    p = doc.add_paragraph()
    if not indent:
        p.paragraph_format.first_line_indent = Pt(0)
    if text:
        p.add_run(text)
    return p


def _heading(doc, text: str, level: int, rest: str = "") -> None:
    """一、 in 黑体, （一） in 楷体, 1. in 仿宋 (§7.3.3); ``rest`` follows in the body face."""
    font = {1: HEADING1_FONT, 2: HEADING2_FONT}.get(level, BODY_FONT)
    p = _paragraph(doc)
    _set_font(p.add_run(text), font, SIZE_3)
    if rest:
        _set_font(p.add_run(rest), BODY_FONT, SIZE_3)


# The children of a paragraph's properties (w:pPr) in the order ECMA-376 §17.3.1.26 requires:
# Word refuses a file whose w:pPr has them out of order.
PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
    "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
    "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def _add_to_ppr(paragraph, element) -> None:
    """``element`` in the paragraph's properties, before the children that must follow it."""
    tag = element.tag.replace("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}", "w:")
    paragraph._element.get_or_add_pPr().insert_element_before(element, *PPR_ORDER[PPR_ORDER.index(tag) + 1 :])


def _bottom_border(paragraph, color: str, space_pt: int) -> None:
    """A line under the paragraph as wide as the 版心 (the paragraph has no side indents)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in {"w:val": "single", "w:sz": "8", "w:space": str(space_pt), "w:color": color}.items():
        bottom.set(qn(k), v)
    borders.append(bottom)
    _add_to_ppr(paragraph, borders)


def _cell_text(cell, text: str, *, header: bool, numeric: bool) -> None:
    p = cell.paragraphs[0]
    _line_spacing(p, SIZE_4 * 1.5)
    p.paragraph_format.first_line_indent = Pt(0)
    # Off the page's line grid: a 4号 table row is one 4号 line, not one 3号 grid line.
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    _add_to_ppr(p, snap)
    p.alignment = (
        WD_ALIGN_PARAGRAPH.CENTER if header else WD_ALIGN_PARAGRAPH.RIGHT if numeric else WD_ALIGN_PARAGRAPH.LEFT
    )
    _set_font(p.add_run(text), HEADING1_FONT if header else BODY_FONT, SIZE_4)


def _column_widths(t: Table) -> list[float]:
    """Column widths in 4号 characters (one more for the cell margins): each column as wide as
    its longest text, a long list of subjects capped; when together wider than the 版心, the
    widest columns give way first, down to their header's width (headers do not wrap)."""
    width = [1 + min(16.0, max(2.0, *(_text_width(r[i]) for r in (t.header, *t.rows)))) for i in range(len(t.header))]
    floor = [1 + max(2.0, _text_width(h)) for h in t.header]
    room = TEXT_WIDTH_MM * _PT_PER_MM / SIZE_4
    while sum(width) > room:
        i = max(range(len(width)), key=lambda k: width[k] - floor[k])
        if width[i] <= floor[i]:
            break  # even the headers do not fit: the widths are scaled to the 版心 as they are
        width[i] -= min(0.5, width[i] - floor[i])
    return width


def _table(doc, t: Table) -> None:
    """The HTML draft's table, cell for cell, in 4号 with full borders, as wide as the 版心."""
    table = doc.add_table(rows=1 + len(t.rows), cols=len(t.header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _column_widths(t)
    for i, width in enumerate(widths):
        column = table.columns[i]
        column.width = Mm(TEXT_WIDTH_MM * width / sum(widths))  # the grid LibreOffice reads
        for cell in column.cells:
            cell.width = column.width  # each cell's own width, which Word reads
    for i, h in enumerate(t.header):
        _cell_text(table.cell(0, i), h, header=True, numeric=False)
    for r, row in enumerate(t.rows, start=1):
        for i, c in enumerate(row):
            _cell_text(table.cell(r, i), c, header=False, numeric=i in t.numeric)


def _page_number(paragraph) -> None:
    """— PAGE — in 4号 宋体: a PAGE field between one-character dashes (§7.5)."""

    def field_char(kind: str):
        run = paragraph.add_run()
        _set_font(run, PAGE_NUMBER_FONT, SIZE_4)
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._element.append(el)

    _set_font(paragraph.add_run("— "), PAGE_NUMBER_FONT, SIZE_4)
    field_char("begin")
    instr = paragraph.add_run()
    _set_font(instr, PAGE_NUMBER_FONT, SIZE_4)
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = " PAGE "
    instr._element.append(code)
    field_char("separate")
    _set_font(paragraph.add_run("1"), PAGE_NUMBER_FONT, SIZE_4)
    field_char("end")
    _set_font(paragraph.add_run(" —"), PAGE_NUMBER_FONT, SIZE_4)


def _page_setup(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.left_margin = Mm(TOP_MM), Mm(LEFT_MM)
    section.right_margin, section.bottom_margin = Mm(RIGHT_MM), Mm(BOTTOM_MM)
    section.header_distance = Mm(15)
    # The dashes' top 7 mm below the 版心 (35 mm from the page's bottom edge): the footer's
    # bottom is one 4号 line lower.
    section.footer_distance = Mm(BOTTOM_MM - 7) - Pt(SIZE_4 * 1.5)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    # 22 lines × 28 characters (§5.2.3): line pitch in twentieths of a point; character
    # pitch as Word stores it, 4096ths of a point more or less than the 3号 default size.
    # 22 lines (§5.2.3): a line grid of 225/22 mm, which every body paragraph's exact line
    # spacing equals. 28 characters come from the default character spacing instead
    # (:func:`_default_font`): a character grid (``linesAndChars``) has Word squeeze 3号
    # glyphs into its 15.79 pt cells, but LibreOffice gives each glyph two cells.
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))
    grid.attrib.pop(qn("w:charSpace"), None)
    doc.settings.odd_and_even_pages_header_footer = True
    odd = section.footer.paragraphs[0]
    odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    odd.paragraph_format.right_indent = Pt(SIZE_4)
    _page_number(odd)
    even = section.even_page_footer.paragraphs[0]
    even.alignment = WD_ALIGN_PARAGRAPH.LEFT
    even.paragraph_format.left_indent = Pt(SIZE_4)
    _page_number(even)


def _only_font(rpr, font: Font) -> None:
    """Every script of ``rpr`` in ``font`` (theme font references removed: they would win)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.attrib.clear()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font.name)


def _default_font(doc) -> None:
    """3号 仿宋 in Chinese (zh-CN, not the template's en-US East Asian language, with which
    LibreOffice picks Japanese glyph forms), no space after paragraphs."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _only_font(rpr, BODY_FONT)
    for tag in ("w:sz", "w:szCs"):
        rpr.find(qn(tag)).set(qn("w:val"), str(SIZE_3 * 2))
    rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    # 28 3号 characters a line: each 16 pt glyph condensed to the 版心's 156/28 mm, rounded
    # down to whole twentieths of a point so the 28th still fits.
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(math.floor((CHAR_PITCH_PT - SIZE_3) * 20)))
    rpr.find(qn("w:sz")).addprevious(spacing)
    defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing")).set(qn("w:after"), "0")
    # The body's format is the Normal style's, not each paragraph's: a paragraph the office
    # adds in WPS or Word is laid out like the rest.
    normal = doc.styles["Normal"]
    _only_font(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.font.size = Pt(SIZE_3)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH_PT)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(2 * SIZE_3)


def _text_width(text: str) -> float:
    """Width in characters: half-width ASCII (the date's digits) count half."""
    return sum(0.5 if ord(c) < 128 else 1 for c in text)


# --------------------------------------------------------------------------- the document


def build_document(content: OfficialDocument):
    """``content`` laid out as a python-docx Document (:func:`render_docx` gives the bytes)."""
    doc = Document()
    # python-docx's template carries a picture of some other document as the file's thumbnail,
    # which Explorer and WPS would show as this one's preview.
    rels = doc.part.package.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[rid]
    _default_font(doc)
    _page_setup(doc)
    props = doc.core_properties
    props.title = content.title
    props.author = props.last_modified_by = content.issuer
    props.comments = content.comments
    props.revision = 1
    # 00:00 Beijing time of the 成文日期, in UTC: python-docx writes the clock time with a "Z".
    midnight = dt.datetime.combine(content.signed_on, dt.time(), TZ).astimezone(dt.UTC).replace(tzinfo=None)
    props.created = props.modified = props.last_printed = midnight

    # 版头: 发文机关标志, 发文字号, red line.
    head = _paragraph(doc, indent=False)
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    size = min(SIZE_SMALL_CHU, int(TEXT_WIDTH_MM * _PT_PER_MM / len(content.issuer)))
    _line_spacing(head, size * 1.3)
    head.paragraph_format.space_before = Mm(35)
    _set_font(head.add_run(content.issuer), TITLE_FONT, size, color=RED)
    number = _paragraph(doc, indent=False)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.space_before = Pt(2 * LINE_PITCH_PT)
    _set_font(number.add_run(content.number), BODY_FONT, SIZE_3)
    _bottom_border(number, "FF0000", round(4 * _PT_PER_MM))

    # 主体: title two lines below the line, 主送机关 one line below the title.
    heading = _paragraph(doc, indent=False)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _line_spacing(heading, SIZE_2 * 1.5)
    heading.paragraph_format.space_before = Pt(2 * LINE_PITCH_PT)
    # A title wider than the 版心 breaks before its bracketed part (§7.3.1: lines broken
    # where the words allow), not wherever the line happens to end.
    first, bracket, rest = content.title.partition("（")
    _set_font(heading.add_run(first), TITLE_FONT, SIZE_2)
    if bracket:
        if _text_width(content.title) * SIZE_2 > TEXT_WIDTH_MM * _PT_PER_MM * 0.95:
            heading.runs[-1].add_break()
        _set_font(heading.add_run(bracket + rest), TITLE_FONT, SIZE_2)
    _paragraph(doc, indent=False)
    _paragraph(doc, content.addressees, indent=False)

    for block in content.body:
        if isinstance(block, Table):
            # the sentence that introduces a table stays on the table's page
            doc.paragraphs[-1].paragraph_format.keep_with_next = True
            _table(doc, block)
        elif isinstance(block, Heading):
            _heading(doc, block.text, block.level, block.rest)
        else:
            _paragraph(doc, block.text)

    # 署名 and 成文日期 (§7.3.5.1): the date four characters from the right, the name centred
    # over it; two blank lines before leave room for the seal.
    date_text = chinese_date(content.signed_on)
    _paragraph(doc, indent=False)
    _paragraph(doc, indent=False)
    signature = _paragraph(doc, content.issuer, indent=False)
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    centre = 4 + _text_width(date_text) / 2
    signature.paragraph_format.right_indent = Pt(SIZE_3 * max(0.0, centre - _text_width(content.issuer) / 2))
    date = _paragraph(doc, date_text, indent=False)
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date.paragraph_format.right_indent = Pt(4 * SIZE_3)
    for note in content.notes:  # 附注 (§7.3.6)
        _paragraph(doc, f"（{note}）")
    return doc


_FONT_TABLE = re.compile(rb"</w:fonts>\s*$")


def _font_table(xml: bytes) -> bytes:
    """The standard's faces in the font table, each naming its fallback (``w:altName``) and
    the GB2312 character set, so WPS and Word substitute rather than fall back to Latin."""
    entries = b"".join(
        (
            f'<w:font w:name="{font.name}"><w:altName w:val="{font.fallback}"/>'
            '<w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'
        ).encode()
        for font in FONTS
    )
    out, n = _FONT_TABLE.subn(entries + b"</w:fonts>", xml)
    if n != 1:
        raise ValueError("python-docx's template has no </w:fonts> to extend")
    return out


def render_docx(content: OfficialDocument) -> bytes:
    """The ``.docx`` bytes of ``content``: the same content always gives the same bytes
    (entries dated the 成文日期; the font table names the fallbacks)."""
    raw = io.BytesIO()
    build_document(content).save(raw)
    day = content.signed_on
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        if "word/fontTable.xml" not in src.namelist():
            raise ValueError("python-docx's template has no word/fontTable.xml to name the fallbacks in")
        for name in src.namelist():
            data = src.read(name)
            if name == "word/fontTable.xml":
                data = _font_table(data)
            info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()
