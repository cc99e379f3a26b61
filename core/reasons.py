"""What a user reads about a file that was read: its status and the reason beside it."""

from __future__ import annotations

from core.manifest import INDEXED, NEEDS_OCR, SKIPPED
from core.parsing.model import ParsedDocument


def status_of(doc: ParsedDocument, has_chunks: bool) -> tuple[str, str]:
    """A parsed file's status, with its warnings, OCR notes and pages still to OCR."""
    notes = list(doc.warnings)
    if doc.ocr_pages:
        notes.append(f"text of {page_list(doc.ocr_pages)} read by OCR")
    if doc.needs_ocr_pages:
        return NEEDS_OCR, "; ".join([ocr_needed(doc.needs_ocr_pages, doc.page_count)] + notes)
    if not has_chunks:
        return SKIPPED, "; ".join(["no text found"] + notes)
    return INDEXED, "; ".join(notes)


def ocr_needed(pages: tuple[int, ...], page_count: int | None) -> str:
    total = f" of {page_count}" if page_count else ""
    return f"{len(pages)}{total} pages have no text layer ({page_list(pages)}); install Tesseract OCR to index them"


def page_list(pages: tuple[int, ...]) -> str:
    shown = ", ".join(str(p) for p in pages[:10])
    more = f" and {len(pages) - 10} more" if len(pages) > 10 else ""
    return ("page " if len(pages) == 1 else "pages ") + shown + more
