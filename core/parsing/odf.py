"""What the OpenDocument readers (odt_text.py, odp_text.py) share: opening a package's parts,
walking content.xml as a stream, the text of paragraphs, lists, tables and text boxes, and that
of the pictures in frames (by OCR: pictures.py).

content.xml is read with ``iterparse`` and each top-level block (a paragraph, a table, a slide)
is dropped from the tree once read, so a huge document never sits in memory as a whole.
"""

from __future__ import annotations

import re
import zipfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from .deck import table_text
from .docx_text import MAX_UNPACKED_BYTES, check_package
from .files import mb
from .model import ParseError
from .odf_names import q
from .pictures import PictureReader

P, H, LIST, TABLE = q("text:p"), q("text:h"), q("text:list"), q("table:table")
_SPACES, _TAB, _BREAK, _NOTE, _NOTE_BODY = (
    q("text:s"), q("text:tab"), q("text:line-break"), q("text:note"), q("text:note-body"))
# Not the text a reader sees: comments, the text of tracked deletions, a shape's alt text.
_HIDDEN = frozenset(map(q, ("office:annotation", "office:annotation-end", "text:note-citation",
                            "text:tracked-changes", "svg:title", "svg:desc", "text:bookmark-ref")))
_LIST_ITEMS = frozenset(map(q, ("text:list-item", "text:list-header")))
_ROW_GROUPS = frozenset(map(q, ("table:table-rows", "table:table-row-group")))
_HEADER_ROWS, _ROW = q("table:table-header-rows"), q("table:table-row")
_CELLS = frozenset(map(q, ("table:table-cell", "table:covered-table-cell")))
_TEXT_BOX = q("draw:text-box")
_BLOCKS = frozenset({P, H, LIST, TABLE, _TEXT_BOX, *_LIST_ITEMS})
_COLLAPSE = re.compile(r"[ \t\r\n]+")  # ODF collapses white space in text; text:s keeps spaces
_FRAME, IMAGE, HREF, _OBJECT = q("draw:frame"), q("draw:image"), q("xlink:href"), q("draw:object")
_LENGTH = re.compile(r"\s*(-?[\d.]+)\s*([a-z]*)")
_CM_PER = {"cm": 1.0, "mm": 0.1, "in": 2.54, "pt": 2.54 / 72, "pc": 2.54 / 6, "px": 2.54 / 96, "": 1.0}
MAX_ROW_CELLS = 1024  # a row "repeats" empty cells to the sheet's edge; only the first ones count
MAX_ROW_REPEATS = 100


def open_package(fh: BinaryIO, label: str) -> zipfile.ZipFile:
    """The package, after refusing a zip bomb by its declared sizes (read one by one, a huge
    content.xml would still take long: only its declared size is checked, as for DOCX)."""
    check_package(fh, label=label)
    fh.seek(0)
    zf = zipfile.ZipFile(fh)
    try:
        size = zf.getinfo("content.xml").file_size
    except KeyError:
        zf.close()
        raise ParseError("failed", f"unreadable {label}: content.xml is missing") from None
    if size > MAX_UNPACKED_BYTES:
        zf.close()
        raise ParseError("failed", f"unreadable {label}: content.xml is {mb(size)} MB")
    return zf


def meta_title(zf: zipfile.ZipFile) -> str | None:
    try:
        with zf.open("meta.xml") as fh:
            for _event, el in ET.iterparse(fh):
                if el.tag == q("dc:title"):
                    return " ".join((el.text or "").split()) or None
    except (KeyError, ET.ParseError, OSError, zipfile.BadZipFile):
        pass
    return None


def stream(zf: zipfile.ZipFile, label: str,
           part: str = "content.xml") -> Iterator[tuple[str, ET.Element, list[ET.Element]]]:
    """("start" | "end", element, its ancestors) over a part of the package. The caller may drop
    an element it has read with ``forget``; a malformed part raises ParseError."""
    ancestors: list[ET.Element] = []
    try:
        with zf.open(part) as fh:
            for event, el in ET.iterparse(fh, events=("start", "end")):
                if event == "start":
                    yield event, el, ancestors
                    ancestors.append(el)
                else:
                    ancestors.pop()
                    yield event, el, ancestors
    except ET.ParseError as exc:
        raise ParseError("failed", f"unreadable {label}: malformed {part} ({exc})") from None


def forget(el: ET.Element, ancestors: list[ET.Element]) -> None:
    """Free a block that has been read (its parent then holds nothing: removal is immediate)."""
    el.clear()
    if ancestors:
        ancestors[-1].remove(el)


def inline_text(el: ET.Element, notes: list[str] | None = None) -> str:
    """A paragraph's or heading's text as a reader sees it; its footnotes go to ``notes``."""
    out: list[str] = []
    _walk(el, out, notes if notes is not None else [])
    return "".join(out).strip(" ")


def _walk(el: ET.Element, out: list[str], notes: list[str]) -> None:
    if el.text:
        out.append(_COLLAPSE.sub(" ", el.text))
    for child in el:
        tag = child.tag
        if tag == _SPACES:
            out.append(" " * min(_count(child.get(q("text:c"))), 1000))
        elif tag == _TAB:
            out.append("\t")
        elif tag == _BREAK:
            out.append("\n")
        elif tag == _NOTE:
            body = child.find(_NOTE_BODY)
            if body is not None:
                notes.append("\n".join(block_lines(body)))
        elif tag in _BLOCKS:  # a text box anchored in a paragraph, or a table in a cell
            text = "\n".join(block_of(child, notes))
            if text:
                out.append("\n" + text + "\n")
        elif tag not in _HIDDEN:
            _walk(child, out, notes)
        if child.tail:
            out.append(_COLLAPSE.sub(" ", child.tail))


def _count(value: str | None, default: int = 1) -> int:
    try:
        return max(int(value), 1) if value else default
    except ValueError:
        return default


def block_lines(el: ET.Element, notes: list[str] | None = None) -> list[str]:
    """The lines of a container's blocks: its paragraphs, list items (one line each), tables
    (a line per row) and text boxes, in order. Anything else in it (shapes' geometry, images)
    has no text to give."""
    return [line for child in el for line in block_of(child, notes)]


def block_of(el: ET.Element, notes: list[str] | None = None) -> list[str]:
    if el.tag in (P, H):
        lines = [inline_text(el, notes)]
    elif el.tag == TABLE:
        lines = [table_block(el)]
    elif el.tag in _BLOCKS:
        return block_lines(el, notes)
    else:
        return []
    return [line for line in (s.strip() for s in lines) if line]


def table_block(table: ET.Element) -> str:
    """A table as deck.table_text writes it: rows keep the header row's names when the table has
    one (repeated header rows in a text document, first-row styling in a presentation)."""
    header: list[list[str]] = []
    body: list[list[str]] = []
    for target, row in _rows(table):
        cells: list[str] = []
        for cell in row:
            if cell.tag not in _CELLS:
                continue
            text = " ".join(block_lines(cell))
            repeat = _count(cell.get(q("table:number-columns-repeated")))
            cells += [text] * max(min(repeat, MAX_ROW_CELLS - len(cells)), 0)
        repeat = _count(row.get(q("table:number-rows-repeated"))) if any(cells) else 1
        (header if target == "header" else body).extend([cells] * min(repeat, MAX_ROW_REPEATS))
    first_row_styled = table.get(q("table:use-first-row-styles")) == "true"
    if not header and first_row_styled and body:
        header, body = body[:1], body[1:]
    return table_text(header + body, header_rows=len(header) if body else 0)


def _rows(el: ET.Element, target: str = "body") -> Iterator[tuple[str, ET.Element]]:
    for child in el:
        if child.tag == _ROW:
            yield target, child
        elif child.tag == _HEADER_ROWS:
            yield from _rows(child, "header")
        elif child.tag in _ROW_GROUPS:
            yield from _rows(child, target)


def length_cm(length: str | None) -> float:
    """An ODF length ("2.5cm", "1in", "72pt") in centimetres; 0 when it is not one."""
    m = _LENGTH.match(length or "")
    if not m:
        return 0.0
    try:
        return float(m.group(1)) * _CM_PER.get(m.group(2), 1.0)
    except ValueError:
        return 0.0


def picture_href(image: ET.Element) -> str:
    """Where a draw:image's picture is in the package ("" for one embedded as XML data)."""
    href = image.get(HREF) or ""
    return href[2:] if href.startswith("./") else href


def pictures_text(el: ET.Element, zf: zipfile.ZipFile, pictures: PictureReader) -> list[str]:
    """The text of the pictures in ``el``'s frames, in document order. A frame may hold one picture
    in several forms (an SVG and the PNG that stands in for it): each is tried, and those without
    pixels give nothing; a picture linked from outside the package is not in it, and that of an
    embedded object (a chart's drawing) is the object's, read for itself."""
    out = []
    for frame in el.iter(_FRAME):
        if frame.find(_OBJECT) is not None:  # its picture stands in for an embedded object (a chart)
            continue
        width, height = length_cm(frame.get(q("svg:width"))), length_cm(frame.get(q("svg:height")))
        shown = (width, height) if width > 0 and height > 0 else None
        for href in filter(None, map(picture_href, frame.findall(IMAGE))):
            text = pictures.text(href, lambda: zf.read(href), shown)
            out += [text] if text else []
    return out
