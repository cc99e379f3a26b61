"""The rounded frames messages sit in, and the user's own message."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

USER_BUBBLE_SHARE = 0.8  # of the row's width: a question reads as a reply, not as a page


def blend(a: QColor, b: QColor, share_of_b: float) -> QColor:
    keep = 1.0 - share_of_b
    return QColor.fromRgbF(a.redF() * keep + b.redF() * share_of_b,
                           a.greenF() * keep + b.greenF() * share_of_b,
                           a.blueF() * keep + b.blueF() * share_of_b)


class Bubble(QFrame):
    """Painted from the current palette on every paint, so light and dark themes (and a switch
    between them while the app runs) need no stylesheet to be rebuilt."""

    RADIUS = 10.0

    def __init__(self, tinted: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self._tinted = tinted
        self.setContentsMargins(14, 10, 14, 10)

    def paintEvent(self, event):  # noqa: N802 - Qt override
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        if self._tinted:
            fill = blend(base, palette.color(QPalette.ColorRole.Highlight), 0.16)
        else:
            fill = base
        border = blend(base, palette.color(QPalette.ColorRole.Text), 0.14)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(border)
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), self.RADIUS, self.RADIUS)


class UserMessage(QWidget):
    """The question, right-aligned; shown as plain text, exactly as typed."""

    def __init__(self, text: str, message_id=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.message_id = message_id
        self.bubble = Bubble(tinted=True)
        self.label = QLabel(text)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName("Your question")
        inner = QVBoxLayout(self.bubble)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.label)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.bubble)

    def text(self) -> str:
        return self.label.text()

    def resizeEvent(self, event):  # noqa: N802 - Qt override
        super().resizeEvent(event)
        limit = int(self.width() * USER_BUBBLE_SHARE)
        margins = self.bubble.contentsMargins()
        # A short question gets a snug bubble; a long one wraps at the limit.
        natural = self.label.fontMetrics().boundingRect(0, 0, 100000, 100000, 0, self.label.text()).width()
        self.bubble.setFixedWidth(min(limit, natural + margins.left() + margins.right() + 2))
