"""PDF and the other paged formats MuPDF reads (EPUB, XPS, FB2, MOBI): one Section per page.

A Section's text is the page's own extracted text (``page.get_text()`` with unknown glyphs shown
as U+FFFD), trimmed, and ``start`` is its offset in that page text, so the citation highlighter
can find it again with ``page.search_for``. Pages whose text came from OCR are listed in
``ocr_pages``: their text exists only in the OCR result, not in the page's own text layer.
The heading path of a page is the chain of outline (TOC) entries in force at its end.
Nothing is rasterised except a page being OCRed (ocr/), and then within a pixel budget. A page's
OCR takes seconds, so with ``time_budget_s`` the parse stops after the page that spends it and
says where to go on (``ParsedDocument.next_page``): slices.py carries on in another task, and no
task comes near the parser's timeout however many pages are scanned.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from typing import BinaryIO

import pymupdf

from .files import native_name, read_all
from .model import ParsedDocument, ParseError, Section
from .ocr.options import OcrOptions
from .ocr_pages import OcrPages, page_list, pdf_page_pixels
from .sections import cut_sections

log = logging.getLogger(__name__)

# MuPDF prints repair chatter to stderr; we read it from its warning buffer instead.
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)

# Page text as the index reads it; the desktop preview maps passage offsets with the same flags.
# Ligatures are expanded: typeset PDFs (and any text shaped by HarfBuzz) write "ﬁnal oﬃce" with
# single ligature glyphs, which neither full-text search nor the embedding model read as words.
PAGE_TEXT_FLAGS = (pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_USE_CID_FOR_UNKNOWN_UNICODE
                   & ~pymupdf.TEXT_PRESERVE_LIGATURES)
_LABEL = {"pdf": "PDF", "epub": "EPUB", "xps": "XPS", "fb2": "FB2", "mobi": "MOBI"}
_BAD_CATEGORIES = frozenset({"Co", "Cc", "Cn", "Cs"})
REPAIRED = "repaired a damaged file structure"


def looks_garbled(text: str) -> bool:
    """Text from fonts without a Unicode mapping: replacement/control/private-use characters,
    or almost no letters or digits at all."""
    chars = [c for c in text[:20_000] if not c.isspace()]
    if not chars:
        return False
    bad = sum(1 for c in chars if c == "\ufffd" or unicodedata.category(c) in _BAD_CATEGORIES)
    if bad > 0.1 * len(chars):
        return True
    return len(chars) >= 50 and sum(c.isalnum() for c in chars) < 0.1 * len(chars)


def heading_paths(toc: list, page_count: int) -> list[tuple[str, ...]]:
    """Per page (index 0 = page 1): the outline chain after all entries up to that page."""
    by_page: dict[int, list[tuple[int, str]]] = {}
    for entry in toc:
        level, title, page = entry[0], entry[1], entry[2]
        if 1 <= page <= page_count and level >= 1:
            by_page.setdefault(page, []).append((level, " ".join(str(title).split())))
    paths, stack = [], []
    for page in range(1, page_count + 1):
        for level, title in by_page.get(page, ()):
            stack = stack[: level - 1] + [title]
        paths.append(tuple(stack))
    return paths


def _mupdf_message(exc: Exception) -> str:
    cause = exc.__cause__ or exc.__context__
    text = getattr(cause, "m_text", None) or str(cause or exc)
    return re.sub(r"^code=\d+:\s*", "", str(text)).strip() or "cannot open the file"


def _raise_if_oom(exc: Exception) -> None:
    if re.search(r"malloc|out of memory|cannot allocate", _mupdf_message(exc), re.IGNORECASE):
        raise MemoryError(str(exc)) from exc


def _open(fh: BinaryIO, path: str, kind: str, max_bytes: int) -> pymupdf.Document:
    name = native_name(fh, path)
    try:
        if name is not None:
            return pymupdf.open(name, filetype=kind)
        return pymupdf.open(stream=read_all(fh, max_bytes), filetype=kind)
    except pymupdf.FileNotFoundError:
        raise ParseError("failed", "file disappeared while being read", details={"vanished": True})
    except (RuntimeError, ValueError) as exc:
        _raise_if_oom(exc)
        raise ParseError("failed", f"unparseable {_LABEL[kind]}: {_mupdf_message(exc)}") from None


def _is_blank(doc: pymupdf.Document, page: pymupdf.Page) -> bool:
    """No text and nothing drawn: a deliberately empty page, not one that needs OCR."""
    if doc.is_pdf:
        return not page.get_images() and len(page.read_contents().strip()) < 32
    return not page.get_image_info()


def parse_paged(
    fh: BinaryIO,
    path: str,
    kind: str,
    *,
    ocr: OcrOptions | None,
    max_bytes: int,
    page_range: tuple[int, int] | None = None,
    time_budget_s: float | None = None,
) -> ParsedDocument:
    started = time.monotonic()
    pymupdf.TOOLS.mupdf_warnings(reset=True)
    doc = _open(fh, path, kind, max_bytes)
    with doc:
        if doc.needs_pass and not doc.authenticate(""):  # "" opens owner-password-only files
            raise ParseError("skipped", "encrypted: needs a password")
        try:
            count = doc.page_count
        except (RuntimeError, ValueError) as exc:
            _raise_if_oom(exc)
            raise ParseError(
                "failed", f"unparseable {_LABEL[kind]}: {_mupdf_message(exc)}"
            ) from None
        try:
            toc = doc.get_toc(simple=True)
        except (RuntimeError, ValueError, TypeError) as exc:  # a broken outline is not fatal
            log.info("%s: ignoring unreadable outline: %s", path, exc)
            toc = []
        if count == 0:
            raise ParseError("failed", f"unparseable {_LABEL[kind]}: no pages")
        paths = heading_paths(toc, count)
        meta_title = ((doc.metadata or {}).get("title") or "").strip() or None
        first, last = page_range or (1, count)
        first, last = max(1, first), min(count, last)

        sections: list[Section] = []
        garbled: list[int] = []
        failed_pages: list[int] = []
        ocr = OcrPages(ocr)
        next_page = None
        for pno in range(first, last + 1):
            if time_budget_s is not None and pno > first and time.monotonic() - started > time_budget_s:
                next_page = pno  # this task's time is spent: the rest in another (slices.py)
                break
            try:
                page = doc.load_page(pno - 1)
                text = page.get_text("text", flags=PAGE_TEXT_FLAGS)
                if not text.strip() and _is_blank(doc, page):
                    continue
                usable = bool(text.strip()) and not looks_garbled(text)
                if not usable and text.strip():
                    garbled.append(pno)
            except (RuntimeError, ValueError) as exc:
                _raise_if_oom(exc)
                log.warning("%s: page %d unreadable: %s", path, pno, _mupdf_message(exc))
                failed_pages.append(pno)
                continue
            if not usable:
                text = ocr.read(pno, lambda: pdf_page_pixels(page), path)
                if not text:
                    continue
            sections += cut_sections(text, [(0, len(text), paths[pno - 1])], page=pno)

        warnings = []
        if doc.is_repaired:
            warnings.append(REPAIRED)
        if garbled:
            warnings.append(f"unreadable text (font without Unicode mapping) on {page_list(garbled)}")
        if failed_pages:
            warnings.append(f"could not read {page_list(failed_pages)}")
        warnings += ocr.warnings(page_list)
        return ParsedDocument(
            kind=kind,
            sections=sections,
            title=meta_title,
            page_count=count,
            warnings=tuple(warnings),
            needs_ocr_pages=tuple(ocr.needed),
            ocr_pages=tuple(ocr.done),
            next_page=next_page,
        )

