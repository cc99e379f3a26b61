"""Settings: appearance and data location, folders and ignore rules, passages and the embedding model.

A change that means indexing everything again (another embedding model, another passage overlap)
first measures this computer's embedding speed and says how long it will take, then asks.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QMessageBox, QPlainTextEdit, QPushButton,
                               QRadioButton, QTabWidget, QVBoxLayout, QWidget)

SAMPLE_PASSAGES = 32


def measure_reindex_seconds(archivist, model: str) -> tuple[float, int]:
    """(seconds, passages): embedding speed measured now on a sample of the user's own passages."""
    from core.embedding import Embedder
    from core import layout

    passages = archivist.store.count()
    sample = archivist.store.table.search().select(["text"]).limit(SAMPLE_PASSAGES).to_list()
    texts = [r["text"] for r in sample] or ["A sample passage to time the model."] * 8
    embedder = archivist.embedder if model == archivist.embedder.name else Embedder(
        model, layout.models_dir(archivist.data_dir), batch_size=archivist.settings.embed_batch_size)
    list(embedder.embed(texts[:4]))  # warm-up: the first call builds the session
    started = time.perf_counter()
    list(embedder.embed(texts))
    per_passage = (time.perf_counter() - started) / len(texts)
    return per_passage * passages * 1.15, passages  # plus reading and writing, measured ~10-15%


class SettingsDialog(QDialog):
    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.index = controller.index
        self.setWindowTitle("Archivist settings")
        self.setAccessibleName("Settings")
        self.resize(620, 480)
        self.tabs = tabs = QTabWidget()
        tabs.addTab(self._general(), "General")
        tabs.addTab(self._folders(), "Folders")
        tabs.addTab(self._indexing(), "Indexing")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    # -- general -----------------------------------------------------------------------------------

    def _general(self) -> QWidget:
        from desktop import theme

        page = QWidget()
        form = QFormLayout(page)
        current = str(self.controller.window_settings.value("theme", "system"))
        row = QHBoxLayout()
        self.theme_group = QButtonGroup(page)
        for name, label in zip(theme.THEMES, ("Follow the system", "Light", "Dark")):
            button = QRadioButton(label)
            button.setAccessibleName(f"Theme: {label}")
            button.setChecked(name == current)
            button.toggled.connect(lambda on, n=name: on and self._set_theme(n))
            self.theme_group.addButton(button)
            row.addWidget(button)
        row.addStretch(1)
        form.addRow("Theme:", row)
        data_dir = str(self.index.settings.data_dir)
        location = QLabel(data_dir)
        location.setWordWrap(True)
        location.setAccessibleName("Data location")
        open_button = QPushButton("Open")
        open_button.setAccessibleName("Open the data folder")
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(data_dir)))
        change = QPushButton("Change…")
        change.setAccessibleName("Change the data location")
        change.clicked.connect(self._choose_location)
        buttons = QHBoxLayout()
        buttons.addWidget(open_button)
        buttons.addWidget(change)
        buttons.addStretch(1)
        form.addRow("Data location:", location)
        form.addRow("", buttons)
        form.addRow("", QLabel("The index, conversations, ratings and logs live there; nothing is sent anywhere."))
        return page

    def _set_theme(self, name: str) -> None:
        from PySide6.QtWidgets import QApplication

        from desktop import theme

        self.controller.window_settings.setValue("theme", name)
        theme.apply(QApplication.instance(), name)

    def _choose_location(self) -> None:
        dialog = QFileDialog(self, "Where should Archivist keep its index?")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(self._location_chosen)
        dialog.open()

    def _location_chosen(self, path: str) -> None:
        from core.data_location import choose_data_dir

        choose_data_dir(path)
        QMessageBox(QMessageBox.Icon.Information, "Data location",
                    f"From the next start Archivist keeps its data in {path}. It indexes your folders there "
                    "again; the old folder can then be deleted.", QMessageBox.StandardButton.Ok, self).open()

    # -- folders and ignore rules ----------------------------------------------------------------------

    def _folders(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        sources = self.index.archivist.sources() if self.index.archivist else []
        listing = QLabel("\n".join(sources) or "No folders yet: drop one on the window.")
        listing.setWordWrap(True)
        listing.setAccessibleName("Watched folders")
        layout.addWidget(QLabel("Watched folders (add or remove them in the Folders tab, or drop them on the window):"))
        layout.addWidget(listing)
        layout.addWidget(QLabel("Leave out (one rule per line, like .gitignore; e.g. <code>drafts/</code>, "
                                "<code>*.log</code>). Hidden and temporary files are always left out."))
        self.ignore_edit = QPlainTextEdit("\n".join(self.index.settings.ignore_patterns))
        self.ignore_edit.setAccessibleName("Ignore rules")
        layout.addWidget(self.ignore_edit, 1)
        save = QPushButton("Apply rules")
        save.setAccessibleName("Apply ignore rules")
        save.clicked.connect(self._save_rules)
        layout.addWidget(save)
        return page

    def _save_rules(self) -> None:
        rules = [line.strip() for line in self.ignore_edit.toPlainText().splitlines() if line.strip()]
        settings = self.index.settings
        settings.ignore_patterns = rules
        settings.save()
        self.index.sync_now()  # files now left out leave the index; files let in are read

    # -- passages and embedding model --------------------------------------------------------------------

    def _indexing(self) -> QWidget:
        from core.embedding import MODELS

        page = QWidget()
        form = QFormLayout(page)
        self.model_combo = QComboBox()
        self.model_combo.setAccessibleName("Embedding model")
        self.model_combo.addItems(sorted(MODELS))
        archivist = self.index.archivist
        if archivist is not None:
            self.model_combo.setCurrentText(archivist.embedder.name)
        self.overlap = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.5, singleStep=0.05)
        self.overlap.setAccessibleName("Passage overlap")
        self.overlap.setValue(self.index.settings.chunk_overlap)
        self.overlap.setToolTip("How much of each passage repeats the end of the previous one, so a sentence cut "
                                "at a boundary is still found whole")
        apply_button = QPushButton("Apply…")
        apply_button.setAccessibleName("Apply indexing changes")
        apply_button.clicked.connect(self._apply_indexing)
        self.estimate = QLabel("")
        self.estimate.setWordWrap(True)
        form.addRow("Embedding model:", self.model_combo)
        form.addRow("Passage overlap:", self.overlap)
        form.addRow("", apply_button)
        form.addRow("", self.estimate)
        form.addRow("", QLabel("Changing either means reading every file again. The current index keeps "
                               "answering meanwhile."))
        return page

    def _apply_indexing(self) -> None:
        archivist = self.index.archivist
        if archivist is None or not self.index.writable:
            self.estimate.setText("The index is not open for changes right now.")
            return
        model, overlap = self.model_combo.currentText(), round(self.overlap.value(), 2)
        if model == archivist.embedder.name and overlap == round(self.index.settings.chunk_overlap, 2):
            self.estimate.setText("Nothing changed.")
            return
        self.estimate.setText("Measuring this computer's speed on a sample of your passages…")
        self.index.tasks.run(lambda: measure_reindex_seconds(archivist, model),
                             lambda result: self._confirm(model, overlap, *result), "estimating the time")

    def _confirm(self, model: str, overlap: float, seconds: float, passages: int) -> None:
        from desktop.eta import duration_text

        what = (f"Switching to {model}" if model != self.index.archivist.embedder.name
                else f"Changing the overlap to {overlap:.2f}")
        self.estimate.setText(f"{what} means embedding about {passages:,} passages again: "
                              f"about {duration_text(seconds)} on this computer.")
        box = QMessageBox(QMessageBox.Icon.Question, "Index everything again?",
                          f"{self.estimate.text()}\n\nThe current index keeps answering until it is done. "
                          "You can keep working; closing Archivist pauses it and it resumes next time.",
                          QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Ok).setText("Index again")
        box.accepted.connect(lambda: self._start(model, overlap))
        box.open()

    def _start(self, model: str, overlap: float) -> None:
        cancel = threading.Event()
        archivist = self.index.archivist
        if model != archivist.embedder.name:
            self.index.switch_model(model, cancel)
        if overlap != round(self.index.settings.chunk_overlap, 2):
            self.index.tasks.run(lambda: archivist.set_chunk_overlap(overlap, cancel), None,
                                 "cutting passages again", writer=True)
        self.estimate.setText("Indexing again in the background; progress shows at the bottom of the window.")
