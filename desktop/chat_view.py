"""The conversation: questions and answers, with answers streamed in as they are written.

A scroll area of one widget per message, rather than one QTextBrowser holding the whole
conversation: while an answer streams only its own document is re-rendered, so the cost does not
grow with the conversation; and the actions and sources are real widgets with accessible names
and keyboard focus, not links inside a document. What this gives up is a text selection that
spans several messages (Copy on each answer covers the common case).

These widgets never call the core; a controller feeds them the pipeline's events (on the GUI
thread) and listens to their signals. Message ids are opaque: whatever the controller passes in
comes back in the signals.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from desktop.chat_answer import AnswerWidget
from desktop.chat_bubble import UserMessage

# Re-rendering Markdown per token would cost a full re-layout each time; 20 a second reads as
# smooth and stays cheap however fast the model writes.
RENDER_INTERVAL_MS = 50
# Within this many pixels of the end counts as "at the bottom" (a wheel notch is ~50-120 px).
BOTTOM_SLACK_PX = 8


class AnswerHandle:
    """Where a streaming answer's pieces go. ``append`` only buffers; a timer renders."""

    def __init__(self, widget: AnswerWidget):
        self.widget = widget
        self.render_count = 0
        self.finished = False
        self._pieces: list[str] = []
        self._rendered_len = 0
        self._timer = QTimer(widget, singleShot=True, interval=RENDER_INTERVAL_MS)
        self._timer.timeout.connect(self._render)
        self._detached = False

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    def append(self, piece: str) -> None:
        if self.finished or self._detached or not piece:
            return
        self._pieces.append(piece)
        if not self._timer.isActive():
            self._timer.start()

    def show_evidence(self, sentences: list[dict]) -> None:
        """The evidence card, before the model's first word."""
        if not self._detached and not self.finished:
            self.widget.show_evidence(sentences)

    def set_progress(self, text: str) -> None:
        """A line under the text while it is written, e.g. "Searching your documents…"."""
        if not self._detached and not self.finished:
            self.widget.set_progress(text)

    def finish(self, message_id, text: str, citations: list[dict], status: str, engine: str, model: str,
               check: dict | None = None) -> None:
        if self.finished or self._detached:
            return
        self.finished = True
        self._timer.stop()
        if not text.strip() and status in ("stopped", "interrupted"):
            text = self.text.strip()  # a failure that reports no text still keeps what was shown
        self.widget.finish(message_id, text, citations, status, engine, model, check)
        self.render_count += 1

    def detach(self) -> None:
        """The widget is going away (the view was cleared): later pieces are dropped."""
        self._detached = True
        self._timer.stop()

    def _render(self) -> None:
        if self._detached or self.finished:
            return
        text = self.text
        if len(text) == self._rendered_len:
            return
        if self.render_count == 0:
            self.widget.set_progress("Writing…")  # replaces e.g. "Searching your documents…"
        self._rendered_len = len(text)
        self.widget.show_streaming(text)
        self.render_count += 1


class ChatView(QScrollArea):
    citation_clicked = Signal(dict)
    trace_requested = Signal(object)
    regenerate_requested = Signal(object)
    rated = Signal(object, int)
    ideal_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("Conversation")
        self._content = QWidget()
        self._content.setObjectName("chatContent")
        self._column = QVBoxLayout(self._content)
        self._column.setContentsMargins(16, 16, 16, 16)
        self._column.setSpacing(14)
        self._column.addStretch(1)  # messages stack from the top; new ones go above this
        self.setWidget(self._content)
        self._handles: list[AnswerHandle] = []
        self._follow = True
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._remember_position)
        bar.rangeChanged.connect(self._keep_position)

    # -- messages ---------------------------------------------------------------------------

    def clear(self) -> None:
        for handle in self._handles:
            handle.detach()
        self._handles.clear()
        while self._column.count() > 1:
            item = self._column.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._follow = True

    def add_user(self, text: str, message_id=None) -> UserMessage:
        message = UserMessage(text, message_id)
        self._insert(message)
        self.scroll_to_bottom()  # the user just asked: show the question and what follows
        return message

    def add_answer(self, message_id, text: str, citations: list[dict], status: str, engine: str,
                   model: str, check: dict | None = None) -> AnswerWidget:
        widget = self._new_answer()
        widget.finish(message_id, text, citations, status, engine, model, check)
        self._insert(widget)
        return widget

    def begin_answer(self, replace=None) -> AnswerHandle:
        """Start a streamed answer at the end, or in place of answer ``replace`` (regenerate)."""
        widget = self._new_answer()
        old = self.answer_widget(replace) if replace is not None else None
        if old is not None:
            self._column.insertWidget(self._column.indexOf(old), widget)
            self._column.removeWidget(old)
            old.deleteLater()
        else:
            self._insert(widget)
        handle = AnswerHandle(widget)
        self._handles = [h for h in self._handles if not h.finished] + [handle]
        return handle

    def answer_widget(self, message_id) -> AnswerWidget | None:
        for i in range(self._column.count()):
            widget = self._column.itemAt(i).widget()
            if isinstance(widget, AnswerWidget) and widget.message_id == message_id:
                return widget
        return None

    def answer_text(self, message_id) -> str:
        widget = self.answer_widget(message_id)
        return widget.text if widget is not None else ""

    def set_rating(self, message_id, rating: int) -> None:
        """Show a rating loaded with a saved conversation (emits nothing)."""
        widget = self.answer_widget(message_id)
        if widget is not None:
            widget.set_rating(rating)

    def messages(self) -> list[QWidget]:
        return [self._column.itemAt(i).widget() for i in range(self._column.count() - 1)]

    def _new_answer(self) -> AnswerWidget:
        widget = AnswerWidget()
        widget.citation_clicked.connect(self.citation_clicked)
        widget.trace_requested.connect(self.trace_requested)
        widget.regenerate_requested.connect(self.regenerate_requested)
        widget.rated.connect(self.rated)
        widget.ideal_requested.connect(self.ideal_requested)
        return widget

    def _insert(self, widget: QWidget) -> None:
        self._column.insertWidget(self._column.count() - 1, widget)

    # -- following the end ------------------------------------------------------------------

    def scroll_to_bottom(self) -> None:
        self._follow = True
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def is_following(self) -> bool:
        return self._follow

    def _remember_position(self, value: int) -> None:
        # Any move, by the user or by us, decides: at the end means follow, elsewhere means stay.
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - BOTTOM_SLACK_PX

    def _keep_position(self, _minimum: int, maximum: int) -> None:
        # Content grew (or shrank): only a reader who was at the end is carried along.
        if self._follow:
            self.verticalScrollBar().setValue(maximum)
