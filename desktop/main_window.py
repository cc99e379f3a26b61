"""The main window: conversations and folders on the left, the chat in the middle, the source preview
on the right. It only wires widgets to the two backends; no core work happens on this thread."""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QProgressBar, QSplitter, QStackedWidget,
                               QTabWidget, QToolBar, QVBoxLayout, QWidget)

from desktop.answer_backend import AnswerBackend
from desktop.chat_view import ChatView
from desktop.composer import Composer
from desktop.conversations_panel import ConversationsPanel
from desktop.dropping import local_paths
from desktop.engine_bar import EngineBar
from desktop.eta import duration_text
from desktop.folders_panel import FoldersPanel
from desktop.idle_gc import IdleCollector
from desktop.index_backend import IndexBackend
from desktop.notice import NoticeBar
from desktop.welcome import Welcome
from desktop.window_dialogs import WindowDialogs

log = logging.getLogger(__name__)


class MainWindow(WindowDialogs, QMainWindow):
    settings_requested = Signal()

    def __init__(self, index: IndexBackend, answers: AnswerBackend, window_settings: QSettings):
        super().__init__()
        self.index, self.answers, self.window_settings = index, answers, window_settings
        self.conversation_id: str | None = None
        self.last_sources: dict[str, list] = {}  # message id → retrieved sources (for the trace)
        self._pending_sources: list = []
        self._stream = None
        self._sources: list[str] = []
        self.setWindowTitle("Archivist")
        self.setAcceptDrops(True)
        self._build()
        self._connect()
        self._shortcuts()
        self.idle_gc = IdleCollector(self.busy, self)
        self.restoreGeometry(window_settings.value("geometry", b""))
        self.splitter.restoreState(window_settings.value("splitter", b""))

    # -- layout ---------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.engine_bar = EngineBar(self.index.tasks)
        toolbar = QToolBar("Model")
        toolbar.setObjectName("model-toolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.engine_bar)
        self.addToolBar(toolbar)

        self.conversations = ConversationsPanel()
        self.folders = FoldersPanel()
        self.side = QTabWidget()
        self.side.setAccessibleName("Conversations and folders")
        self.side.addTab(self.conversations, "Chats")
        self.side.addTab(self.folders, "Folders")

        self.notice = NoticeBar()
        self.chat = ChatView()
        self.welcome = Welcome()
        self.chat_stack = QStackedWidget()
        self.chat_stack.addWidget(self.welcome)
        self.chat_stack.addWidget(self.chat)
        self.task_progress = QProgressBar()
        self.task_progress.setAccessibleName("Reading documents")
        self.task_progress.hide()
        self.composer = Composer()
        middle = QWidget()
        column = QVBoxLayout(middle)
        column.setContentsMargins(6, 6, 6, 6)
        column.addWidget(self.notice)
        column.addWidget(self.chat_stack, 1)
        column.addWidget(self.task_progress)
        column.addWidget(self.composer)

        self.preview = None  # PreviewPane, made on the first citation click (pymupdf loads slowly)
        self.preview_slot = QStackedWidget()
        self.preview_slot.setAccessibleName("Source preview")
        self.preview_slot.hide()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main-splitter")
        for widget, stretch in ((self.side, 0), (middle, 1), (self.preview_slot, 1)):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(self.splitter.indexOf(widget), stretch)
        self.splitter.setSizes([280, 640, 0])
        self.setCentralWidget(self.splitter)

        self.index_label = QLabel("Opening the index…")
        self.index_label.setAccessibleName("Index status")
        self.index_progress = QProgressBar()
        self.index_progress.setAccessibleName("Indexing progress")
        self.index_progress.setMinimumWidth(300)
        self.index_progress.hide()
        self.statusBar().addWidget(self.index_label, 1)
        self.statusBar().addPermanentWidget(self.index_progress)

    def _connect(self) -> None:
        ix, ans = self.index, self.answers
        ix.opened.connect(self._status)
        ix.status_changed.connect(self._status)
        ix.busy.connect(lambda text: self.notice.show_message(text, "warning"))
        ix.files_loaded.connect(self.folders.set_files)
        ix.files_changed.connect(lambda records: [self.folders.file_changed(r) for r in records])
        ix.files_removed.connect(lambda paths: [self.folders.file_removed(p) for p in paths])
        ix.file_progress.connect(self.folders.set_progress)
        ix.sync_progress.connect(self._sync_progress)
        ix.file_work.connect(self._file_work)
        ix.sync_finished.connect(self._sync_finished)
        ix.rebuild_started.connect(lambda old, new: self.notice.show_message(
            f"Building a new index with {new}; {old} keeps answering until it is ready.", seconds=10))
        ix.model_switched.connect(lambda old, new: self.notice.show_message(f"Now searching with {new}.", seconds=8))
        ix.source_unavailable.connect(lambda path, why: self.notice.show_message(f"{path}: {why}", "warning"))
        ix.tasks.failed.connect(lambda what, why: self.notice.show_message(
            f"Something went wrong while {what}: {why}" if what else why, "error"))

        self.folders.add_requested.connect(self.add_paths)
        self.folders.remove_requested.connect(ix.remove_source)
        self.folders.retry_requested.connect(ix.retry)
        self.folders.pause_toggled.connect(self._pause)
        self.folders.file_activated.connect(lambda path: self.show_source({"path": path, "page": 1}))
        self.welcome.add_folder.connect(self.choose_folder)

        self.conversations.new_requested.connect(self.new_conversation)
        self.conversations.open_requested.connect(ans.load)
        self.conversations.rename_requested.connect(ans.rename)
        self.conversations.delete_requested.connect(self._delete_conversation)
        self.conversations.export_requested.connect(self._export)
        ans.conversations_listed.connect(lambda items: self.conversations.set_conversations(items, self.conversation_id))
        ans.conversation_loaded.connect(self._show_conversation)

        self.composer.submitted.connect(self.ask)
        self.composer.scope.follow(ix)  # the folders and types there are to narrow to
        self.composer.scope.changed.connect(ans.set_filters)
        self.composer.stop_requested.connect(ans.stop)
        ans.answer_started.connect(self._answer_started)
        ans.sources_found.connect(self._sources_found)
        ans.evidence_found.connect(lambda card: self._stream and self._stream.show_evidence(card))
        ans.token.connect(lambda piece: self._stream and self._stream.append(piece))
        ans.progress.connect(self._task_progress)
        ans.answer_finished.connect(self._answer_finished)
        ans.answer_failed.connect(self._answer_failed)

        self.chat.citation_clicked.connect(self.show_source)
        self.chat.trace_requested.connect(self._show_trace)
        self.chat.regenerate_requested.connect(self._regenerate)
        self.chat.rated.connect(lambda message_id, rating: ans.rate(
            message_id, rating, on_done=lambda _: self.notice.show_message("Thanks: rating saved.", seconds=3)))
        self.chat.ideal_requested.connect(self._write_ideal)
        self.engine_bar.choice_changed.connect(ans.choose_engine)
        self.engine_bar.state_changed.connect(self.welcome.set_engine_state)
        self.engine_bar.strict_changed.connect(lambda on: setattr(ans, "strict", on))
        self.engine_bar.pulled.connect(lambda name, error: self.notice.show_message(
            f"Could not download {name}: {error}" if error else f"{name} is ready to answer.",
            "error" if error else "info"))

    def _shortcuts(self) -> None:
        def action(text, shortcut, slot):
            act = QAction(text, self, shortcut=QKeySequence(shortcut))
            act.triggered.connect(slot)
            self.addAction(act)
            return act
        self.new_chat_action = action("New chat", "Ctrl+N", self.new_conversation)
        action("Add folder…", "Ctrl+O", self.choose_folder)
        action("Focus the question box", "Ctrl+L", self.composer.setFocus)
        action("Settings…", "Ctrl+,", self.settings_requested.emit)
        action("Show folders", "Ctrl+2", lambda: self.side.setCurrentWidget(self.folders))
        action("Show chats", "Ctrl+1", lambda: self.side.setCurrentWidget(self.conversations))
        self._menus()

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for act in self.actions()[:4]:
            file_menu.addAction(act)
        file_menu.addSeparator()
        file_menu.addAction("Quit", QKeySequence.StandardKey.Quit, self._quit)
        tools_menu = self.menuBar().addMenu("&Tools")
        self.house_style_action = tools_menu.addAction("House style…", QKeySequence("Ctrl+Shift+H"), self.open_house_style)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("Copy logs for a bug report", self.copy_logs)

    def _quit(self) -> None:
        from PySide6.QtWidgets import QApplication

        self.keep_running_hidden = False
        QApplication.instance().quit()

    # -- folders ----------------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def choose_folder(self) -> None:
        dialog = QFileDialog(self, "Add a folder to Archivist")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(lambda path: self.add_paths([path]))
        dialog.open()

    def add_paths(self, paths: list[str]) -> None:
        if not self.index.writable:
            self.notice.show_message("The index is not open for changes yet (see the message above).", "warning")
            return
        self.index.add_paths(paths)
        names = ", ".join(os.path.basename(p.rstrip(os.sep)) or p for p in paths)
        self.notice.show_message(f"Adding {names}: Archivist reads it now and then follows every change. "
                                 "Your files are only read, never changed.", seconds=8)
        self.side.setCurrentWidget(self.folders)

    def busy(self) -> bool:
        """Indexing or answering: the user is watching something move."""
        return self.index_progress.isVisible() or self.composer.is_busy() or self.answers.busy

    def _pause(self, paused: bool) -> None:
        self.index.set_paused(paused)
        self.folders.set_paused(paused)

    def _status(self, status) -> None:
        self._sources = [s["path"] for s in status.sources]
        self.folders.set_sources(status.sources)
        files = sum(s["files"] for s in status.sources)
        state = "read-only" if status.read_only else ("paused" if self.index.paused else "watching")
        self.index_label.setText(f"{status.chunks:,} passages from {files:,} files · {len(status.sources)} "
                                 f"folder(s) · {state} · embedding model {status.model}")
        self.welcome.set_has_sources(bool(status.sources))
        if self.chat_stack.currentWidget() is self.welcome and self.conversation_id:
            self.chat_stack.setCurrentWidget(self.chat)

    def _sync_progress(self, progress) -> None:
        if not progress.files_total:
            return
        self.index_progress.show()
        self.index_progress.setProperty("per_file", False)
        self.index_progress.setRange(0, max(1, progress.bytes_total))
        self.index_progress.setValue(progress.bytes_done)
        eta = f", about {duration_text(progress.eta_s)} left" if progress.eta_s else ""
        self.index_progress.setFormat(f"{progress.files_done:,}/{progress.files_total:,} files{eta}")

    def _file_work(self, work) -> None:
        """One large file's own progress beside the file count: "huge.pdf: page 1,200 of 10,000"."""
        self.index_progress.show()
        bar = self.index_progress
        if bar.value() < bar.minimum() or bar.property("per_file"):
            # No file is done yet (a bar without a value shows no text): it shows this file's pages.
            bar.setProperty("per_file", True)
            bar.setRange(0, max(1, work.total or 1))
            bar.setValue(min(work.done, bar.maximum()) if work.total else 0)
        files = self.index_progress.format().split(" · ")[0]  # "12/40 files", once a file is done
        this_file = f"{os.path.basename(work.path)}: {work.describe()}"
        self.index_progress.setFormat(f"{files} · {this_file}" if "files" in files else this_file)

    def _sync_finished(self, finished) -> None:
        self.index_progress.hide()
        for source in self._sources:
            self.folders.progress_finished(source)
        if finished.failed:
            self.notice.show_message(f"{finished.failed} file(s) could not be indexed; the Folders tab says why.",
                                     "warning")

    # -- chat -------------------------------------------------------------------------------------------

    def new_conversation(self) -> None:
        self.conversation_id = None
        self.chat.clear()
        self.chat_stack.setCurrentWidget(self.welcome)
        self.composer.setFocus()

    def ask(self, question: str) -> None:
        if self.index.archivist is None:
            self.notice.show_message("The index is still opening; ask again in a moment.", "warning")
            return
        self.composer.set_busy(True)
        self.chat_stack.setCurrentWidget(self.chat)
        self._pending_sources = []
        self.answers.ask(question, self.conversation_id)

    def _answer_started(self, conversation_id: str, message_id: str, question: str) -> None:
        self.conversation_id = conversation_id
        self.chat.add_user(question, message_id)
        self._stream = self.chat.begin_answer()

    def _sources_found(self, sources: list, trace: dict) -> None:
        self._pending_sources = sources

    def _task_progress(self, stage: str, done: int, total: int, label: str) -> None:
        self.task_progress.show()
        self.task_progress.setRange(0, max(1, total))
        self.task_progress.setValue(done)
        verb = {"read": "Reading", "combine": "Combining notes", "write": "Writing"}.get(stage, stage)
        self.task_progress.setFormat(f"{verb} {label} ({done}/{total})" if total > 1 else f"{verb} {label}")

    def _answer_finished(self, result: dict) -> None:
        self.composer.set_busy(False)
        self.task_progress.hide()
        self.last_sources[result["message_id"]] = self._pending_sources
        citations = result["citations"]
        if result["status"] == "refused":  # the nearest passages, so the user sees what was there
            citations = self._pending_sources[:3]
        if self._stream is not None:
            self._stream.finish(result["message_id"], result["text"], citations, result["status"],
                                result["engine"], result["model"], (result.get("trace") or {}).get("check"))
            self._stream = None
        if result.get("replaced"):
            self.answers.load(result["conversation_id"])
        if result.get("error"):  # e.g. the engine stopped mid-answer: what happened and what to do
            self.notice.show_message(result["error"], "error")

    def _answer_failed(self, message: str) -> None:
        self.composer.set_busy(False)
        self.task_progress.hide()
        if self._stream is not None:
            self._stream.finish("", "", [], "interrupted", "", "")
            self._stream = None
        self.notice.show_message(message, "error")

    def _regenerate(self, message_id: str) -> None:
        self.composer.set_busy(True)
        self._stream = self.chat.begin_answer()
        self.answers.regenerate(message_id)

    def _show_conversation(self, conversation) -> None:
        if conversation is None:
            return
        self.conversation_id = conversation.id
        self.chat.clear()
        self.chat_stack.setCurrentWidget(self.chat)
        for m in conversation.messages:
            if m.role == "user":
                self.chat.add_user(m.content, m.id)
            else:
                self.last_sources.setdefault(m.id, [])
                self.chat.add_answer(m.id, m.content, m.citations, m.status, m.engine or "", m.model or "",
                                     (m.trace or {}).get("check"))

    def _delete_conversation(self, conversation_id: str) -> None:
        self.answers.delete(conversation_id)
        if conversation_id == self.conversation_id:
            self.new_conversation()

    def show_source(self, citation: dict) -> None:
        if self.preview is None:
            from core.parsing.ocr.options import from_settings
            from desktop.preview import PreviewPane

            self.preview = PreviewPane(ocr=from_settings(self.index.settings))
            self.preview_slot.addWidget(self.preview)
        self.preview_slot.show()
        if self.splitter.sizes()[2] < 200:
            sizes = self.splitter.sizes()
            self.splitter.setSizes([sizes[0], max(400, sizes[1] // 2), max(420, sizes[1] // 2)])
        self.preview.show_citation(citation)

    # -- window ------------------------------------------------------------------------------------------

    keep_running_hidden = False  # with a system tray, closing hides the window; indexing goes on

    def closeEvent(self, event) -> None:
        self.save_geometry()
        if self.keep_running_hidden:
            event.ignore()
            self.hide()
            return
        super().closeEvent(event)

    def report_unexpected(self, exc_type, exc, tb) -> None:
        """sys.excepthook: a bug in a slot becomes a message and a log entry, never a lost traceback."""
        log.error("unexpected error", exc_info=(exc_type, exc, tb))
        self.notice.show_message(f"Something went wrong ({exc_type.__name__}: {exc}). Your documents and the "
                                 "index are safe. Help → Copy logs helps us find the cause.", "error")

    def copy_logs(self) -> None:
        from PySide6.QtGui import QGuiApplication

        from desktop import logs

        QGuiApplication.clipboard().setText(logs.report())
        self.notice.show_message("Logs copied: paste them into your bug report. They hold file names, "
                                 "not document text.", seconds=8)

    def save_geometry(self) -> None:
        self.window_settings.setValue("geometry", self.saveGeometry())
        self.window_settings.setValue("splitter", self.splitter.saveState())
