"""What a user reads about a file that was read: its status and the reason beside it."""

from __future__ import annotations

from collections.abc import Sequence

from core.manifest import INDEXED, NEEDS_OCR, SKIPPED
from core.parsing.model import OCR_OFF, ParsedDocument


def status_of(doc: ParsedDocument, has_chunks: bool) -> tuple[str, str]:
    """A parsed file's status, with its warnings, OCR notes and pages still to OCR.

    Pictures inside a document (DOCX, a deck) OCR did not read make it "needs OCR" when OCR
    could not read them (not available, failed, out of time: Retry reads them); when OCR is off
    they are only mentioned: the document's text is indexed, and most pictures hold no text, so
    every file with a photo would otherwise be listed as a problem the user chose to have."""
    notes = list(doc.warnings)
    if doc.ocr_pages:
        notes.append("text read by OCR" if doc.page_count is None else f"text of {page_list(doc.ocr_pages)} read by OCR")
    if doc.ocr_pictures:
        notes.append(f"text of {pictures(doc.ocr_pictures)} read by OCR")
    if doc.needs_ocr_pages or (doc.needs_ocr_pictures and OCR_OFF not in doc.warnings):
        return NEEDS_OCR, ocr_needed(doc.needs_ocr_pages, doc.page_count, notes, doc.needs_ocr_pictures)
    if doc.needs_ocr_pictures:
        notes.insert(0, f"{pictures(doc.needs_ocr_pictures)} not read by OCR")
    if not has_chunks:
        return SKIPPED, "; ".join(["no text found"] + notes)
    return INDEXED, "; ".join(notes)


def ocr_needed(pages: tuple[int, ...], page_count: int | None, notes: Sequence[str] = (),
               unread_pictures: int = 0) -> str:
    """Pages (and pictures in a document) OCR did not read; ``notes`` (the parser's warnings) say
    why: OCR off, not available, failed."""
    heads = []
    if pages and page_count is None:  # an image: one picture, no pages
        heads.append("its text was not read by OCR")
    elif pages:
        heads.append(f"{len(pages)} of {page_count} pages have no text layer ({page_list(pages)}) and were not read by OCR")
    if unread_pictures:
        heads.append(f"{pictures(unread_pictures)} not read by OCR")
    return "; ".join([*heads, *notes])


def pictures(n: int) -> str:
    return f"{n} picture" + ("" if n == 1 else "s")


def page_list(pages: tuple[int, ...]) -> str:
    shown = ", ".join(str(p) for p in pages[:10])
    more = f" and {len(pages) - 10} more" if len(pages) > 10 else ""
    return ("page " if len(pages) == 1 else "pages ") + shown + more
