"""The House style page's Compare tab: one question answered by the built-in model without the style
and with it, side by side, from the same sources and greedily (core/style/side_by_side.py). The
held-out examples are offered as questions, with the answer the user wanted beside them."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFrame, QHBoxLayout, QLabel, QPushButton, QSplitter,
                               QTextBrowser, QVBoxLayout, QWidget)

from core.style.examples import MADE
from desktop.chat_markdown import SafeDocument, render_markdown

RENDER_MS = 50
STATUS_TEXT = {"refused": "Not found in your documents.", "stopped": "Stopped.",
               "interrupted": "The model stopped before the end."}


class AnswerPane(QWidget):
    """One side: a title, the answer as it is written, and a line on how it ended."""

    def __init__(self, title: str, accessible: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel(title)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.body = QTextBrowser()
        self.body.setDocument(SafeDocument(self.body))
        self.body.setOpenLinks(False)
        self.body.setAccessibleName(accessible)
        self.footer = QLabel("")
        self.footer.setWordWrap(True)
        self.footer.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.footer)
        self.text = ""
        self._timer = QTimer(self, singleShot=True, interval=RENDER_MS, timeout=self._render)

    def clear(self, note: str = "") -> None:
        self.text = ""
        self.body.setPlainText("")
        self.footer.setText(note)

    def append(self, piece: str) -> None:
        self.text += piece
        if not self._timer.isActive():
            self._timer.start()

    def show_answer(self, answered) -> None:
        self._timer.stop()
        self.text = answered.text
        self._render()
        seconds = (answered.timings or {}).get("total_ms", 0) / 1000
        parts = [STATUS_TEXT.get(answered.status, ""), f"{len(answered.citations)} source(s) cited",
                 f"{len(answered.text.split())} words", f"{seconds:.1f} s"]
        self.footer.setText(" · ".join(p for p in parts if p))

    def _render(self) -> None:
        render_markdown(self.body.document(), self.text)


class CompareTab(QWidget):
    def __init__(self, backend, parent: QWidget | None = None):
        super().__init__(parent)
        self.backend = backend
        self.held_out: dict[str, str] = {}  # question -> the answer the user wanted
        self.running = False

        self.style_combo = QComboBox()
        self.style_combo.setAccessibleName("Style to compare")
        self.question = QComboBox()
        self.question.setEditable(True)
        self.question.setAccessibleName("Question to compare on")
        self.question.setToolTip("A held-out example (not trained on), or any question of your own")
        self.question.lineEdit().setPlaceholderText("Ask a question, or pick a held-out example")
        self.question.lineEdit().returnPressed.connect(self._compare)
        self.question.currentTextChanged.connect(self._show_wanted)
        self.strength = QDoubleSpinBox(minimum=0.0, maximum=2.0, singleStep=0.1, value=1.0, decimals=1)
        self.strength.setAccessibleName("Style strength")
        self.strength.setToolTip("The adapter's scale: 1 is the style as trained, 0 the plain model")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setAccessibleName("Compare the answers")
        self.compare_button.clicked.connect(self._compare)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setAccessibleName("Stop comparing")
        self.stop_button.clicked.connect(backend.stop_compare)
        self.stop_button.hide()
        row = QHBoxLayout()
        row.addWidget(QLabel("Style:"))
        row.addWidget(self.style_combo)
        row.addWidget(self.question, 1)
        row.addWidget(QLabel("Strength:"))
        row.addWidget(self.strength)
        row.addWidget(self.compare_button)
        row.addWidget(self.stop_button)

        self.base = AnswerPane("Without a style", "Answer without the style")
        self.styled = AnswerPane("With the style", "Answer with the style")
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(self.base)
        panes.addWidget(self.styled)
        panes.setChildrenCollapsible(False)

        self.wanted = QLabel("")
        self.wanted.setTextFormat(Qt.TextFormat.PlainText)
        self.wanted.setWordWrap(True)
        self.wanted.setAccessibleName("The answer you wanted")
        self.wanted.setFrameShape(QFrame.Shape.StyledPanel)
        self.wanted.setContentsMargins(8, 6, 8, 6)
        self.wanted.hide()
        self.sources = QLabel("")
        self.sources.setWordWrap(True)
        self.sources.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.state = QLabel("Both answers come from the built-in engine on the style's model, greedily, from "
                            "the same passages of your documents: only the style differs.")
        self.state.setWordWrap(True)
        self.state.setAccessibleName("Comparison state")

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.state)
        layout.addWidget(panes, 1)
        layout.addWidget(self.wanted)
        layout.addWidget(self.sources)

        backend.styles_listed.connect(self.set_styles)
        backend.examples_listed.connect(self.set_examples)
        backend.compare_token.connect(self._token)
        backend.compared.connect(self._compared)
        backend.compare_failed.connect(self._failed)
        self._update()

    def set_styles(self, styles: list, active, _can_revert: bool) -> None:
        chosen = self.style_combo.currentData()
        self.style_combo.clear()
        for style in reversed(styles):
            self.style_combo.addItem(style.label + (" (in use)" if active and style.version == active.version else ""),
                                     style.version)
        index = self.style_combo.findData(chosen if chosen is not None else (active.version if active else None))
        if index >= 0:
            self.style_combo.setCurrentIndex(index)
        self._update()

    def set_examples(self, _items: list, found) -> None:
        typed = self.question.currentText()
        self.held_out = {e.question: e.answer for e in found.validation if e.origin not in MADE}
        self.question.clear()
        self.question.addItems(list(self.held_out))
        self.question.setEditText(typed)

    def _show_wanted(self, question: str) -> None:
        wanted = self.held_out.get(question.strip())
        self.wanted.setText(f"The answer you wanted (held out, not trained on):\n{wanted}" if wanted else "")
        self.wanted.setVisible(bool(wanted))

    def _compare(self) -> None:
        question = self.question.currentText().strip()
        version = self.style_combo.currentData()
        if not question or version is None or self.running:
            return
        self.running = True
        label = self.style_combo.currentText().replace(" (in use)", "")
        self.styled.title.setText(f"With {label}" + (f" at strength {self.strength.value():.1f}"
                                                     if self.strength.value() != 1.0 else ""))
        self.base.clear("Writing…")
        self.styled.clear("Waiting for the answer without the style…")
        self.sources.setText("")
        self.state.setText(f"Answering “{question}” twice…")
        self.backend.compare(question, version, self.strength.value())
        self._update()

    def _token(self, side: str, piece: str) -> None:
        pane = self.base if side == "base" else self.styled
        if side == "styled" and not pane.text:  # the first word with the style: the left one is done
            self.base.footer.setText("")
            self.styled.footer.setText("Writing…")
        pane.append(piece)

    def _compared(self, result) -> None:
        self._done()
        self.base.show_answer(result.base)
        self.styled.show_answer(result.styled)
        files = list(dict.fromkeys(os.path.basename(s.hit.path) for s in result.sources))
        self.sources.setText(f"Both written from the same {len(result.sources)} passage(s): {', '.join(files)}"
                             if files else "No passage of your documents was relevant: both answers refuse.")
        same = result.base.text.strip() == result.styled.text.strip()
        self.state.setText("The two answers are the same: the style changed nothing here." if same else
                           f"“{result.question}”: the left answer is the model alone, the right one with {result.style}.")

    def _failed(self, why: str) -> None:
        self._done()
        self.state.setText(f"Could not compare: {why}")

    def _done(self) -> None:
        self.running = False
        self._update()

    def _update(self) -> None:
        self.compare_button.setEnabled(not self.running and self.style_combo.count() > 0)
        self.compare_button.setToolTip("" if self.style_combo.count() else "Train a style first")
        self.stop_button.setVisible(self.running)
        self.style_combo.setEnabled(not self.running)
