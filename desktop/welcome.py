"""First-run guidance and the empty chat: what to do next, in plain words."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

FIRST_RUN = """<h2>Drop a folder here to begin</h2>
<p>Archivist reads the documents in the folders you give it (PDF, Word, EPUB, Markdown, HTML, text…)
and answers your questions from them, citing the page and passage.</p>
<p>Everything stays on this computer. Your files are only read, never changed.</p>"""

READY = """<h2>Ask about your documents</h2>
<p>Type a question below. Every answer lists its sources; click one to see the passage in its page.</p>
<p>Try: <i>What is the refund window?</i> · <i>Summarize report.pdf</i> ·
<i>Compare contract-2023.pdf and contract-2024.pdf</i></p>"""


class Welcome(QWidget):
    add_folder = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = QLabel(FIRST_RUN)
        self.text.setTextFormat(Qt.TextFormat.RichText)  # our own fixed text only
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.engine_hint = QLabel("")
        self.engine_hint.setWordWrap(True)
        self.engine_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton("Add a folder…")
        self.button.setAccessibleName("Add a folder")
        self.button.setToolTip("Or drop folders and files anywhere on this window (Ctrl+O)")
        self.button.clicked.connect(self.add_folder.emit)
        # Wrapped labels get their height from the width they are given: a fixed-width column
        # (not an alignment flag, which sizes them by their unwrapped hint and clips them).
        column = QWidget()
        column.setMaximumWidth(560)
        inner = QVBoxLayout(column)
        inner.setSpacing(14)
        inner.addWidget(self.text)
        inner.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        inner.addWidget(self.engine_hint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 4)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)

    def set_has_sources(self, has_sources: bool) -> None:
        self.text.setText(READY if has_sources else FIRST_RUN)
        self.button.setVisible(not has_sources)

    def set_engine_state(self, state) -> None:
        """desktop.engine_bar.EngineState: which model will answer, and how to get a better one."""
        if state.ollama_running and state.ollama_models:
            self.engine_hint.setText(f"Ollama is running with {len(state.ollama_models)} model(s): answers come "
                                     "from it. Pick another model at the top.")
        elif state.ollama_running:
            self.engine_hint.setText("Ollama is running but has no model yet: use “Get a model…” at the top "
                                     "(llama3.2:3b is a good start). Until then the built-in model answers.")
        else:
            self.engine_hint.setText("Answers come from the small built-in model (quick, good at simple look-ups). "
                                     "For better answers use “Get a model…” at the top to install a larger "
                                     "built-in one, or install Ollama (ollama.com) and start it; Archivist "
                                     "finds it by itself.")
