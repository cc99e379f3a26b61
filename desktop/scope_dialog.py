"""Narrow the questions of the chat: one folder, some file types, mail from or to someone, sent
between two days. What it chooses becomes a core.search.Filters; a choice no document could pass
(dates the wrong way round, mail fields with Mail unticked) is refused here, with the reason."""

from __future__ import annotations

import os
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from core.scope_summary import MAIL, day_text, kind_name
from core.search import Filters

EVERYWHERE = "All folders"
NAME_HINT = "part of a name or address"


class ScopeDialog(QDialog):
    def __init__(self, filters: Filters, sources: list[str], kinds: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Narrow the search")
        self.setAccessibleName("Narrow the search")
        self.sources = [os.path.normpath(s) for s in sources]
        self.chosen = filters  # what Apply settles on

        self.folder_box = QComboBox()
        self.folder_box.setAccessibleName("Folder")
        self.folder_box.addItem(EVERYWHERE, None)
        for source in self.sources:
            self.folder_box.addItem(source, source)
        self.folder_button = QPushButton("Sub-folder…")
        self.folder_button.setAccessibleName("Choose a sub-folder")
        self.folder_button.setToolTip("Only a folder inside one of the folders Archivist reads")
        self.folder_button.clicked.connect(self._pick_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_box, 1)
        folder_row.addWidget(self.folder_button)

        self.types = QListWidget()
        self.types.setAccessibleName("File types")
        for kind in sorted(set(kinds) | set(filters.kinds), key=kind_name):
            item = QListWidgetItem(kind_name(kind))
            item.setData(Qt.ItemDataRole.UserRole, kind)
            item.setCheckState(Qt.CheckState.Checked if kind in filters.kinds else Qt.CheckState.Unchecked)
            self.types.addItem(item)
        rows = min(6, max(2, self.types.count()))  # then it scrolls
        self.types.setFixedHeight(rows * max(self.types.sizeHintForRow(0), 18) + 2 * self.types.frameWidth() + 4)

        self.sender, self.recipient = QLineEdit(filters.sender or ""), QLineEdit(filters.recipient or "")
        for field, name in ((self.sender, "From"), (self.recipient, "To or Cc")):
            field.setPlaceholderText(NAME_HINT)
            field.setAccessibleName(name)
            field.setClearButtonEnabled(True)
        self.after_on, self.after_date = _optional_day("Sent on or after", filters.after)
        self.before_on, self.before_date = _optional_day("Sent on or before", filters.before)
        mail = QGroupBox("Mail")
        mail_form = QFormLayout(mail)
        mail_form.addRow("From:", self.sender)
        mail_form.addRow("To:", self.recipient)
        mail_form.addRow(self.after_on, self.after_date)
        mail_form.addRow(self.before_on, self.before_date)

        self.problem = QLabel()
        self.problem.setAccessibleName("Problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        apply = buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        apply.setDefault(True)
        buttons.addButton("Reset", QDialogButtonBox.ButtonRole.ResetRole).clicked.connect(self.reset)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Folder:", folder_row)
        form.addRow("Types:", self.types)
        hint = QLabel("Nothing ticked: every type.")
        hint.setEnabled(False)
        form.addRow("", hint)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(mail)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        if filters.folder:
            self.set_folder(filters.folder)
        self.resize(max(460, self.sizeHint().width()), self.sizeHint().height())

    # -- choosing ------------------------------------------------------------------------------------

    def set_folder(self, path: str) -> bool:
        """Select ``path`` as the folder (added to the list when it is a sub-folder); False, with the
        reason shown, when it is in none of the folders Archivist reads (nothing there is indexed)."""
        path = os.path.normpath(path)
        if not any(path == s or path.startswith(s.rstrip(os.sep) + os.sep) for s in self.sources):
            self._show_problem(f"{path} is not inside a folder Archivist reads, so nothing there is indexed. "
                               "Choose one of your folders or a folder inside one.")
            return False
        at = self.folder_box.findData(path)
        if at < 0:
            self.folder_box.addItem(path, path)
            at = self.folder_box.count() - 1
        self.folder_box.setCurrentIndex(at)
        self.problem.hide()
        return True

    def set_kinds(self, kinds: tuple[str, ...]) -> None:
        for row in range(self.types.count()):
            item = self.types.item(row)
            ticked = item.data(Qt.ItemDataRole.UserRole) in kinds
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)

    def reset(self) -> None:
        self.folder_box.setCurrentIndex(0)
        self.set_kinds(())
        self.sender.clear()
        self.recipient.clear()
        self.after_on.setChecked(False)
        self.before_on.setChecked(False)
        self.problem.hide()

    def _pick_folder(self) -> None:
        start = self.folder_box.currentData() or (self.sources[0] if self.sources else "")
        picker = QFileDialog(self, "Only this folder", start)
        picker.setFileMode(QFileDialog.FileMode.Directory)
        picker.setOption(QFileDialog.Option.ShowDirsOnly, True)
        picker.fileSelected.connect(self.set_folder)
        picker.open()

    # -- the result ----------------------------------------------------------------------------------

    def filters(self) -> Filters:
        """What the dialog says; ValueError with what to change when no document could pass it."""
        kinds = tuple(self.types.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.types.count())
                      if self.types.item(r).checkState() == Qt.CheckState.Checked)
        after = self.after_date.date().toPython() if self.after_on.isChecked() else None
        before = self.before_date.date().toPython() if self.before_on.isChecked() else None
        chosen = Filters(folder=self.folder_box.currentData(), kinds=kinds,
                         sender=self.sender.text().strip() or None, recipient=self.recipient.text().strip() or None,
                         after=after, before=before)
        if after and before and after > before:
            raise ValueError(f"“Sent on or after” ({day_text(after)}) is later than “Sent on or before” "
                             f"({day_text(before)}): no message could match. Change one of the dates.")
        if chosen.of_mail and kinds and MAIL not in kinds:
            raise ValueError("From, To and the dates only match mail, and Mail is not ticked among the types: "
                             "tick Mail, or clear the mail fields.")
        return chosen

    def accept(self) -> None:
        try:
            self.chosen = self.filters()
        except ValueError as exc:
            self._show_problem(str(exc))
            return
        super().accept()

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()


def _optional_day(label: str, day: date | None) -> tuple[QCheckBox, QDateEdit]:
    """A day that may be "any": the box unticked leaves the date greyed out and unused."""
    on = QCheckBox(label + ":")
    edit = QDateEdit(QDate(day) if day else QDate.currentDate())
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("d MMM yyyy")
    edit.setAccessibleName(label)
    on.setChecked(day is not None)
    edit.setEnabled(day is not None)
    on.toggled.connect(edit.setEnabled)
    return on, edit
