"""The evidence card: the sentences that best answer the question, shown the moment retrieval is done.

No model is involved (core/answer/evidence.py), so it appears before the model's first word, and it
often answers the question by itself. Each sentence is quoted word for word with its file and page;
a click opens the page with that sentence highlighted. Sentences come from the user's documents, so
every label is plain text.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from core.manifest import display_path
from desktop.chat_bubble import blend
from desktop.chat_sources import source_title

TITLE = "Found in your documents"


def evidence_citation(sentence: dict) -> dict:
    """A citation dict the preview understands, highlighting exactly this sentence."""
    span = {"start": sentence["start"], "end": sentence["end"], "text": sentence["text"]}
    return {**sentence, "snippet": sentence["text"], "sentences": [span]}


class EvidenceQuote(QLabel):
    """One quoted sentence; click (or Enter/Space) to open it in its file."""

    clicked = Signal(dict)

    def __init__(self, sentence: dict, parent: QWidget | None = None):
        where = source_title(sentence)
        super().__init__(f"“{' '.join(sentence['text'].split())}” — {where}", parent)
        self.citation = evidence_citation(sentence)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(f"Evidence from {where}")
        self.setToolTip(f"{display_path(str(sentence.get('path', '')))}\nClick to open this sentence in the file")

    def mouseReleaseEvent(self, event):  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.citation)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event):  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit(self.citation)
            return
        super().keyPressEvent(event)


class EvidenceCard(QFrame):
    clicked = Signal(dict)

    def __init__(self, sentences: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evidenceCard")
        self.setAccessibleName(TITLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        title = QLabel(f"{TITLE} (while the answer is written):")
        title.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(title)
        self.quotes = [EvidenceQuote(s) for s in sentences]
        for quote in self.quotes:
            quote.clicked.connect(self.clicked)
            layout.addWidget(quote)

    def paintEvent(self, event):  # noqa: N802 - Qt override
        # From the palette, like the source cards, tinted towards the highlight: this is evidence.
        palette = self.palette()
        base, highlight = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Highlight)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(blend(base, highlight, 0.45))
        painter.setBrush(blend(base, highlight, 0.07))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 6, 6)
