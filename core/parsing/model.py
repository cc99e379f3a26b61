"""What a parser hands to the rest of the core: located sections of text, or a reason why not."""

from __future__ import annotations

from dataclasses import dataclass, field

# The reason given for a document with pages but no text layer (the indexer files it under "needs_ocr").
NEEDS_OCR = "no text layer (OCR needed)"
NO_TEXT_IN_IMAGE = "no text found in image"
# The warning of a document whose scanned pages or pictures were not read because OCR is off.
OCR_OFF = "OCR is turned off in the settings"


@dataclass(frozen=True)
class Section:
    """A run of text with everything a citation needs to point back at it.

    ``start`` is the character offset of ``text`` inside its *locator unit*: the page's
    extracted text for paged formats (PDF, EPUB, XPS …), the whole decoded file otherwise.
    """

    text: str
    start: int
    page: int | None = None  # 1-based; None for formats without pages
    heading: tuple[str, ...] = ()


@dataclass(frozen=True)
class Envelope:
    """Who sent a message, to whom and when: what a search can filter mail on (core/mail_filter.py)."""

    page: int  # the message's number in its file (the ``page`` of its Sections and its attachments')
    sender: str  # the From header decoded: "Ana Silva <ana@example.org>", several joined by ", "
    recipients: str  # To and Cc, decoded, joined by ", "
    sent_at: int | None  # the Date header in seconds since the epoch (UTC); None when missing or unreadable


@dataclass(frozen=True)
class ParsedDocument:
    kind: str  # "pdf", "epub", "markdown", "text", "rst", "html", "docx", "code", "image", …
    sections: list[Section]
    title: str | None = None
    page_count: int | None = None
    warnings: tuple[str, ...] = ()  # e.g. "repaired a broken cross-reference table"
    needs_ocr_pages: tuple[int, ...] = ()  # pages without a text layer that were not OCRed
    ocr_pages: tuple[int, ...] = ()  # pages whose text came from OCR
    # Pictures inside a document (DOCX, ODT, a deck's slides: core/parsing/pictures.py): how many
    # gave text by OCR, and how many that may hold text were not read (OCR off, not available,
    # failed, or this task's time ran out: the warnings say which).
    ocr_pictures: int = 0
    needs_ocr_pictures: int = 0
    # A window of pages parsed within a time budget (OCR) may stop early: the first page it left.
    next_page: int | None = None
    envelopes: tuple[Envelope, ...] = ()  # mail: one per message of the file


@dataclass
class ParseError(Exception):
    """A file that cannot be indexed, with a status and a reason a user can act on."""

    status: str  # "skipped" (by policy: encrypted, unsupported, too large) or "failed"
    reason: str
    retry: bool = False  # worth retrying later (access denied, file busy)
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.reason}"

    def __reduce__(self):
        # Exceptions pickle from ``self.args``, which is empty when built with keywords; worker
        # processes send these back to the parent, so pickle from the fields instead.
        return (type(self), (self.status, self.reason, self.retry, self.details))
