"""Where the question is typed: Enter sends, Shift+Enter starts a new line, Esc stops an answer. The
scope the question is asked under is shown just above it (desktop/scope_bar.py)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QSizePolicy, QTextEdit, QVBoxLayout, QWidget

from desktop.scope_bar import ScopeBar

PLACEHOLDER = "Ask about your documents…"
MAX_VISIBLE_LINES = 6  # then the input scrolls instead of pushing the conversation away


class ComposerInput(QTextEdit):
    """Plain text only; grows with its text up to MAX_VISIBLE_LINES."""

    send_pressed = Signal()
    escape_pressed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.escape_stops = False
        self.setAcceptRichText(False)  # pasted HTML arrives as its text
        self.setTabChangesFocus(True)
        self.setPlaceholderText(PLACEHOLDER)
        self.setAccessibleName("Question")
        self.setAccessibleDescription("Enter sends; Shift+Enter starts a new line")
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def keyPressEvent(self, event):  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.textCursor().insertText("\n")
            else:
                self.send_pressed.emit()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self.escape_stops:
            self.escape_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)  # otherwise Esc goes on to the window (e.g. to close a dialog)

    def _fit_height(self, *_):
        margin = self.document().documentMargin()
        line = self.fontMetrics().lineSpacing()
        content = min(self.document().size().height(), MAX_VISIBLE_LINES * line + 2 * margin)
        content = max(content, line + 2 * margin)
        self.setFixedHeight(math.ceil(content) + 2 * self.frameWidth())


class Composer(QWidget):
    submitted = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._busy = False
        self.input = ComposerInput()
        self.input.send_pressed.connect(self.submit)
        self.input.escape_pressed.connect(self.stop_requested)
        self.input.textChanged.connect(self._update_button)
        self.send_button = QPushButton()
        self.send_button.clicked.connect(self._on_button)
        self.send_button.setDefault(False)
        self.send_button.setAutoDefault(False)
        self.scope = ScopeBar()
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 2, 12, 12)
        column.setSpacing(2)
        column.addWidget(self.scope)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        column.addLayout(row)
        self.input.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFocusProxy(self.input)
        self._update_button()

    def text(self) -> str:
        return self.input.toPlainText()

    def set_text(self, text: str) -> None:
        self.input.setPlainText(text)

    def is_busy(self) -> bool:
        return self._busy

    def set_busy(self, busy: bool) -> None:
        """While an answer streams, Send becomes Stop; typing the next question stays possible."""
        self._busy = busy
        self.input.escape_stops = busy
        self._update_button()

    def submit(self) -> None:
        text = self.text().strip()
        if self._busy or not text:
            return
        self.input.clear()
        self.submitted.emit(text)

    def _on_button(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self.submit()
        self.input.setFocus()

    def _update_button(self) -> None:
        if self._busy:
            self.send_button.setText("Stop")
            self.send_button.setAccessibleName("Stop answering")
            self.send_button.setToolTip("Stop the answer (Esc)")
            self.send_button.setEnabled(True)
        else:
            self.send_button.setText("Send")
            self.send_button.setAccessibleName("Send question")
            self.send_button.setToolTip("Send (Enter) · new line: Shift+Enter")
            self.send_button.setEnabled(bool(self.text().strip()))
