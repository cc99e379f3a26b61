"""One answer in the conversation: its text, status, sources and the actions on it."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPainterPath, QPalette, QPixmap, QTransform
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QSizePolicy, QTextBrowser, QToolButton,
                               QVBoxLayout, QWidget)

from core.history import split_style
from core.locator import place
from core.manifest import display_path
from desktop.chat_bubble import Bubble, blend
from desktop.chat_markdown import SafeDocument, citation_number, render_markdown
from desktop.chat_sources import SourcesPanel, source_title
from desktop.evidence_card import EvidenceCard
from desktop.claim_marks import NOT_IN_SOURCES, flagged_claims, mark_unsupported

STATUS_TEXT = {
    "stopped": "Stopped — the answer may be incomplete.",
    "interrupted": "The connection to the model was lost — this is the partial answer.",
    "refused": "Not found in your documents.",
}
ENGINE_NAMES = {"ollama": "Ollama", "embedded": "Built-in engine"}


class AnswerBody(QTextBrowser):
    """The answer's Markdown, as tall as its text: the conversation scrolls, never the bubble."""

    citation_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDocument(SafeDocument(self))
        self.setOpenLinks(False)  # the only links are cite:n, handled below; nothing navigates
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)  # the bubble's colour shows through
        self.document().setDocumentMargin(0)
        self.setAccessibleName("Answer")
        self.anchorClicked.connect(self._on_anchor)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def loadResource(self, kind, name):  # noqa: N802 - Qt override: answers load nothing
        return None

    def mouseReleaseEvent(self, event):  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        event.accept()  # a click on the answer's text ends here, not in the bubble or the view

    def _fit_height(self, *_):
        self.setFixedHeight(math.ceil(self.document().size().height()) + 2 * self.frameWidth())

    def _on_anchor(self, url: QUrl):
        n = citation_number(url)
        if n is not None:
            self.citation_activated.emit(n)


def _thumb_icon(palette: QPalette, down: bool) -> QIcon:
    """Drawn rather than an emoji: not every desktop has a font with 👍, and a drawn icon follows
    the palette. Outline when off, filled with the highlight colour when on."""
    path = QPainterPath()
    path.addRoundedRect(QRectF(1.5, 7.5, 3.0, 7.5), 0.8, 0.8)  # the cuff
    hand = QPainterPath(QPointF(5.5, 7.5))
    for x, y in ((8.2, 2.0), (9.2, 1.6), (10.0, 2.6), (9.4, 6.2), (13.6, 6.2), (14.6, 7.4),
                 (13.6, 13.8), (12.4, 15.0), (5.5, 15.0)):
        hand.lineTo(x, y)
    hand.closeSubpath()
    path.addPath(hand)
    if down:
        path = QTransform(1, 0, 0, -1, 0, 16.5).map(path)
    icon = QIcon()
    for state, filled in ((QIcon.State.Off, False), (QIcon.State.On, True)):
        pixmap = QPixmap(64, 64)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(4, 4)
        colour = palette.color(QPalette.ColorRole.Highlight if filled else QPalette.ColorRole.ButtonText)
        painter.setPen(colour)
        painter.setBrush(colour if filled else Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.end()
        icon.addPixmap(pixmap, QIcon.Mode.Normal, state)
    return icon


class StatusNote(QLabel):
    """Why an answer is not complete: an amber stripe on a faint amber wash, which reads on light
    and dark bases alike, while the text keeps the palette's own colour."""

    AMBER = QColor("#d9a000")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setAccessibleName("Answer status")
        self.setContentsMargins(12, 5, 8, 5)

    def paintEvent(self, event):  # noqa: N802 - Qt override
        painter = QPainter(self)
        base = self.palette().color(QPalette.ColorRole.Base)
        painter.fillRect(self.rect(), blend(base, self.AMBER, 0.14))
        painter.fillRect(0, 0, 3, self.height(), self.AMBER)
        painter.end()
        super().paintEvent(event)


class StyleTag(QLabel):
    """"house style v3" on an answer the style shaped: a small rounded tag tinted with the
    highlight colour, painted from the palette like the bubbles."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAccessibleName("House style")
        self.setContentsMargins(7, 1, 7, 1)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event):  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(blend(palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Highlight), 0.18))
        painter.drawRoundedRect(QRectF(self.rect()), 8.0, 8.0)
        painter.end()
        super().paintEvent(event)


def _action(text: str, accessible: str, tooltip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setAutoRaise(True)
    button.setAccessibleName(accessible)
    button.setToolTip(tooltip)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


class AnswerWidget(Bubble):
    citation_clicked = Signal(dict)
    trace_requested = Signal(object)
    regenerate_requested = Signal(object)
    rated = Signal(object, int)
    ideal_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(tinted=False, parent=parent)
        self.message_id = None
        self.text = ""
        self.citations: list[dict] = []
        self.status = "streaming"
        self.engine = self.model = ""
        self.rating = 0
        self.check: dict | None = None  # the claim check (core/answer/check.py as_dict); None before checks
        self.sources: SourcesPanel | None = None
        self.evidence: EvidenceCard | None = None  # shown from retrieval until the answer is complete

        self.body = AnswerBody()
        self.body.citation_activated.connect(self._on_citation_number)
        self.progress = QLabel("Writing…")
        self.progress.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.status_label = StatusNote()
        self.status_label.hide()
        self.unsupported_label = StatusNote()  # the legend of the wavy underlines in the answer
        self.unsupported_label.setAccessibleName("Claims not in your sources")
        self.unsupported_label.hide()

        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(8)
        self.layout_.addWidget(self.body)
        self.layout_.addWidget(self.progress)
        self.layout_.addWidget(self.status_label)
        self.layout_.addWidget(self.unsupported_label)
        self.footer = self._build_footer()
        self.footer.hide()
        self.layout_.addWidget(self.footer)

    def _build_footer(self) -> QWidget:
        footer = QWidget()
        column = QVBoxLayout(footer)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        row = QHBoxLayout()
        row.setSpacing(2)
        self.copy_button = _action("Copy", "Copy answer", "Copy the answer and its sources as plain text")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.regenerate_button = _action("Regenerate", "Regenerate answer", "Ask again for a new answer")
        self.regenerate_button.clicked.connect(lambda: self.regenerate_requested.emit(self.message_id))
        self.up_button = _action("", "Good answer", "Good answer: rate it up")
        self.down_button = _action("", "Bad answer", "Bad answer: rate it down")
        for button, value in ((self.up_button, 1), (self.down_button, -1)):
            button.setCheckable(True)
            button.setIconSize(QSize(16, 16))
            button.clicked.connect(lambda _checked=False, v=value: self._rate(v))
        self.ideal_button = _action("Ideal answer…", "Write the ideal answer",
                                    "Write the answer you wished for; it is kept with your feedback")
        self.ideal_button.clicked.connect(lambda: self.ideal_requested.emit(self.message_id))
        for button in (self.copy_button, self.regenerate_button, self.up_button, self.down_button,
                       self.ideal_button):
            row.addWidget(button)
        row.addStretch(1)
        # Which engine answered gets its own line, so a narrow chat column never clips the actions.
        self.meta_label = QLabel()
        self.meta_label.setTextFormat(Qt.TextFormat.PlainText)
        self.meta_label.setWordWrap(True)
        self.meta_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.style_tag = StyleTag()  # the house style that shaped the answer, if any
        self.style_tag.hide()
        meta = QHBoxLayout()
        meta.setSpacing(8)
        meta.addWidget(self.meta_label, 1)
        meta.addWidget(self.style_tag)
        column.addLayout(meta)
        column.addLayout(row)
        self._copied_timer = QTimer(self, singleShot=True, interval=1500)
        self._copied_timer.timeout.connect(lambda: self.copy_button.setText("Copy"))
        self._update_icons()
        return footer

    # -- content ----------------------------------------------------------------------------

    def show_streaming(self, text: str) -> None:
        self.text = text
        render_markdown(self.body.document(), text, code_background=self._code_background())

    def show_evidence(self, sentences: list[dict]) -> None:
        if self.evidence is not None:
            self.evidence.deleteLater()
            self.evidence = None
        if sentences:
            self.evidence = EvidenceCard(sentences)
            self.evidence.clicked.connect(self.citation_clicked)
            self.layout_.insertWidget(0, self.evidence)

    def set_progress(self, text: str) -> None:
        self.progress.setText(text)
        self.progress.setVisible(bool(text))

    def finish(self, message_id, text: str, citations: list[dict], status: str, engine: str, model: str,
               check: dict | None = None) -> None:
        self.message_id = message_id
        self.text, self.citations, self.status = text, [dict(c) for c in citations], status
        self.engine, self.model = engine, model
        self.check = check if status != "refused" else None
        self._render_final()
        flagged = list(dict.fromkeys(c["text"] for c in flagged_claims(self.check)))
        self.unsupported_label.setText(f"{NOT_IN_SOURCES} (underlined above): {', '.join(flagged)}" if flagged else "")
        self.unsupported_label.setToolTip("The answer states these, but none of the passages it was written from "
                                          "does. Check them before relying on them.")
        self.unsupported_label.setVisible(bool(flagged))
        self.progress.hide()
        if self.evidence is not None and status in ("complete", "refused"):
            # The answer's own sources now quote what it rests on (or the nearest passages do);
            # after Stop or a failure the card stays beside the partial answer.
            self.evidence.deleteLater()
            self.evidence = None
        status_text = STATUS_TEXT.get(status, "" if status == "complete" else f"Status: {status}")
        self.status_label.setText(status_text)
        self.status_label.setVisible(bool(status_text))
        if self.sources is not None:
            self.sources.deleteLater()
        # A refused answer's sources are the nearest passages, shown so the user sees what was there.
        if status == "refused":
            self.sources = SourcesPanel(self.citations, "Nearest passages (none looked relevant enough to "
                                        "answer from)", "What was searched?")
        else:
            self.sources = SourcesPanel(self.citations)
        self.sources.citation_clicked.connect(self.citation_clicked)
        self.sources.trace_requested.connect(lambda: self.trace_requested.emit(self.message_id))
        self.layout_.insertWidget(self.layout_.indexOf(self.footer), self.sources)
        engine_name = ENGINE_NAMES.get(engine, engine)
        model, style = split_style(model)
        self.meta_label.setText(" · ".join(part for part in (engine_name, model) if part))
        self.meta_label.setToolTip(f"Answered by {engine_name}, model {model}" if model else "")
        self.style_tag.setText(style)
        self.style_tag.setToolTip(f"Written with {style}, the style learnt from your own answers "
                                  "(House style in the Tools menu)" if style else "")
        self.style_tag.setVisible(bool(style))
        # Without an id (the answer failed before it was saved) there is nothing to rate or redo.
        saved = message_id not in (None, "")
        for button in (self.regenerate_button, self.up_button, self.down_button, self.ideal_button):
            button.setVisible(saved)
        self.copy_button.setVisible(bool(text.strip()))
        self.footer.show()

    def _render_final(self) -> None:
        cited = {int(c["n"]): f"Source {c['n']}: {source_title(c)}" for c in self.citations if "n" in c}
        render_markdown(self.body.document(), self.text, cited, self.palette().color(QPalette.ColorRole.Link),
                        self._code_background())
        mark_unsupported(self.body.document(), self.text, flagged_claims(self.check))
        self.body.setVisible(bool(self.text.strip()))

    def _code_background(self):
        palette = self.palette()
        return blend(palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text), 0.06)

    def _on_citation_number(self, n: int) -> None:
        for citation in self.citations:
            if citation.get("n") == n:
                self.citation_clicked.emit(dict(citation))
                return

    # -- actions ----------------------------------------------------------------------------

    def copy_text(self) -> str:
        """The answer as written (Markdown reads fine as plain text), then its sources."""
        lines = [self.text.strip()]
        if self.citations:
            lines += ["", "Sources:"]
            for c in self.citations:
                where = display_path(str(c.get("path", "")))  # the clipboard takes text
                if c.get("page"):
                    where += f", {place(c.get('kind'), c['page'])}"
                if c.get("heading"):
                    where += f" ({c['heading']})"
                lines.append(f"[{c.get('n', '')}] {where}")
                lines += [f"    “{' '.join(str(s.get('text', '')).split())}”" for s in c.get("sentences") or ()]
        flagged = list(dict.fromkeys(c["text"] for c in flagged_claims(self.check)))
        if flagged:
            lines += ["", f"{NOT_IN_SOURCES}: {', '.join(flagged)}"]
        return "\n".join(lines)

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.copy_text())
        self.copy_button.setText("Copied")
        self._copied_timer.start()

    def set_rating(self, rating: int) -> None:
        self.rating = rating
        self.up_button.setChecked(rating > 0)
        self.down_button.setChecked(rating < 0)

    def _rate(self, value: int) -> None:
        changed = value != self.rating
        self.set_rating(value)  # a second click keeps the rating rather than toggling it off
        if changed:
            self.rated.emit(self.message_id, value)

    def _update_icons(self) -> None:
        self.up_button.setIcon(_thumb_icon(self.palette(), down=False))
        self.down_button.setIcon(_thumb_icon(self.palette(), down=True))

    def changeEvent(self, event):  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "up_button"):
            self._update_icons()
            # Citation links and code blocks carry colours of the old palette.
            if self.status != "streaming":
                self._render_final()
            else:
                self.show_streaming(self.text)
