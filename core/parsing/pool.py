"""Parse files in worker processes, so a parser that hangs, crashes or leaks cannot take the app
down (MuPDF does all three on some files: pymupdf issues #3357, #930, #1474).

Each task has a timeout (the worker is killed when it expires), each worker has a cap on how
much address space it may add (RLIMIT_AS, POSIX only) and is replaced once it has grown past a
threshold, so slow leaks never pile up. Every failure reaches the caller as a ParseError with
status "failed". Workers are started with "spawn" (forking a parent that runs Qt and database
threads is unsafe), without re-importing the app's main module (see spawn.py).
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
from collections.abc import Callable
from typing import Any

import pebble

from .model import ParsedDocument, ParseError
from .parse import parse_file
from .spawn import parser_context

log = logging.getLogger(__name__)


def _init_worker(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no RLIMIT_AS; the timeout and recycling still apply
        resource = None
    if resource is not None and memory_mb:
        # The cap is on growth: a spawned worker has already imported the app's main module,
        # whose libraries reserve address space they never touch.
        used = _address_space()
        if used is None:
            # An absolute cap of memory_mb would be below what the worker already maps (GBs of
            # reserved address space): every parse would fail. Timeout and recycling still apply.
            log.warning("cannot read the parser's address space: its memory is not capped")
        else:
            cap = used + memory_mb * 2**20
            try:
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            except (ValueError, OSError) as exc:
                log.warning("could not cap parser memory at %d MB: %s", memory_mb, exc)
    try:
        os.nice(5)  # parsing is background work; the UI and queries come first
    except (AttributeError, OSError):
        pass


def _address_space() -> int | None:
    """Bytes of address space this process maps, or None when it cannot be read."""
    try:
        import psutil

        return psutil.Process().memory_info().vms
    except Exception:  # noqa: BLE001 - psutil missing or refused: try the kernel's own count
        pass
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


RECYCLE_EXIT = 75  # a worker's way of saying "I grew too big: rerun this task in a fresh one"


def _guarded(recycle_bytes: int, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Runs in the worker. MuPDF can leak (pymupdf #1474: 16 GB after ~400 files); a worker
    that has grown past the threshold exits before its next task instead of risking it."""
    if recycle_bytes:
        try:
            import psutil

            if psutil.Process().memory_info().rss > recycle_bytes:
                os._exit(RECYCLE_EXIT)
        except ImportError:
            pass
    return fn(*args, **kwargs)


class _PoolFuture(concurrent.futures.Future):
    """The caller's future; cancelling it cancels the task (and kills its worker if running)."""

    def __init__(self, inner: concurrent.futures.Future) -> None:
        super().__init__()
        self._inner = inner

    def cancel(self) -> bool:
        if self._inner is not None:
            self._inner.cancel()
        return super().cancel()


class ParserPool:
    """``submit(path, **parse_file_kwargs) -> Future[ParsedDocument]``; the future raises
    ParseError for a bad file, a timeout, a crash or running out of memory."""

    def __init__(
        self, workers: int = 1, timeout_s: float = 120, memory_mb: int = 2048, max_tasks: int = 500,
        recycle_mb: int = 768,
    ) -> None:
        # Workers are recycled when they grow past recycle_mb (checked before each task) and,
        # as a backstop, after max_tasks files: starting one costs about a second of CPU.
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._recycle_bytes = recycle_mb * 2**20
        self._closed = False
        self._pending: set[_PoolFuture] = set()  # futures not yet settled, for close()
        self._pool = pebble.ProcessPool(
            max_workers=workers,
            max_tasks=max_tasks,
            initializer=_init_worker,
            initargs=(memory_mb,),
            context=parser_context(),
        )

    def submit(self, path: str, **kwargs: Any) -> concurrent.futures.Future[ParsedDocument]:
        return self._submit_callable(parse_file, path, **kwargs)

    def _submit_callable(
        self, fn: Callable, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        """Run any picklable module-level ``fn`` under the pool's limits (tests inject hostile
        targets through this)."""
        if self._closed:
            raise RuntimeError("ParserPool is closed")
        outer = _PoolFuture(None)
        self._pending.add(outer)
        outer.add_done_callback(self._pending.discard)
        self._schedule(outer, fn, args, kwargs, recycled=False)
        return outer

    def _schedule(self, outer: _PoolFuture, fn: Callable, args: tuple, kwargs: dict, recycled: bool) -> None:
        inner = self._pool.schedule(_guarded, args=(self._recycle_bytes, fn, *args), kwargs=kwargs,
                                    timeout=self.timeout_s)
        outer._inner = inner
        inner.add_done_callback(lambda f: self._settle(f, outer, fn, args, kwargs, recycled))

    def _settle(self, inner: concurrent.futures.Future, outer: _PoolFuture, fn: Callable,
                args: tuple, kwargs: dict, recycled: bool) -> None:
        try:
            if inner.cancelled():
                outer.cancel()
                return
            exc = inner.exception()
            if exc is None:
                outer.set_result(inner.result())
            elif (isinstance(exc, pebble.ProcessExpired) and exc.exitcode == RECYCLE_EXIT
                  and not recycled and not self._closed and not outer.cancelled()):
                self._schedule(outer, fn, args, kwargs, recycled=True)
            else:
                outer.set_exception(self._translate(exc))
        except concurrent.futures.InvalidStateError:
            pass  # the caller cancelled first

    def _translate(self, exc: BaseException) -> ParseError:
        if isinstance(exc, ParseError):
            return exc
        if isinstance(exc, TimeoutError):
            return ParseError(
                "failed", f"parser timed out after {self.timeout_s:g} s", details={"timeout": True}
            )
        if isinstance(exc, pebble.ProcessExpired):
            code = exc.exitcode
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            return ParseError("failed", f"parser crashed ({how})", details={"exitcode": code})
        if isinstance(exc, MemoryError):
            return ParseError("failed", f"parser ran out of memory (cap {self.memory_mb} MB)")
        log.error("parser error: %r\n%s", exc, getattr(exc, "traceback", ""))
        return ParseError("failed", f"parser error: {type(exc).__name__}: {exc}")

    def close(self, cancel_pending: bool = False) -> None:
        """Stop accepting work and wait until every worker has exited (none is left behind).
        With ``cancel_pending`` queued and running tasks are dropped (their futures cancelled)
        and workers killed."""
        if self._closed:
            return
        self._closed = True
        if cancel_pending:
            self._pool.stop()
        else:
            self._pool.close()
        self._pool.join()
        for future in list(self._pending):  # pebble leaves a task killed by stop() pending
            future.cancel()

    def __enter__(self) -> ParserPool:  # noqa: PYI034 - not subclassed
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel_pending=exc_type is not None)
