"""The sources listed under an answer: one card per citation, and the "Why these sources?" link.

File names, headings and snippets come from the user's documents, so every label is plain text.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.locator import place
from core.manifest import display_path
from core.match_strength import describe_match
from core.twins import describe_twins
from desktop.chat_bubble import blend

SNIPPET_CHARS = 220
MATCH_TIP = ("How well this passage matched the question: \"meaning\" is the search by meaning (0-100), "
             "\"exact words\" says the word search found it too")
WORDING_TIP = "; the answer named no source, so this one was matched by its wording"


def file_name(path: str) -> str:
    """The name as text: Qt would silently drop bytes that are not UTF-8 (U+FFFD shows them)."""
    return display_path(re.split(r"[\\/]", path.rstrip("\\/"))[-1] or path)


def source_title(citation: dict) -> str:
    """"report.pdf, p. 3" — the short form used in tooltips, accessible names and copied text."""
    title = file_name(str(citation.get("path", "")))
    if citation.get("page"):
        title += f", {place(citation.get('kind'), citation['page'])}"
    return title


def _plain_label(text: str, muted: bool = False, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if muted:
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class SourceCard(QFrame):
    """Click (or focus and press Enter/Space) to open the passage."""

    clicked = Signal(dict)

    def __init__(self, citation: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.citation = dict(citation)
        self.setObjectName("sourceCard")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        title = source_title(citation)
        self.setAccessibleName(f"Source {citation.get('n', '')}: {title}")
        opens = "these sentences" if citation.get("sentences") else "this passage"
        self.setToolTip(f"{display_path(str(citation.get('path', '')))}\nClick to open {opens} in the file")

        number = _plain_label(f"[{citation.get('n', '')}]")
        number.setForegroundRole(QPalette.ColorRole.Link)
        name = _plain_label(file_name(str(citation.get("path", ""))))
        bold = name.font()
        bold.setBold(True)
        name.setFont(bold)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(number)
        top.addWidget(name)
        details = []
        if citation.get("page"):
            details.append(place(citation.get("kind"), citation["page"]))
        if citation.get("heading"):
            details.append(str(citation["heading"]))
        match = describe_match(citation)  # "" for citations stored before matches were kept
        if citation.get("inferred"):
            details.append("matched by wording")
        twins = display_path(describe_twins(citation.get("also_in")))  # the same text in other files
        if twins:
            details.append(twins)
        # Page, heading and match wrap under the name when the column is narrow: nothing is clipped.
        self.details = _plain_label(" · ".join(details + ([match] if match else [])), muted=True, wrap=True)
        self.details.setMinimumWidth(40)
        self.details.setToolTip((MATCH_TIP if match else "") + (WORDING_TIP if citation.get("inferred") else ""))
        top.addWidget(self.details, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(2)
        layout.addLayout(top)
        # The sentences the answer rests on, word for word; without them (older answers, nearest
        # passages) the start of the passage.
        self.quotes = [_plain_label(f"“{' '.join(str(s.get('text', '')).split())}”", wrap=True)
                       for s in citation.get("sentences") or ()]
        for quote in self.quotes:
            quote.setAccessibleName("Sentence the answer rests on")
            layout.addWidget(quote)
        snippet_text = " ".join(str(citation.get("snippet", "")).split())
        if len(snippet_text) > SNIPPET_CHARS:
            snippet_text = snippet_text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
        if snippet_text and not self.quotes:
            self.snippet = _plain_label(snippet_text, muted=True, wrap=True)
            layout.addWidget(self.snippet)

    def paintEvent(self, event):  # noqa: N802 - Qt override
        # Painted from the palette: a styled panel's frame all but vanishes in dark themes.
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        fill = blend(base, highlight, 0.10) if self.underMouse() else blend(base, text, 0.03)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.hasFocus():
            painter.setPen(QPen(highlight, 2))
        else:
            painter.setPen(blend(base, text, 0.22))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 6, 6)

    def enterEvent(self, event):  # noqa: N802 - Qt override
        self.update()
        super().enterEvent(event)

    def leaveEvent(self, event):  # noqa: N802 - Qt override
        self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event):  # noqa: N802 - Qt override
        event.accept()  # the card handles its clicks; the bubble behind it has nothing to do

    def mouseReleaseEvent(self, event):  # noqa: N802 - Qt override
        event.accept()
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(dict(self.citation))

    def keyPressEvent(self, event):  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit(dict(self.citation))
            return
        super().keyPressEvent(event)


class SourcesPanel(QWidget):
    citation_clicked = Signal(dict)
    trace_requested = Signal()

    def __init__(self, citations: list[dict], heading: str = "Sources", trace_label: str = "Why these sources?",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.cards: list[SourceCard] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(6)
        header = QHBoxLayout()
        if not citations:
            heading, trace_label = "No sources cited", "What was searched?"
        self.heading = _plain_label(heading, muted=True)
        self.heading.setWordWrap(True)
        header.addWidget(self.heading, 1)
        # Static text written here, so rich text is safe; a link reads as what it is.
        self.trace_link = QLabel(f'<a href="trace">{trace_label}</a>')
        self.trace_link.setTextFormat(Qt.TextFormat.RichText)
        self.trace_link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                                | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.trace_link.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.trace_link.setAccessibleName(trace_label)
        self.trace_link.setToolTip("Show how the passages were searched for and ranked")
        self.trace_link.linkActivated.connect(lambda _href: self.trace_requested.emit())
        header.addWidget(self.trace_link)
        layout.addLayout(header)
        for citation in citations:
            card = SourceCard(citation)
            card.clicked.connect(self.citation_clicked)
            layout.addWidget(card)
            self.cards.append(card)
