"""The views of a source's text in the preview: marking spans of a QTextDocument built off the GUI
thread (see preview_jobs.py and preview_slide.py), and keeping the first one in sight."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

TEXT_HIGHLIGHT = QColor(255, 214, 0, 150)


def mark(view: QPlainTextEdit | QTextEdit, document: QTextDocument, spans: list[tuple[int, int]]) -> None:
    """Highlight ``spans`` (QTextDocument positions) of the document ``view`` shows, with the
    text cursor put at the first one (``centerCursor``/``ensureCursorVisible`` brings it in sight)."""
    selections = []
    for start, end in spans:
        selection = QTextEdit.ExtraSelection()
        selection.cursor = QTextCursor(document)
        selection.cursor.setPosition(start)
        selection.cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        selection.format.setBackground(TEXT_HIGHLIGHT)
        selections.append(selection)
    cursor = QTextCursor(document)
    cursor.setPosition(spans[0][0] if spans else 0)
    view.setTextCursor(cursor)
    view.setExtraSelections(selections)


def replace_document(view: QPlainTextEdit | QTextEdit, old: QTextDocument | None,
                     new: QTextDocument) -> QTextDocument:
    """Show ``new`` in ``view``; the document shown before is deleted (Qt deletes the view's own
    first document itself)."""
    new.setParent(view)
    view.setDocument(new)
    if old is not None and old is not new:
        old.deleteLater()
    return new


class SourceTextView(QPlainTextEdit):
    """A file's parsed text (TextResult of preview_jobs.py) with the passage marked."""

    def __init__(self, parent=None):
        super().__init__(parent, readOnly=True)
        self.setAccessibleName("Source text")
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self._document: QTextDocument | None = None

    def show_text(self, document: QTextDocument, spans: list[tuple[int, int]], monospace: bool,
                  base_font: QFont) -> None:
        self._document = replace_document(self, self._document, document)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font = fixed if monospace else QFont(base_font)
        font.setPointSizeF(self.font().pointSizeF())  # keeps the user's zoom
        self.setFont(font)
        mark(self, document, spans)
