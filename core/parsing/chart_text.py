"""A chart's data as text: its title, then a row per category with each series' value, read like a
table's rows ("Quarter: Q3 · Revenue: 150 · Costs: 98"), so a figure shown only as a bar is
found by its category, its series or its value.

The values are the ones the chart file caches beside its drawing (c:numCache, what PowerPoint and
Word draw from), shown in the series' own number format where sheet_cells reads it. Scatter and
bubble charts have no categories: their points are numbered. Slides give python-pptx's Chart;
a Word document gives the chart part's XML (``chart_part_text``).
"""

from __future__ import annotations

from .deck import table_text
from .sheet_cells import number

MAX_POINTS = 500  # a chart of thousands of points is a picture of data, not a text: its first ones
_FORMAT = ("./c:val/c:numRef/c:numCache/c:formatCode", "./c:yVal/c:numRef/c:numCache/c:formatCode")


def chart_text(chart) -> str:
    """The text of a python-pptx Chart: title, then its data as table rows."""
    title = _title(chart)
    try:
        plots = list(chart.plots)
    except (KeyError, NotImplementedError):  # a chart type python-pptx does not model
        plots = []
    rows = _rows(chart, plots)
    return "\n".join(part for part in (title, rows) if part)


def chart_part_text(blob: bytes) -> str:
    """The text of a chart part's XML (c:chartSpace) outside a deck: a chart in a Word document,
    read with python-pptx's chart model (imported only when a document has a chart)."""
    from pptx.chart.chart import Chart
    from pptx.oxml import parse_xml

    return chart_text(Chart(parse_xml(blob), None))


def _title(chart) -> str:
    if not chart.has_title:
        return ""
    frame = chart.chart_title.text_frame if chart.chart_title.has_text_frame else None
    return "\n".join(p.text for p in frame.paragraphs).strip() if frame is not None else ""


def _rows(chart, plots) -> str:
    series = [s for plot in plots for s in plot.series]
    if not series:
        return ""
    categories = _categories(plots[0])
    points = max(len(tuple(s.values)) for s in series)
    numbered = len(categories) < points
    labels = [str(i) for i in range(1, points + 1)] if numbered else categories
    header = [_axis_title(chart) or ("Point" if numbered else "Category")] + [s.name or f"Series {i}" for i, s in enumerate(series, 1)]
    formats = [_format(s) for s in series]
    values = [tuple(s.values) for s in series]
    body = []
    for i, label in enumerate(labels[:min(points, MAX_POINTS)]):
        body.append([label] + [_value(v[i] if i < len(v) else None, f) for v, f in zip(values, formats)])
    return table_text([header] + body, header_rows=1)


def _categories(plot) -> list[str]:
    try:
        return [_label(c) for c in plot.categories]
    except (AttributeError, KeyError, ValueError):
        return []


def _label(category) -> str:
    label = getattr(category, "label", category)
    if isinstance(label, float):
        return number(label, None)
    return str(label) if label is not None else ""


def _axis_title(chart) -> str:
    try:
        axis = chart.category_axis
        if axis.has_title and axis.axis_title.has_text_frame:
            return axis.axis_title.text_frame.text.strip()
    except (AttributeError, KeyError, ValueError):
        pass
    return ""


def _format(series) -> str | None:
    for path in _FORMAT:
        found = series._element.xpath(path)
        if found and found[0].text:
            return found[0].text
    return None


def _value(value, fmt: str | None) -> str:
    return "" if value is None else number(float(value), fmt)
