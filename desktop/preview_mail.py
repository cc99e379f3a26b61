"""A cited e-mail in the preview: the one message (of an .eml, an Outlook .msg, or a mailbox of
thousands) with a header block (subject, sender, recipients, date), the list of its attachments
and what became of each (read, or why not), then its body and its attachments' text, the cited
passage marked and scrolled into view. Paging goes through the mailbox's messages.

Only the shown message is read: a mailbox is scanned once for where its messages begin (cached
by mtime and size), and the message is parsed alone by the parser's own dispatcher, so its text,
headings and warnings are those of the index (core/parsing/mail.py numbers a mailbox's messages
the same way). The index's offsets count from the start of the whole file's text, which holds
for the first message only; in the others the passage is found by its text, nearest to the
Section the citation's heading names. The document is built in preview_mail_document.py.
"""

from __future__ import annotations

import bisect
import functools
import io
import os
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QTextDocument
from PySide6.QtWidgets import QTextEdit

from core.parsing import ParsedDocument
from core.parsing.files import read_all
from core.parsing.formats import SUPPORTED_EXTENSIONS
from core.parsing.mail import msg_as_mime, split_mbox
from core.parsing.mail_outline import Outline, outline
from core.parsing.ocr.options import OcrOptions
from core.parsing.parse import DEFAULT_MAX_BYTES, parse_bytes
from core.parsing.sniff import HEAD_BYTES, is_mailbox, sniff
from desktop.preview_locate import ParsedText, as_indexed, join_sections, locate_in_text
from desktop.preview_mail_document import build_document
from desktop.preview_slide import CARD, INK
from desktop.preview_text import mark, replace_document

GONE = "This passage is no longer in this message; the file changed after indexing."


def is_mail(citation: dict) -> bool:
    """A citation of a message (stored citations from before kinds were kept: by extension)."""
    kind = citation.get("kind") or SUPPORTED_EXTENSIONS.get(
        os.path.splitext(str(citation.get("path", "")))[1].lower())
    return kind == "mail"


@dataclass(frozen=True)
class AttachmentState:
    name: str
    read: bool  # its text is in the index (and shown below the body)
    reason: str  # why it was not read, or what its reader warned about; "" when nothing
    cited: bool = False  # the cited passage is in it

    @property
    def status(self) -> str:
        if self.read:
            return "read" + (f" ({self.reason})" if self.reason else "")
        return f"not read: {self.reason}"


@dataclass
class MailResult:
    document: QTextDocument
    number: int  # the message shown, 1-based
    count: int  # messages in the file
    heading: str  # the message's subject
    text: str  # the message's text as the index has it (body, then attachments)
    spans: list[tuple[int, int]]  # what is marked in ``text``
    cursor_spans: list[tuple[int, int]]  # the same in document positions
    note: str = ""  # when the passage is not in the message any more, or not all is shown
    fields: tuple[tuple[str, str], ...] = ()  # the header block: ("From", …), ("To", …) …
    attachments: tuple[AttachmentState, ...] = ()


@dataclass(frozen=True)
class Mailbox:
    format: str  # "mbox", "msg" or "eml": what the parser reads the file as
    offsets: tuple[int, ...]  # where each message begins ("From " line of an mbox; (0,) otherwise)
    size: int

    @property
    def count(self) -> int:
        return len(self.offsets)


@dataclass(frozen=True)
class Message:
    outline: Outline
    parsed: ParsedText  # its Sections joined, as the text preview joins them
    headings: tuple[tuple[str, ...], ...]  # of parsed's Sections, in order
    warnings: tuple[str, ...]  # the parser's, as for message 1 ("message 1 › scan.png: …")

    def section_at(self, offset: int) -> int:
        return max(bisect.bisect_right(self.parsed.display_starts, offset) - 1, 0)

    @property
    def own_warnings(self) -> tuple[str, ...]:
        """The parser's warnings about the message itself ("unknown charset …", "a damaged part …")."""
        return tuple(w.removeprefix("message 1: ") for w in self.warnings if w.startswith("message 1: "))

    def part_of(self, offset: int) -> str | None:
        """The attachment (its heading: name, or an attached message's subject) holding ``offset``;
        None in the body."""
        heading = self.headings[self.section_at(offset)] if self.headings else ()
        return heading[1] if len(heading) > 1 else None


def load_message(path: str, number: int, spans: list[tuple[int, int, str]], heading: str,
                 base_size: float, ocr: OcrOptions | None) -> MailResult:
    """Message ``number`` of the file as a document for a MessageView with ``base_size`` points
    for its text, and ``spans`` (start, end, text) marked, looked for near the Section headed
    ``heading`` (as a citation joins it: "Invoice > invoice.pdf > page 2"). Attachments are read
    as the indexer read them (``ocr``: how images are, from its cache); PDFs among them make
    this MuPDF's work, for the preview's one MuPDF thread (preview_jobs.pdf_pool)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    st = os.stat(path)
    box = read_mailbox(path, st.st_mtime_ns, st.st_size)
    number = min(max(number, 1), box.count)
    message = read_message(path, st.st_mtime_ns, st.st_size, number, ocr)
    found = _find(message, number, spans, heading)
    cited = message.part_of(found[0][0]) if found else None
    states = _states(message, cited)
    document, positions, cut = build_document(message, states, found, base_size)
    notes = [GONE] if spans and not found else []
    if cut:
        notes.append("This message is long: not all of its text is shown. Open it in the system viewer "
                     "to see all of it.")
    return MailResult(document, number, box.count, message.outline.subject, message.parsed.text, found,
                      [piece for a, b in found for piece in positions(a, b)], " ".join(notes),
                      message.outline.fields, states)


@functools.lru_cache(maxsize=4)  # keyed by mtime and size: a mailbox is scanned once
def read_mailbox(path: str, _mtime_ns: int, size: int) -> Mailbox:
    """Where the file's messages begin, told apart as parse.py tells them (.mbox by its name or, without
    extension, by its start; an Outlook message by its OLE2 header; any other as one message)."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        ext = os.path.splitext(path)[1].lower()
        if ext == ".mbox" or (not ext and is_mailbox(head)):
            return Mailbox("mbox", tuple(at for at, _raw in split_mbox(fh, DEFAULT_MAX_BYTES)), size)
    return Mailbox("msg" if sniff(head) == "ole2" else "eml", (0,), size)


@functools.lru_cache(maxsize=4)  # paging back and forth, zooming: each message parsed once
def read_message(path: str, mtime_ns: int, size: int, number: int, ocr: OcrOptions | None) -> Message:
    box = read_mailbox(path, mtime_ns, size)
    with open(path, "rb") as fh:
        if box.format == "mbox":  # the message's own lines, its "From " line first
            start = box.offsets[number - 1]
            end = box.offsets[number] if number < box.count else size
            fh.seek(start)
            data = fh.read(end - start)
            mime = next(split_mbox(io.BytesIO(data), DEFAULT_MAX_BYTES))[1]
        else:
            data = mime = read_all(fh, DEFAULT_MAX_BYTES)
            if box.format == "msg":
                mime = msg_as_mime(data)
    # Parsed by the dispatcher as a file of one message: the text and warnings the index got.
    # Pictures only as the indexer read them (its OCR cache), never read anew: the offsets hold.
    doc: ParsedDocument = parse_bytes(f"message.{box.format}", data, ocr=as_indexed(ocr))
    sections = sorted(doc.sections, key=lambda s: s.start)
    return Message(outline(mime), join_sections(doc), tuple(s.heading for s in sections), doc.warnings)


def _find(message: Message, number: int, spans, heading: str) -> list[tuple[int, int]]:
    parsed = message.parsed
    near = next((parsed.display_starts[i] for i, h in enumerate(message.headings) if " > ".join(h) == heading), 0)
    found = []
    for start, end, passage in spans:
        if number == 1:  # the file's text begins with this message: the offsets hold
            start, end = parsed.to_display(start), parsed.to_display(end)
        else:  # a Section often begins with the passage; else it is looked for by its text
            start, end = near, near + (end - start)
        if span := locate_in_text(parsed.text, start, end, passage):
            found.append(span)
    return found


def _states(message: Message, cited: str | None) -> tuple[AttachmentState, ...]:
    """What became of each attachment: read when Sections are headed by it, else the reason the
    parser gave (its warning "message 1 › name: reason")."""
    read = {h[1] for h in message.headings if len(h) > 1}
    states = []
    for attachment in message.outline.attachments:
        prefix = f"message 1 › {attachment.name}: "
        reasons = [w[len(prefix):] for w in message.warnings if w.startswith(prefix)]
        is_read = attachment.heading in read
        reason = "; ".join(reasons) or ("" if is_read else "empty")
        states.append(AttachmentState(attachment.name, is_read, reason, is_read and attachment.heading == cited))
    return tuple(states)


class MessageView(QTextEdit):
    """Shows a MailResult: the header, the attachments, the text, the passage marked and in view."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAccessibleName("Message")
        palette = self.palette()  # a message reads like a sheet of paper, in a dark theme too
        palette.setColor(QPalette.ColorRole.Base, CARD)
        palette.setColor(QPalette.ColorRole.Text, INK)
        self.setPalette(palette)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self._document: QTextDocument | None = None
        self.result: MailResult | None = None

    def show_result(self, result: MailResult) -> None:
        self.result = result
        self._document = replace_document(self, self._document, result.document)
        mark(self, result.document, result.cursor_spans)
        self.ensureCursorVisible()
        if result.cursor_spans:  # the passage a third of the way down, its context above it
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + self.cursorRect().top() - self.viewport().height() // 3)

    @property
    def passage_in_view(self) -> bool:
        """The start of the marked passage is inside the visible part of the view."""
        return bool(self.result and self.result.cursor_spans) and self.viewport().rect().contains(
            self.cursorRect().center())
