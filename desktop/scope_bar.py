"""The scope of the chat's questions, beside the question box: "All documents ▾" or what they are
narrowed to ("Mail from anna · since 1 Mar 2024 ▾"), with one click to clear it. The scope holds for
every question and regenerate until it is cleared; the choices (folders, types present) follow the
index."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolButton, QWidget

from core.manifest import SEARCHABLE
from core.scope_summary import summary
from core.search import Filters
from desktop.scope_dialog import ScopeDialog

EVERYTHING = "All documents"
ARROW = " ▾"


class ScopeBar(QWidget):
    changed = Signal(object)  # Filters

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.filters = Filters()
        self.sources: list[str] = []
        self._kinds: dict[str, str] = {}  # searchable file → its kind: which types there are to choose
        self.dialog: ScopeDialog | None = None
        self.button = QToolButton()
        self.button.setAccessibleName("Search scope")
        self.button.setAutoRaise(True)
        self.button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.button.clicked.connect(self.open_dialog)
        self.clear_button = QToolButton()
        self.clear_button.setText("✕ Clear")
        self.clear_button.setAccessibleName("Clear the scope")
        self.clear_button.setToolTip("Ask over all your documents again")
        self.clear_button.setAutoRaise(True)
        self.clear_button.clicked.connect(self.clear)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        self._show()

    # -- the scope -------------------------------------------------------------------------------------

    def set_filters(self, filters: Filters) -> None:
        if filters == self.filters:
            return
        self.filters = filters
        self._show()
        self.changed.emit(filters)

    def clear(self) -> None:
        self.set_filters(Filters())

    def summary(self) -> str:
        return summary(self.filters)

    def _show(self) -> None:
        narrowed = self.summary()
        self.button.setProperty("narrowed", bool(narrowed))
        font = self.button.font()
        font.setBold(bool(narrowed))  # a narrowed search must not pass unnoticed
        self.button.setFont(font)
        self._elide()
        self.button.setToolTip(f"Questions search only: {summary(self.filters, full_paths=True)}. Click to change."
                               if narrowed else "Narrow the questions to a folder, file types, or mail "
                               "from or to someone, sent between two days")
        self.clear_button.setVisible(bool(narrowed))

    def _elide(self) -> None:
        text = self.summary() or EVERYTHING
        room = self.width() - (self.clear_button.sizeHint().width() if self.summary() else 0) - 40
        metrics = self.button.fontMetrics()
        if room > 80 and metrics.horizontalAdvance(text) > room:
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
        self.button.setText(text + ARROW)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    # -- the choices -----------------------------------------------------------------------------------

    def follow(self, index) -> None:
        """Keep the choices up to date with ``index`` (desktop.index_backend.IndexBackend)."""
        index.opened.connect(self.set_status)
        index.status_changed.connect(self.set_status)
        index.files_loaded.connect(self.set_files)
        index.files_changed.connect(self.add_files)
        index.files_removed.connect(lambda paths: [self._kinds.pop(p, None) for p in paths])

    def set_status(self, status) -> None:
        self.sources = [s["path"] for s in status.sources]

    def set_files(self, records: list) -> None:
        self._kinds = {}
        self.add_files(records)

    def add_files(self, records: list) -> None:
        for record in records:
            if record.status in SEARCHABLE and record.chunks:
                self._kinds[record.path] = record.kind
            else:
                self._kinds.pop(record.path, None)

    def kinds(self) -> list[str]:
        return sorted(set(self._kinds.values()))

    def open_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog = ScopeDialog(self.filters, self.sources, self.kinds(), self.window())
        dialog.accepted.connect(lambda: self.set_filters(dialog.chosen))
        dialog.open()
