"""Images as documents (PNG, JPEG, TIFF, WebP): their text is what OCR reads on them.

A TIFF's frames are its pages (a fax, a scanner's multi-page file) and cite as pages; any other
image is one picture without pages. Photos are turned upright by their EXIF orientation and
scaled down to the OCR pixel budget before they are read (ocr/pixels.py).
"""

from __future__ import annotations

import logging
import time
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from .model import ParsedDocument, ParseError, Section
from .ocr.options import OcrOptions
from .ocr.pixels import ImageTooLarge, frame_count, frame_pixels, open_image
from .ocr_pages import OcrPages, page_list
from .sections import cut_sections

log = logging.getLogger(__name__)

_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


def parse_image(
    fh: BinaryIO,
    path: str,
    *,
    ocr: OcrOptions | None,
    page_range: tuple[int, int] | None = None,
    time_budget_s: float | None = None,
) -> ParsedDocument:
    started = time.monotonic()
    try:
        image = open_image(fh)
    except ImageTooLarge as exc:
        raise ParseError("skipped", str(exc)) from None
    except UnidentifiedImageError:
        raise ParseError("failed", "unreadable image: not an image format Archivist reads") from None
    except _DECODE_ERRORS as exc:
        raise ParseError("failed", f"unreadable image: {exc}") from None
    with image:
        try:
            count = frame_count(image)
        except _DECODE_ERRORS as exc:
            raise ParseError("failed", f"unreadable image: {exc}") from None
        paged = count > 1
        first, last = page_range or (1, count)
        first, last = max(1, first), min(count, last)
        pages = OcrPages(ocr)
        sections: list[Section] = []
        unreadable: list[int] = []
        next_page = None
        for number in range(first, last + 1):
            if time_budget_s is not None and number > first and time.monotonic() - started > time_budget_s:
                next_page = number
                break
            pixels = None
            if ocr is not None:
                try:
                    pixels = frame_pixels(image, number - 1)
                except _DECODE_ERRORS as exc:
                    if not paged:
                        raise ParseError("failed", f"unreadable image: {exc}") from None
                    log.warning("%s: frame %d unreadable: %s", path, number, exc)
                    unreadable.append(number)
                    continue
            text = pages.read(number, lambda: pixels, path)
            if text:
                sections += cut_sections(text, [(0, len(text), ())], page=number if paged else None)
    warnings = ([f"could not read {page_list(unreadable)}"] if unreadable else []) + pages.warnings(page_list)
    return ParsedDocument(
        kind="image",
        sections=sections,
        page_count=count if paged else None,
        warnings=tuple(warnings),
        needs_ocr_pages=tuple(pages.needed),
        ocr_pages=tuple(pages.done),
        next_page=next_page,
    )

