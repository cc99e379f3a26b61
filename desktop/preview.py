"""The source preview: the cited page or text of an answer's citation, with the passage marked.

Paged formats (PDF, EPUB, XPS …) show the cited page rendered by MuPDF with the passage's
characters highlighted; spreadsheets show the sheet's rows in a table with the cited rows marked
(preview_sheet.py); a deck its slide and a mail file its message, paged through one at a time
(preview_slide.py, preview_mail.py); everything else shows the file's parsed text with the
passage selected. Which view shows a citation is decided in preview_route.py.
Files are read on worker threads and only ever opened for reading; a missing or unreadable file
becomes a message in the pane, never a dialog.
"""

from __future__ import annotations

import os

import pymupdf
from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QStackedWidget, QVBoxLayout, QWidget

from core.locator import unit
from core.manifest import display_path
from core.parsing.ocr.options import OcrOptions
from desktop.file_urls import file_url
from desktop.preview_jobs import (Failure, PdfResult, Relay, Requests, TextResult, load_pdf, load_text, pdf_pool,
                                  tool_button)
from desktop.preview_locate import CHANGED, highlight_spans
from desktop.preview_mail import MessageView
from desktop.preview_pdf import PageView
from desktop.preview_route import MAIL, PAGE, PARTS, SHEET, SLIDE, load_part, part_pool, route
from desktop.preview_sheet import SheetView, load_sheet
from desktop.preview_slide import SlideView
from desktop.preview_text import SourceTextView

ZOOM_STEP = 1.25
ZOOM_LIMITS = (0.25, 8.0)  # relative to "fit width"
OPENING_DELAY_MS = 250
EXCERPT = ("This file is long: only the part around the passage is shown. Open it in the system "
           "viewer to see all of it.")


class PreviewPane(QWidget):
    """Shows the source of a citation; ``show_citation`` takes ``asdict`` of a Citation or Hit."""

    rendered = Signal()  # a page or the text is on screen (after show_citation, paging, zoom)
    failed = Signal(str)  # the file could not be shown; the message is in the pane

    def __init__(self, parent: QWidget | None = None, ocr: OcrOptions | None = OcrOptions()):
        super().__init__(parent)
        self._ocr = ocr  # how scans, images and pictures in documents are read (from the indexer's OCR cache)
        self._citation: dict | None = None
        self._route = ""  # the view that shows the citation (preview_route.py)
        self._page = self._page_count = self._cited_page = 0  # _page: the page on screen
        self._wanted = 0  # the page asked for, which paging counts from
        self._highlights: dict[int, list[pymupdf.Rect]] = {}
        self._zoom = 1.0  # relative to fit width
        self._shown_zoom = 0.0  # logical pixels per point of the image on screen
        self._fit_width = 0  # the width the page on screen was fitted to
        self._text = ""
        self._spans: list[tuple[int, int]] = []  # marked in _text: the passage or its cited sentences
        self._cited_spans, self._page_heading = [], ""  # (start, end, text) to mark; the slide's heading
        self._message = ""
        # No parent: a worker finishing after the pane is gone emits into a live object, and the
        # connection to the deleted pane is simply gone.
        self._relay = Relay()
        self._relay.done.connect(self._on_done)
        self._jobs = Requests(self._relay)  # results that arrive late are dropped
        self._opening = QTimer(self, singleShot=True, interval=OPENING_DELAY_MS)
        self._opening.timeout.connect(lambda: self._show_message("Opening…", failure=False))
        self._scroll_to = "passage"  # after the next render: "passage", "top" or a fraction
        self._build()

    # -- public API ------------------------------------------------------------------------------

    def show_citation(self, citation: dict) -> None:
        """Show the cited page or text; returns at once and emits ``rendered`` (or ``failed``)."""
        self._citation = dict(citation)
        path, page = str(citation["path"]), citation.get("page")
        self._jobs.drop_all()  # results still on their way are stale
        self._page = self._page_count = 0
        self._highlights, self._spans, self._text, self._zoom, self._page_heading = {}, [], "", 1.0, ""
        self._controls.setEnabled(False)  # until the new file is on screen
        self._opening.start()  # says "Opening…" only if it takes long enough to notice
        spans = self._cited_spans = highlight_spans(citation)
        self._route = route(citation)
        if self._route in PARTS:  # a slide, a message
            self._cited_page = self._wanted = int(page or 1)
            self._request_part()
        elif self._route == SHEET:  # page: the sheet's number
            self._cited_page = self._wanted = 0
            self._submit("sheet", QThreadPool.globalInstance(), load_sheet, path, int(page or 1), spans)
        elif self._route == PAGE:
            self.layout().activate()  # a pane shown just now: fit the page to its real width
            self._cited_page = self._wanted = int(page or 1)
            self._request_pdf(spans)
        else:
            self._cited_page = self._wanted = 0
            self._submit("text", QThreadPool.globalInstance(), load_text, path, spans, self._ocr)

    def go_to_page(self, page: int) -> None:
        if self._page_count and 1 <= page <= self._page_count and page != self._wanted:
            self._wanted = page
            self._request_part() if self._route in PARTS else self._request_pdf()

    def next_page(self) -> None:
        self.go_to_page(self._wanted + 1)

    def previous_page(self) -> None:
        self.go_to_page(self._wanted - 1)

    def zoom_in(self) -> None:
        self._set_zoom(self._zoom * ZOOM_STEP, text_steps=1)

    def zoom_out(self) -> None:
        self._set_zoom(self._zoom / ZOOM_STEP, text_steps=-1)

    def fit_width(self) -> None:
        self._set_zoom(1.0, text_steps=0)

    def open_externally(self) -> None:
        if self._citation:
            QDesktopServices.openUrl(file_url(str(self._citation["path"])))

    @property
    def current_page(self) -> int | None:
        """The page on screen (1-based), None for formats without pages."""
        return self._page or None

    @property
    def page_count(self) -> int | None:
        return self._page_count or None

    @property
    def highlight_rects(self) -> list[pymupdf.Rect]:
        """Highlights on the page on screen, in PDF points."""
        return list(self._highlights.get(self._page, ()))

    @property
    def highlighted_text(self) -> str:
        """The highlighted passage (or sentences, one per line) of a text format ("" when none)."""
        return "\n".join(self._text[start:end] for start, end in self._spans)

    @property
    def note(self) -> str:
        return self._note.text() if not self._note.isHidden() else ""

    @property
    def message(self) -> str:
        """The message shown instead of the content ("" while content is shown)."""
        return self._message

    @property
    def zoom(self) -> float:
        """Logical pixels per PDF point of the page on screen."""
        return self._shown_zoom

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self._title = QLabel(textFormat=Qt.TextFormat.PlainText)
        self._title.setStyleSheet("font-weight: bold")
        self._title.setAccessibleName("File name")
        self._where = QLabel(textFormat=Qt.TextFormat.PlainText, wordWrap=True)
        self._where.setAccessibleName("Page and heading")
        self._open = tool_button("Open in system viewer", "Open the file in its usual application",
                                  self.open_externally)
        self._previous = tool_button("◀", "Previous page", self.previous_page)
        self._next = tool_button("▶", "Next page", self.next_page)
        self._page_box = QSpinBox(keyboardTracking=False, minimum=1)
        self._page_box.setAccessibleName("Page number")
        self._page_box.valueChanged.connect(self.go_to_page)
        self._of = QLabel(textFormat=Qt.TextFormat.PlainText)
        self._zoom_out = tool_button("−", "Zoom out", self.zoom_out)
        self._zoom_label = QLabel(textFormat=Qt.TextFormat.PlainText)
        self._zoom_label.setAccessibleName("Zoom level")
        self._zoom_in = tool_button("+", "Zoom in", self.zoom_in)
        self._fit = tool_button("Fit width", "Fit the page to the width of the pane", self.fit_width)
        self._note = QLabel(textFormat=Qt.TextFormat.PlainText, wordWrap=True)
        self._note.setAccessibleName("Note")
        self._note.setStyleSheet("background: #fff4ce; color: #5c4400; padding: 4px; border-radius: 3px")
        self._note.hide()
        self._page_view = PageView()
        self._page_view.fit_width_changed.connect(self._on_width_changed)
        self._text_view = SourceTextView()
        self._message_label = QLabel(textFormat=Qt.TextFormat.PlainText, wordWrap=True,
                                     alignment=Qt.AlignmentFlag.AlignCenter)
        self._message_label.setAccessibleName("Preview message")
        self._message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._stack = QStackedWidget()
        self._slide_view = SlideView()
        self._mail_view = MessageView()
        self._part_views = {SLIDE: self._slide_view, MAIL: self._mail_view}
        self._sheet_view = SheetView()
        for widget in (self._message_label, self._page_view, self._text_view, self._sheet_view, *self._part_views.values()):
            self._stack.addWidget(widget)

        header = QHBoxLayout()
        names = QVBoxLayout()
        names.addWidget(self._title)
        names.addWidget(self._where)
        header.addLayout(names, 1)
        header.addWidget(self._open, 0, Qt.AlignmentFlag.AlignTop)
        self._controls = QWidget()
        controls = QHBoxLayout(self._controls)
        controls.setContentsMargins(0, 0, 0, 0)
        self._paging = [self._previous, self._page_box, self._of, self._next]
        for widget in self._paging:
            controls.addWidget(widget)
        controls.addStretch(1)
        for widget in (self._zoom_out, self._zoom_label, self._zoom_in, self._fit):
            controls.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self._controls)
        layout.addWidget(self._note)
        layout.addWidget(self._stack, 1)
        for keys, slot in ((QKeySequence.StandardKey.ZoomIn, self.zoom_in),
                           (QKeySequence.StandardKey.ZoomOut, self.zoom_out)):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self._show_message("Click a citation to see where it comes from.", failure=False)

    # -- requests -------------------------------------------------------------------------------

    def _submit(self, job: str, pool: QThreadPool, work, *args) -> None:
        self._jobs.submit(job, pool, str(self._citation["path"]), work, *args)

    def _request_pdf(self, spans: list[tuple[int, int, str]] | None = None) -> None:
        citation, width = self._citation, self._page_view.available_width(self._stack.width())
        self._fit_width = width
        bar = self._page_view.verticalScrollBar()
        if spans is not None:
            self._scroll_to = "passage"
        elif self._wanted != self._page:
            self._scroll_to = "passage" if self._wanted == self._cited_page else "top"
        else:  # the same page at another size: keep the same part of it in view
            self._scroll_to = bar.value() / max(bar.maximum(), 1)
            canvas = self._page_view.canvas  # scaled at once, sharp when rendered
            canvas.set_zoom(width / max(canvas.page_size[0], 1.0) * self._zoom)
        self._submit("pdf", pdf_pool(), load_pdf, str(citation["path"]), citation.get("kind"),
                     self._wanted, spans, width, self._zoom, self.devicePixelRatioF(), self._ocr)

    def _set_zoom(self, zoom: float, text_steps: int) -> None:
        if self._stack.currentWidget() in (self._text_view, self._sheet_view, *self._part_views.values()):
            if text_steps:
                self._stack.currentWidget().zoomIn(text_steps)
            return
        zoom = min(max(zoom, ZOOM_LIMITS[0]), ZOOM_LIMITS[1])
        if self._page_count and zoom != self._zoom:
            self._zoom = zoom
            self._request_pdf()

    def _on_width_changed(self) -> None:
        # The zoom is relative to the width, so a wider pane shows a larger page.
        width = self._page_view.available_width(self._stack.width())
        if self._page_count and width != self._fit_width and self._stack.currentWidget() is self._page_view:
            self._request_pdf()

    def _on_done(self, job: str, number: int, result) -> None:
        if not self._jobs.is_current(job, number):
            return  # superseded by a later request
        self._opening.stop()
        if isinstance(result, Failure):
            self._page_count = self._page = self._wanted = 0
            self._show_message(result.message, failure=True)
            self._open.setEnabled(not result.file_missing)
        elif job == "pdf":
            self._show_pdf(result)
        elif job == "part":
            self._show_part(result)
        elif job == "sheet":  # a SheetResult
            self._sheet_view.show_result(result)
            self._show_view(self._sheet_view)
            self._set_note(result.note)
            QTimer.singleShot(0, self, lambda: (self._sheet_view.scroll_to_cited(), self.rendered.emit()))
        else:
            self._show_text(result)

    # -- showing --------------------------------------------------------------------------------

    def _show_pdf(self, result: PdfResult) -> None:
        page = result.page
        if result.located is not None:
            self._cited_page = result.located.page
            self._highlights = {result.located.page: result.located.rects}
            self._set_note(result.located.note)
        self._page = self._wanted = page.page
        self._page_count, self._shown_zoom = page.page_count, page.zoom
        self._page_view.canvas.show_page(page, self.highlight_rects)
        self._show_view(self._page_view)
        QTimer.singleShot(0, self, self._finish_pdf)

    def _finish_pdf(self) -> None:
        view, rects = self._page_view, self.highlight_rects
        view.widget().layout().activate()  # the scroll range must know the new page size
        bar = view.verticalScrollBar()
        if self._scroll_to == "passage" and rects:
            view.scroll_to(min(rects, key=lambda r: (r.y0, r.x0)))
        elif isinstance(self._scroll_to, float):
            bar.setValue(round(self._scroll_to * bar.maximum()))
        else:
            bar.setValue(0)
        self._scroll_to = 0.0  # a later re-render for a new width keeps the place
        if view.available_width(self._stack.width()) != self._fit_width:
            self._request_pdf()  # resized while this page was rendering
        self.rendered.emit()

    def _show_text(self, result: TextResult) -> None:
        self._text_view.show_text(result.document, result.cursor_spans, result.monospace, self.font())
        self._text, self._spans = result.text, result.spans
        self._show_view(self._text_view)
        if not result.spans:
            self._set_note(CHANGED)
        else:
            self._set_note(EXCERPT if result.excerpt else "")
        QTimer.singleShot(0, self, self._finish_text)

    def _request_part(self) -> None:
        spans = self._cited_spans if self._wanted == self._cited_page else []  # marked there only
        size = self._part_views[self._route].font().pointSizeF()  # the user's zoom
        self._submit("part", part_pool(self._route), load_part, self._route, self._citation, self._wanted, spans,
                     size, self._ocr)

    def _show_part(self, result) -> None:  # a SlideResult or a MailResult
        if self._wanted == self._cited_page:  # the passage is marked, or the note says where it went
            self._cited_page = result.number if result.spans else self._cited_page
            self._set_note(result.note)
        self._page = self._wanted = result.number
        self._page_count, self._page_heading = result.count, result.heading
        self._text, self._spans = result.text, result.spans
        self._part_views[self._route].show_result(result)
        self._show_view(self._part_views[self._route])
        self.rendered.emit()

    def _finish_text(self) -> None:
        if self._spans:
            self._text_view.centerCursor()
        self.rendered.emit()

    def _show_view(self, view: QWidget) -> None:
        self._message = ""
        self._stack.setCurrentWidget(view)
        self._update_controls()

    def _show_message(self, text: str, failure: bool) -> None:
        self._message = text
        self._message_label.setText(text)
        self._stack.setCurrentWidget(self._message_label)
        self._update_controls()
        if failure:
            self._set_note("")
            self.failed.emit(text)

    def _set_note(self, text: str) -> None:
        self._note.setText(text)
        self._note.setVisible(bool(text))

    def _update_controls(self) -> None:
        """Header and controls for what is on screen: a page, a text, or a message."""
        citation = self._citation or {}
        path, heading = str(citation.get("path", "")), citation.get("heading") or ""
        shown_view = self._stack.currentWidget()
        # A photo, an .eml: nothing to page through, and no "page 1" to name.
        single = self._page_count == 1 and (citation.get("kind") == "image" or shown_view is self._mail_view)
        paged = shown_view in (self._page_view, *self._part_views.values()) and not single
        shown = display_path(path)  # Qt would silently drop bytes that are not UTF-8
        self._title.setText(os.path.basename(shown) or "Source preview")
        self._title.setToolTip(shown)
        self._open.setEnabled(bool(path))
        self._controls.setVisible(shown_view is not self._message_label)
        self._controls.setEnabled(True)
        for widget in self._paging + [self._fit, self._zoom_label]:  # zoom % and fit: for pages
            widget.setVisible(paged if widget in self._paging else shown_view is self._page_view)
        self._zoom_label.setText(f"{round(self._shown_zoom * 100)}%")  # 100% = printed size
        word = unit({self._slide_view: "slides", self._mail_view: "mail"}.get(shown_view, citation.get("kind")))
        if paged:
            self._page_box.blockSignals(True)  # setting the number is not a request to go there
            self._page_box.setMaximum(self._page_count)
            self._page_box.setValue(self._page)
            self._page_box.blockSignals(False)
            self._page_box.setAccessibleName(f"{word.capitalize()} number")
            self._of.setText(f"of {self._page_count}")
            self._previous.setEnabled(self._page > 1)
            self._next.setEnabled(self._page < self._page_count)
            here = self._page == self._cited_page
            where = [f"{word.capitalize()} {self._page} of {self._page_count}", heading if here else
                     self._page_heading, "" if here else f"cited on {word} {self._cited_page}"]
        else:
            page = None if single else citation.get("page")
            kind = "sheet" if self._stack.currentWidget() is self._sheet_view else citation.get("kind")
            where = [f"{unit(kind).capitalize()} {page}" if page else "", heading]
        self._where.setText(" · ".join(part for part in where if part))

