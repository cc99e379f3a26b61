"""What a user reads about a file that was read: its status and the reason beside it."""

from __future__ import annotations

from collections.abc import Sequence

from core.manifest import INDEXED, NEEDS_OCR, SKIPPED
from core.parsing.model import ParsedDocument


def status_of(doc: ParsedDocument, has_chunks: bool) -> tuple[str, str]:
    """A parsed file's status, with its warnings, OCR notes and pages still to OCR."""
    notes = list(doc.warnings)
    if doc.ocr_pages:
        notes.append("text read by OCR" if doc.page_count is None else f"text of {page_list(doc.ocr_pages)} read by OCR")
    if doc.needs_ocr_pages:
        return NEEDS_OCR, "; ".join([ocr_needed(doc.needs_ocr_pages, doc.page_count)] + notes)
    if not has_chunks:
        return SKIPPED, "; ".join(["no text found"] + notes)
    return INDEXED, "; ".join(notes)


def ocr_needed(pages: tuple[int, ...], page_count: int | None, notes: Sequence[str] = ()) -> str:
    """Pages OCR did not read; ``notes`` (the parser's warnings) say why: OCR off, not available, failed."""
    if page_count is None:  # an image: one picture, no pages
        head = "its text was not read by OCR"
    else:
        head = f"{len(pages)} of {page_count} pages have no text layer ({page_list(pages)}) and were not read by OCR"
    return "; ".join([head, *notes])


def page_list(pages: tuple[int, ...]) -> str:
    shown = ", ".join(str(p) for p in pages[:10])
    more = f" and {len(pages) - 10} more" if len(pages) > 10 else ""
    return ("page " if len(pages) == 1 else "pages ") + shown + more
