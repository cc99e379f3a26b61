"""One document page on screen: rendered off the GUI thread, painted with passage highlights.

Highlights are kept in PDF points and scaled at paint time, so zooming never has to find the
passage again; while a sharper image renders, the previous one is shown scaled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pymupdf
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QVBoxLayout, QWidget

MAX_PIXELS = 40_000_000  # a poster-sized page at a high zoom renders at a lower resolution
PAGE_MARGIN = 12  # logical pixels around the page, so its edges show against the background
HIGHLIGHT = QColor(255, 214, 0)  # multiplied onto the page: the text stays black and readable
RESIZE_DEBOUNCE_MS = 150


@dataclass
class PageImage:
    page: int  # 1-based
    page_count: int
    size: tuple[float, float]  # page width and height in PDF points
    zoom: float  # logical pixels per point the image was rendered for
    image: QImage = field(repr=False)


def render_page(doc: pymupdf.Document, page_no: int, zoom: float, pixel_ratio: float) -> PageImage:
    """Runs on a worker thread (QImage, unlike QPixmap, may be built there)."""
    page = doc.load_page(page_no - 1)
    rect = page.rect
    scale = zoom * pixel_ratio
    pixels = rect.width * rect.height * scale * scale
    if pixels > MAX_PIXELS:
        scale *= (MAX_PIXELS / pixels) ** 0.5
    pix = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
    image = QImage(pix.samples, pix.width, pix.height, pix.stride, QImage.Format.Format_RGB888)
    image = image.copy()  # detach from the pixmap's buffer, which is freed with it
    image.setDevicePixelRatio(pix.width / (rect.width * zoom) if rect.width else 1.0)
    return PageImage(page_no, doc.page_count, (rect.width, rect.height), zoom, image)


class PageCanvas(QWidget):
    """The page image at ``zoom`` logical pixels per point, with highlight rectangles on top."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image: QImage | None = None
        self.page_size = (0.0, 0.0)  # in PDF points
        self._zoom = 1.0
        self.rects: list[pymupdf.Rect] = []
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Page image")

    def show_page(self, page: PageImage, rects: list[pymupdf.Rect]) -> None:
        self._image, self.page_size, self.rects = page.image, page.size, list(rects)
        self.set_zoom(page.zoom)

    def set_zoom(self, zoom: float) -> None:
        self._zoom = zoom
        self.setFixedSize(self.sizeHint())
        self.update()

    def sizeHint(self) -> QSize:
        w, h = self.page_size
        return QSize(round(w * self._zoom), round(h * self._zoom))

    def to_widget(self, rect: pymupdf.Rect) -> QRectF:
        z = self._zoom
        return QRectF(rect.x0 * z, rect.y0 * z, rect.width * z, rect.height * z)

    def paintEvent(self, event) -> None:
        if self._image is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(self.rect()), self._image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        for rect in self.rects:
            painter.fillRect(self.to_widget(rect).adjusted(-1, -1, 1, 1), HIGHLIGHT)
        painter.end()


class PageView(QScrollArea):
    """A scrollable page, centred; says when its width changed enough to render again."""

    fit_width_changed = Signal()  # debounced

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.canvas = PageCanvas()
        holder = QWidget()  # keeps a margin around the page and centres it
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        layout.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setWidget(holder)
        self.setWidgetResizable(True)
        self.setBackgroundRole(QPalette.ColorRole.Dark)
        self.setAccessibleName("Page preview")
        self._debounce = QTimer(self, singleShot=True, interval=RESIZE_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.fit_width_changed)

    def available_width(self, width: int | None = None) -> int:
        """Width a page may take when the view is ``width`` wide (a hidden view in a stack may
        not have its size yet). Counts the scroll bar even when it is hidden, so showing it
        cannot shrink the fit and hide it again in a loop."""
        bar = self.verticalScrollBar().sizeHint().width()
        width = self.width() if width is None else width
        return max(width - 2 * self.frameWidth() - bar - 2 * PAGE_MARGIN, 50)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._debounce.start()

    def scroll_to(self, rect: pymupdf.Rect) -> None:
        """Bring a highlight into view, a third of the way down, where the eye expects it."""
        area = self.canvas.to_widget(rect).translated(self.canvas.pos())
        self.verticalScrollBar().setValue(round(area.top() - self.viewport().height() / 3))
        self.horizontalScrollBar().setValue(
            round(area.center().x() - self.viewport().width() / 2))
