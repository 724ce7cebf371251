"""Excel workbooks of the exports (``--format xlsx``): the rows ``write_rows`` writes as CSV,
for people who open them in Excel or WPS.

One sheet; row 1 the Chinese column headers, row 2 the English column ids of the CSV (so a
script reading either file finds the same names), both frozen, with an auto filter on row 2.
Every cell except whole numbers is a *text* cell: an 18-character credit code, a leading
zero or a date stays as written instead of becoming a number Excel rounds or reformats.

A coded column (a state, a reason) is written twice: translated into Chinese under its own
header (English id ``<column>_zh``) and, right after it, the code as the CSV has it. A date or
a time (``Reading``) likewise: first as a person reads it (``2024年4月8日``, a Beijing time),
then the CSV's value under ``…（原值）``.

openpyxl's write-only mode streams rows to the file, so a province-wide export does not sit
in memory as cell objects; openpyxl is imported inside the functions (DAG files import the
reports package).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from safegov.reports.exports import FORMULA_PREFIXES

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Columns whose text is long (free text, JSON, id lists, Chinese names): wide; ids fit a
# credit code; the rest fit their header.
_WIDE = {
    "raw": 60,
    "message": 40,
    "reason": 40,
    "reason_zh": 40,
    "evidence": 30,
    "persons": 24,
    "persons_names": 24,
    "enterprise_name": 30,
    "subject_name": 30,
    "unit_name": 20,
    "trigger_zh": 30,
    "scopes_zh": 30,
    "file_name": 30,
}
_ID_WIDTH = 22  # an 18-character credit code with room to spare


Layout = list[tuple[str, str, str, Callable[[Any], Any] | None]]


@dataclass(frozen=True)
class Reading:
    """How a person reads a value that is no code (a date, a time): the raw column beside it
    is headed ``…（原值）``, not ``…（代码）``."""

    fn: Callable[[Any], str]


def xlsx_layout(
    columns: Sequence[str], labels: Mapping[str, str], translations: Mapping[str, Callable[[Any], str] | Reading]
) -> Layout:
    """(English id, Chinese header, row key, translate or None) of every sheet column, in order."""
    out: Layout = []
    for c in columns:
        label = labels[c]
        if isinstance(translations.get(c), Reading):
            out.append((f"{c}_zh", label, c, translations[c].fn))
            out.append((c, f"{label}（原值）", c, None))
        elif c in translations:
            out.append((f"{c}_zh", label, c, translations[c]))
            out.append((c, f"{label}（代码）", c, None))
        else:
            out.append((c, label, c, None))
    return out


def _width(col: str, label: str) -> float:
    if col in _WIDE:
        return _WIDE[col]
    if col.endswith(("_id", "_code")):
        return _ID_WIDTH
    # A CJK character is about two Latin characters wide.
    return max(2 * len(label), len(col)) + 3


def _text(value: Any) -> Any:
    """A cell value: whole numbers stay numbers, nothing an empty cell (Excel's filter lists
    it as blank), everything else text as the CSV writes it."""
    from safegov.reports.exports import plain_cell

    if isinstance(value, int) and not isinstance(value, bool):
        return value
    cell = plain_cell(value)
    return cell if cell != "" else None


def write_xlsx(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    out: str | Path | IO[bytes],
    *,
    labels: Mapping[str, str],
    translations: Mapping[str, Callable[[Any], str] | Reading] | None = None,
    sheet: str = "数据",
) -> int:
    """Write ``rows`` (only ``columns``) as a workbook to a path or a binary stream.
    ``labels`` gives every column's Chinese header (a missing one is a KeyError: a bug, not
    an English header slipped into a Chinese sheet). Returns the number of rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    layout = xlsx_layout(columns, labels, translations or {})
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    # Sheet views and column widths precede the rows in the file: set before the first append.
    ws.freeze_panes = "A3"
    for i, (col, label, _, _) in enumerate(layout, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _width(col, label)

    def cell(value: Any, *, bold: bool = False) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            # openpyxl stores a string starting with "=" as a formula; a text cell is never
            # run. The quote prefix (Excel's hidden apostrophe) keeps it text when edited.
            c.data_type = "s"
            if value.startswith(FORMULA_PREFIXES):
                c.quotePrefix = True
        if bold:
            c.font = Font(bold=True)
        return c

    ws.append([cell(label, bold=True) for _, label, _, _ in layout])
    ws.append([cell(col) for col, _, _, _ in layout])
    n = 0
    for row in rows:
        ws.append([cell(_text(tr(row.get(key)) if tr else row.get(key))) for _, _, key, tr in layout])
        n += 1
    # The auto filter is written after the rows, so its extent can be the rows written.
    ws.auto_filter.ref = f"A2:{get_column_letter(len(layout))}{n + 2}"
    if isinstance(out, (str, Path)):
        path = Path(out)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            wb.save(path)
        except OSError as exc:
            from safegov.core.errors import SafegovError

            raise SafegovError(f"cannot write {path}: {exc.strerror or exc}") from None
    else:
        wb.save(out)
    return n
