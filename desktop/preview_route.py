"""Which view of the source preview shows a citation, by the kind of its file, and how a view
that pages through numbered parts (a deck's slides, a mailbox's messages) loads one of them.

Citations stored before they carried a kind are told by the file's extension (is_slide,
is_mail, is_sheet_citation).
"""

from __future__ import annotations

from PySide6.QtCore import QThreadPool

from core.parsing.ocr.options import OcrOptions
from desktop.preview_jobs import pdf_pool
from desktop.preview_mail import MailResult, is_mail, load_message
from desktop.preview_sheet import is_sheet_citation
from desktop.preview_slide import SlideResult, is_slide, load_slide

SLIDE, MAIL, SHEET, PAGE, TEXT = "slide", "mail", "sheet", "page", "text"
PARTS = (SLIDE, MAIL)  # shown one numbered part at a time, as a text document


def route(citation: dict) -> str:
    """SLIDE, MAIL, SHEET, PAGE (rendered: a PDF page, an e-book's, an image) or TEXT (the
    file's parsed text)."""
    if is_slide(citation):
        return SLIDE
    if is_mail(citation):  # its page counts messages, which are not rendered
        return MAIL
    if is_sheet_citation(citation):  # its page counts sheets
        return SHEET
    if citation.get("page") or citation.get("kind") == "image":  # an image: one page
        return PAGE
    return TEXT


def part_pool(view: str) -> QThreadPool:
    """Where a part is loaded: a message's PDF attachments are read by MuPDF, which is not
    thread-safe, so on the thread every other MuPDF use of the preview runs on."""
    return pdf_pool() if view == MAIL else QThreadPool.globalInstance()


def load_part(view: str, citation: dict, number: int, spans: list[tuple[int, int, str]], base_size: float,
              ocr: OcrOptions | None) -> SlideResult | MailResult:
    """Part ``number`` of the cited file for the SLIDE or MAIL view, ``spans`` marked; worker thread."""
    path = str(citation["path"])
    if view == SLIDE:
        return load_slide(path, number, spans, base_size, ocr)
    return load_message(path, number, spans, citation.get("heading") or "", base_size, ocr)
