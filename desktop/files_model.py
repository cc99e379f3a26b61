"""The table of known files: one model over core.manifest.FileRecord, and the proxy that filters it.

Built for 20,000+ files: no widget per file, a dict path -> row so that an update touches one row,
filtering that reads the records directly, and sorting done by the model with Python's sort: a
proxy sort would call ``data()`` twice per comparison (about 1.5 s for 20,000 rows).
"""

from __future__ import annotations

import os
from typing import Iterable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from core import locator
from core.manifest import FAILED, INDEXED, NEEDS_OCR, PENDING, SEARCHABLE, SKIPPED, FileRecord, display_path

STATUS_WORDS = {INDEXED: "Indexed", PENDING: "Pending", SKIPPED: "Skipped", FAILED: "Failed",
                NEEDS_OCR: "Needs OCR"}
STATUS_COLOURS = {INDEXED: "#2e7d32", PENDING: "#1565c0", SKIPPED: "#8a8a8a", FAILED: "#c62828",
                  NEEDS_OCR: "#e65100"}
# Files the user may want to act on (retry, install OCR, read why).
PROBLEMS = frozenset({FAILED, NEEDS_OCR, SKIPPED})
RETRYABLE = frozenset({FAILED, NEEDS_OCR})

PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # the file's full path (str)
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw core status ("needs_ocr")
SORT_ROLE = Qt.ItemDataRole.UserRole + 3  # a key that sorts as the user expects (numbers as numbers)

NAME, STATUS, PASSAGES, FOLDER, REASON = range(5)
HEADERS = ("Name", "Status", "Passages", "Folder", "Reason")

_Index = QModelIndex | QPersistentModelIndex
_icons: dict[str, QIcon] = {}


def status_icon(status: str) -> QIcon:
    """A coloured dot; made on first use because pixmaps need a running application."""
    if status not in _icons:
        pixmap = QPixmap(12, 12)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATUS_COLOURS.get(status, "#8a8a8a")))
        painter.drawEllipse(1, 1, 10, 10)
        painter.end()
        _icons[status] = QIcon(pixmap)
    return _icons[status]


def status_word(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


def file_name(record: FileRecord) -> str:
    return display_path(os.path.basename(record.path))


def folder_of(record: FileRecord) -> str:
    """The file's folder from its source's own name down ("Documents/Reports"): short, still clear."""
    parent = os.path.dirname(record.path)
    base = os.path.dirname(record.source.rstrip(os.sep)).rstrip(os.sep) + os.sep
    if parent.startswith(base) and len(parent) > len(base):
        parent = parent[len(base):]
    return display_path(parent)


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def _size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def tooltip_of(record: FileRecord) -> str:
    lines = [display_path(record.path), status_word(record.status)]
    if record.reason:
        lines[1] += f": {record.reason}"
    details = [_size_text(record.size)] if record.size else []
    if record.pages:
        details.append(f"{record.pages:,} {locator.unit(record.kind)}{'s' if record.pages != 1 else ''}")  # sheets, slides
    if record.status in SEARCHABLE:
        details.append(f"{record.chunks:,} passages")
    if details:
        lines.append(" · ".join(details))
    return "\n".join(lines)


class FilesModel(QAbstractTableModel):
    """Rows in the order of the last ``sort()``. A new file is appended and a changed one stays
    where it is; both find their place at the next re-sort, at most one a second (a re-sort of
    20,000 rows takes about 0.1 s: once per file would freeze the window while indexing)."""

    RESORT_EVERY_MS = 1000

    def __init__(self, parent=None):
        super().__init__(parent)
        self._records: list[FileRecord] = []
        self._rows: dict[str, int] = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._resort = QTimer(self, singleShot=True, interval=self.RESORT_EVERY_MS)
        self._resort.timeout.connect(lambda: self.sort(self._sort_column, self._sort_order))

    # -- what the views read ----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._records):
            return None
        record, column = self._records[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        if role == SORT_ROLE:
            return self.sort_key(record, column)
        if role == PATH_ROLE:
            return record.path
        if role == STATUS_ROLE:
            return record.status
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip_of(record)
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return status_icon(record.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == PASSAGES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(record: FileRecord, column: int) -> str:
        if column == NAME:
            return file_name(record)
        if column == STATUS:
            return status_word(record.status)
        if column == PASSAGES:
            return f"{record.chunks:,}" if record.status in SEARCHABLE else ""
        if column == FOLDER:
            return folder_of(record)
        return _first_line(record.reason)

    @staticmethod
    def sort_key(record: FileRecord, column: int):
        if column == PASSAGES:  # files without passages below those with 0
            return record.chunks if record.status in SEARCHABLE else -1
        return FilesModel._text(record, column).lower()

    def record(self, row: int) -> FileRecord:
        return self._records[row]

    def row_of(self, path: str) -> int | None:
        return self._rows.get(path)

    def records(self) -> list[FileRecord]:
        return list(self._records)

    # -- changes ----------------------------------------------------------------------------------

    def reset(self, records: Iterable[FileRecord]) -> None:
        self.beginResetModel()
        unique = {r.path: r for r in records}  # the last record of a path wins
        self._records = self._sorted(list(unique.values()))
        self._reindex(0)
        self._resort.stop()
        self.endResetModel()

    def upsert(self, record: FileRecord) -> None:
        row = self._rows.get(record.path)
        if row is None:
            row = len(self._records)
            self.beginInsertRows(QModelIndex(), row, row)
            self._records.append(record)
            self._rows[record.path] = row
            self.endInsertRows()
            self._resort_soon()
        elif self._records[row] != record:
            before, self._records[row] = self._records[row], record
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
            if self._sort_column >= 0 and self.sort_key(before, self._sort_column) != self.sort_key(
                    record, self._sort_column):
                self._resort_soon()

    def remove(self, path: str) -> bool:
        return self.remove_many([path]) == 1

    def remove_many(self, paths: Iterable[str]) -> int:
        """Remove many files with one pass over the rest: runs of adjacent rows go together."""
        rows = sorted({self._rows[p] for p in paths if p in self._rows}, reverse=True)
        start = 0
        while start < len(rows):  # rows are descending: [last .. first] of one adjacent run
            end = start
            while end + 1 < len(rows) and rows[end + 1] == rows[end] - 1:
                end += 1
            first, last = rows[end], rows[start]
            self.beginRemoveRows(QModelIndex(), first, last)
            for record in self._records[first:last + 1]:
                del self._rows[record.path]
            del self._records[first:last + 1]
            self.endRemoveRows()
            start = end + 1
        if rows:
            self._reindex(rows[-1])  # rows after the first removed one moved up
        return len(rows)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self._resort.stop()
        if column < 0 or not self._records:
            return
        self.layoutAboutToBeChanged.emit()
        before = self._records
        self._records = self._sorted(before)
        self._reindex(0)
        moved = self.persistentIndexList()  # keeps the selection and current row on their files
        self.changePersistentIndexList(
            moved, [self.index(self._rows[before[i.row()].path], i.column()) for i in moved])
        self.layoutChanged.emit()

    def sort_column(self) -> int:
        return self._sort_column

    def _resort_soon(self) -> None:
        if self._sort_column >= 0 and not self._resort.isActive():
            self._resort.start()

    def _sorted(self, records: list[FileRecord]) -> list[FileRecord]:
        column, descending = self._sort_column, self._sort_order == Qt.SortOrder.DescendingOrder
        if column < 0:
            return records
        ordered = sorted(records, key=lambda r: (file_name(r).lower(), r.path))  # ties stay in name order
        if column == NAME:
            return ordered[::-1] if descending else ordered
        ordered.sort(key=lambda r: self.sort_key(r, column), reverse=descending)
        return ordered

    def _reindex(self, first: int) -> None:
        rows = self._rows if first else {}
        for row in range(first, len(self._records)):
            rows[self._records[row].path] = row
        self._rows = rows


class FilesFilter(QSortFilterProxyModel):
    """Shows files whose status is in a chosen set and whose name or path contains a query.
    Sorting is handed to the FilesModel underneath (see the module's docstring); rows here keep its
    order. A changed file leaves or enters the filtered rows at once."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._statuses: frozenset[str] | None = None
        self._query = ""
        self.setDynamicSortFilter(True)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)

    def set_statuses(self, statuses: Iterable[str] | None) -> None:
        """None shows every status."""
        statuses = None if statuses is None else frozenset(statuses)
        if statuses != self._statuses:
            self.beginFilterChange()
            self._statuses = statuses
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_query(self, text: str) -> None:
        query = text.strip().lower()
        if query != self._query:
            self.beginFilterChange()
            self._query = query
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def statuses(self) -> frozenset[str] | None:
        return self._statuses

    def query(self) -> str:
        return self._query

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if self._statuses is None and not self._query:
            return True
        record = self.sourceModel().record(source_row)
        if self._statuses is not None and record.status not in self._statuses:
            return False
        return not self._query or self._query in display_path(record.path).lower()

    def record(self, row: int) -> FileRecord:
        return self.sourceModel().record(self.mapToSource(self.index(row, 0)).row())

    def path_at(self, row: int) -> str:
        return self.record(row).path
