"""A cited slide in the preview: the slide as a card (its title large, then its text boxes and
tables), its speaker notes below it, and the passage marked wherever it is, notes included.

The slide's text comes from parsing the deck again as the indexer did (core/parsing/deck.py), so
the index's offsets, which count within the slide, still point at the passage; a passage that
moved to another slide (the deck was edited) is shown there, with a note saying so.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import (QColor, QFont, QPalette, QTextCharFormat, QTextCursor, QTextDocument,
                           QTextFormat, QTextFrameFormat)
from PySide6.QtWidgets import QTextEdit

from core.parsing import parse_file
from core.parsing.deck import HIDDEN_MARK, NOTES_LABEL, split_slide
from core.parsing.formats import SUPPORTED_EXTENSIONS
from core.parsing.ocr.options import OcrOptions
from desktop.preview_locate import Flattened, ParsedText, as_indexed, flatten, join_sections, locate_in_text
from desktop.preview_text import mark, replace_document

# The card and the notes have colours of their own, so their text has too (a dark theme's light
# text would not show on them).
CARD = QColor("#ffffff")
CARD_BORDER = QColor("#9a9a9a")
NOTES = QColor("#f3f1ea")
INK = QColor("#1b1b1b")
MUTED = QColor("#5f5f5f")


def is_slide(citation: dict) -> bool:
    """A citation of a slide deck (stored citations from before kinds were kept: by extension)."""
    kind = citation.get("kind") or SUPPORTED_EXTENSIONS.get(
        os.path.splitext(str(citation.get("path", "")))[1].lower())
    return kind == "slides" and bool(citation.get("page"))


@dataclass
class SlideResult:
    document: QTextDocument
    number: int  # the slide shown, 1-based
    count: int  # slides in the deck
    heading: str  # the slide's title ("Slide 3" without one; "(hidden)" when hidden)
    text: str  # the slide's text as the index has it
    spans: list[tuple[int, int]]  # what is marked in ``text``
    cursor_spans: list[tuple[int, int]]  # the same in document positions
    note: str = ""  # when the marked passage is not where the citation said, or is gone


@dataclass(frozen=True)
class _Deck:
    count: int
    slides: dict[int, tuple[ParsedText, str]]  # number → its text and heading


def load_slide(path: str, number: int, spans: list[tuple[int, int, str]], base_size: float,
               ocr: OcrOptions | None = None) -> SlideResult:
    """Slide ``number`` of the deck, as a document for a SlideView with ``base_size`` points for
    its text, and ``spans`` (start, end, text) marked; worker thread. The text of its pictures
    comes from the OCR cache in ``ocr``'s data folder, as the indexer read it."""
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    st = os.stat(path)
    deck = _read_deck(path, st.st_mtime_ns, st.st_size, ocr)
    number = min(max(number, 1), max(deck.count, 1))
    note, found = "", _find(deck, number, spans)
    if spans and not found:
        moved = _moved_to(deck, number, spans[0][2])
        if moved:
            number, found = moved
            note = f"This passage is now on slide {number}; the file changed after indexing."
        else:
            note = "This passage is no longer in the file; it changed after indexing."
    parsed, heading = deck.slides.get(number, (ParsedText("", "slides", [], [], []), f"Slide {number}"))
    document, positions = _document(parsed.text, number, heading, base_size)
    cursor_spans = [piece for a, b in found for piece in positions(a, b)]
    return SlideResult(document, number, deck.count, heading, parsed.text, found, cursor_spans, note)


@functools.lru_cache(maxsize=2)  # keyed by mtime and size: paging through a deck parses it once
def _read_deck(path: str, _mtime_ns: int, _size: int, ocr: OcrOptions | None) -> _Deck:
    doc = parse_file(path, ocr=as_indexed(ocr))
    pages = sorted({s.page for s in doc.sections if s.page})
    slides = {}
    for page in pages:
        own = [s for s in doc.sections if s.page == page]
        slides[page] = (join_sections(dataclasses.replace(doc, sections=own)), own[0].heading[0])
    return _Deck(doc.page_count or (pages[-1] if pages else 0), slides)


def _find(deck: _Deck, number: int, spans) -> list[tuple[int, int]]:
    if number not in deck.slides:
        return []
    parsed = deck.slides[number][0]
    return [span for start, end, passage in spans
            if (span := locate_in_text(parsed.text, parsed.to_display(start), parsed.to_display(end), passage))]


def _moved_to(deck: _Deck, cited: int, passage: str) -> tuple[int, list[tuple[int, int]]] | None:
    needle = flatten(passage)
    for number, (parsed, _heading) in sorted(deck.slides.items()):
        span = Flattened(parsed.text).find(needle) if number != cited and needle else None
        if span:
            return number, [span]
    return None


def _document(text: str, number: int, heading: str, base_size: float):
    """The slide as a card and its notes below, and the map from a span of ``text`` to positions
    in the document (frames take positions of their own, so each part is mapped apart)."""
    document = QTextDocument()
    font = QFont(document.defaultFont())
    font.setPointSizeF(base_size)
    document.setDefaultFont(font)
    document.setDocumentMargin(12)
    title_end, notes_start = split_slide(text, heading)
    body_start = title_end + 2 if title_end else 0
    cursor = QTextCursor(document)
    parts: list[tuple[int, int, int]] = []  # (start in text, end in text, document position)

    card = QTextFrameFormat()
    card.setBackground(CARD)
    card.setBorder(1)
    card.setBorderBrush(CARD_BORDER)
    card.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
    card.setPadding(18)
    card.setMargin(6)
    cursor.insertFrame(card)
    if not title_end or heading.endswith(HIDDEN_MARK):  # what the slide's own text does not say
        caption = f"Slide {number}" + (" · hidden in the slide show" if heading.endswith(HIDDEN_MARK) else "")
        cursor.insertText(caption, _muted())
        cursor.insertBlock()
        if not title_end:
            cursor.insertBlock()
    if title_end:
        title = _ink()
        title.setFontWeight(QFont.Weight.Bold)
        title.setProperty(QTextFormat.Property.FontSizeAdjustment, 2)  # follows the view's zoom
        parts.append((0, title_end, cursor.position()))
        cursor.insertText(text[:title_end], title)
        if body_start < notes_start:
            cursor.insertBlock()
            cursor.insertBlock()
    body_end = notes_start - 2 if notes_start < len(text) else notes_start
    if body_start < body_end:
        parts.append((body_start, body_end, cursor.position()))
        cursor.insertText(text[body_start:body_end], _ink())
    elif not title_end:
        cursor.insertText("This slide has no text.", _muted())
    cursor.movePosition(QTextCursor.MoveOperation.End)

    if notes_start < len(text):
        cursor.insertBlock()
        cursor.insertText(NOTES_LABEL.rstrip(":"), _muted(bold=True))
        box = QTextFrameFormat()
        box.setBackground(NOTES)
        box.setPadding(10)
        box.setMargin(6)
        box.setTopMargin(2)
        cursor.insertFrame(box)
        notes_text = notes_start + len(NOTES_LABEL) + 1
        parts.append((notes_text, len(text), cursor.position()))
        cursor.insertText(text[notes_text:], _ink())
    document.moveToThread(QCoreApplication.instance().thread())

    def positions(a: int, b: int) -> list[tuple[int, int]]:
        """The span [a, b) of ``text`` as document positions, a piece per part it touches (a
        selection across frames would take in whole frames)."""
        def units(start: int, offset: int) -> int:
            return len(text[start:offset].encode("utf-16-le")) // 2
        return [(at + units(start, max(a, start)), at + units(start, min(b, end)))
                for start, end, at in parts if a < end and b > start]

    return document, positions


def _ink() -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(INK)
    return fmt


def _muted(bold: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(MUTED)
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


class SlideView(QTextEdit):
    """Shows a SlideResult: the card, the notes, the passage marked and scrolled into view."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAccessibleName("Slide")
        palette = self.palette()  # around the card: the window's colour, as around a PDF page
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        self.setPalette(palette)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self._document: QTextDocument | None = None

    def show_result(self, result: SlideResult) -> None:
        self._document = replace_document(self, self._document, result.document)
        mark(self, result.document, result.cursor_spans)
        self.ensureCursorVisible()
