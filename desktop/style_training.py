"""The House style page's Train tab: the settings, Train / Resume / Cancel, and the run's progress
with its measured ETA (from the training process's status file, see StyleBackend)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from desktop.eta import duration_text, time_left_text

RANKS = (4, 8, 16, 32)
LEARNING_RATES = (1e-4, 2e-4, 5e-4, 1e-3)


def progress_text(status: dict) -> str:
    """"Step 12/40 · loss 1.234 · 310 tokens/s · about 4 min left"."""
    parts = [f"Step {status.get('step', 0)}/{status['total_steps']}"]
    if status.get("loss") is not None:
        parts.append(f"loss {status['loss']:.3f}")
    if status.get("tokens_per_s"):
        parts.append(f"{status['tokens_per_s']:.0f} tokens/s")
    parts.append(time_left_text(status.get("eta_s")))
    return " · ".join(parts)


class TrainTab(QWidget):
    def __init__(self, backend, parent: QWidget | None = None):
        super().__init__(parent)
        self.backend = backend
        self.ready = False
        self.status: dict = {}

        self.readiness = QLabel("Reading the examples…")
        self.readiness.setWordWrap(True)
        self.readiness.setAccessibleName("Training readiness")
        self.base = QLabel("")
        self.base.setWordWrap(True)
        self.base.setAccessibleName("Model the style is trained on")

        self.epochs = QSpinBox(minimum=1, maximum=20, value=3)
        self.epochs.setAccessibleName("Epochs")
        self.epochs.setToolTip("Passes over the examples")
        self.rank = QComboBox()
        self.rank.setAccessibleName("LoRA rank")
        self.rank.setToolTip("How much the style can learn: more is slower and needs more examples")
        for rank in RANKS:
            self.rank.addItem(str(rank), rank)
        self.rank.setCurrentIndex(RANKS.index(16))
        self.learning_rate = QComboBox()
        self.learning_rate.setAccessibleName("Learning rate")
        for rate in LEARNING_RATES:
            self.learning_rate.addItem(f"{rate:g}", rate)
        self.learning_rate.setCurrentIndex(LEARNING_RATES.index(2e-4))
        self.max_steps = QSpinBox(minimum=0, maximum=100_000, value=0)
        self.max_steps.setAccessibleName("Stop after steps")
        self.max_steps.setSpecialValueText("all steps")
        self.max_steps.setToolTip("Stop early, for a quick trial of the style")
        settings = QFormLayout()
        settings.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        settings.addRow("Epochs:", self.epochs)
        settings.addRow("Rank:", self.rank)
        settings.addRow("Learning rate:", self.learning_rate)
        settings.addRow("Stop after:", self.max_steps)

        self.train_button = QPushButton("Train")
        self.train_button.setAccessibleName("Train a house style")
        self.train_button.clicked.connect(self._train)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setAccessibleName("Resume the training")
        self.resume_button.setToolTip("Continue the stopped run from its last checkpoint, with its own settings")
        self.resume_button.clicked.connect(lambda: self.backend.train(resume=True))
        self.resume_button.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the training")
        self.cancel_button.setToolTip("Stop at the next step; a checkpoint is kept and Resume continues from it")
        self.cancel_button.clicked.connect(self._cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Training progress")
        self.progress.setMinimumWidth(420)
        self.progress.hide()
        self.state = QLabel("")
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.state.setWordWrap(True)
        self.state.setAccessibleName("Training state")
        hint = QLabel("Training runs in a process of its own on this computer's processor, and uses all of it: "
                      "you can keep asking questions meanwhile, a little slower. Closing the window leaves it "
                      "running; quitting Archivist stops it at the next step, and Resume continues from there. "
                      "A finished style is kept as the next version; choose it under Styles.")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        layout = QVBoxLayout(self)
        layout.addWidget(self.readiness)
        layout.addWidget(self.base)
        layout.addLayout(settings)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.state)
        layout.addSpacing(12)
        layout.addWidget(hint)
        layout.addStretch(1)

        backend.examples_listed.connect(self.show_readiness)
        backend.examples_failed.connect(lambda why: self.readiness.setText(f"The examples cannot be read: {why}"))
        backend.base_named.connect(lambda name: self.base.setText(
            f"Trains on {name}, the built-in model that will answer with the style (choose another in the "
            "model picker)."))
        backend.training.connect(self.show_status)
        backend.not_ready.connect(lambda problems: self.state.setText("Not ready: " + " ".join(problems)))
        backend.registered.connect(lambda style: self.state.setText(
            f"{style.label} is ready. Choose it under Styles to answer with it, or Compare it first."))
        self._update_buttons()

    def parameters(self):
        from core.style.studio import training_parameters

        return training_parameters(self.epochs.value(), self.rank.currentData(), self.learning_rate.currentData(),
                                   self.max_steps.value() or None)

    def show_readiness(self, _items: list, found) -> None:
        self.ready = found.ready
        needed = [str(p) for p in found.problems if not p.where]
        if found.ready:
            self.readiness.setText(f"{len(found.train)} examples to train on and {len(found.validation)} held out to "
                                   "compare: ready to train.")
        else:
            self.readiness.setText("Not ready to train: " + (" ".join(needed) or "no usable examples yet.")
                                   + " Rate good answers up, correct them (Ideal answer…), or import a file.")
        self._update_buttons()

    def show_status(self, status: dict) -> None:
        self.status = status
        state = status.get("state")
        bar = self.progress
        if state in ("preparing", "registering") or (state == "running" and not status.get("total_steps")):
            bar.setRange(0, 0)  # busy: no step count yet
            bar.setFormat("")
            bar.show()
            self.state.setText({"preparing": "Preparing the examples and starting the training…",
                                "registering": "Keeping the trained style…"}.get(state, "Loading the model…"))
        elif state == "running":
            bar.setRange(0, status["total_steps"])
            bar.setValue(status.get("step", 0))
            bar.setFormat(progress_text(status))
            bar.show()
            self.state.setText("Training." + (f" Resumed from step {status['resumed_from']}."
                                              if status.get("resumed_from") else ""))
        else:
            bar.hide()
            if state == "cancelled":
                self.state.setText(f"Stopped at step {status.get('step', 0)}"
                                   + (f" of {status['total_steps']}" if status.get("total_steps") else "")
                                   + ". Resume continues from the last checkpoint.")
            elif state == "failed":
                self.state.setText(f"The training stopped: {status.get('error', 'unknown error')}")
            elif state == "finished":
                self.state.setText(f"Finished: {status.get('steps')} steps in {duration_text(status.get('seconds') or 0)}.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        state = self.status.get("state")
        busy = state in ("preparing", "running", "registering")
        self.train_button.setEnabled(not busy and self.ready)
        self.resume_button.setVisible(state in ("cancelled", "failed"))
        self.resume_button.setEnabled(not busy and self.ready)
        self.cancel_button.setEnabled(state == "running")
        for widget in (self.epochs, self.rank, self.learning_rate, self.max_steps):
            widget.setEnabled(not busy)

    def _train(self) -> None:
        self.backend.train(self.parameters())

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.state.setText("Stopping at the end of this step…")
        self.backend.cancel_training()
