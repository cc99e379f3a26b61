"""OCR of a document's pages that have no text, as the parsers use it: which pages were read,
which could not be, and the warnings that say why (shown with the file's status)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from .model import OCR_OFF
from .ocr.options import OcrOptions

log = logging.getLogger(__name__)

OCR_FOUND_NOTHING = "OCR found no legible text"


class OcrPages:
    def __init__(self, options: OcrOptions | None):
        self.options = options
        self.done: list[int] = []  # pages whose text OCR read
        self.needed: list[int] = []  # pages without text OCR did not read (off, unavailable, failed)
        self.empty: list[int] = []  # pages OCR read and found nothing on
        self.failed: list[int] = []
        self.unavailable = ""  # why no engine runs here, once one was asked for

    def read(self, page: int, pixels: Callable[[], np.ndarray], path: str, key: str | None = None) -> str:
        """The page's text by OCR; "" when there is none or OCR could not run. With ``key`` (the
        cache's key for it: see ocr/run.py) the pixels are made only if it is not in the cache."""
        if self.options is None or self.unavailable:
            self.needed.append(page)
            return ""
        from .ocr.engine import OcrFailed, OcrUnavailable  # the OCR modules load on a first scanned page
        from .ocr.run import read_text

        try:
            text = read_text(pixels if key else pixels(), self.options, key=key).text
        except (RuntimeError, ValueError, OSError) as exc:  # the page cannot be rendered or decoded
            if "alloc" in str(exc).lower():
                raise MemoryError(str(exc)) from exc
            log.warning("%s: page %d cannot be rendered for OCR: %s", path, page, exc)
            self.failed.append(page)
            self.needed.append(page)
            return ""
        except OcrUnavailable as exc:
            log.warning("OCR is not available: %s", exc)
            self.unavailable = str(exc)
            self.needed.append(page)
            return ""
        except OcrFailed as exc:
            log.warning("%s: OCR failed on page %d: %s", path, page, exc)
            self.failed.append(page)
            self.needed.append(page)
            return ""
        if not any(c.isalnum() for c in text):
            self.empty.append(page)
            return ""
        self.done.append(page)
        return text

    def warnings(self, pages: Callable[[list[int]], str]) -> list[str]:
        notes = []
        if self.empty:
            notes.append(f"{OCR_FOUND_NOTHING} on {pages(self.empty)}")
        if self.failed:
            notes.append(f"OCR failed on {pages(self.failed)}")
        if self.needed and self.options is None:
            notes.append(OCR_OFF)
        if self.unavailable:
            notes.append(f"OCR is not available: {self.unavailable}")
        return notes


def page_list(numbers: list[int]) -> str:
    """"page 3" or "12 pages (1, 2, …)", for warnings: the first ten numbers."""
    shown = ", ".join(map(str, numbers[:10])) + (" …" if len(numbers) > 10 else "")
    return f"page {shown}" if len(numbers) == 1 else f"{len(numbers)} pages ({shown})"


def pdf_page_pixels(page) -> np.ndarray:
    from .ocr.pixels import page_pixels

    return page_pixels(page)
