"""The answer-model picker: which engine and model answer, whether Ollama is running (and what to do
if not), getting a model with progress (a built-in one from its packages, or one through Ollama),
and the strict (documents-only) switch."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QHBoxLayout, QInputDialog, QLabel,
                               QMenu, QProgressBar, QPushButton, QWidget)

from desktop.tasks import Tasks

PROBE_EVERY_MS = 15_000


@dataclass
class EngineState:
    ollama_host: str = ""
    ollama_running: bool = False
    ollama_models: list[str] = field(default_factory=list)
    builtin_model: str = ""
    problem: str = ""  # why the built-in engine cannot run, if it cannot
    builtin: list = field(default_factory=list)  # core.llm.builtin_models.ModelStatus of each


def probe() -> EngineState:
    """What can answer right now (on a worker thread: the Ollama probe waits up to a second)."""
    from core.llm.base import EngineError
    from core.llm.embedded_engine import EmbeddedEngine
    from core.llm.ollama_engine import OllamaEngine, is_house_style_model

    state = EngineState()
    ollama = OllamaEngine()
    try:
        state.ollama_host = ollama.host
        state.ollama_running = ollama.is_running()
        if state.ollama_running:
            # A house style's model is chosen on the House style page, on top of its base: not here.
            state.ollama_models = [m.name for m in ollama.list_models() if not is_house_style_model(m.name)]
    except EngineError:
        state.ollama_running = False
    finally:
        ollama.close()
    try:
        state.builtin_model = EmbeddedEngine().list_models()[0].name
    except (EngineError, IndexError) as exc:
        state.problem = str(exc) or "the built-in model is not installed"
    from core.llm import builtin_models

    state.builtin = [builtin_models.status(m) for m in builtin_models.catalogue()]
    return state


class EngineBar(QWidget):
    choice_changed = Signal(str, str)  # preference (auto|ollama|embedded), model ("" for the default)
    strict_changed = Signal(bool)
    state_changed = Signal(object)  # EngineState

    def __init__(self, tasks: Tasks, parent: QWidget | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self.state = EngineState()
        self.combo = QComboBox()
        self.combo.setAccessibleName("Answer model")
        self.combo.setToolTip("Which model writes the answers")
        self.combo.setMinimumContentsLength(26)
        self.status = QLabel("Looking for Ollama…")
        self.status.setAccessibleName("Ollama status")
        self.status.setTextInteractionFlags(self.status.textInteractionFlags())
        self.pull_button = QPushButton("Get a model…")
        self.pull_button.setAccessibleName("Download a model")
        self.pull_button.setToolTip("Install a better built-in model, or download one through Ollama")
        self.get_menu = QMenu(self.pull_button)
        self.get_menu.aboutToShow.connect(self._fill_get_menu)
        self.pull_button.setMenu(self.get_menu)
        self._installing: threading.Event | None = None  # set it to stop the built-in install
        self.pull_bar = QProgressBar()
        self.pull_bar.setAccessibleName("Download progress")
        self.pull_bar.setMaximumWidth(160)
        self.pull_bar.hide()
        self.strict = QCheckBox("Only from my documents")
        self.strict.setChecked(True)
        self.strict.setAccessibleName("Strict mode")
        self.strict.setToolTip("When nothing relevant is found, say so (and show the nearest passages) "
                               "instead of letting the model guess")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("Model:"), self.combo, self.status, self.pull_button, self.pull_bar):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.strict)
        self.combo.currentIndexChanged.connect(self._chosen)
        self.strict.toggled.connect(self.strict_changed.emit)
        QApplication.instance().aboutToQuit.connect(self.stop_install)
        self._timer = QTimer(self, interval=PROBE_EVERY_MS, timeout=self.refresh)
        self._timer.start()
        self._fill()

    def refresh(self) -> None:
        self.tasks.run(probe, self.show_state, "looking for answer models")

    def show_state(self, state: EngineState) -> None:
        self.state = state
        if state.ollama_running:
            count = len(state.ollama_models)
            self.status.setText(f"● Ollama running, {count} model{'s' if count != 1 else ''}")
            self.status.setToolTip(f"Ollama at {state.ollama_host}")
            self.status.setStyleSheet("color: #2e7d32;")
        else:
            self.status.setText("○ Ollama not running")
            self.status.setToolTip(f"Nothing answers at {state.ollama_host}. Start Ollama (open the app, or run "
                                   "`ollama serve`) to use larger models; until then the built-in model answers.")
            self.status.setStyleSheet("color: #8a6d00;")
        self._fill()
        self.state_changed.emit(state)

    def _fill(self) -> None:
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("Automatic (Ollama if running, else built-in)", ("auto", ""))
        builtin = self.state.builtin_model or "SmolLM2-135M"
        self.combo.addItem(f"Built-in: {builtin}", ("embedded", ""))
        for status in self.state.builtin:  # installed ones beside the default, chosen by their file
            if status.path is not None and status.model.downloadable:
                self.combo.addItem(f"Built-in: {status.model.display_name}", ("embedded", str(status.path)))
        for name in self.state.ollama_models:
            self.combo.addItem(f"Ollama: {name}", ("ollama", name))
        # findData cannot match tuples: it would return -1 and every refresh would reset the choice.
        index = next((i for i in range(self.combo.count()) if self.combo.itemData(i) == current), 0)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)

    def _chosen(self, _index: int) -> None:
        preference, model = self.combo.currentData() or ("auto", "")
        self.choice_changed.emit(preference, model)

    def _fill_get_menu(self) -> None:
        menu = self.get_menu
        menu.clear()
        if self._installing is not None:
            menu.addAction("Stop the download (it resumes next time)", self.stop_install)
            return
        for status in self.state.builtin:
            model = status.model
            if not model.downloadable:
                continue
            text = f"Built-in: {model.display_name} ({model.parameters}, {model.size_bytes / 1e9:.1f} GB)"
            action = menu.addAction(text + (" — installed" if status.path else ""))
            action.setEnabled(status.path is None)
            action.setToolTip(status.detail)
            action.triggered.connect(lambda _=False, name=model.name: self.install_builtin(name))
        menu.addSeparator()
        ollama = menu.addAction("Through Ollama…", self._ask_pull)
        ollama.setEnabled(self.state.ollama_running)
        if not self.state.ollama_running:
            ollama.setText("Through Ollama… (start Ollama first)")

    def install_builtin(self, name: str) -> None:
        """Download, join and verify a built-in model off the GUI thread; ``pulled`` says how it went."""
        from core.llm import builtin_models

        model = builtin_models.find(name)
        self._installing = cancel = threading.Event()
        self.pull_bar.setRange(0, 0)
        self.pull_bar.setFormat(f"{model.display_name} %p%")
        self.pull_bar.show()

        def progress(p):
            if p.total_bytes and p.stage in ("checking", "downloading"):
                self.tasks.gui(lambda: self._pull_progress(p.done_bytes, p.total_bytes))
        self.tasks.run(lambda: builtin_models.install(name, progress, cancel),
                       lambda _: self._installed(model.display_name), f"installing {model.display_name}",
                       on_error=lambda exc: self._installed(model.display_name, str(exc)))

    def stop_install(self) -> None:
        if self._installing is not None:
            self._installing.set()

    def _installed(self, name: str, error: str = "") -> None:
        self._installing = None
        self._pulled(name, error)

    def _ask_pull(self) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Get a model through Ollama")
        dialog.setLabelText("Model name (see ollama.com/library), e.g. llama3.2:3b or qwen2.5:7b:")
        dialog.setTextValue("llama3.2:3b")
        dialog.textValueSelected.connect(self.pull)
        dialog.open()

    def pull(self, name: str) -> None:
        from core.llm.ollama_engine import OllamaEngine

        name = name.strip()
        if not name:
            return
        self.pull_bar.setRange(0, 0)
        self.pull_bar.setFormat(f"{name} %p%")
        self.pull_bar.show()
        self.pull_button.setEnabled(False)

        def progress(p):
            if p.total:
                self.tasks.gui(lambda: self._pull_progress(p.completed or 0, p.total))

        def download():
            engine = OllamaEngine()
            try:
                engine.pull(name, progress)
            finally:
                engine.close()
        self.tasks.run(download, lambda _: self._pulled(name), f"downloading {name}",
                       on_error=lambda exc: self._pulled(name, str(exc)))

    def _pull_progress(self, done: int, total: int) -> None:
        self.pull_bar.setRange(0, 1000)
        self.pull_bar.setValue(int(1000 * done / total))

    def _pulled(self, name: str, error: str = "") -> None:
        self.pull_bar.hide()
        self.pull_button.setEnabled(True)
        self.pulled.emit(name, error)
        self.refresh()

    pulled = Signal(str, str)  # model, error ("" when it worked)
