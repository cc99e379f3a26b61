"""Text of an OpenDocument presentation (.odp, .otp): one Section per slide (see deck.py), read
as a stream of draw:page elements (see odf.py).

Shapes are read top to bottom, then left to right by their svg:y and svg:x (a group's shapes by
their place inside the group), with the title first; speaker notes come from presentation:notes.
A slide is hidden when its drawing-page style says presentation:visibility="hidden". A chart
gives its title and data in its place (odf_chart.py). The text OCR reads in a slide's pictures
follows its text frames (pictures.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import BinaryIO

from .deck import Slide
from .model import ParsedDocument
from .odf import (IMAGE, block_lines, forget, length_cm, meta_title, open_package, picture_href, pictures_text, q,
                  stream, table_block)
from .odf_chart import embedded_chart_text, object_href
from .pictures import PictureReader

LABEL = "ODP"
_PAGE, _NOTES, _GROUP = q("draw:page"), q("presentation:notes"), q("draw:g")
_STYLE, _PAGE_PROPS = q("style:style"), q("style:drawing-page-properties")
_CLASS = q("presentation:class")
_FURNITURE = frozenset({"page-number", "date-time", "footer", "header", "handout"})
_NOT_SHAPES = frozenset(map(q, ("draw:page-thumbnail", "office:forms", "svg:title", "svg:desc")))
_TABLE = q("table:table")


def parse_odp(fh: BinaryIO, page_range: tuple[int, int] | None = None,
              pictures: PictureReader | None = None) -> ParsedDocument:
    """The deck's slides, or only those numbered within ``page_range`` (1-based, inclusive); with
    ``pictures``, their pictures' text too, and a stop between slides once its time is spent
    (``next_page``: where the next task goes on; the rest of the deck is still counted)."""
    first, last = page_range or (1, 2**31)
    hidden_styles: set[str] = set()
    sections, number, first_title, next_page = [], 0, None, None
    with open_package(fh, LABEL) as zf:
        title = meta_title(zf)
        for event, el, ancestors in stream(zf, LABEL):
            if event != "end":
                continue
            if el.tag == _STYLE:  # automatic styles come before the body
                props = el.find(_PAGE_PROPS)
                if props is not None and props.get(q("presentation:visibility")) == "hidden":
                    hidden_styles.add(el.get(q("style:name"), ""))
            elif el.tag == _PAGE:
                number += 1
                if pictures and number < first:  # read by an earlier window: not again here
                    for image in (i for child in el if child.tag != _NOTES for i in child.iter(IMAGE)):
                        pictures.mark_seen(picture_href(image))
                elif pictures and first < number <= last and next_page is None and pictures.spent():
                    next_page = number
                elif first <= number <= last and next_page is None:
                    slide = _read_page(el, number, hidden_styles, lambda shape: pictures_text(shape, zf, pictures)
                                       if pictures else [], lambda folder: embedded_chart_text(zf, folder))
                    first_title = first_title or slide.title or None
                    sections += slide.sections()
                forget(el, ancestors)
    return ParsedDocument(kind="slides", sections=sections, title=title or first_title, page_count=number,
                          next_page=next_page, **(pictures.fields() if pictures else {}))


def _read_page(page: ET.Element, number: int, hidden_styles: set[str], read_pictures, read_chart) -> Slide:
    slide = Slide(number, hidden=page.get(q("draw:style-name")) in hidden_styles)
    shapes = []
    for child in page:
        if child.tag == _NOTES:
            slide.notes = "\n".join(line for frame in child if frame.get(_CLASS) == "notes"
                                    for line in block_lines(frame))
        elif child.get(_CLASS) == "title" and not slide.title:
            slide.title = "\n".join(block_lines(child))
        elif child.tag not in _NOT_SHAPES:
            shapes.append(child)
    slide.blocks = [text for text in (_shape_text(shape, read_chart) for shape in _ordered(shapes)) if text]
    slide.blocks += _pictures_text(shapes, read_pictures)  # after the text frames
    return slide


def _pictures_text(shapes: list[ET.Element], read_pictures) -> list[str]:
    """The text of the shapes' pictures in reading order, a group's by their places in it."""
    return [text for shape in _ordered(shapes)
            for text in (_pictures_text(list(shape), read_pictures) if shape.tag == _GROUP else read_pictures(shape))]


def _shape_text(shape: ET.Element, read_chart) -> str:
    if shape.get(_CLASS) in _FURNITURE:
        return ""
    if shape.tag == _GROUP:
        return "\n\n".join(t for t in (_shape_text(s, read_chart) for s in _ordered(list(shape))) if t)
    if folder := object_href(shape):  # an embedded object: a chart gives its data (odf_chart.py)
        return read_chart(folder)
    tables = [table_block(t) for t in shape.iter(_TABLE)]
    if tables:  # a frame holding a table
        return "\n".join(t for t in tables if t)
    return "\n".join(block_lines(shape))


def _ordered(shapes: list[ET.Element]) -> list[ET.Element]:
    return sorted(shapes, key=_position)


def _position(shape: ET.Element) -> tuple[float, float]:
    if shape.tag == _GROUP:  # a group has no place of its own: that of its top-left shape
        return min((_position(s) for s in shape), default=(0.0, 0.0))
    y = shape.get(q("svg:y")) or shape.get(q("svg:y1"))
    x = shape.get(q("svg:x")) or shape.get(q("svg:x1"))
    return length_cm(y), length_cm(x)
