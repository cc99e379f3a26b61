"""The House style page: a style learnt from the user's own answers (issue: house style).

    Examples   what a style learns from, what is missing, import a file, edit an answer
    Train      settings, Train / Resume / Cancel, progress with the measured time left
    Styles     the kept versions and their scores; which one answers; Use / Use none / Revert / Remove
    Compare    one question without and with a style, side by side

A window of its own beside the chat (opened with show(): no nested event loop), fed by the
StyleBackend that the main window keeps, so a run in progress survives closing it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from desktop.notice import NoticeBar
from desktop.style_compare import CompareTab
from desktop.style_examples import ExamplesTab
from desktop.style_training import TrainTab
from desktop.style_versions import VersionsTab


class HouseStylePage(QDialog):
    def __init__(self, backend, parent: QWidget | None = None):
        super().__init__(parent)
        self.backend = backend
        self.setWindowTitle("House style")
        self.setAccessibleName("House style")
        self.resize(1040, 700)
        self.notice = NoticeBar()
        self.examples = ExamplesTab(backend)
        self.train = TrainTab(backend)
        self.versions = VersionsTab(backend)
        self.compare = CompareTab(backend)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.examples, "Examples")
        self.tabs.addTab(self.train, "Train")
        self.tabs.addTab(self.versions, "Styles")
        self.tabs.addTab(self.compare, "Compare")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        backend.message.connect(lambda text, kind: self.notice.show_message(text, kind))
        backend.registered.connect(lambda style: self.notice.show_message(
            f"{style.label} is ready: choose it under Styles to answer with it, or compare it first.", seconds=20))

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override (Close, Escape, or the window minimised)
        self.backend.release_engine()  # a run in progress goes on: it has a process of its own
        super().hideEvent(event)

    def refresh(self) -> None:
        """Read everything again (on opening: the CLI or feedback may have changed it meanwhile)."""
        self.backend.list_examples()
        self.backend.list_styles()
        self.backend.watch()
