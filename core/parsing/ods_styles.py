"""The number formats of an .ods file's cells, as the format codes sheet_cells.py applies to XLSX
cells, so an ODS cell reads as its XLSX twin does: "1,250.50", "12.50%", "$1,250.50", "30 June 2024".

A cell names a cell style (its table:style-name, else its row's or its column's
table:default-cell-style-name); that style, or a parent, names a data style (style:data-style-name):
number:number-style, percentage-style, currency-style, date-style … Each is turned into a format
code piece by piece ("#,##0.00", "0.00%", '"$"#,##0.00', 'd" "mmmm" "yyyy'). LibreOffice keeps
automatic cell styles in content.xml, before its body, and the data styles they name there or in
styles.xml (a workbook saved from XLSX has them all in styles.xml), so both are read.

A data style that maps the sign to another style (style:map value()>=0 → N5P0: how LibreOffice
writes "#,##0.00;[RED](#,##0.00)") becomes a format of sections. Anything with no easy reading —
other conditions, fractions, scientific notation, a number shown with General's digits — gives no
format, and the cell is shown as General shows it (a date as ISO), as sheet_cells does for XLSX.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .odf_names import q

NUMBER_NS = "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
_LOEXT_NS = "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0"
_STYLE, _DEFAULT_STYLE, _MAP = q("style:style"), q("style:default-style"), q("style:map")
_NAME, _FAMILY, _PARENT = q("style:name"), q("style:family"), q("style:parent-style-name")
_DATA_STYLE, _CONDITION, _APPLY = q("style:data-style-name"), q("style:condition"), q("style:apply-style-name")
_OFFICE_STYLES = q("office:styles")
_DATA_STYLES = {f"{{{NUMBER_NS}}}{kind}-style" for kind in ("number", "percentage", "currency", "date", "time")}
# Date and time parts: (short, long) format tokens.
_MOMENT_PARTS = {"day": ("d", "dd"), "year": ("yy", "yyyy"), "day-of-week": ("ddd", "dddd"),
                 "hours": ("h", "hh"), "minutes": ("m", "mm"), "seconds": ("s", "ss")}
_AUTOMATIC, _COMMON = "automatic", "common"


def _n(name: str) -> str:
    return f"{{{NUMBER_NS}}}{name}"


class OdsStyles:
    """Cell styles and data styles of one workbook; ``format_of(cell style)`` → format code or None."""

    def __init__(self) -> None:
        self._cells: dict[tuple[str, str], tuple[str | None, str | None]] = {}  # → (parent, data style)
        self._data: dict[tuple[str, str], tuple[str | None, list[tuple[str, str]]]] = {}  # → (code, maps)
        self._default: str | None = None  # the data style of cells with no style at all
        self._formats: dict[str | None, str | None] = {}

    def add(self, elem: ET.Element, automatic: bool) -> None:
        """One child of office:automatic-styles (``automatic``) or office:styles."""
        scope = _AUTOMATIC if automatic else _COMMON
        name = elem.get(_NAME) or ""
        if elem.tag == _STYLE and elem.get(_FAMILY) == "table-cell":
            self._cells[scope, name] = (elem.get(_PARENT), elem.get(_DATA_STYLE))
        elif elem.tag == _DEFAULT_STYLE and elem.get(_FAMILY) == "table-cell":
            self._default = elem.get(_DATA_STYLE)
        elif elem.tag in _DATA_STYLES:
            maps = [(m.get(_CONDITION) or "", m.get(_APPLY) or "") for m in elem.findall(_MAP)]
            self._data[scope, name] = (_code(elem), maps)
        self._formats.clear()

    def format_of(self, cell_style: str | None) -> str | None:
        if cell_style not in self._formats:
            self._formats[cell_style] = self._resolve(cell_style)
        return self._formats[cell_style]

    def data_format(self, name: str) -> str | None:
        """The format code of a data style (named by an automatic style, as a chart series names it)."""
        return self._data_format(name, _AUTOMATIC)

    def _resolve(self, cell_style: str | None) -> str | None:
        scopes, name, seen = (_AUTOMATIC, _COMMON), cell_style, set()
        while name and name not in seen:
            seen.add(name)
            scope = next((s for s in scopes if (s, name) in self._cells), None)
            if scope is None:
                break
            parent, data = self._cells[scope, name]
            if data:
                return self._data_format(data, scope)
            name, scopes = parent, (_COMMON,)  # a parent is a common style (styles.xml)
        return self._data_format(self._default, _COMMON) if self._default else None

    def _data_style(self, name: str, scope: str) -> tuple[str | None, list[tuple[str, str]]] | None:
        other = _COMMON if scope == _AUTOMATIC else _AUTOMATIC
        return self._data.get((scope, name)) or self._data.get((other, name))

    def _data_format(self, name: str, scope: str) -> str | None:
        style = self._data_style(name, scope)
        if style is None or style[0] is None:
            return None
        code, maps = style
        if not maps:
            return code
        # The sign maps LibreOffice writes for a format of sections "positive;negative[;zero]".
        targets = {condition.replace(" ", ""): self._data_style(target, scope) for condition, target in maps}
        if any(t is None or t[0] is None or t[1] for t in targets.values()):
            return None  # a map to a missing, untranslatable or conditional style
        codes = {condition: t[0] for condition, t in targets.items()}
        if codes.keys() == {"value()>=0"}:
            return f"{codes['value()>=0']};{code}"
        if codes.keys() == {"value()<0"}:
            return f"{code};{codes['value()<0']}"
        if codes.keys() == {"value()>0", "value()<0"}:
            return f"{codes['value()>0']};{codes['value()<0']};{code}"
        return None  # any other condition ([>=100] in a format code): not an easy format


def _code(style: ET.Element) -> str | None:
    """The format code of one data style, or None when it has no easy reading."""
    percentage = style.tag == _n("percentage-style")
    gregorian = style.get(_n("calendar")) in (None, "", "gregorian")
    parts: list[str] = []
    for child in style:
        namespace, _, part = child.tag[1:].partition("}")
        if namespace != NUMBER_NS:
            continue  # style:text-properties (the colour), style:map, loext:fill-character
        if part == "number":
            piece = _number(child)
        elif part in ("text", "currency-symbol"):
            piece = _literal(child.text or "", percentage and part == "text")
        elif part == "month" and gregorian:
            textual, long = child.get(_n("textual")) == "true", child.get(_n("style")) == "long"
            piece = ("mmmm" if long else "mmm") if textual else ("mm" if long else "m")
        elif part in _MOMENT_PARTS and gregorian:
            piece = _MOMENT_PARTS[part][child.get(_n("style")) == "long"]
        elif part == "am-pm":
            piece = "AM/PM"
        else:
            piece = None  # fraction, scientific-number, quarter, week-of-year, era, fill-character …
        if piece is None:
            return None
        parts.append(piece)
    return "".join(parts) or None


def _number(elem: ET.Element) -> str | None:
    places = elem.get(_n("decimal-places"))
    if places is None or not places.isdigit() or len(elem):
        return None  # General's digits, or digits with text embedded in them
    least = elem.get(_n("min-decimal-places")) or elem.get(f"{{{_LOEXT_NS}}}min-decimal-places") or places
    least = min(int(least), int(places)) if least.isdigit() else int(places)
    whole = "#" if elem.get(_n("min-integer-digits"), "0") == "0" else "0"  # absent: ".50", as LibreOffice
    if elem.get(_n("grouping")) == "true":
        whole = "#,##" + whole
    scale = {"1": "", "1000": ",", "1000000": ",,"}.get(elem.get(_n("display-factor"), "1"))
    if scale is None:
        return None
    decimals = "0" * least + "#" * (int(places) - least)
    return whole + ("." + decimals if decimals else "") + scale


def _literal(text: str, percent_sign: bool = False) -> str | None:
    """Text shown as it is: quoted, except a percentage style's "%", which scales the value."""
    if ";" in text:
        return None  # would split the format code into sections
    if percent_sign and "%" in text:
        return "%".join(_literal(piece) for piece in text.split("%"))
    return '"' + text.replace('"', '"\\""') + '"' if text else ""


def read_common_styles(fh, styles: OdsStyles) -> None:
    """The office:styles of styles.xml into ``styles``, streamed: each top-level part of the file
    (font faces, page layouts, master pages) is dropped once read."""
    stack: list[ET.Element] = []
    for event, elem in ET.iterparse(fh, events=("start", "end")):
        if event == "start":
            stack.append(elem)
            continue
        stack.pop()
        if stack and stack[-1].tag == _OFFICE_STYLES:
            styles.add(elem, automatic=False)
        if 1 <= len(stack) <= 2:
            stack[-1].remove(elem)
