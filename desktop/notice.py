"""Non-modal messages at the top of the window: errors never arrive as dialogs or tracebacks."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

STYLES = {"info": ("#e8f0fe", "#1a3d7c"), "warning": ("#fff4d6", "#6b4e00"), "error": ("#fde8e8", "#7c1a1a")}


class NoticeBar(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("notice")
        self.setAccessibleName("Message")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # messages may quote file names
        close = QToolButton(text="✕", autoRaise=True)
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self._timer = QTimer(self, singleShot=True, timeout=self.hide)
        self.hide()

    def show_message(self, text: str, kind: str = "info", seconds: float | None = None) -> None:
        background, foreground = STYLES.get(kind, STYLES["info"])
        self.setStyleSheet(f"#notice {{ background: {background}; border-radius: 6px; }}"
                           f"#notice QLabel, #notice QToolButton {{ color: {foreground}; }}")
        self.label.setText(text)
        self.show()
        self._timer.stop()
        if seconds is None:
            seconds = 0 if kind == "error" else 12  # errors stay until read
        if seconds:
            self._timer.start(int(seconds * 1000))

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
