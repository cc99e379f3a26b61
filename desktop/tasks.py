"""Run core work off the GUI thread and bring results back to it.

Core calls (indexing, search, answering, even SQLite reads) never run on the GUI thread: a stalled
event loop is the first thing users notice. ``Tasks.run`` executes a function on a worker thread and
delivers its result (or error) to callbacks on the GUI thread, through a queued Qt signal.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class GuiCall(QObject):
    """``gui_call(fn)`` from any thread runs ``fn()`` on the thread that owns this object (the GUI)."""

    _call = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._call.connect(self._run)  # emitted from another thread: queued to ours

    def __call__(self, fn: Callable[[], Any]) -> None:
        self._call.emit(fn)

    @Slot(object)
    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception:  # a failing callback must not take the event loop down
            log.exception("GUI callback failed")


class Tasks(QObject):
    """Two pools: ``readers`` for searches, answers and small reads (several at once), ``writer``
    for changes to the index (one at a time, in order: the index has a single writer)."""

    failed = Signal(str, str)  # what was being done, the error message

    def __init__(self, readers: int = 3, parent: QObject | None = None):
        super().__init__(parent)
        self.gui = GuiCall(self)
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="archivist-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="archivist-write")
        self._closed = False

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            what: str = "", on_error: Callable[[Exception], None] | None = None,
            writer: bool = False) -> Future:
        """Run ``fn`` on a worker; ``on_done(result)`` or ``on_error(exc)`` then run on the GUI thread.
        Without ``on_error`` a failure is reported through ``failed`` (a non-modal message)."""
        pool = self._writer if writer else self._readers
        if self._closed:  # quitting: late events (a sync that just finished) start nothing new
            future: Future = Future()
            future.cancel()
            return future

        def job():
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - reported to the user, logged in full
                log.exception("%s failed", what or getattr(fn, "__name__", "task"))
                if on_error is not None:
                    self.gui(lambda e=exc: on_error(e))
                else:
                    self.gui(lambda e=exc: self.failed.emit(what, _message(e)))
                return None
            if on_done is not None:
                self.gui(lambda: on_done(result))
            return result

        return pool.submit(job)

    def shutdown(self) -> None:
        self._closed = True
        self._readers.shutdown(wait=True, cancel_futures=True)
        self._writer.shutdown(wait=True, cancel_futures=True)


def _message(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
