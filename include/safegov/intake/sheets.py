"""Reading ``.xls`` (Excel 97-2003, BIFF), ``.ods`` (OpenDocument) and WPS ``.et`` sheets
through python-calamine (the Rust ``calamine`` crate), in a child process with a memory cap.

Why a child process: calamine builds the first sheet as one dense grid from the first to the
last cell present, so a 5.6 KB ``.xls`` with a cell in A1 and one in IV65536 needs about
1 GB (measured: 65,536 × 256 cells, 1,050 MB resident), and an ``.ods`` row repeated with
``table:number-rows-repeated`` expands without bound in the same way. The child sets an
address-space limit on itself (``RLIMIT_AS``) before it reads a byte, refuses a grid of more
than ``max_cells`` cells, and is killed after the time budget: whatever the file does, the
worker that asked is never the one that runs out of memory.

The child prints one JSON list per row (cells as text, ``None`` for empty; see
:func:`cell_text`) or one ``{"error": ...}`` object; ``python -m safegov.intake.sheets`` is the
child's entry point. This module imports nothing of safegov, so the child starts in a few ms.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

# Address space the child may use: the interpreter and calamine take ~60 MB, a dense grid
# ~64 bytes a cell in calamine and a row of Python strings at a time beyond that.
SHEET_MAX_MEMORY_BYTES = 1024 * 1024 * 1024
# A sheet's grid (height × width of the used range) is built whole: far smaller than the
# XLSX cap on cells read (openpyxl streams), 4 M cells ≈ 256 MB in the child.
SHEET_MAX_CELLS = 4_000_000
_ERROR_EXIT = 3


class SheetError(Exception):
    """The sheet cannot be read; the message is one line for the operator."""


def cell_text(value: Any) -> Any:
    """A spreadsheet cell as submission text: dates as ISO text (a date at midnight as the
    date alone), whole floats without ``.0``, blank text as None. Shared by the XLSX reader."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value if value.strip() else None
    return str(value)


def read_rows(
    data: bytes,
    *,
    max_cells: int | None = None,
    max_memory: int | None = None,
    timeout: float = 300.0,
) -> list[list[str | None]]:
    """The first sheet's rows as text, read by calamine in a memory-capped child process;
    :class:`SheetError` with the reason when the child refuses, fails or runs out of memory
    or time. Trailing empty cells of a row are dropped; empty rows are kept (row numbers)."""
    max_cells = SHEET_MAX_CELLS if max_cells is None else max_cells
    max_memory = SHEET_MAX_MEMORY_BYTES if max_memory is None else max_memory
    try:
        done = subprocess.run(
            [sys.executable, "-m", "safegov.intake.sheets", str(max_cells), str(max_memory)],
            input=data,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "RUST_BACKTRACE": "0"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SheetError(f"took over {timeout:g} s to read") from None
    if done.returncode == _ERROR_EXIT:
        raise SheetError(json.loads(done.stdout.decode("utf-8").splitlines()[-1])["error"])
    if done.returncode != 0:
        # The first line is the cause (Rust's "memory allocation of N bytes failed", a panic).
        cause = (done.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[0][:200]
        if done.returncode < 0 or "memory" in cause.lower():
            raise SheetError(
                f"needs over {max_memory // (1024 * 1024)} MB of memory to read "
                f"(a sheet that expands far beyond its file size): {cause}".rstrip(": ")
            )
        raise SheetError(f"the reader failed ({done.returncode}): {cause}")
    return [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]


# --------------------------------------------------------------------------- the child


def _rows(data: bytes, max_cells: int) -> Iterator[list[str | None]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    if not wb.sheet_names:
        raise SheetError("the workbook has no sheet")
    sheet = wb.get_sheet_by_index(0)
    # end: the last used cell (row, column), from 0. The grid is built already (inside the
    # memory cap); this bounds what is turned into Python objects.
    end = sheet.end
    cells = (end[0] + 1) * (end[1] + 1) if end is not None else 0
    if cells > max_cells:
        raise SheetError(f"the first sheet spans {end[0] + 1} rows × {end[1] + 1} columns, over {max_cells} cells")
    # The grid starts at the first used cell: pad back to A1 so row numbers are the sheet's.
    top, left = sheet.start or (0, 0)
    for _ in range(top):
        yield []
    for row in sheet.iter_rows():
        texts = [None] * left + [cell_text(c) for c in row]
        while texts and texts[-1] is None:
            texts.pop()
        yield texts


def _child(argv: list[str]) -> int:
    import resource

    max_cells, max_memory = int(argv[0]), int(argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    data = sys.stdin.buffer.read()
    out = sys.stdout
    try:
        # Rows are collected before any is printed: a refusal never follows half a sheet.
        rows = list(_rows(data, max_cells))
    except SheetError as exc:
        out.write(json.dumps({"error": str(exc)}, ensure_ascii=False) + "\n")
        return _ERROR_EXIT
    except MemoryError:
        out.write(json.dumps({"error": f"needs over {max_memory // (1024 * 1024)} MB of memory to read"}) + "\n")
        return _ERROR_EXIT
    except Exception as exc:  # noqa: BLE001 - any calamine failure means "cannot be read", with its cause
        message = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        out.write(json.dumps({"error": message}, ensure_ascii=False) + "\n")
        return _ERROR_EXIT
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
