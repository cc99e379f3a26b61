"""The list of saved conversations: new, open, rename, export (Markdown or JSON), delete."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QInputDialog, QListWidget, QListWidgetItem, QMenu, QMessageBox, QPushButton,
                               QVBoxLayout, QWidget)


class ConversationsPanel(QWidget):
    new_requested = Signal()
    open_requested = Signal(str)
    rename_requested = Signal(str, str)
    delete_requested = Signal(str)
    export_requested = Signal(str, str)  # conversation id, "markdown" | "json"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.new_button = QPushButton("New chat")
        self.new_button.setAccessibleName("New chat")
        self.new_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.list = QListWidget()
        self.list.setAccessibleName("Conversations")
        self.list.setUniformItemSizes(True)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.new_button)
        layout.addWidget(self.list, 1)
        self.new_button.clicked.connect(self.new_requested.emit)
        self.list.itemActivated.connect(lambda item: self.open_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.list.itemClicked.connect(lambda item: self.open_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.list.customContextMenuRequested.connect(self._menu)
        delete = QAction("Delete", self.list, shortcut=QKeySequence.StandardKey.Delete)
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(lambda: self._confirm_delete(self.current_id()))
        self.list.addAction(delete)

    def set_conversations(self, summaries: list, current_id: str | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for summary in summaries:
            when = datetime.fromtimestamp(summary.updated_at).strftime("%d %b %H:%M")
            item = QListWidgetItem(f"{summary.title or 'Untitled'}\n{when} · {summary.message_count} messages")
            item.setData(Qt.ItemDataRole.UserRole, summary.id)
            item.setToolTip(summary.title)
            self.list.addItem(item)
            if summary.id == current_id:
                item.setSelected(True)
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        conv_id, title = item.data(Qt.ItemDataRole.UserRole), item.toolTip()
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self._rename(conv_id, title))
        menu.addAction("Export as Markdown…", lambda: self.export_requested.emit(conv_id, "markdown"))
        menu.addAction("Export as JSON…", lambda: self.export_requested.emit(conv_id, "json"))
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self._confirm_delete(conv_id))
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def _rename(self, conv_id: str, title: str) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename conversation")
        dialog.setLabelText("Title:")
        dialog.setTextValue(title)
        dialog.textValueSelected.connect(lambda text: text.strip() and self.rename_requested.emit(conv_id, text.strip()))
        dialog.open()

    def _confirm_delete(self, conv_id: str | None) -> None:
        if conv_id is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Delete conversation",
                          "Delete this conversation and its ratings? This cannot be undone.",
                          QMessageBox.StandardButton.Delete | QMessageBox.StandardButton.Cancel, self)
        box.buttonClicked.connect(lambda b: box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
                                  and self.delete_requested.emit(conv_id))
        box.open()
