"""The folders side of the window: watched sources with their indexing progress, and every known
file with its status. A pure view: the backend calls its slots and listens to its signals."""

from __future__ import annotations

import os
import time
from typing import Callable

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeySequence, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QSplitter, QStyle, QStyledItemDelegate, QStyleOptionProgressBar,
                               QStyleOptionViewItem, QTableView, QVBoxLayout, QWidget)

from core.manifest import FileRecord, STATUSES, display_path
from desktop.eta import EtaEstimate, time_left_text
from desktop.files_model import (FOLDER, NAME, PASSAGES, PROBLEMS, REASON, RETRYABLE, STATUS, FilesFilter, FilesModel,
                                 status_word)

SOURCE_ROLE = Qt.ItemDataRole.UserRole + 1  # the source's path
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 2  # "1,234 files" or why it is unavailable
AVAILABLE_ROLE = Qt.ItemDataRole.UserRole + 3
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 4  # (files_done, files_total, text) while indexing, else None
UNAVAILABLE = "Unavailable (unplugged or renamed?)"
UNAVAILABLE_COLOUR = QColor("#c62828")


class SourceDelegate(QStyledItemDelegate):
    """Paints a source as its path, its file count or why it is unavailable, and a progress bar
    while indexing: a widget per row would not follow the selection colours."""

    PAD, BAR = 6, 8  # margins; height of the progress bar, under its words so both fit a narrow panel

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        lines = 3 if index.data(PROGRESS_ROLE) else 2
        return QSize(200, lines * (option.fontMetrics.height() + 4) + 2 * self.PAD + (self.BAR if lines == 3 else 0))

    def paint(self, painter, option: QStyleOptionViewItem, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style, widget = opt.widget.style(), opt.widget
        opt.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)  # background, focus
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        colour = opt.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        line = opt.fontMetrics.height() + 4
        area = opt.rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        text = QRect(area.left(), area.top(), area.width(), line)
        bold = QFont(opt.font)
        bold.setBold(True)
        painter.save()
        self._text(painter, text, bold, colour, index.data(Qt.ItemDataRole.DisplayRole), Qt.TextElideMode.ElideMiddle)
        unavailable = not index.data(AVAILABLE_ROLE) and not selected
        self._text(painter, text.translated(0, line), opt.font, UNAVAILABLE_COLOUR if unavailable else colour,
                   index.data(DETAIL_ROLE))
        if progress := index.data(PROGRESS_ROLE):
            done, total, words = progress
            bar = QStyleOptionProgressBar()
            bar.rect = QRect(text.left(), text.top() + 3 * line, text.width(), self.BAR)
            bar.minimum, bar.maximum, bar.progress = 0, max(total, 1), min(done, max(total, 1))
            bar.state, bar.palette = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal, opt.palette
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)
            self._text(painter, text.translated(0, 2 * line), opt.font, colour, words)
        painter.restore()

    @staticmethod
    def _text(painter, rect: QRect, font: QFont, colour: QColor, text: str,
              elide: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> None:
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter, QFontMetrics(font).elidedText(text, elide, rect.width()))


class ElideRight(QStyledItemDelegate):
    """For sentences (reasons): their start says the most; names keep the table's middle elision."""

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


def arrange(layout, *parts, margins: int | None = None):
    """Fill ``layout`` with widgets and layouts; a (part, stretch) pair stretches; an int is a stretch."""
    for part in parts:
        part, stretch = part if isinstance(part, tuple) else (part, 0)
        if isinstance(part, int):
            layout.addStretch(part)
        else:
            (layout.addWidget if isinstance(part, QWidget) else layout.addLayout)(part, stretch)
    if margins is not None:
        layout.setContentsMargins(margins, margins, margins, margins)
    return layout


class FoldersPanel(QWidget):
    add_requested = Signal(list)  # paths of folders or files to watch
    remove_requested = Signal(str)  # a source to stop watching
    retry_requested = Signal(list)  # paths of failed / needs-OCR files to read again
    pause_toggled = Signal(bool)  # True: pause watching
    file_activated = Signal(str)  # a file to preview or open

    FILTERS = [("All files", None), ("Problems", PROBLEMS)] + [  # problems: failed, needs OCR, skipped
        (status_word(s), frozenset({s})) for s in STATUSES]
    SEARCH_DELAY_MS = 150  # one filter pass per pause in typing, not per key

    def __init__(self, parent: QWidget | None = None, clock: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        self._clock = clock
        self._estimates: dict[str, EtaEstimate] = {}
        self._progress: dict[str, tuple[int, int, str]] = {}
        self._removed: set[str] = set()  # file_removed paths, applied together (see _apply_removals)
        self._items: dict[str, QListWidgetItem] = {}  # source path -> its row in the list
        self.files_model = FilesModel(self)
        self.files_filter = FilesFilter(self)
        self.files_filter.setSourceModel(self.files_model)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self._build_sources())
        splitter.addWidget(self._build_files())
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        arrange(QVBoxLayout(self), splitter)
        self._counts_timer = QTimer(self, singleShot=True, interval=100)  # one update per burst of changes
        self._counts_timer.timeout.connect(self._update_counts)
        for change in (self.files_model.modelReset, self.files_model.rowsInserted, self.files_model.rowsRemoved,
                       self.files_filter.rowsInserted, self.files_filter.rowsRemoved, self.files_filter.modelReset,
                       self.files_filter.layoutChanged):
            change.connect(self._counts_timer.start)
        self.sources_list.itemSelectionChanged.connect(self._update_buttons)
        self.files_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_counts()
        self._update_buttons()

    # -- building -------------------------------------------------------------------------------
    def _button(self, text: str, accessible: str, tooltip: str, slot) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(accessible)
        button.setToolTip(tooltip)
        button.clicked.connect(slot)
        return button

    def _build_sources(self) -> QWidget:
        box = QWidget(self)
        title = QLabel("<b>Folders and files Archivist watches</b>", box)
        self.sources_list = QListWidget(box)
        self.sources_list.setAccessibleName("Watched folders and files")
        self.sources_list.setItemDelegate(SourceDelegate(self.sources_list))
        self.sources_list.installEventFilter(self)  # the Delete key removes (see eventFilter)
        title.setBuddy(self.sources_list)
        self.add_folder_button = self._button("Add folder…", "Add a folder", "Watch a folder and index every "
                                              "document in it", self._choose_folder)
        self.add_files_button = self._button("Add files…", "Add files", "Watch single documents", self._choose_files)
        self.remove_button = self._button("Remove…", "Remove the selected source", "Stop watching the selected "
                                          "folder or file (the files themselves are not touched)",
                                          self.remove_selected_source)
        self.pause_button = self._button("Pause watching", "Pause watching", "Stop picking up changes to your "
                                         "files until you resume", self._pause_clicked)
        self.pause_button.setCheckable(True)
        buttons = QGridLayout()  # two by two: fits the narrow side panel
        for i, button in enumerate((self.add_folder_button, self.add_files_button, self.remove_button,
                                    self.pause_button)):
            buttons.addWidget(button, i // 2, i % 2)
        buttons.setColumnStretch(2, 1)  # buttons keep their own width in a wide panel
        arrange(QVBoxLayout(box), title, (self.sources_list, 1), buttons, margins=0)
        return box

    def _build_files(self) -> QWidget:
        box = QWidget(self)
        title = QLabel("<b>Files</b>", box)
        self.status_filter = QComboBox(box)
        self.status_filter.setAccessibleName("Show files with status")
        self.status_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.status_filter.setMinimumContentsLength(10)  # may be narrower than its longest entry
        for text, statuses in self.FILTERS:
            self.status_filter.addItem(text, statuses)
        self.status_filter.setItemData(1, "Failed, needs OCR or skipped", Qt.ItemDataRole.ToolTipRole)
        self.status_filter.currentIndexChanged.connect(
            lambda i: self.files_filter.set_statuses(self.status_filter.itemData(i)))
        self.search_box = QLineEdit(box)
        self.search_box.setPlaceholderText("Search file names and folders")
        self.search_box.setAccessibleName("Search files")
        self.search_box.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=self.SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self.files_filter.set_query(self.search_box.text()))
        self.search_box.textChanged.connect(self._search_timer.start)
        self.retry_button = self._button("Retry", "Retry the selected files", "Read the selected failed or "
                                         "needs-OCR files again", self.retry_selected)
        self.count_label = QLabel(box)
        self.count_label.setAccessibleName("Number of files shown")
        table = self.files_table = QTableView(box)
        table.setAccessibleName("Files")
        table.setModel(self.files_filter)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keeps the start and the extension of names
        table.setItemDelegateForColumn(REASON, ElideRight(table))
        rows = table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform heights: no per-row measuring
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        metrics = self.fontMetrics()
        for column, sample in ((NAME, "x" * 24), (STATUS, "Needs OCR" + "x" * 5), (PASSAGES, "Passages" + "x" * 4),
                               (FOLDER, "x" * 28)):
            header.resizeSection(column, metrics.horizontalAdvance(sample))
        table.setSortingEnabled(True)
        table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        table.activated.connect(lambda index: self.file_activated.emit(self.files_filter.path_at(index.row())))
        title.setBuddy(table)
        tools = arrange(QHBoxLayout(), title, self.status_filter, 1, self.retry_button)
        arrange(QVBoxLayout(box), tools, self.search_box, (table, 1), self.count_label, margins=0)
        box.layout().setContentsMargins(0, 6, 0, 0)  # room below the splitter handle
        return box

    # -- slots the backend calls ----------------------------------------------------------------
    @Slot(list)
    def set_sources(self, sources: list[dict]) -> None:
        """Dicts as in core.api Status.sources: path, available, files."""
        selected = self.selected_source()
        self.sources_list.clear()
        self._items = {}
        for source in sources:
            path = source["path"]
            item = QListWidgetItem(display_path(path))
            item.setData(SOURCE_ROLE, path)
            item.setData(AVAILABLE_ROLE, bool(source.get("available", True)))
            files = source.get("files", 0)
            item.setData(DETAIL_ROLE, f"{files:,} file{'' if files == 1 else 's'}" if item.data(AVAILABLE_ROLE)
                         else UNAVAILABLE)
            self.sources_list.addItem(item)
            self._items[path] = item
            self._show_source_progress(item)
            if path == selected:
                item.setSelected(True)
                self.sources_list.setCurrentItem(item)
        self._update_buttons()

    @Slot(str, int, int, int, int)
    def set_progress(self, source: str, files_done: int, files_total: int, bytes_done: int,
                     bytes_total: int) -> None:
        """How far indexing of one source is; kept until progress_finished(source), and shown as
        soon as set_sources lists that source."""
        seconds = self._estimates.setdefault(source, EtaEstimate(self._clock)).update(bytes_done, bytes_total)
        text = f"{files_done:,} of {files_total:,} files"
        self._progress[source] = (files_done, files_total, f"{text} · {time_left_text(seconds)}" if bytes_total
                                  else text)  # nothing to read (only removals): no time to estimate
        self._show_source_progress(self._items.get(source))

    @Slot(str)
    def progress_finished(self, source: str) -> None:
        self._estimates.pop(source, None)
        if self._progress.pop(source, None) is not None:
            self._show_source_progress(self._items.get(source))

    def progress_text(self, source: str) -> str:
        return self._progress.get(source, (0, 0, ""))[2]

    @Slot(list)
    def set_files(self, records: list[FileRecord]) -> None:
        self._removed.clear()
        self.files_model.reset(records)

    @Slot(object)
    def file_changed(self, record: FileRecord) -> None:
        self._apply_removals()  # a file removed then added again must end up present
        self.files_model.upsert(record)

    @Slot(str)
    def file_removed(self, path: str) -> None:
        """Applied on the next turn of the event loop, together with the removals queued with it:
        dropping a source sends one event per file, and one pass over the table handles them all."""
        if not self._removed:
            QTimer.singleShot(0, self, self._apply_removals)
        self._removed.add(path)

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume watching" if paused else "Pause watching")
        self.pause_button.setAccessibleName(self.pause_button.text())
        self.pause_button.setToolTip("Watching is paused: resume to pick up changes to your files again"
                                     if paused else "Stop picking up changes to your files until you resume")

    # -- what the user does ---------------------------------------------------------------------
    def selected_source(self) -> str | None:
        items = self.sources_list.selectedItems()
        return items[0].data(SOURCE_ROLE) if items else None

    def source_summary(self, path: str) -> str:
        item = self._items.get(path)
        return item.data(Qt.ItemDataRole.AccessibleTextRole) if item else ""

    # Dialogs open with open(), never exec(): a nested event loop would freeze progress and answers.
    def _choose_folder(self) -> None:
        dialog = _file_dialog(self, "Add a folder to Archivist", QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(lambda folder: self.add_requested.emit([os.path.abspath(folder)]))
        dialog.open()

    def _choose_files(self) -> None:
        dialog = _file_dialog(self, "Add files to Archivist", QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(lambda files: files and self.add_requested.emit(
            [os.path.abspath(f) for f in files]))
        dialog.open()

    def remove_selected_source(self) -> None:
        path = self.selected_source()
        if path is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question, "Remove from Archivist",
            f"Stop watching {display_path(path)}?\n\nIts passages are removed from Archivist's index. "
            "The files themselves are not touched: nothing is deleted from your disk.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: box.standardButton(button) == QMessageBox.StandardButton.Yes
                                  and self.remove_requested.emit(path))
        box.open()

    def _pause_clicked(self, checked: bool) -> None:
        self.set_paused(checked)
        self.pause_toggled.emit(checked)

    def retry_selected(self) -> None:
        rows = sorted(index.row() for index in self.files_table.selectionModel().selectedRows())
        if paths := [r.path for r in map(self.files_filter.record, rows) if r.status in RETRYABLE]:
            self.retry_requested.emit(paths)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.sources_list and event.type() == QEvent.Type.KeyPress and (
                event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Backspace):
            self.remove_selected_source()
            return True
        return super().eventFilter(watched, event)

    # -- keeping the view in step ---------------------------------------------------------------
    def _show_source_progress(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        progress = self._progress.get(item.data(SOURCE_ROLE))
        item.setData(PROGRESS_ROLE, progress)
        parts = [item.text(), item.data(DETAIL_ROLE)] + ([f"indexing {progress[2]}"] if progress else [])
        item.setData(Qt.ItemDataRole.AccessibleTextRole, ", ".join(parts))
        item.setData(Qt.ItemDataRole.ToolTipRole, "\n".join(parts))

    def _apply_removals(self) -> None:
        removed, self._removed = self._removed, set()
        self.files_model.remove_many(removed)

    def _update_counts(self) -> None:
        shown, total = self.files_filter.rowCount(), self.files_model.rowCount()
        self.count_label.setText(f"{total:,} file{'' if total == 1 else 's'}" if shown == total
                                 else f"Showing {shown:,} of {total:,} files")

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self.selected_source() is not None)
        rows = self.files_table.selectionModel().selectedRows()
        self.retry_button.setEnabled(any(self.files_filter.record(i.row()).status in RETRYABLE for i in rows))


def _file_dialog(parent: QWidget, title: str, mode: QFileDialog.FileMode) -> QFileDialog:
    dialog = QFileDialog(parent, title)
    dialog.setFileMode(mode)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return dialog
