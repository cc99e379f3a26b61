"""Excel workbooks: XLSX/XLSM through openpyxl, and Excel 97–2003 .xls through xlrd.

openpyxl reads in read-only mode (each sheet streamed from its XML, rows never all in memory)
with data_only, so a formula gives the result Excel saved with it. Only the shared strings are
held whole (every sheet refers to them), so their unpacked size is checked first.
xlrd reads the .xls format, frozen since 2007, as pandas does; a workbook is at most 65,536 rows
a sheet, and xlrd loads one sheet at a time (on_demand).
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from .files import mb
from .model import ParseError
from .sheet_cells import cell_text, one_line
from .sheet_text import Row

# openpyxl keeps every shared string in memory; a hostile file could declare gigabytes of them.
MAX_HELD_XML_BYTES = 256 * 2**20
_HELD_PARTS = ("xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml")


class XlsxWorkbook:
    """Sheet names and rows of an XLSX/XLSM workbook; ``close()`` when done."""

    def __init__(self, fh: BinaryIO):
        _check_held_parts(fh)
        fh.seek(0)
        import openpyxl  # on first use: a process that only searches never loads it

        try:
            with warnings.catch_warnings():  # "no default style", unsupported extensions …
                warnings.simplefilter("ignore")
                self._book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except ParseError:
            raise
        except Exception as exc:  # noqa: BLE001 - KeyError, InvalidFileException, XML errors …
            raise ParseError("failed", f"unreadable Excel workbook: {type(exc).__name__}: {exc}") from None
        self.label = "Excel workbook"
        self.title = one_line(self._book.properties.title or "") or None

    def sheets(self) -> Iterator[tuple[str, bool, Iterator[Row]]]:
        """(name, hidden, rows) per sheet in workbook order, chart sheets included (no rows)."""
        for name in self._book.sheetnames:
            sheet = self._book[name]
            yield name, sheet.sheet_state != "visible", self._rows(sheet)

    def _rows(self, sheet) -> Iterator[Row]:
        if not hasattr(sheet, "reset_dimensions"):
            return  # a chart sheet: no cells
        # The stored dimension may be wrong (or absurd: A1:XFD1048576): read what is there.
        sheet.reset_dimensions()
        for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
            yield number, [_shown(c.value, c) for c in row]

    def close(self) -> None:
        self._book.close()


def _shown(value, cell) -> tuple[str, bool]:
    if value is None or isinstance(value, str):
        return cell_text(value)
    return cell_text(value, cell.number_format)  # a style lookup: only numbers and dates need it


def _check_held_parts(fh: BinaryIO) -> None:
    try:
        with zipfile.ZipFile(fh) as zf:
            held = sum(i.file_size for i in zf.infolist() if i.filename in _HELD_PARTS)
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise ParseError("failed", f"unreadable Excel workbook: damaged ZIP container ({exc})") from None
    if held > MAX_HELD_XML_BYTES:
        raise ParseError("failed", f"Excel workbook's shared strings unpack to {mb(held)} MB "
                                   f"(limit {mb(MAX_HELD_XML_BYTES)} MB)")


class XlsWorkbook:
    """An Excel 97–2003 workbook (BIFF in an OLE2 compound file) through xlrd."""

    def __init__(self, data: bytes):
        import xlrd

        self._xlrd = xlrd
        try:
            self._book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                            logfile=io.StringIO())
        except xlrd.XLRDError as exc:
            if "encrypted" in str(exc).lower():
                raise ParseError("skipped", "encrypted: needs a password") from None
            if "Can't find workbook" in str(exc):
                raise NotAWorkbook from None
            raise ParseError("failed", f"unreadable Excel 97–2003 workbook: {exc}") from None
        except NotImplementedError:  # formatting_info for a BIFF version xlrd cannot format
            self._book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
        except Exception as exc:  # noqa: BLE001 - CompDocError, struct errors on a damaged file
            raise NotAWorkbook(f"{type(exc).__name__}: {exc}") from None
        self.label = "Excel 97–2003 workbook"
        self.title = None

    def sheets(self) -> Iterator[tuple[str, bool, Iterator[Row]]]:
        visibility = getattr(self._book, "_sheet_visibility", [])  # 0 visible, 1 hidden, 2 very hidden
        for index, name in enumerate(self._book.sheet_names()):
            yield name, index < len(visibility) and visibility[index] != 0, self._rows(index)

    def _rows(self, index: int) -> Iterator[Row]:
        book = self._book
        sheet = book.sheet_by_index(index)
        try:
            for rowx in range(sheet.nrows):
                yield rowx + 1, [self._cell(sheet, rowx, colx) for colx in range(sheet.row_len(rowx))]
        finally:
            book.unload_sheet(index)

    def _cell(self, sheet, rowx: int, colx: int) -> tuple[str, bool]:
        xlrd, book = self._xlrd, self._book
        cell = sheet.cell(rowx, colx)
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return "", False
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(cell.value, "#ERROR"), True
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return cell_text(bool(cell.value))
        fmt = None
        if book.formatting_info and cell.xf_index is not None:
            fmt_obj = book.format_map.get(book.xf_list[cell.xf_index].format_key)
            fmt = fmt_obj.format_str if fmt_obj else None
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                return cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode), fmt)
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                return cell_text(cell.value)
        return cell_text(cell.value, fmt)

    def close(self) -> None:
        self._book.release_resources()


class NotAWorkbook(Exception):
    """An OLE2 file that holds no Excel workbook stream (a Word or PowerPoint 97–2003 file)."""
