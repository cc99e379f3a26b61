"""The House style page's Examples tab: what a style would learn from, and what is missing.

Rated-up answers and corrections from the chat, pairs imported from a file (kept only where the
user's documents support them), and the refusals made from them; each with the question, the
answer and what it is used for. An answer can be edited (a feedback one becomes the correction of
its rating; an imported one is rewritten and checked against its sources again), an imported one
removed. Widgets only: StyleBackend does the work.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit,
                               QProgressBar, QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from desktop.chat_answer import StatusNote

ORIGIN_TEXT = {"approved": "Rated up", "corrected": "Your correction", "imported": "Imported",
               "refusal": "Refusal", "rehearsal": "Earlier answer"}
ORIGIN_HINT = {"approved": "An answer you rated up in the chat",
               "corrected": "An answer you corrected in the chat (Ideal answer…): the best kind of example",
               "imported": "A pair from a file you imported, with sources found in your documents",
               "refusal": "Made from your other examples so the style keeps saying when your documents "
                          "lack the answer",
               "rehearsal": "The app's own answer to another question you asked, kept as it was so the style "
                            "goes on answering other kinds of question; rate it down to leave it out"}
COUNT_TEXT = {"approved": "rated up", "corrected": "corrected", "imported": "imported", "refusal": "refusal",
              "rehearsal": "earlier answer"}
USE_TEXT = {"train": "Training", "compare": "Held out to compare", "left out": "Left out"}
FILE_FILTER = "Question–answer pairs (*.jsonl *.ndjson *.json *.csv *.tsv);;All files (*)"


def _counts_text(found) -> str:
    counts = ", ".join(f"{n} {COUNT_TEXT.get(o, o)}" + ("s" if o in ("refusal", "rehearsal") and n != 1 else "")
                       for o, n in sorted(found.counts.items())) or "no examples yet"
    return (f"{counts} · {len(found.train)} to train on, {len(found.validation)} held out to compare"
            + (" · ready to train" if found.ready else ""))


class ExamplesTab(QWidget):
    def __init__(self, backend, parent: QWidget | None = None):
        super().__init__(parent)
        self.backend = backend
        self.items: list = []  # studio.Listed, row by row
        self.found = None

        self.summary = QLabel("Reading the examples…")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Example counts")
        self.problems = StatusNote()
        self.problems.setAccessibleName("Problems with the examples")
        self.problems.hide()

        self.import_button = QPushButton("Import a file…")
        self.import_button.setAccessibleName("Import question-answer pairs")
        self.import_button.setToolTip("JSONL (OpenAI chat, ShareGPT, Alpaca, prompt–completion) or CSV with "
                                      "question and answer columns. Each pair is checked against your documents.")
        self.import_button.clicked.connect(self.choose_file)
        self.import_bar = QProgressBar()
        self.import_bar.setAccessibleName("Import progress")
        self.import_bar.hide()
        self.stop_import = QPushButton("Stop")
        self.stop_import.setAccessibleName("Stop importing")
        self.stop_import.clicked.connect(backend.stop_import)
        self.stop_import.hide()
        refresh = QPushButton("Refresh")
        refresh.setAccessibleName("Refresh the examples")
        refresh.clicked.connect(backend.list_examples)
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addWidget(self.import_bar, 1)
        row.addWidget(self.stop_import)
        row.addStretch(1)
        row.addWidget(refresh)
        self.import_report = QPlainTextEdit()
        self.import_report.setReadOnly(True)
        self.import_report.setAccessibleName("Import report")
        self.import_report.hide()

        self.table = QTableWidget(0, 4)
        self.table.setAccessibleName("Examples")
        self.table.setHorizontalHeaderLabels(["From", "Question", "Answer", "Used for"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch,
                                       QHeaderView.ResizeMode.Stretch, QHeaderView.ResizeMode.ResizeToContents)):
            header.setSectionResizeMode(column, mode)
        self.table.itemSelectionChanged.connect(self._selected)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self._detail())
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems)
        layout.addLayout(row)
        layout.addWidget(self.import_report)
        layout.addWidget(self.splitter, 1)

        backend.examples_listed.connect(self.show_examples)
        backend.examples_failed.connect(self._failed)
        backend.import_progress.connect(self._import_progress)
        backend.imported.connect(self._imported)

    def _detail(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        self.question = QLabel("Choose an example to see it whole.")
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setWordWrap(True)
        self.question.setAccessibleName("Question of the example")
        self.editor = QPlainTextEdit()
        self.editor.setAccessibleName("Answer of the example")
        self.editor.setReadOnly(True)
        self.editor.setTabChangesFocus(True)
        self.note = QLabel()
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.note.setMinimumHeight(2 * self.note.fontMetrics().lineSpacing() + 4)  # a wrapped note is not clipped
        self.save_button = QPushButton("Save answer")
        self.save_button.setAccessibleName("Save the example's answer")
        self.save_button.clicked.connect(self._save)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove the imported example")
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.save_button)
        layout.addWidget(self.question)
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)
        self.editor.textChanged.connect(self._update_buttons)
        self._update_buttons()
        return box

    # -- listing ----------------------------------------------------------------------------------

    def show_examples(self, items: list, found) -> None:
        selected = self.current()
        self.items, self.found = items, found
        self.summary.setText(_counts_text(found))
        # The set's own problem ("12 more are needed") first: it decides whether training can start.
        whole = [str(p) for p in found.problems if not p.where]
        each = [str(p) for p in found.problems if p.where]
        self.problems.setText("\n".join(whole + [f"Left out: {p}" for p in each[:8]]
                                        + ([f"… and {len(each) - 8} more left out"] if len(each) > 8 else [])))
        self.problems.setVisible(bool(found.problems))
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            example = item.example
            cells = (ORIGIN_TEXT.get(example.origin, example.origin), _line(example.question), _line(example.answer),
                     USE_TEXT[found.use_of(example)])
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(ORIGIN_HINT.get(example.origin, "") if column == 0 else
                                (example.question if column == 1 else example.answer if column == 2 else ""))
                self.table.setItem(row, column, cell)
        again = next((row for row, item in enumerate(items) if selected is not None
                      and (item.example.question, item.example.origin) == (selected.example.question,
                                                                            selected.example.origin)), None)
        if again is not None:
            self.table.selectRow(again)
        else:
            self._selected()

    def _failed(self, why: str) -> None:
        self.summary.setText(f"The examples cannot be read: {why}")

    def current(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.items[rows[0].row()] if rows and rows[0].row() < len(self.items) else None

    def _selected(self) -> None:
        item = self.current()
        if item is None:
            self.question.setText("Choose an example to see it whole.")
            self.editor.setPlainText("")
            self.editor.setReadOnly(True)
            self.note.setText("")
        else:
            example = item.example
            self.question.setText(f"{ORIGIN_TEXT.get(example.origin, example.origin)}: {example.question}")
            self.editor.setPlainText(example.answer)
            self.editor.setReadOnly(not item.editable)
            notes = []
            if example.origin == "corrected" and example.original:
                notes.append(f"The model had answered: {_line(example.original, 160)}")
            if example.reason:
                notes.append(f"Why: {example.reason}")
            if example.origin == "approved":
                notes.append("Saving an edit keeps it as your correction of that answer.")
            if example.origin == "imported":
                notes.append("An edited answer is checked against its sources again.")
            if example.origin in ("refusal", "rehearsal"):
                notes.append(ORIGIN_HINT[example.origin] + ".")
            self.note.setText("  ".join(notes))
        self._update_buttons()

    def _update_buttons(self) -> None:
        item = self.current()
        changed = item is not None and self.editor.toPlainText().strip() != item.example.answer.strip()
        self.save_button.setEnabled(bool(item is not None and item.editable and changed
                                          and self.editor.toPlainText().strip()))
        self.remove_button.setVisible(item is not None and item.removable)

    def _save(self) -> None:
        item = self.current()
        if item is not None and item.editable:
            self.backend.edit_answer(item, self.editor.toPlainText())

    def _remove(self) -> None:
        item = self.current()
        if item is not None and item.removable:
            self.backend.remove_example(item)

    # -- importing --------------------------------------------------------------------------------

    def choose_file(self) -> None:
        dialog = QFileDialog(self, "Import question–answer pairs", "", FILE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.import_path)
        dialog.open()

    def import_path(self, path: str) -> None:
        self._importing_name = os.path.basename(path)
        self.import_button.setEnabled(False)
        self.import_bar.setRange(0, 0)  # reading the file: no count yet
        self.import_bar.setFormat(f"Checking {self._importing_name} against your documents…")
        self.import_bar.show()
        self.stop_import.show()
        self.backend.import_file(path)

    def _import_progress(self, done: int, total: int) -> None:
        self.import_bar.setRange(0, max(1, total))
        self.import_bar.setValue(done)
        self.import_bar.setFormat(f"Checking {self._importing_name}: {done}/{total} pairs")

    def _imported(self, report) -> None:
        self.import_button.setEnabled(True)
        self.import_bar.hide()
        self.stop_import.hide()
        if report is None:
            return
        lines = [f"{self._importing_name}: {report.read} pairs read; {report.kept} supported by your documents "
                 f"({report.added} new)."] + [f"  - {p}" for p in report.problems]
        self.import_report.setPlainText("\n".join(lines))
        shown = min(len(lines), 5)  # as tall as the report, up to five lines (it scrolls beyond)
        self.import_report.setFixedHeight(shown * self.import_report.fontMetrics().lineSpacing() + 14)
        self.import_report.show()


def _line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
