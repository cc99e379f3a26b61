"""Text of a Word (.docx) document: body paragraphs and tables in order, then headers/footers.

The locator unit is the text this module builds: block items joined by blank lines, table rows
one per line with cells separated by " | ", then each distinct header/footer as a section whose
heading path is ("Header",) or ("Footer",). Section offsets index into that text. The text OCR
reads in a picture, a chart's data and SmartArt's text are blocks after the paragraph or table holding
them (pictures.py, chart_text.py, diagram_text.py).

python-docx loads the package and resolves styles and headers; paragraph text is read from the
XML directly so that content controls, tracked insertions, text boxes and hyperlinks are not
lost, and tab-stop definitions and deleted or moved-away text are not mistaken for content.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree

from .files import mb
from .model import ParsedDocument, ParseError
from .chart_text import chart_part_text
from .diagram_text import DATA_REL, RELIDS, diagram_text
from .pictures import PictureReader, emu_to_cm
from .sections import cut_sections, heading_spans

log = logging.getLogger(__name__)

# python-docx holds every part in memory, so the unpacked size is what a hostile file costs.
MAX_UNPACKED_BYTES = 512 * 2**20
MAX_PARTS = 10_000

_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIP = frozenset({qn("w:pPr"), qn("w:rPr"), qn("w:del"), qn("w:moveFrom"), _MC_FALLBACK})
_CHARS = {qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:cr"): "\n", qn("w:noBreakHyphen"): "-"}
_W_T, _W_P, _W_TBL, _W_TR, _W_TC = (qn(t) for t in ("w:t", "w:p", "w:tbl", "w:tr", "w:tc"))
_WRAPPERS = {qn("w:sdt"): qn("w:sdtContent"), qn("w:customXml"): None}
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
# A picture: DrawingML's blip (its size in the wp:inline or wp:anchor around it), or VML's
# imagedata in documents from Word 2003 and earlier.
_A_BLIP, _V_IMAGEDATA = qn("a:blip"), "{urn:schemas-microsoft-com:vml}imagedata"
_PLACED = frozenset({qn("wp:inline"), qn("wp:anchor")})
_C_CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}chart"


def check_package(fh: BinaryIO, max_unpacked: int = MAX_UNPACKED_BYTES, label: str = "DOCX") -> None:
    """Refuse a zip bomb from the central directory alone, before anything is decompressed
    (python-docx and python-pptx hold every part in memory).

    The declared sizes are binding: Python's zipfile stops reading an entry at its file_size.
    """
    try:
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise ParseError("failed", f"unreadable {label}: {exc}") from None
    if len(infos) > MAX_PARTS:
        raise ParseError("failed", f"unreadable {label}: too many parts ({len(infos)})")
    total = sum(i.file_size for i in infos)
    if total > max_unpacked:
        raise ParseError(
            "failed",
            f"{label} unpacks to {mb(total)} MB (limit {mb(max_unpacked)} MB): possible zip bomb",
        )


def _blocks(container) -> Iterator:
    """w:p and w:tbl children in document order, looking inside content controls."""
    for child in container.iterchildren():
        if child.tag in (_W_P, _W_TBL):
            yield child
        elif child.tag in _WRAPPERS:
            inner = child.find(_WRAPPERS[child.tag]) if _WRAPPERS[child.tag] else child
            if inner is not None:
                yield from _blocks(inner)


def _para_text(p) -> str:
    out: list[str] = []
    walker = etree.iterwalk(p, events=("start", "end"))
    for event, el in walker:
        if event == "start":
            if el.tag in _SKIP:
                walker.skip_subtree()
            elif el.tag == _W_T and el.text:
                out.append(el.text)
            elif el.tag in _CHARS:
                out.append(_CHARS[el.tag])
        elif el.tag == _W_P and el is not p:  # a paragraph inside a text box
            out.append("\n")
    return "".join(out).strip()


def _table_text(tbl, cell_sep: str = " | ", row_sep: str = "\n") -> str:
    rows = []
    for tr in tbl.iter(_W_TR):
        if tr.getparent() is None or _owning_table(tr) is not tbl:
            continue  # rows of nested tables are rendered inside their cell
        cells = []
        for tc in tr.iter(_W_TC):
            if _owning_table(tc) is tbl:
                cells.append(" ".join(_block_text(b, " / ") for b in _blocks(tc)).strip())
        if any(cells):
            rows.append(cell_sep.join(cells))
    return row_sep.join(rows)


def _owning_table(el):
    el = el.getparent()
    while el is not None and el.tag != _W_TBL:
        el = el.getparent()
    return el


def _block_text(el, row_sep: str = "\n") -> str:
    return _para_text(el) if el.tag == _W_P else _table_text(el, row_sep=row_sep)


def _pictures_text(block, part, pictures: PictureReader) -> list[str]:
    """The text of the pictures in a block, in document order. mc:Fallback holds the same picture
    again for older Word versions, so it is passed over like its text is."""
    out = []
    walker = etree.iterwalk(block, events=("start",))
    for _event, el in walker:
        if el.tag == _MC_FALLBACK:
            walker.skip_subtree()
            continue
        rid = el.get(qn("r:embed")) if el.tag == _A_BLIP else el.get(qn("r:id")) if el.tag == _V_IMAGEDATA else None
        image = part.related_parts.get(rid) if rid else None  # none: a linked picture, not in the file
        if image is not None:
            text = pictures.text(str(image.partname), lambda: image.blob, _shown_size(el))
            out += [text] if text else []
    return out


def _graphics_text(block, part) -> list[str]:
    """The data of the charts (chart_text.py) and the text of the SmartArt (diagram_text.py) in a
    block, after its text, as pictures' text is."""
    out = []
    walker = etree.iterwalk(block, events=("start",))
    for _event, el in walker:
        if el.tag == _MC_FALLBACK:
            walker.skip_subtree()
        elif el.tag == _C_CHART and (chart := part.related_parts.get(el.get(qn("r:id")) or "")) is not None:
            try:
                text = chart_part_text(chart.blob)
            except Exception as exc:  # noqa: BLE001 - one odd chart must not lose the document
                log.debug("chart %s unreadable: %s", chart.partname, exc)
                continue
            out += [text] if text else []
        elif el.tag == RELIDS and (data := part.related_parts.get(el.get(DATA_REL) or "")) is not None:
            try:
                text = diagram_text(data.blob)
            except Exception as exc:  # noqa: BLE001 - one odd diagram must not lose the document
                log.debug("diagram %s unreadable: %s", data.partname, exc)
                continue
            out += [text] if text else []
    return out


def _shown_size(el) -> tuple[float, float] | None:
    while el is not None and el.tag not in _PLACED:
        el = el.getparent()
    extent = el.find(qn("wp:extent")) if el is not None else None
    if extent is None:
        return None
    try:
        return emu_to_cm(int(extent.get("cx") or 0), int(extent.get("cy") or 0))
    except ValueError:
        return None


def _style_levels(document) -> tuple[dict[str, int], set[str]]:
    """Heading level per paragraph style id (outline level, else a "Heading N" name) and the
    ids of title styles. Missing or broken styles part → nothing, never an exception."""
    levels: dict[str, int] = {}
    titles: set[str] = set()
    try:
        styles_el = document.styles.element
    except Exception:  # noqa: BLE001 - python-docx raises assorted errors for a broken part
        return levels, titles
    based: dict[str, str] = {}
    for st in styles_el.iterchildren(qn("w:style")):
        sid = st.get(qn("w:styleId")) or ""
        name_el = st.find(qn("w:name"))
        name = (name_el.get(qn("w:val")) if name_el is not None else "") or ""
        outline = st.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
        m = _HEADING_NAME.match(name) or _HEADING_NAME.match(sid)
        if outline is not None and (outline.get(qn("w:val")) or "").isdigit():
            lvl = int(outline.get(qn("w:val"))) + 1
            if lvl <= 9:
                levels[sid] = lvl
        elif m:
            levels[sid] = int(m.group(1))
        if name.lower() == "title" or sid.lower() == "title":
            titles.add(sid)
        base = st.find(qn("w:basedOn"))
        if base is not None:
            based[sid] = base.get(qn("w:val")) or ""
    for sid in list(based):  # inherit a level through basedOn chains (bounded: cycles exist)
        cur, hops = sid, 0
        while sid not in levels and cur in based and hops < 20:
            cur, hops = based[cur], hops + 1
            if cur in levels:
                levels[sid] = levels[cur]
    return levels, titles


def _para_style(p) -> str:
    el = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return (el.get(qn("w:val")) or "") if el is not None else ""


def _heading_id_level(style_id: str) -> int | None:
    m = _HEADING_NAME.match(style_id)
    return int(m.group(1)) if m else None


def _core_title(document) -> str | None:
    # python-docx invents "Word Document" when the core-properties part is missing.
    try:
        document.part.package.part_related_by(RT.CORE_PROPERTIES)
        return (document.core_properties.title or "").strip() or None
    except Exception:  # noqa: BLE001 - missing or malformed docProps/core.xml
        return None


def _headers_footers(document) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for section in document.sections:
        for label, attrs in (
            ("Header", ("header", "first_page_header", "even_page_header")),
            ("Footer", ("footer", "first_page_footer", "even_page_footer")),
        ):
            for attr in attrs:
                try:
                    part = getattr(section, attr)
                    if part.is_linked_to_previous:  # no definition of its own
                        continue
                    text = "\n".join(t for t in map(_block_text, _blocks(part._element)) if t)
                except Exception as exc:  # noqa: BLE001 - a broken header must not lose the body
                    log.debug("skipping %s: %s", attr, exc)
                    continue
                if text and text not in seen:
                    seen.add(text)
                    yield label, text


def parse_docx(fh: BinaryIO, pictures: PictureReader | None = None) -> ParsedDocument:
    """The document's text; with ``pictures``, that of its pictures too (headers' and footers'
    pictures are letterhead: logos, not read)."""
    check_package(fh)
    fh.seek(0)
    try:
        document = docx.Document(fh)
        body = document.element.body
    except Exception as exc:  # noqa: BLE001 - PackageNotFoundError, KeyError, XMLSyntaxError …
        raise ParseError("failed", f"unreadable DOCX: {type(exc).__name__}: {exc}") from None
    levels, title_styles = _style_levels(document)

    parts: list[str] = []
    heads: list[tuple[int, int, str]] = []
    pos = 0
    title = _core_title(document)
    styled_title = None
    for block in _blocks(body):
        text = _block_text(block)
        if text and block.tag == _W_P:
            style = _para_style(block)
            # Without a styles part only the id is left: "Heading2" still says level 2.
            level = levels.get(style) or _heading_id_level(style)
            if level:
                heads.append((pos, level, text.replace("\n", " ")))
            elif style in title_styles and styled_title is None:
                styled_title = text
        extra = _graphics_text(block, document.part) + (_pictures_text(block, document.part, pictures) if pictures else [])
        for piece in ([text] if text else []) + extra:
            parts.append(piece)
            pos += len(piece) + 2
    spans = heading_spans(heads, 0, max(pos - 2, 0))
    for label, text in _headers_footers(document):
        spans.append((pos, pos + len(text), (label,)))
        parts.append(text)
        pos += len(text) + 2
    full = "\n\n".join(parts)
    if title is None:
        title = styled_title or next((t for _, lvl, t in heads if lvl == 1), None)
    return ParsedDocument(kind="docx", sections=cut_sections(full, spans), title=title,
                          **(pictures.fields() if pictures else {}))
