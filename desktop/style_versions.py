"""The House style page's Styles tab: every kept version with what it was trained on and its scores,
which one answers, and Use / Use none / Revert / Remove."""

from __future__ import annotations

import datetime

from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

COLUMNS = ["In use", "Version", "Created", "Trained on", "Examples", "Validation loss", "Other scores", "Check"]
# Shown in the table; how fast it trained stays in the tooltip.
TOOLTIP_ONLY = {"validation_loss", "tokens_per_s", "training_seconds"}


def created_text(rfc3339: str) -> str:
    try:
        when = datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    except ValueError:
        return rfc3339
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def scores_text(scores: dict) -> str:
    """The scores besides the validation loss and the speed, short: "train loss 0.41 · adherence 0.8"."""
    parts = []
    for key, value in scores.items():
        if key in TOOLTIP_ONLY or value is None:
            continue
        name = key.replace("_", " ")
        if isinstance(value, float):
            value = f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
        elif isinstance(value, (dict, list)):
            continue  # detail of an evaluation: in the tooltip
        parts.append(f"{name} {value}")
    return " · ".join(parts)


class VersionsTab(QWidget):
    def __init__(self, backend, parent: QWidget | None = None):
        super().__init__(parent)
        self.backend = backend
        self.styles: list = []
        self.active = None
        self.in_use = QLabel("Reading the styles…")
        self.in_use.setAccessibleName("Style in use")
        bold = QFont(self.in_use.font())
        bold.setBold(True)
        self.in_use.setFont(bold)
        where = QLabel("A style applies to answers from the built-in engine, on the model it was trained on; "
                       "every answer it shapes says so. Revert goes back to the choice before the last switch.")
        where.setWordWrap(True)
        where.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("House style versions")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Check"), QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.empty = QLabel("No house style yet: train one in the Train tab.")
        self.empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.empty.hide()

        self.use_button = QPushButton("Use")
        self.use_button.setAccessibleName("Use the selected style")
        self.use_button.clicked.connect(self._use)
        self.none_button = QPushButton("Use none")
        self.none_button.setAccessibleName("Answer without a house style")
        self.none_button.clicked.connect(lambda: backend.use(None))
        self.revert_button = QPushButton("Revert")
        self.revert_button.setAccessibleName("Go back to the previous style")
        self.revert_button.clicked.connect(backend.revert)
        self.check_button = QPushButton("Check again")
        self.check_button.setAccessibleName("Compare the selected style with the plain model again")
        self.check_button.setToolTip("Compare with the plain model on held-out examples and your earlier questions, "
                                     "and judge it again (after you have asked more questions, say)")
        self.check_button.clicked.connect(self._check)
        self.remove_button = QPushButton("Remove…")
        self.remove_button.setAccessibleName("Remove the selected style")
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for button in (self.use_button, self.none_button, self.revert_button, self.check_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.in_use)
        layout.addWidget(where)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        backend.styles_listed.connect(self.show_styles)
        self.can_revert = False
        self._update_buttons()

    def show_styles(self, styles: list, active, can_revert: bool) -> None:
        chosen = self.selected()
        self.styles, self.active, self.can_revert = list(reversed(styles)), active, can_revert  # newest first
        self.in_use.setText(f"Answers use {active.label}." if active else "Answers use no house style.")
        self.table.setRowCount(len(self.styles))
        for row, style in enumerate(self.styles):
            m = style.manifest
            using = active is not None and style.version == active.version
            loss = m.scores.get("validation_loss")
            verdict = _verdict(style)
            cells = ("● in use" if using else "", style.label, created_text(m.created_at), m.base.name,
                     f"{m.train_examples} + {m.validation_examples} held out", "" if loss is None else f"{loss:.3f}",
                     scores_text(m.scores), verdict or "not compared yet")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if using:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                if column == COLUMNS.index("Trained on"):
                    item.setToolTip(f"{m.base.file_name}\nsha256 {m.base.sha256}")
                elif column == COLUMNS.index("Other scores"):
                    item.setToolTip("\n".join(f"{k.replace('_', ' ')}: {v}" for k, v in m.scores.items()))
                elif column == COLUMNS.index("Check"):
                    item.setToolTip(verdict or "The comparison with the base model has not been run for this style.")
                self.table.setItem(row, column, item)
        again = next((row for row, s in enumerate(self.styles) if chosen and s.version == chosen.version), None)
        if again is None and self.styles:
            again = 0
        if again is not None:
            self.table.selectRow(again)
        self.empty.setVisible(not self.styles)
        self._update_buttons()

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.styles[rows[0].row()] if rows and rows[0].row() < len(self.styles) else None

    def row_of(self, version: int) -> int | None:
        return next((row for row, s in enumerate(self.styles) if s.version == version), None)

    def _update_buttons(self) -> None:
        style = self.selected()
        using = style is not None and self.active is not None and style.version == self.active.version
        self.use_button.setEnabled(style is not None and not using)
        self.none_button.setEnabled(self.active is not None)
        self.revert_button.setEnabled(self.can_revert)
        self.remove_button.setEnabled(style is not None)
        self.check_button.setEnabled(style is not None and not self.backend.checking)

    def _check(self) -> None:
        if (style := self.selected()) is not None:
            self.backend.check(style.version)
            self._update_buttons()

    def _use(self) -> None:
        """A style the comparison held back answers only when the user says so, having read why."""
        from core.style.studio import held_back
        from desktop.style_backend import capitalised

        style = self.selected()
        if style is None:
            return
        why = held_back(style)
        if not why:
            self.backend.use(style.version)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Use a held-back style",
                          f"{capitalised(style.label)} was held back when compared with the plain model: {why}.\n\n"
                          "Answer with it anyway?", QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
                          self)
        box.button(QMessageBox.StandardButton.Ok).setText("Use anyway")
        box.accepted.connect(lambda: self.backend.use(style.version))
        box.open()

    def _remove(self) -> None:
        style = self.selected()
        if style is None:
            return
        using = self.active is not None and style.version == self.active.version
        text = (f"{style.label} is in use: answers will use no house style." if using else
                f"Remove {style.label}? Its adapter is deleted from this computer.")
        box = QMessageBox(QMessageBox.Icon.Question, "Remove a house style", text,
                          QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Ok).setText("Remove")
        box.accepted.connect(lambda: self.backend.remove_style(style.version, force=using))
        box.open()


def _verdict(style) -> str:
    from core.style.studio import verdict

    return verdict(style)
