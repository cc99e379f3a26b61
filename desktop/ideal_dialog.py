"""Write the answer you wished for, starting from the model's; kept with the rating as feedback.

Shown with ``open()``: the event loop keeps running, so an answer streaming elsewhere goes on.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


class IdealDialog(QDialog):
    saved = Signal(object, str)  # message_id, the ideal answer

    def __init__(self, message_id, answer_text: str, parent: QWidget | None = None, question: str = ""):
        super().__init__(parent)
        self.message_id = message_id
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Write the ideal answer")
        self.resize(620, 440)

        layout = QVBoxLayout(self)
        if question:
            asked = QLabel(question if len(question) <= 300 else question[:300] + "…")
            asked.setTextFormat(Qt.TextFormat.PlainText)
            asked.setWordWrap(True)
            asked.setAccessibleName("Question")
            layout.addWidget(asked)
        hint = QLabel("Edit the answer into the one you wanted. It is kept on this computer with your "
                      "feedback, to compare and improve future answers.")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(hint)

        self.editor = QPlainTextEdit()
        self.editor.setPlainText(answer_text)
        self.editor.setAccessibleName("Ideal answer")
        self.editor.setTabChangesFocus(True)
        layout.addWidget(self.editor, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save ideal answer")
        self.save_button.setToolTip("Save this as the ideal answer")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        cancel.setToolTip("Close without saving")
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.editor.textChanged.connect(self._update_save)
        self._update_save()
        self.editor.setFocus()

    def text(self) -> str:
        return self.editor.toPlainText().strip()

    def _update_save(self) -> None:
        self.save_button.setEnabled(bool(self.text()))

    def _save(self) -> None:
        if not self.text():
            return
        self.saved.emit(self.message_id, self.text())
        self.accept()
