"""A cited passage of a spreadsheet shown as its rows: a table with the sheet's header row as
column headers, the spreadsheet's own row numbers down the side, and the cited rows highlighted
and scrolled into view. The rows are read off the GUI thread by the parser's own code
(core/parsing/sheets.py), so the offsets the index stored find the same rows again.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QHeaderView, QTableView

from core.parsing.sheet_text import column_letter
from core.parsing.sheets import SheetWindow, is_sheet_path, read_window
from desktop.preview_locate import CHANGED, locate_in_text

HIGHLIGHT = QColor(255, 214, 0, 150)
LEFT, RIGHT = Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignRight
MAX_COLUMN_PX = 320  # a long text column must not push the others out of view


def is_sheet_citation(citation: dict) -> bool:
    """Citations stored before they carried a kind are told by the file's extension."""
    kind = citation.get("kind")
    return kind == "sheet" or (not kind and is_sheet_path(str(citation.get("path", ""))))


@dataclass
class SheetResult:
    window: SheetWindow
    body: list[tuple[int, list[str]]]  # the rows in the table: the header row is its column headers
    typed: list[list[bool]]  # per row and cell: a number or date, aligned right as a spreadsheet does
    cited: list[int]  # indexes into ``body`` of the highlighted rows
    note: str  # why nothing, or not everything, is shown

    @property
    def cited_rows(self) -> list[int]:
        """The highlighted rows' numbers, as the spreadsheet app shows them."""
        return [self.body[i][0] for i in self.cited]


def load_sheet(path: str, number: int, spans: list[tuple[int, int, str]]) -> SheetResult:
    """Rows of sheet ``number`` around the spans (start, end, text: the passage or its cited
    sentences), which are offsets in the sheet's text; worker thread."""
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    window = read_window(path, number, focus=spans[0][0] if spans else 0)
    body = [(n, cells) for n, cells in window.rows if n != window.header_row]
    typed = [flags for (n, _), flags in zip(window.rows, window.typed) if n != window.header_row]
    numbers = [n for n, _ in body]
    cited: set[int] = set()
    for start, end, passage in spans:
        found = locate_in_text(window.text, start - window.offset, end - window.offset, passage)
        if found is None:
            continue
        first = bisect.bisect_right(window.line_starts, found[0]) - 1
        last = bisect.bisect_left(window.line_starts, found[1]) - 1
        for n, _ in window.rows[max(first, 0):last + 1]:
            if n in numbers:
                cited.add(numbers.index(n))
    notes = [] if cited or not spans else [CHANGED]
    if not window.complete and body:
        notes.append(f"This sheet is long: only rows {body[0][0]}–{body[-1][0]} are shown. Open it in "
                     "the system viewer to see all of it.")
    return SheetResult(window, body, typed, sorted(cited), " ".join(notes))


class SheetModel(QAbstractTableModel):
    def __init__(self, result: SheetResult):
        super().__init__()
        self._result = result
        self._cited = set(result.cited)
        self._width = max([len(result.window.labels)] + [len(cells) for _, cells in result.body])

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self._result.body)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else self._width

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            cells = self._result.body[index.row()][1]
            return cells[index.column()] if index.column() < len(cells) else ""
        if role == Qt.ItemDataRole.BackgroundRole and index.row() in self._cited:
            return HIGHLIGHT
        if role == Qt.ItemDataRole.TextAlignmentRole:
            typed = self._result.typed[index.row()]
            right = index.column() < len(typed) and typed[index.column()]
            return (RIGHT if right else LEFT) | Qt.AlignmentFlag.AlignVCenter
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt override
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Vertical:
            return str(self._result.body[section][0]) if role == Qt.ItemDataRole.DisplayRole else None
        labels = self._result.window.labels
        if role == Qt.ItemDataRole.DisplayRole:
            return labels[section] if section < len(labels) else column_letter(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Column {column_letter(section)}"
        return None


class SheetView(QTableView):
    """The rows of one sheet; ``show_result`` replaces them."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAccessibleName("Sheet rows")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(False)
        self.horizontalHeader().setMaximumSectionSize(MAX_COLUMN_PX)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        for corner in self.findChildren(QAbstractButton):  # the select-all button, for screen readers
            corner.setAccessibleName("Select all rows")
        self.result: SheetResult | None = None

    def show_result(self, result: SheetResult) -> None:
        old, self.result = self.model(), result
        self.setModel(SheetModel(result))
        if old is not None:
            old.deleteLater()
        self.resizeColumnsToContents()

    def scroll_to_cited(self) -> None:
        if self.result and self.result.cited:
            first = self.model().index(self.result.cited[0], 0)
            self.scrollTo(first, QAbstractItemView.ScrollHint.PositionAtCenter)
        else:
            self.scrollToTop()

    def zoomIn(self, steps: int) -> None:  # noqa: N802 - as QPlainTextEdit's, for the pane's zoom buttons
        font = self.font()
        font.setPointSizeF(max(font.pointSizeF() + steps, 4.0))
        self.setFont(font)
        self.resizeColumnsToContents()
