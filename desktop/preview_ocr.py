"""Scanned pages and images in the preview: the page's OCR text with each character's box.

The text comes from the OCR cache the indexer filled (core/parsing/ocr/cache.py), looked up by the
same pixels the parser read, so the offsets of a cited passage index it exactly; a page not in the
cache (a file indexed elsewhere, a cache pruned) is read now, once. Worker threads only.
"""

from __future__ import annotations

import logging

import numpy as np
import pymupdf

from core.parsing.ocr.engine import OcrFailed, OcrUnavailable
from core.parsing.ocr.options import OcrOptions
from core.parsing.ocr.pixels import frame_count, frame_pixels, open_image, page_pixels
from core.parsing.ocr.run import read_text
from desktop.preview_locate import PageText

log = logging.getLogger(__name__)


def ocr_page_text(rgb: np.ndarray, rect: pymupdf.Rect, options: OcrOptions) -> PageText | None:
    """The OCR text of ``rgb`` with its boxes on a page of ``rect``; None when OCR cannot read it."""
    try:
        reading = read_text(rgb, options, any_engine=True)
    except (OcrUnavailable, OcrFailed) as exc:
        log.warning("the preview cannot read this page by OCR: %s", exc)
        return None
    if not reading.text.strip():
        return None
    x, y, width, height = rect.x0, rect.y0, rect.width, rect.height
    boxes = [None if b is None else (x + b[0] * width, y + b[1] * height, x + b[2] * width, y + b[3] * height)
             for b in reading.boxes]
    return PageText(reading.text, boxes, reading.lines)


def scanned_page_text(options: OcrOptions):
    """For locate_on_document: a PDF page's OCR text, read from the page as the parser renders it."""
    found: dict[int, PageText | None] = {}

    def text_of(page: pymupdf.Page) -> PageText | None:
        if page.number not in found:  # several cited sentences on one page: one lookup
            found[page.number] = ocr_page_text(page_pixels(page), page.rect, options)
        return found[page.number]

    return text_of


def image_document(path: str, frame: int) -> tuple[pymupdf.Document, np.ndarray, int, int]:
    """A one-page document showing frame ``frame`` (1-based, clamped) of an image file, as OCR
    read it (upright, within its pixel budget), with those pixels, the frame count and the frame."""
    with open_image(path) as image:
        count = frame_count(image)
        frame = min(max(frame, 1), count)
        rgb = frame_pixels(image, frame - 1)
    height, width = rgb.shape[:2]
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)  # a point per pixel
    page.insert_image(page.rect, pixmap=pymupdf.Pixmap(pymupdf.csRGB, width, height, rgb.tobytes(), False))
    return doc, rgb, count, frame
