"""Text of a PowerPoint deck (.pptx, .pptm, .ppsx, .potx): one Section per slide (see deck.py).

python-pptx reads the package; the shapes of a slide are read top to bottom, then left to right
by their position (a group's shapes by their place inside the group), with the title first. A
table's rows keep their header row's names; a chart gives its title and its data (chart_text.py),
SmartArt its nodes' text (diagram_text.py). Slide numbers, dates and footers are left out: they repeat on every slide and say nothing a search needs. The text OCR
reads in the slide's pictures follows its text frames (pictures.py); pictures of the slide's
layout and master (a logo, a background) are the template's, not read.
"""

from __future__ import annotations

import logging
from typing import BinaryIO

from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER
from pptx.package import Package
from pptx.shapes.graphfrm import GraphicFrame
from pptx.shapes.picture import Picture

from .chart_text import chart_text
from .diagram_text import DATA_REL, RELIDS, diagram_text
from .deck import Slide, table_text
from .docx_text import check_package
from .model import ParsedDocument, ParseError
from .pictures import PictureReader, emu_to_cm

log = logging.getLogger(__name__)

_FURNITURE = frozenset({PP_PLACEHOLDER.SLIDE_NUMBER, PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER,
                        PP_PLACEHOLDER.HEADER})
_TITLES = frozenset({PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE})


def parse_pptx(fh: BinaryIO, page_range: tuple[int, int] | None = None,
               pictures: PictureReader | None = None) -> ParsedDocument:
    """The deck's slides, or only those numbered within ``page_range`` (1-based, inclusive); with
    ``pictures``, their pictures' text too, and a stop between slides once its time is spent
    (``next_page``: where the next task goes on)."""
    check_package(fh, label="presentation")
    fh.seek(0)
    try:
        # Not pptx.Presentation(): it refuses slide shows (.ppsx) and templates (.potx), which
        # hold the same presentation part.
        presentation = Package.open(fh).main_document_part.presentation
        slides = list(presentation.slides)
    except Exception as exc:  # noqa: BLE001 - KeyError, XMLSyntaxError, PackageNotFoundError …
        raise ParseError("failed", f"unreadable presentation: {type(exc).__name__}: {exc}") from None
    first, last = page_range or (1, len(slides))
    sections, first_title, next_page = [], None, None
    for number, slide in enumerate(slides, start=1):
        if number < first and pictures:  # read by an earlier window: not again here
            for image, _shown in _picture_parts(slide.shapes, slide.part):
                pictures.mark_seen(str(image.partname))
        if not first <= number <= last:
            continue
        if pictures and number > first and pictures.spent():
            next_page = number
            break
        read = _read_slide(slide, number, pictures)
        first_title = first_title or read.title or None
        sections += read.sections()
    return ParsedDocument(kind="slides", sections=sections, title=_title(presentation) or first_title,
                          page_count=len(slides), next_page=next_page, **(pictures.fields() if pictures else {}))


def _read_slide(slide, number: int, pictures: PictureReader | None = None) -> Slide:
    read = Slide(number, hidden=slide._element.get("show") in ("0", "false"))
    title_id = None
    for shape in slide.shapes:
        if _placeholder_type(shape) in _TITLES and shape.has_text_frame:
            title_id = shape.shape_id
            read.title = _frame_text(shape.text_frame)
            break
    read.blocks = [text for text in _shapes_text(slide.shapes, skip_id=title_id) if text]
    for image, shown in _picture_parts(slide.shapes, slide.part) if pictures else ():
        text = pictures.text(str(image.partname), lambda: image.blob, shown)
        read.blocks += [text] if text else []  # after the text frames, in their reading order
    try:
        if slide.has_notes_slide:
            frame = slide.notes_slide.notes_text_frame
            read.notes = _frame_text(frame) if frame is not None else ""
    except Exception as exc:  # noqa: BLE001 - broken notes must not lose the slide
        log.debug("slide %d: notes unreadable: %s", number, exc)
    return read


def _ordered(shapes) -> list:
    return sorted(shapes, key=lambda s: (_position(s, "top"), _position(s, "left")))


def _shapes_text(shapes, skip_id: int | None = None) -> list[str]:
    """Each shape's text in reading order; a group's shapes joined into one block."""
    out = []
    for shape in _ordered(shapes):
        if shape.shape_id == skip_id or _placeholder_type(shape) in _FURNITURE:
            continue
        try:
            out.append(_shape_text(shape))
        except Exception as exc:  # noqa: BLE001 - one odd shape must not lose the slide
            log.debug("shape %r unreadable: %s", getattr(shape, "name", "?"), exc)
    return out


def _shape_text(shape) -> str:
    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        return "\n\n".join(t for t in _shapes_text(shape.shapes) if t)
    if getattr(shape, "has_table", False) and shape.has_table:
        table = shape.table
        rows = [[_frame_text(cell.text_frame) for cell in row.cells] for row in table.rows]
        return table_text(rows, header_rows=1 if table.first_row else 0)
    if getattr(shape, "has_chart", False) and shape.has_chart:
        return chart_text(shape.chart)
    if isinstance(shape, GraphicFrame):  # SmartArt: its nodes' text from the diagram's data part
        ids = shape._element.find(f".//{RELIDS}")
        if ids is not None and ids.get(DATA_REL) in shape.part.rels:
            return diagram_text(shape.part.related_part(ids.get(DATA_REL)).blob)
    if shape.has_text_frame:
        return _frame_text(shape.text_frame)
    return ""


def _picture_parts(shapes, part):
    """(image part, size shown in cm) of each picture in reading order, a group's inside out. A
    picture linked from outside the file has no part; a picture fill of a shape is decoration."""
    for shape in _ordered(shapes):
        try:
            if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
                yield from _picture_parts(shape.shapes, part)
            elif isinstance(shape, Picture) and shape._pic.blip_rId in part.rels:
                yield part.related_part(shape._pic.blip_rId), emu_to_cm(shape.width, shape.height)
        except Exception as exc:  # noqa: BLE001 - one odd shape must not lose the slide
            log.debug("shape %r unreadable: %s", getattr(shape, "name", "?"), exc)


def _frame_text(frame) -> str:
    # python-pptx gives a line break inside a paragraph as "\v", PowerPoint's soft return.
    return "\n".join(p.text.replace("\v", "\n") for p in frame.paragraphs).strip()


def _placeholder_type(shape):
    if not shape.is_placeholder:
        return None
    try:
        return shape.placeholder_format.type
    except Exception:  # noqa: BLE001 - a placeholder without its type
        return None


def _position(shape, side: str) -> int:
    try:
        return getattr(shape, side) or 0  # a placeholder inherits its place from the layout
    except Exception:  # noqa: BLE001 - a layout placeholder that is gone
        return 0


def _title(presentation) -> str | None:
    try:
        return (presentation.core_properties.title or "").strip() or None
    except Exception:  # noqa: BLE001 - missing or malformed docProps/core.xml
        return None
