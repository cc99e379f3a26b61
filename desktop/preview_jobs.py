"""What the source preview does off the GUI thread: open the cited file, find the passage, and
render the page or build the text document. Errors become messages a user can act on."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, QThreadPool, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QPlainTextDocumentLayout, QPushButton

from core.manifest import display_path
from core.parsing import ParseError
from core.parsing.ocr.options import OcrOptions
from desktop.preview_locate import Located, locate_in_text, locate_spans_on_document, open_paged, read_parsed_text
from desktop.preview_pdf import PageImage, render_page

log = logging.getLogger(__name__)

# Handing a document to the view lays out every block on the GUI thread (~65 ms for 9 MB of
# short lines), so a very long file is shown as an excerpt around the passage.
MAX_SHOWN_CHARS = 300_000


@dataclass(frozen=True)
class Failure:
    message: str  # what went wrong, in words for the user
    file_missing: bool = False


def describe(exc: BaseException, path: str) -> Failure:
    path = display_path(path)  # shown as text: Qt would drop bytes that are not UTF-8
    vanished = isinstance(exc, ParseError) and exc.details.get("vanished")
    if isinstance(exc, FileNotFoundError) or vanished:
        return Failure(f"{os.path.basename(path)} is no longer at {path}. "
                       "It may have been moved, renamed or deleted.", file_missing=True)
    if isinstance(exc, PermissionError):
        return Failure(f"Archivist is not allowed to read {path}.")
    if isinstance(exc, ParseError):
        return Failure(f"This file cannot be shown: {exc.reason}.")
    if isinstance(exc, (OSError, RuntimeError, ValueError)):  # MuPDF errors are RuntimeErrors
        return Failure("This file could not be opened; it may be damaged or in use.")
    log.exception("preview of %r failed", path)
    return Failure(f"This file could not be shown ({type(exc).__name__}).")


@dataclass
class PdfResult:
    located: Located | None  # None when only a new page or zoom was asked for
    page: PageImage


@dataclass
class TextResult:
    document: QTextDocument
    text: str  # the parsed text (offsets in Python characters)
    spans: list[tuple[int, int]]  # what is marked (the passage, or its cited sentences) in ``text``; [] when gone
    cursor_spans: list[tuple[int, int]]  # the same in QTextDocument positions (UTF-16 units)
    monospace: bool  # source code and the like read better in a fixed-width font
    excerpt: bool = False  # only the part around the passage of a very long file



def load_pdf(path: str, kind: str | None, page: int, spans: list[tuple[int, int, str]] | None,
             width: int, zoom: float, pixel_ratio: float, ocr: OcrOptions | None = None) -> PdfResult:
    """Find the spans (start, end, text: the passage or its cited sentences; None: only render)
    and render their page at ``zoom`` times the zoom that fits ``width``; worker thread. Scanned
    pages and images are searched in their OCR text (``ocr``: None, not at all)."""
    if kind == "image":
        return _load_image(path, page, spans, width, zoom, pixel_ratio, ocr)
    with open_paged(path, kind) as doc:
        if doc.needs_pass and not doc.authenticate(""):
            raise ParseError("skipped", "it is password-protected")
        located = None
        if spans:
            from desktop.preview_ocr import scanned_page_text  # OCR loads only for a scanned page

            located = locate_spans_on_document(doc, page, spans, scanned_page_text(ocr) if ocr else None)
            page = located.page
        page = min(max(page, 1), doc.page_count)
        fit = width / max(doc.load_page(page - 1).rect.width, 1.0)
        return PdfResult(located, render_page(doc, page, fit * zoom, pixel_ratio))


def _load_image(path: str, frame: int, spans: list[tuple[int, int, str]] | None, width: int, zoom: float,
                pixel_ratio: float, ocr: OcrOptions | None) -> PdfResult:
    """An image (a TIFF's frame ``frame``) shown as OCR read it, the spans marked with its boxes."""
    from desktop.preview_ocr import image_document, ocr_page_text

    doc, rgb, count, frame = image_document(path, frame)
    with doc:
        located = None
        if spans:
            text = ocr_page_text(rgb, doc[0].rect, ocr) if ocr else None
            located = locate_spans_on_document(doc, 1, spans, lambda _page: text)
            located.page = frame
        shown = render_page(doc, 1, width / max(doc[0].rect.width, 1.0) * zoom, pixel_ratio)
    shown.page, shown.page_count = frame, count
    return PdfResult(located, shown)


def load_text(path: str, spans: list[tuple[int, int, str]], ocr: OcrOptions | None = None) -> TextResult:
    """The file's parsed text as a document ready for a QPlainTextEdit, with the spans (start, end,
    text: the passage or its cited sentences) found in it; worker thread. The text OCR read in
    its pictures (or attached images) comes from the cache in ``ocr``'s data folder."""
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    parsed = read_parsed_text(path, ocr)
    found = [span for start, end, passage in spans
             if (span := locate_in_text(parsed.text, parsed.to_display(start), parsed.to_display(end), passage))]
    offset, text = _around(parsed.text, found[0][0] if found else 0)
    found = [(a - offset, b - offset) for a, b in found if offset <= a and b <= offset + len(text)]
    # QTextDocument counts UTF-16 units, and turns "\r" into a paragraph break like "\n" is.
    shown = text.replace("\r\n", " \n").replace("\r", "\n")
    document = QTextDocument()
    document.setPlainText(shown)
    document.setDocumentLayout(QPlainTextDocumentLayout(document))
    document.moveToThread(QCoreApplication.instance().thread())
    units = [tuple(len(text[:i].encode("utf-16-le")) // 2 for i in span) for span in found]
    return TextResult(document, text, found, units, parsed.kind == "code",
                      excerpt=len(text) < len(parsed.text))


def _around(text: str, position: int) -> tuple[int, str]:
    """At most MAX_SHOWN_CHARS of ``text`` around ``position``, cut at line breaks, and where
    that excerpt starts."""
    if len(text) <= MAX_SHOWN_CHARS:
        return 0, text
    lo = max(0, min(position - MAX_SHOWN_CHARS // 3, len(text) - MAX_SHOWN_CHARS))
    hi = lo + MAX_SHOWN_CHARS
    if lo:
        lo = text.find("\n", lo, position) + 1 or lo
    if hi < len(text):
        hi = text.rfind("\n", position, hi) + 1 or hi
    return lo, text[lo:hi]


def pdf_pool() -> QThreadPool:
    # MuPDF is not thread-safe: every preview of a paged file runs on this one thread.
    global _PDF_POOL
    if _PDF_POOL is None:
        _PDF_POOL = QThreadPool()
        _PDF_POOL.setMaxThreadCount(1)
    return _PDF_POOL


_PDF_POOL: QThreadPool | None = None


class Relay(QObject):
    """Carries a worker's result to the GUI thread (queued, since it is emitted elsewhere)."""

    done = Signal(str, int, object)  # job name, request number, result or Failure


class Requests:
    """Runs the preview's work on worker threads, numbering each request, so that a result which
    arrives after a later request of the same job (or after ``drop_all``) is known to be stale.
    Results and failures (as a Failure) come back through ``relay``."""

    def __init__(self, relay: Relay):
        self._relay = relay
        self._count = 0
        self._current: dict[str, int] = {}  # job → the number of its latest request

    def submit(self, job: str, pool: QThreadPool, path: str, work, *args) -> None:
        self._count += 1
        number = self._current[job] = self._count
        relay = self._relay

        def run() -> None:
            try:
                result = work(*args)
            except Exception as exc:  # any failure becomes a message in the pane
                result = describe(exc, path)
            try:
                relay.done.emit(job, number, result)
            except RuntimeError:  # the pane was closed in the meantime
                pass

        pool.start(run)

    def is_current(self, job: str, number: int) -> bool:
        return self._current.get(job) == number

    def drop_all(self) -> None:
        self._current.clear()


def tool_button(text: str, tip: str, slot) -> QPushButton:
    """A preview control: a short symbol ("◀", "+") gets a narrow button, named by its tip."""
    button = QPushButton(text)
    button.setToolTip(tip)
    button.setAccessibleName(tip if len(text) < 3 else text)
    if len(text) < 3:
        button.setMaximumWidth(button.fontMetrics().horizontalAdvance("MMM") + 12)
    button.clicked.connect(slot)
    return button
