"""A chart embedded in an OpenDocument file (ODP, ODT) as its data, read as chart_text.py reads a
PPTX or DOCX chart: its title, then a row per category with each series' value ("Category: Q3 2024
· Revenue: 1,250.50 · Costs: 97.25").

The chart is an object of its own in the package ("Object 1/content.xml", office:chart) and keeps
its data in a local table; each chart:series names the table column of its values and of its
label, and its style the number format its values are shown in (read as ods_styles.py reads a
cell's). Points without categories (a scatter chart's) are numbered.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile

from .chart_text import MAX_POINTS
from .deck import table_text
from .odf_names import q
from .ods_styles import OdsStyles
from .sheet_cells import number

_CHART, _TITLE, _AXIS, _SERIES = q("chart:chart"), q("chart:title"), q("chart:axis"), q("chart:series")
_CATEGORIES, _LOCAL_TABLE, _STYLES = q("chart:categories"), q("table:table"), q("office:automatic-styles")
_HEADER_ROWS, _ROWS, _ROW = q("table:table-header-rows"), q("table:table-rows"), q("table:table-row")
_CELL, _P = q("table:table-cell"), q("text:p")
_STYLE, _FAMILY, _NAME, _DATA_STYLE = q("style:style"), q("style:family"), q("style:name"), q("style:data-style-name")
_COLUMN = re.compile(r"\.\$?([A-Z]{1,3})\$?\d")
MAX_CHART_BYTES = 4 << 20  # a chart object's content.xml; a bigger one is not a chart of a few series


def object_href(frame: ET.Element) -> str:
    """The package folder of the object a draw:frame embeds ("Object 1"), or ""."""
    obj = frame.find(q("draw:object"))
    href = (obj.get(q("xlink:href")) or "") if obj is not None else ""
    href = href.removeprefix("./").rstrip("/")
    return "" if ":" in href or ".." in href or href.startswith("/") else href  # not one linked from outside


def charts_text(el: ET.Element, zf: zipfile.ZipFile) -> list[str]:
    """The text of the charts embedded in ``el``'s frames, in document order."""
    return [text for frame in el.iter(q("draw:frame")) if (folder := object_href(frame))
            for text in [embedded_chart_text(zf, folder)] if text]


def embedded_chart_text(zf: zipfile.ZipFile, folder: str) -> str:
    """The text of the chart in the package folder ``folder``; "" when it holds no chart (a formula,
    a spreadsheet) or no readable content."""
    try:
        info = zf.getinfo(f"{folder}/content.xml")
        if info.file_size > MAX_CHART_BYTES:
            return ""
        root = ET.fromstring(zf.read(info))
    except (KeyError, ET.ParseError, zipfile.BadZipFile, OSError):
        return ""
    chart = next(root.iter(_CHART), None)
    return chart_text(chart, root.find(_STYLES)) if chart is not None else ""


def chart_text(chart: ET.Element, automatic_styles: ET.Element | None) -> str:
    title = _paragraphs(chart.find(_TITLE))
    table = chart.find(_LOCAL_TABLE)
    rows = _rows(chart, table, _formats(automatic_styles)) if table is not None else ""
    return "\n".join(part for part in (title, rows) if part)


def _rows(chart: ET.Element, table: ET.Element, formats: dict[str, str | None]) -> str:
    header = next((r for rows in table.iter(_HEADER_ROWS) for r in rows.iter(_ROW)), None)
    names = [_paragraphs(c) for c in header.iter(_CELL)] if header is not None else []
    body = [list(row.iter(_CELL)) for rows in table.iter(_ROWS) for row in rows.iter(_ROW)][:MAX_POINTS]
    series = [(_column(s.get(q("chart:values-cell-range-address"))), formats.get(s.get(q("chart:style-name")) or ""))
              for s in chart.iter(_SERIES)]
    series = [(c, f) for c, f in series if c is not None] or [(c, None) for c in range(1, len(names))]
    if not series or not body:
        return ""
    x_axis = next((a for a in chart.iter(_AXIS) if a.get(q("chart:dimension")) == "x"), None)
    categories = x_axis.find(_CATEGORIES) if x_axis is not None else None
    label_column = _column(categories.get(q("table:cell-range-address"))) if categories is not None else None
    labels = [_cell(row, label_column, None) if label_column is not None else "" for row in body]
    numbered = not any(labels)
    axis_title = _paragraphs(x_axis.find(_TITLE)) if x_axis is not None else ""
    out = [[axis_title or ("Point" if numbered else "Category")]
           + [(names[c] if c < len(names) else "") or f"Series {i}" for i, (c, _f) in enumerate(series, 1)]]
    for i, row in enumerate(body, 1):
        out.append([str(i) if numbered else labels[i - 1]] + [_cell(row, c, f) for c, f in series])
    return table_text(out, header_rows=1)


def _formats(styles: ET.Element | None) -> dict[str, str | None]:
    """Chart style name → the format code of the data style it names."""
    if styles is None:
        return {}
    data = OdsStyles()
    named: dict[str, str] = {}
    for elem in styles:
        data.add(elem, automatic=True)
        if elem.tag == _STYLE and elem.get(_FAMILY) == "chart" and elem.get(_DATA_STYLE):
            named[elem.get(_NAME) or ""] = elem.get(_DATA_STYLE)
    return {style: data.data_format(name) for style, name in named.items()}


def _cell(row: list[ET.Element], column: int | None, fmt: str | None) -> str:
    if column is None or column >= len(row):
        return ""
    cell = row[column]
    if cell.get(q("office:value-type")) == "float":
        try:
            value = float(cell.get(q("office:value")) or "nan")
        except ValueError:
            value = float("nan")
        return "" if value != value else number(value, fmt)  # NaN: a point left empty
    return _paragraphs(cell)


def _column(address: str | None) -> int | None:
    """"local-table.$B$2:.$B$5" → 1 (the column of the range's first cell)."""
    found = _COLUMN.search(address or "")
    if not found:
        return None
    index = 0
    for letter in found.group(1):
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _paragraphs(el: ET.Element | None) -> str:
    if el is None:
        return ""
    return "\n".join(" ".join("".join(p.itertext()).split()) for p in el.iter(_P)).strip()
