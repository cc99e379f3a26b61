"""Spreadsheets (XLSX/XLSM, ODS, XLS, CSV/TSV) → kind "sheet": rows as passages that keep their
column headers, each Section citing its sheet (page = the sheet's number in the workbook, 1-based)
and rows (heading = (sheet name, "rows 5–9")). See sheet_text.py for the text of a sheet.

Every reader streams: a sheet's rows are turned into lines as they are read, never held all at
once. ``read_window`` gives the preview the rows around a cited passage, read the same way.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from .files import open_regular, read_all, read_head
from .model import ParsedDocument, ParseError, Section
from .sheet_text import Row, SheetText, sheet_heading, sheet_sections

# Containers a workbook comes in (decided from magic bytes by parse.py, or by the extension).
XLSX, ODS, XLS, CSV, TSV = "xlsx", "ods", "xls", "csv", "tsv"
WINDOW_ROWS = 1000  # rows the preview shows around a cited passage
LEGACY_XLS = "Excel 97–2003 workbook: save it as .xlsx to index it"


class Workbook(Protocol):
    title: str | None
    label: str  # what the file is, in a reason: "Excel workbook"

    def sheets(self) -> Iterator[tuple[str, bool, Iterator[Row]]]: ...

    def close(self) -> None: ...


def open_workbook(fh: BinaryIO, path: str, container: str, max_bytes: int) -> Workbook:
    if container == XLSX:
        from .xlsx import XlsxWorkbook

        return XlsxWorkbook(fh)
    if container == ODS:
        from .ods import OdsWorkbook

        return OdsWorkbook(fh)
    if container == XLS:
        from .xlsx import XlsWorkbook

        return XlsWorkbook(read_all(fh, max_bytes))
    from .delimited import DelimitedWorkbook

    return DelimitedWorkbook(read_all(fh, max_bytes), path, tab_separated=container == TSV)


def parse_workbook(book: Workbook, page_range: tuple[int, int] | None = None) -> ParsedDocument:
    """Sections of every sheet (of the sheets in ``page_range`` when given), in order."""
    sections: list[Section] = []
    count = 0
    try:
        for count, (name, hidden, rows) in enumerate(book.sheets(), start=1):
            if page_range and not page_range[0] <= count <= page_range[1]:
                continue
            sections.extend(sheet_sections(name, count, hidden, SheetText(rows).lines()))
    except (ParseError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a sheet's XML or a ZIP entry damaged midway
        raise ParseError("failed", f"unreadable {book.label}: {type(exc).__name__}: {exc}") from None
    finally:
        book.close()
    return ParsedDocument(kind="sheet", sections=sections, title=book.title, page_count=count)


def container_of(fh: BinaryIO, path: str) -> str:
    """The workbook container of an open file, as parse.py would decide it."""
    from .sniff import HEAD_BYTES, sniff, zip_kind

    magic = sniff(read_head(fh, HEAD_BYTES))
    if magic == "zip":
        import zipfile

        with zipfile.ZipFile(fh) as zf:
            kind = zip_kind(zf)
        fh.seek(0)
        if kind in (XLSX, ODS):
            return kind
    elif magic == "ole2":
        return XLS
    elif magic is None:
        return TSV if path.lower().endswith(".tsv") else CSV
    raise ParseError("skipped", "not a spreadsheet")


# -- the preview's view of one sheet -------------------------------------------------------------

@dataclass
class SheetWindow:
    """Rows of one sheet around a place in its text (the sheet's lines joined by "\\n")."""

    name: str
    heading: str  # the name as citations show it ("Rates (hidden)")
    header_row: int | None
    labels: list[str]  # per column: the header's text, else the column letter
    rows: list[tuple[int, list[str]]]  # (row number, cell texts) of the non-empty rows shown
    typed: list[list[bool]]  # per shown row and cell: a number, date or boolean rather than text
    text: str  # those rows' lines joined by "\n": the part of the sheet's text they make
    offset: int  # where ``text`` starts in the sheet's text
    line_starts: list[int]  # offset in ``text`` of each shown row's line
    complete: bool  # the whole sheet is shown


def read_window(path: str, number: int, focus: int = 0, size: int = WINDOW_ROWS,
                max_bytes: int = 256 * 2**20) -> SheetWindow:
    """Sheet ``number`` (1-based) of the workbook at ``path``: up to ``size`` rows, the row at
    offset ``focus`` of the sheet's text a quarter of the way down."""
    with open_regular(path, max_bytes) as (fh, _size):
        book = open_workbook(fh, path, container_of(fh, path), max_bytes)
        try:
            for count, (name, hidden, rows) in enumerate(book.sheets(), start=1):
                if count == number:
                    return _window(name, hidden, SheetText(rows), focus, size)
        finally:
            book.close()
    raise ParseError("failed", f"the workbook has no sheet {number} any more")


def _window(name: str, hidden: bool, sheet: SheetText, focus: int, size: int) -> SheetWindow:
    before = max(size // 4, 1)
    kept: collections.deque = collections.deque(maxlen=before)  # rows before the focus, then all
    position, after, complete = 0, None, True
    for number, cells, line in sheet.lines():
        if after is None and position + len(line) >= focus:
            kept = collections.deque(kept)  # the focus row: from here on, keep the rest
            after = size - len(kept)
        if after is not None and after <= 0:
            complete = False
            break
        kept.append((number, cells, line, position))
        position += len(line) + 1
        if after is not None:
            after -= 1
    if complete and kept and kept[0][3] > 0:
        complete = False  # rows before the window were dropped
    rows = list(kept)
    offset = rows[0][3] if rows else 0
    width = max((len(cells) for _, cells, _, _ in rows), default=0)
    return SheetWindow(
        name=name, heading=sheet_heading(name, hidden), header_row=sheet.header_row,
        labels=[sheet.label(i) for i in range(width)],
        rows=[(number, [text for text, _ in cells]) for number, cells, _, _ in rows],
        typed=[[typed for _, typed in cells] for _, cells, _, _ in rows],
        text="\n".join(line for _, _, line, _ in rows), offset=offset,
        line_starts=[start - offset for _, _, _, start in rows], complete=complete)


def is_sheet_path(path: str) -> bool:
    from .formats import SUPPORTED_EXTENSIONS

    return SUPPORTED_EXTENSIONS.get(os.path.splitext(path)[1].lower()) == "sheet"
