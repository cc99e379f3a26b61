"""OpenDocument spreadsheets (.ods): content.xml streamed with iterparse, one row at a time.

A typed cell is shown from its value (office:value, office:date-value …) under its number format
(ods_styles.py: "1,250.50", "30 June 2024", as an XLSX cell is), not from its text:p, which is the
number as formatted for one locale. Runs of repeated rows and cells
(table:number-rows-repeated / number-columns-repeated: LibreOffice ends every sheet with a
million empty rows) advance the row and column counters without being expanded when empty.
Each finished row is cleared and dropped from its parent, so memory does not grow with the sheet.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import zipfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from .model import ParseError
from .odf_names import q as _q
from .ods_styles import OdsStyles, read_common_styles
from .sheet_cells import cell_text, number, one_line, percent
from .sheet_text import Row

_TABLE, _ROW, _COLUMN = _q("table:table"), _q("table:table-row"), _q("table:table-column")
_AUTOMATIC_STYLES, _CELL_STYLE = _q("office:automatic-styles"), _q("table:style-name")
_DEFAULT_CELL_STYLE = _q("table:default-cell-style-name")
_CELL, _COVERED = _q("table:table-cell"), _q("table:covered-table-cell")
_STYLE, _TABLE_PROPS = _q("style:style"), _q("style:table-properties")
_P, _S, _TAB, _BREAK, _ANNOTATION = (_q("text:p"), _q("text:s"), _q("text:tab"), _q("text:line-break"),
                                     _q("office:annotation"))
_VALUE_TYPE, _VALUE, _DATE, _TIME, _BOOL, _CURRENCY = (
    _q("office:value-type"), _q("office:value"), _q("office:date-value"), _q("office:time-value"),
    _q("office:boolean-value"), _q("office:currency"))
_ROWS_REPEATED, _COLUMNS_REPEATED = _q("table:number-rows-repeated"), _q("table:number-columns-repeated")
MAX_ROWS = 1_048_576  # what LibreOffice Calc holds; a bigger repeat count is a broken file
MAX_COLUMNS = 16_384
_DURATION = re.compile(r"-?P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?")


class OdsWorkbook:
    """Sheets of an .ods file, streamed in order by ``sheets()``."""

    def __init__(self, fh: BinaryIO):
        try:
            self._zip = zipfile.ZipFile(fh)
            names = set(self._zip.namelist())
            manifest = self._zip.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
        except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
            raise ParseError("failed", f"unreadable OpenDocument spreadsheet: damaged ZIP container ({exc})") from None
        if b"encryption-data" in manifest:
            raise ParseError("skipped", "encrypted: needs a password")
        if "content.xml" not in names:
            raise ParseError("failed", "unreadable OpenDocument spreadsheet: content.xml is missing")
        self.label = "OpenDocument spreadsheet"
        self._has_styles = "styles.xml" in names
        self.title = _title(self._zip) if "meta.xml" in names else None

    def sheets(self) -> Iterator[tuple[str, bool, Iterator[Row]]]:
        """(name, hidden, rows) per sheet; a sheet's rows must be read before the next sheet."""
        hidden_styles: set[str] = set()
        stack: list[ET.Element] = []
        styles = self._common_styles()
        try:
            with self._zip.open("content.xml") as content:
                events = ET.iterparse(content, events=("start", "end"))
                for event, elem in events:
                    if event == "end":
                        stack.pop()
                        if elem.tag == _TABLE_PROPS and elem.get(_q("table:display")) == "false":
                            hidden_styles.add(stack[-1].get(_q("style:name")) if stack else "")
                        elif stack and stack[-1].tag == _AUTOMATIC_STYLES:  # before the body
                            styles.add(elem, automatic=True)
                            stack[-1].remove(elem)
                        continue
                    stack.append(elem)
                    if elem.tag == _TABLE:
                        hidden = elem.get(_q("table:style-name")) in hidden_styles
                        rows = _rows(events, stack, styles)
                        yield elem.get(_q("table:name")) or "", hidden, rows
                        for _ in rows:  # what the caller did not read
                            pass
                        elem.clear()
        except ET.ParseError as exc:
            raise ParseError("failed", f"unreadable OpenDocument spreadsheet: {exc}") from None
        except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
            raise ParseError("failed", f"unreadable OpenDocument spreadsheet: {exc}") from None

    def _common_styles(self) -> OdsStyles:
        """Styles from styles.xml; a damaged one costs the number formats it held, not the sheet."""
        styles = OdsStyles()
        if self._has_styles:
            try:
                with self._zip.open("styles.xml") as fh:
                    read_common_styles(fh, styles)
            except (ET.ParseError, zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile):
                pass
        return styles

    def close(self) -> None:
        self._zip.close()


def _rows(events, stack: list[ET.Element], styles: OdsStyles) -> Iterator[Row]:
    """Rows of the table just opened, up to its end tag."""
    number = 1
    cells: list[tuple[str, bool]] = []
    column_ends: list[int] = []  # runs of columns and their default cell styles
    column_styles: list[str | None] = []
    for event, elem in events:
        if event == "start":
            stack.append(elem)
            continue
        stack.pop()
        if elem.tag in (_CELL, _COVERED):
            style = elem.get(_CELL_STYLE) or (stack[-1].get(_DEFAULT_CELL_STYLE) if stack else None)
            if style is None:
                run = bisect.bisect_right(column_ends, len(cells))
                style = column_styles[run] if run < len(column_styles) else None
            shown = _cell(elem, styles.format_of(style))
            repeat = _count(elem.get(_COLUMNS_REPEATED), MAX_COLUMNS)
            if shown[0]:
                cells.extend([shown] * min(repeat, MAX_COLUMNS - len(cells)))
            elif len(cells) < MAX_COLUMNS:
                cells.extend([("", False)] * min(repeat, MAX_COLUMNS - len(cells)))
            elem.clear()
        elif elem.tag == _ROW:
            repeat = _count(elem.get(_ROWS_REPEATED), MAX_ROWS)
            if any(text for text, _ in cells):
                while cells and not cells[-1][0]:
                    cells.pop()  # trailing empty cells ("columns-repeated=1000")
                for i in range(min(repeat, MAX_ROWS + 1 - number)):
                    yield number + i, cells
            number += repeat
            cells = []
            elem.clear()
            if stack:
                stack[-1].remove(elem)  # the parent keeps no trace of finished rows
        elif elem.tag == _COLUMN:
            if not column_ends or column_ends[-1] < MAX_COLUMNS:
                column_ends.append((column_ends[-1] if column_ends else 0)
                                   + _count(elem.get(_COLUMNS_REPEATED), MAX_COLUMNS))
                column_styles.append(elem.get(_DEFAULT_CELL_STYLE))
            if stack:
                stack[-1].remove(elem)
        elif elem.tag == _TABLE:
            return


def _count(value: str | None, limit: int) -> int:
    try:
        return min(max(int(value or 1), 1), limit)
    except ValueError:
        return 1


def _cell(elem: ET.Element, fmt: str | None) -> tuple[str, bool]:
    """What the cell shows under its number format ``fmt`` (None: as General shows it)."""
    kind = elem.get(_VALUE_TYPE)
    try:
        if kind == "float" or (fmt and kind in ("percentage", "currency")):
            return cell_text(float(elem.get(_VALUE)), fmt)
        if kind == "percentage":
            return percent(float(elem.get(_VALUE))), True
        if kind == "currency":
            code = elem.get(_CURRENCY) or ""
            return f"{number(float(elem.get(_VALUE)), '0.00')} {code}".strip(), True
        if kind == "date":
            return cell_text(dt.datetime.fromisoformat(elem.get(_DATE)), fmt)
        if kind == "time":
            return _time(elem.get(_TIME)), True
        if kind == "boolean":
            return cell_text(elem.get(_BOOL) == "true")
    except (TypeError, ValueError):
        pass  # a typed cell without a readable value: its text is all there is
    # The cell's own paragraphs: a comment (office:annotation) keeps its own inside it.
    return one_line("\n".join(_text(p) for p in elem.findall(_P))), False


def _text(elem: ET.Element) -> str:
    out = [elem.text or ""]
    for child in elem:
        if child.tag == _S:
            out.append(" " * _count(child.get(_q("text:c")), 1000))
        elif child.tag == _TAB:
            out.append("\t")
        elif child.tag == _BREAK:
            out.append("\n")
        elif child.tag != _ANNOTATION:
            out.append(_text(child))
        out.append(child.tail or "")
    return "".join(out)


def _time(value: str | None) -> str:
    """PT14H05M00S → 14:05; a duration past a day → 26:30:00."""
    m = _DURATION.fullmatch(value or "")
    if not m:
        raise ValueError(value)
    days, hours, minutes, seconds = (float(g or 0) for g in m.groups())
    total = round(((days * 24 + hours) * 60 + minutes) * 60 + seconds)
    if total < 86_400 and not value.startswith("-"):
        clock = dt.time(total // 3600, total // 60 % 60, total % 60)
        return clock.strftime("%H:%M:%S" if clock.second else "%H:%M")
    return f"{'-' if value.startswith('-') else ''}{total // 3600}:{total // 60 % 60:02d}:{total % 60:02d}"


def _title(zf: zipfile.ZipFile) -> str | None:
    info = zf.getinfo("meta.xml")
    if info.file_size > 2**20:
        return None
    try:
        root = ET.fromstring(zf.read(info))
    except (ET.ParseError, zipfile.BadZipFile, OSError, EOFError):
        return None
    title = root.find(f".//{_q('dc:title')}")
    return one_line(title.text or "") or None if title is not None else None

