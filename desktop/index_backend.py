"""The window's side of the index: opens the core, watches the folders, turns core events into signals.

Every change to the index runs on the single writer worker (Tasks.run(writer=True)); the watcher
syncs on its own thread (the core plans and carries out one step at a time). Core events arrive on
those threads and are batched here, so indexing 20,000 files sends the GUI a few signals a second,
not one per file.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

from PySide6.QtCore import QObject, Signal

from core import events as ev
from core.config import Settings
from desktop.tasks import Tasks

log = logging.getLogger(__name__)

FLUSH_S = 0.15  # at most ~7 batches of file updates a second
STATUS_EVERY_S = 2.0  # passage and file counts while indexing


class IndexBackend(QObject):
    opened = Signal(object)  # core.api.Status, once the index is open (or read-only: see busy)
    busy = Signal(str)  # another Archivist process writes this index: searching still works
    status_changed = Signal(object)  # Status
    files_loaded = Signal(list)  # every FileRecord
    files_changed = Signal(list)  # FileRecords that changed
    files_removed = Signal(list)  # paths
    sync_started = Signal(object)  # events.SyncStarted
    sync_progress = Signal(object)  # events.SyncProgress (throttled)
    file_progress = Signal(str, int, int, int, int)  # source, files done, files total, bytes done, total
    file_work = Signal(object)  # events.FileProgress: pages read or passages indexed of one large file
    sync_finished = Signal(object)  # events.SyncFinished
    source_unavailable = Signal(str, str)
    watch_mode = Signal(str, str, str)  # source, native|polling, reason
    rebuild_started = Signal(str, str)  # old model, new model: a new index is being built beside
    model_switched = Signal(str, str)

    def __init__(self, tasks: Tasks, settings: Settings, parent: QObject | None = None, embedder=None):
        super().__init__(parent)
        self.tasks, self.settings = tasks, settings
        self._embedder = embedder  # tests share one loaded model
        self.archivist = None
        self.watcher = None
        self.cli_server = None  # answers archivist-cli's searches from this open index
        self.paused = False
        self._buffer_lock = threading.Lock()
        self._changed: dict[str, object] = {}
        self._removed: list[str] = []
        self._last_flush = 0.0
        self._last_progress = self._last_status = 0.0
        self._per_source: dict[str, list[int]] = {}  # source → [files done, total, bytes done, total]
        self._stop = threading.Event()  # set when quitting: running syncs stop between files

    # -- lifecycle ------------------------------------------------------------------------------

    def open(self) -> None:
        self.tasks.run(self._open, self._opened, "opening the index", writer=True)

    def _open(self):
        from core.api import Archivist, IndexBusy

        try:
            self.archivist = Archivist(self.settings, on_event=self._on_event, embedder=self._embedder)
        except IndexBusy as exc:
            self.archivist = Archivist(self.settings, read_only=True, embedder=self._embedder)
            message = f"{exc}: searching works; changes wait until it has finished"
            self.tasks.gui(lambda: self.busy.emit(message))
            return self.archivist.status()
        self.watcher = self.archivist.start_watching()
        from core.ipc.server import InstanceServer

        self.cli_server = InstanceServer(self.archivist, "the Archivist window")
        self.cli_server.start()
        return self.archivist.status()

    def _opened(self, status) -> None:
        # The index's libraries are loaded now. Objects that live as long as the app need not be
        # scanned by every full garbage collection: those scans (130-160 ms of held GIL, measured)
        # were the longest stalls of the window while indexing.
        gc.freeze()
        self.opened.emit(status)
        self.refresh_files()
        if self.writable:
            self.sync_now()  # catch up with what changed while the app was closed

    def stop_work(self) -> None:
        """Ask a running sync to stop at the next file (quitting); the next start resumes it."""
        self._stop.set()

    def close(self) -> None:
        """Stop watching and close the index (blocks: call when quitting, after the tasks ended)."""
        self._stop.set()
        if self.cli_server is not None:
            self.cli_server.close()
        if self.archivist is not None:
            self.archivist.close()
        self.watcher = self.cli_server = self.archivist = None

    @property
    def writable(self) -> bool:
        return self.archivist is not None and not self.archivist.read_only

    # -- requests from the window -----------------------------------------------------------------

    def add_paths(self, paths: list[str]) -> None:
        def add():
            added = []
            for path in paths:
                added.append(self.archivist.add_source(path))  # watched from now on
            status = self.archivist.status()
            self.tasks.gui(lambda: self.status_changed.emit(status))  # the folder shows at once
            self.archivist.sync_paths(added, self._stop)
            return self.archivist.status()
        self.tasks.run(add, self.status_changed.emit, "adding folders", writer=True)

    def remove_source(self, path: str) -> None:
        def remove():
            self.archivist.remove_source(path)  # and stops watching it
            return self.archivist.status()
        self.tasks.run(remove, self._after_remove, "removing a folder", writer=True)

    def _after_remove(self, status) -> None:
        self.status_changed.emit(status)
        self.refresh_files()

    def retry(self, paths: list[str]) -> None:
        self.tasks.run(lambda: self.archivist.sync_paths(paths, self._stop, retry=True), None, "retrying files",
                       writer=True)

    def sync_now(self) -> None:
        self.tasks.run(lambda: self.archivist.sync(self._stop), None, "syncing", writer=True)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if self.watcher is not None:
            (self.watcher.pause if paused else self.watcher.resume)()

    def refresh_files(self) -> None:
        self.tasks.run(lambda: self.archivist.files(), self.files_loaded.emit, "listing files")

    def refresh_status(self) -> None:
        self.tasks.run(lambda: self.archivist.status(), self.status_changed.emit, "reading the index status")

    def switch_model(self, model: str, cancel: threading.Event) -> None:
        self.tasks.run(lambda: self.archivist.switch_model(model, cancel), lambda ok: self.refresh_status(),
                       "changing the embedding model", writer=True)

    # -- core events (on core threads) --------------------------------------------------------------

    def _on_event(self, event: ev.Event) -> None:
        gui = self.tasks.gui
        if isinstance(event, ev.FileDone):
            record = self.archivist.manifest.get(event.path) if self.archivist else None
            with self._buffer_lock:
                if record is not None:
                    self._changed[event.path] = record
                progress = self._per_source.get(event.source)
                if progress is not None:
                    progress[0] += 1
                    progress[2] += event.size
            self._maybe_flush()
        elif isinstance(event, ev.FileRemoved):
            with self._buffer_lock:
                self._changed.pop(event.path, None)
                self._removed.append(event.path)
            self._maybe_flush()
        elif isinstance(event, ev.SyncStarted):
            with self._buffer_lock:
                self._per_source = {s: [0, files, 0, size] for s, (files, size) in event.by_source.items()}
            gui(lambda: self.sync_started.emit(event))
            if event.files and self.archivist is not None:
                # The files about to be read, as pending: read here, on the indexing thread, so
                # they reach the window before any later change to them (a reader task could
                # arrive after). Only those: one edited file must not reload a 20,000-file list.
                pending = self.archivist.files(status="pending")
                gui(lambda: self.files_changed.emit(pending))
        elif isinstance(event, ev.SyncProgress):
            now = time.monotonic()
            if now - self._last_progress >= FLUSH_S or event.files_done == event.files_total:
                self._last_progress = now
                gui(lambda: self.sync_progress.emit(event))
                if len(self._per_source) == 1:  # one folder: its progress is the sync's (files read)
                    (source,) = self._per_source
                    gui(lambda: self.file_progress.emit(source, event.files_done, event.files_total,
                                                        event.bytes_done, event.bytes_total))
                if now - self._last_status >= STATUS_EVERY_S:
                    self._last_status = now
                    self.refresh_status()
        elif isinstance(event, ev.FileProgress):  # at most every 50 pages or 2,048 passages
            gui(lambda: self.file_work.emit(event))
        elif isinstance(event, ev.SyncFinished):
            self._maybe_flush(force=True)
            gui(lambda: self.sync_finished.emit(event))
            self.refresh_status()
        elif isinstance(event, ev.SourceUnavailable):
            gui(lambda: self.source_unavailable.emit(event.path, event.reason))
        elif isinstance(event, ev.WatchMode):
            gui(lambda: self.watch_mode.emit(event.path, event.mode, event.reason))
        elif isinstance(event, ev.RebuildStarted):
            gui(lambda: self.rebuild_started.emit(event.old_model, event.new_model))
        elif isinstance(event, ev.ModelSwitched):
            gui(lambda: self.model_switched.emit(event.old_model, event.new_model))

    def _maybe_flush(self, force: bool = False) -> None:
        now = time.monotonic()
        with self._buffer_lock:
            if not force and now - self._last_flush < FLUSH_S:
                return
            self._last_flush = now
            changed, removed = list(self._changed.values()), self._removed
            self._changed, self._removed = {}, []
            progress = {s: tuple(p) for s, p in self._per_source.items()}
        gui = self.tasks.gui
        if changed:
            gui(lambda: self.files_changed.emit(changed))
        if removed:
            gui(lambda: self.files_removed.emit(removed))
        for source, (done, total, bytes_done, bytes_total) in progress.items() if len(progress) > 1 else ():
            gui(lambda s=source, d=done, t=total, b=bytes_done, bt=bytes_total:
                self.file_progress.emit(s, d, t, b, bt))
