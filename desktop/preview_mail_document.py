"""The document a MessageView shows (desktop/preview_mail.py), built off the GUI thread: the
header block, the attachment list, then the body and each attachment's text under its name.

Every piece of the message's text goes in as a part of its own (frames and labels take
positions of their own), so a span of the text maps to document positions part by part, as on
a slide (preview_slide.py). The "From: … · To: … · Date: …" line the parser puts before the body
is shown as the header block instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor, QTextDocument, QTextFormat, QTextFrameFormat

from desktop.preview_jobs import MAX_SHOWN_CHARS
from desktop.preview_slide import INK, MUTED, NOTES
from desktop.preview_text import TEXT_HIGHLIGHT

if TYPE_CHECKING:
    from desktop.preview_mail import AttachmentState, Message

FAILED = QColor("#9c2b16")  # an attachment that was not read
ENVELOPE_FIELDS = ("From", "To", "Date")  # what core/parsing/mail.py writes before the body, in order

Positions = list[tuple[int, int, int]]  # (start in the text, end in the text, document position)


def build_document(message: Message, states: tuple[AttachmentState, ...], found: list[tuple[int, int]],
                   base_size: float):
    """The document, the map from a span of the message's text to document positions, and
    whether some text was left out (a message longer than the preview shows at once)."""
    document = QTextDocument()
    font = QFont(document.defaultFont())
    font.setPointSizeF(base_size)
    document.setDefaultFont(font)
    document.setDocumentMargin(12)
    cursor = QTextCursor(document)
    _header(cursor, message)
    _attachment_list(cursor, states)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    parts: Positions = []
    cut = _texts(cursor, message, found, parts)
    document.moveToThread(QCoreApplication.instance().thread())
    text = message.parsed.text

    def positions(a: int, b: int) -> list[tuple[int, int]]:
        """The span [a, b) of the text as document positions, a piece per part it touches."""
        def units(start: int, offset: int) -> int:
            return len(text[start:offset].encode("utf-16-le")) // 2
        return [(at + units(start, max(a, start)), at + units(start, min(b, end)))
                for start, end, at in parts if a < end and b > start]

    return document, positions, cut


def _header(cursor: QTextCursor, message: Message) -> None:
    box = QTextFrameFormat()
    box.setBackground(NOTES)
    box.setPadding(12)
    box.setMargin(4)
    cursor.insertFrame(box)
    subject = _fmt(INK, bold=True)
    subject.setProperty(QTextFormat.Property.FontSizeAdjustment, 2)  # follows the view's zoom
    cursor.insertText(message.outline.subject, subject)
    for name, value in message.outline.fields:
        cursor.insertBlock()
        cursor.insertText(f"{name}: ", _fmt(MUTED, bold=True))
        cursor.insertText(value, _fmt(INK))
    for warning in message.own_warnings:  # a damaged part, an unknown charset: what may be missing
        cursor.insertBlock()
        cursor.insertText(f"Note: {warning}", _fmt(FAILED))
    cursor.movePosition(QTextCursor.MoveOperation.End)


def _attachment_list(cursor: QTextCursor, states: tuple[AttachmentState, ...]) -> None:
    cursor.insertBlock()
    if not states:
        cursor.insertText("No attachments", _fmt(MUTED))
        return
    cursor.insertText(f"Attachments ({len(states)})", _fmt(MUTED, bold=True))
    for state in states:
        cursor.insertBlock()
        name = _fmt(INK if state.read else FAILED, bold=state.cited)
        if state.cited:
            name.setBackground(TEXT_HIGHLIGHT)
        cursor.insertText(f"• {state.name}", name)
        cursor.insertText(f" — {state.status}", _fmt(MUTED if state.read else FAILED))
        if state.cited:
            cursor.insertText("  ◀ the cited passage", _fmt(INK, bold=True))


def _texts(cursor: QTextCursor, message: Message, found: list[tuple[int, int]], parts: Positions) -> bool:
    """The body, then each attachment's text under its name and each part of it (a page, a
    heading) under a label; Sections beyond MAX_SHOWN_CHARS are left out unless cited. Returns
    whether any were."""
    parsed, headings = message.parsed, message.headings
    labels = {a.heading: a.name if a.subject is None else f"{a.name} — {a.subject}"
              for a in message.outline.attachments}
    envelope = " · ".join(f"{n}: {v}" for n in ENVELOPE_FIELDS if (v := message.outline.field(n)))
    cursor.insertBlock()
    if not headings:
        cursor.insertBlock()
        cursor.insertText("This message has no text that could be read.", _fmt(MUTED))
        return False
    shown, left_out, place = 0, False, ()
    for i, heading in enumerate(headings):
        start = parsed.display_starts[i]
        end = start + parsed.lengths[i]
        cited = any(a < end and b > start for a, b in found)
        if shown + end - start > MAX_SHOWN_CHARS and not cited:
            left_out = True
            continue
        shown += end - start
        if i == 0 and len(heading) == 1 and envelope:  # shown in the header block
            if parsed.text[start:end] == envelope:
                continue
            if parsed.text.startswith(envelope + "\n\n", start):
                start += len(envelope) + 2
        cursor.insertBlock()
        if heading[1:] != place:
            if len(heading) > 1 and heading[1:2] != place[:1]:  # a new attachment
                cursor.insertBlock()
                cursor.insertText(labels.get(heading[1], heading[1]), _fmt(INK, bold=True))
                cursor.insertBlock()
            if len(heading) > 2:  # a page, a sheet, a heading inside it
                cursor.insertText(" › ".join(heading[2:]), _fmt(MUTED))
                cursor.insertBlock()
            place = heading[1:]
        parts.append((start, end, cursor.position()))
        cursor.insertText(parsed.text[start:end].replace("\r\n", " \n").replace("\r", "\n"), _fmt(INK))
        cursor.insertBlock()
    return left_out


def _fmt(colour: QColor, bold: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(colour)
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt
