"""A mail file's attachments, parsed like files within ONE time budget for the whole mail file.

A mail file (an .eml, an .msg, a whole MBOX) is parsed in one parser task, and OCR makes an
attached photo or scanned page cost a second or more. Given the task's time budget again for each
attachment, a mailbox of photos ran past the parser's timeout and lost every message. So a mail
file's attachments share one deadline: the task's ``time_budget_s`` (a share of the pool's
timeout, slices.py) from the moment the file began to be read. Before it, an attachment is parsed
with OCR within the time left (a PDF, a deck or a TIFF then stops after the page that spends it,
and its other pages are read without OCR); after it, attachments are parsed with OCR off. Either
way every message's body is read, and every attachment's own text (text layers, a document's
paragraphs); only OCR is left out.

What OCR did not read in attachments (pictures and scanned pages, both counted as pictures: a
scanned page is a picture of a page) is counted into the mail document's ``needs_ocr_pictures``,
what it read into ``ocr_pictures``, as pictures.py does for a DOCX; what time left out is said
once for the file (``time_ran_out``). The file's status is then "needs OCR" (core/reasons.py), and
a Retry reads it again from the start: what was read comes back from the OCR cache in moments, and
the time goes to what was left. The first attachment with something for OCR is read whatever the
time, so every task reads at least one more picture.

Past the deadline OCR is off, not ``OcrOptions.cached_only``: a cached reading is found by its
pixels, which costs decoding every photo and rendering every scanned page (the time there is not),
and a picture not in the cache would come back as "no legible text" rather than as not read.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from .model import OCR_OFF, ParsedDocument
from .ocr.options import OcrOptions
from .slices import merge

# (file name, its bytes, nesting depth, OCR options or None, time budget, page range) → the
# attachment parsed like a file of that name (parse.parse_bytes); raises ParseError.
ParseBytes = Callable[[str, bytes, int, OcrOptions | None, float | None, tuple[int, int] | None],
                      ParsedDocument]
NO_TEXT = "no text content"
NOT_READ = "not read by OCR"


def time_ran_out(count: int) -> str:
    """The warning of a mail file whose attachments' pictures time left unread."""
    return f"time ran out before {pictures(count)} in attachments could be read (Retry reads on)"


def pictures(count: int) -> str:
    return f"{count} picture" + ("" if count == 1 else "s")


class AttachmentReader:
    """Parses the attachments of one mail file (mail.py's ParseAttachment) and keeps count."""

    def __init__(self, parse: ParseBytes, ocr: OcrOptions | None, time_budget_s: float | None,
                 clock: Callable[[], float] = time.monotonic):
        self._parse = parse
        self._ocr = ocr
        self._clock = clock
        self._deadline = None if time_budget_s is None else clock() + time_budget_s
        self._progressed = False  # an attachment with pictures or scanned pages had OCR in this task
        self.read = 0  # pictures (and scanned pages) in attachments whose text OCR read
        self.unread = 0  # that OCR did not read: off, not available, failed, out of time
        self.late = 0  # of them, left because the file's time ran out

    def __call__(self, name: str, data: bytes, depth: int) -> ParsedDocument:
        """The attachment parsed, with the warnings to give for it; raises ParseError."""
        late = 0
        if self._ocr is not None and self._in_time():
            doc = self._parse(name, data, depth, self._ocr, self._left(), None)
            self._progressed = self._progressed or bool(_read(doc) or _unread(doc))
            if doc.next_page is not None and doc.page_count:  # its time spent: the other pages without OCR
                rest = self._parse(name, data, depth, None, None, (doc.next_page, doc.page_count))
                late = _unread(rest)
                doc = merge([doc, rest], doc.page_count)
        else:
            doc = self._parse(name, data, depth, None, None, None)
            late = _unread(doc) if self._ocr is not None else 0
        self.read += _read(doc)
        self.unread += _unread(doc)
        self.late += late
        return dataclasses.replace(doc, warnings=self._notes(doc, late))

    def finish(self, doc: ParsedDocument) -> ParsedDocument:
        """The mail file's document with what OCR did and did not read in its attachments."""
        head = [time_ran_out(self.late)] if self.late else []
        tail = [OCR_OFF] if self.unread and self._ocr is None else []
        return dataclasses.replace(doc, warnings=(*head, *doc.warnings, *tail), ocr_pictures=self.read,
                                   needs_ocr_pictures=self.unread)

    def _in_time(self) -> bool:
        return self._deadline is None or not self._progressed or self._clock() < self._deadline

    def _left(self) -> float | None:
        return None if self._deadline is None else max(0.0, self._deadline - self._clock())

    @staticmethod
    def _notes(doc: ParsedDocument, late: int) -> tuple[str, ...]:
        """The attachment's warnings, less "OCR is turned off" (said once for the file, and not
        so past the deadline); an attachment without text says why, unless time's warning does."""
        notes = [w for w in doc.warnings if w != OCR_OFF]
        if not doc.sections and not _unread(doc):
            notes.insert(0, NO_TEXT)
        elif not doc.sections and late < _unread(doc):
            notes.insert(0, NOT_READ)
        return tuple(notes)


def _read(doc: ParsedDocument) -> int:
    return len(doc.ocr_pages) + doc.ocr_pictures


def _unread(doc: ParsedDocument) -> int:
    return len(doc.needs_ocr_pages) + doc.needs_ocr_pictures
