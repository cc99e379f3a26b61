"""Keep the index in step with the sources while Archivist runs.

Filesystem events only say *where* to look: bursts are coalesced into one set of paths, and
those paths are reconciled against disk (so an editor's temp-file-and-rename save, a move, or
a storm of events all end the same way: the index matches what is on disk). Events can be lost
(queue overflow, network shares, sleeping laptops), so a periodic reconcile scan backs them up.
Sources on network filesystems, or beyond the inotify watch limit, are polled instead.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from typing import Callable

from watchdog.events import (DirModifiedEvent, FileClosedNoWriteEvent, FileOpenedEvent, FileSystemEvent,
                             FileSystemEventHandler)
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from core import events as ev
from core.ignore import IGNORE_FILE

log = logging.getLogger(__name__)

NETWORK_FILESYSTEMS = {
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "sshfs", "9p", "afs", "davfs",
    "fuse.rclone", "fuse.gvfsd-fuse", "ncpfs", "glusterfs", "ceph", "fuse.s3fs",
}
MAX_LATENCY_S = 2.0  # even during a long burst, act at least this often
SOURCE_CHECK_S = 5.0  # how soon an unplugged or returning source is noticed


def filesystem_type(path: str) -> str | None:
    """The filesystem type of the mount holding ``path`` (Linux only; None elsewhere)."""
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as fh:
            mounts = [line.split()[:3] for line in fh]
    except OSError:
        return None
    best, fstype = "", None
    real = os.path.realpath(path)
    for _, mount_point, kind in mounts:
        mount_point = mount_point.replace("\\040", " ")
        if (real == mount_point or real.startswith(mount_point.rstrip("/") + "/")) and len(mount_point) > len(best):
            best, fstype = mount_point, kind
    return fstype


class _Collector(FileSystemEventHandler):
    def __init__(self, on_path: Callable[..., None]):
        self._on_path = on_path

    def on_any_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, (FileOpenedEvent, FileClosedNoWriteEvent)):
            return  # reads, not changes
        if isinstance(event, DirModifiedEvent):
            # Its listing changed: the files directly in it, not the whole tree below (one
            # save at the top of a large source must not stat every file under it).
            self._on_path(os.fsdecode(event.src_path), shallow=True)
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = os.fsdecode(raw)
            if os.path.basename(path) == IGNORE_FILE:
                path = os.path.dirname(path)  # new ignore rules: look at the whole folder again
            self._on_path(path)


class Watcher:
    """Watches every source of an ``Archivist`` and syncs what changes, on a background thread."""

    def __init__(self, archivist, debounce_s: float | None = None, poll: bool = False,
                 poll_interval_s: float | None = None, rescan_interval_s: float | None = None,
                 observer_factory: Callable[[], object] = Observer):
        settings = archivist.settings
        self.archivist = archivist
        self.debounce_s = settings.debounce_s if debounce_s is None else debounce_s
        self.poll_interval_s = poll_interval_s or settings.poll_interval_s
        self.rescan_interval_s = rescan_interval_s or settings.rescan_interval_s
        self.force_poll = poll
        self._observer_factory = observer_factory
        self._observers: dict[str, object] = {}  # source → observer
        self._pending: dict[str, float] = {}
        self._shallow: set[str] = set()  # pending folders whose own listing changed
        self._first_pending: float | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._thread: threading.Thread | None = None
        self.modes: dict[str, str] = {}

    # -- control --------------------------------------------------------------------------------

    def start(self) -> None:
        for source in self.archivist.sources():
            self._watch(source)
        self._thread = threading.Thread(target=self._run, name="archivist-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for observer in self._observers.values():
            observer.stop()
        for observer in self._observers.values():
            observer.join(timeout=5)
        self._observers.clear()
        if self._thread:
            self._thread.join(timeout=30)

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()
        with self._cond:
            self._cond.notify_all()

    def watch(self, source: str) -> None:
        """Watch a new source (whoever added it syncs it: a notification would read it twice)."""
        with self._cond:
            self._watch(source)

    def unwatch(self, source: str) -> None:
        with self._cond:
            observer = self._observers.pop(source, None)
            self.modes.pop(source, None)
        if observer is not None:
            observer.stop()

    def notify(self, path: str, shallow: bool = False) -> None:
        """Something changed at ``path`` (for a folder: anywhere in it, or only in its own
        listing when ``shallow``)."""
        now = time.monotonic()
        with self._cond:
            if not shallow:
                self._shallow.discard(path)
            elif path not in self._pending:
                self._shallow.add(path)
            self._pending[path] = now
            if self._first_pending is None:
                self._first_pending = now
            self._cond.notify_all()

    # -- observers ------------------------------------------------------------------------------

    def _watch(self, source: str) -> None:
        if source in self._observers or not os.path.isdir(source):
            return
        fstype = filesystem_type(source)
        if self.force_poll or fstype in NETWORK_FILESYSTEMS:
            reason = f"{fstype} filesystem sends no change events" if fstype in NETWORK_FILESYSTEMS else "requested"
            self._start_polling(source, reason)
            return
        observer = self._observer_factory()
        try:
            observer.schedule(_Collector(self.notify), source, recursive=True)
            observer.start()
        except OSError as exc:
            observer.stop()
            if exc.errno in (errno.ENOSPC, errno.EMFILE):
                self._start_polling(source, "the system's limit on watched folders was reached")
                return
            raise
        self._observers[source] = observer
        self.modes[source] = "native"
        self.archivist._emit(ev.WatchMode(source, "native"))

    def _start_polling(self, source: str, reason: str) -> None:
        observer = PollingObserver(timeout=self.poll_interval_s)
        observer.schedule(_Collector(self.notify), source, recursive=True)
        observer.start()
        self._observers[source] = observer
        self.modes[source] = "polling"
        log.info("polling %s every %.0f s: %s", source, self.poll_interval_s, reason)
        self.archivist._emit(ev.WatchMode(source, "polling", reason))

    # -- the sync loop --------------------------------------------------------------------------

    def _run(self) -> None:
        next_rescan = time.monotonic() + self.rescan_interval_s
        while not self._stop.is_set():
            batch = self._next_batch(timeout=min(max(next_rescan - time.monotonic(), 0.05), SOURCE_CHECK_S))
            if self._stop.is_set():
                break
            try:
                self._check_sources()
                if batch:
                    shallow = sorted(p for p, whole in batch.items() if not whole)
                    self.archivist.sync_paths(sorted(p for p, whole in batch.items() if whole), shallow=shallow)
                if time.monotonic() >= next_rescan:
                    self._reconcile()
                    next_rescan = time.monotonic() + self.rescan_interval_s
            except Exception:  # keep watching: one bad round must not end live updates
                log.exception("sync after file changes failed")

    def _next_batch(self, timeout: float) -> dict[str, bool]:
        """Wait until changes have been quiet for ``debounce_s`` (or ``MAX_LATENCY_S`` passed);
        returns each changed path and whether to look at all of it (False: its listing only)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._stop.is_set():
                now = time.monotonic()
                if self._pending and not self._paused.is_set():
                    quiet = now - max(self._pending.values())
                    waited = now - (self._first_pending or now)
                    if quiet >= self.debounce_s or waited >= MAX_LATENCY_S:
                        batch = {path: path not in self._shallow for path in self._pending}
                        self._pending.clear()
                        self._shallow.clear()
                        self._first_pending = None
                        return batch
                    self._cond.wait(min(self.debounce_s - quiet, MAX_LATENCY_S - waited, 0.5))
                else:
                    if now >= deadline:
                        return {}
                    self._cond.wait(min(deadline - now, 0.5))
        return {}

    def _check_sources(self) -> None:
        """Drop dead watches (source unplugged or renamed, or removed) and watch sources that
        came back."""
        sources = set(self.archivist.sources())
        for source, observer in list(self._observers.items()):
            alive = observer.is_alive() and all(e.is_alive() for e in observer.emitters)
            if source not in sources:
                self.unwatch(source)
            elif not os.path.isdir(source) or not alive:
                self.unwatch(source)  # re-watched below (or when it comes back)
                self.notify(source)
        for source in sorted(sources):
            with self._cond:
                if source in self._observers or not os.path.isdir(source):
                    continue
                self._watch(source)
            self.notify(source)

    def _reconcile(self) -> None:
        """Periodic safety net: a full (stat-only) scan catches events that were lost."""
        if not self._paused.is_set():
            self.archivist.sync()
