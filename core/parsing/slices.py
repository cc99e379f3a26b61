"""Parse a long paged document (a 10,000-page PDF) as a series of page windows in the pool.

One task per window means progress after every window, a timeout per window rather than one
for the whole book, and a cancel that takes effect within a moment: the waiting side polls its
cancel flag, and cancelling a running task kills its worker.
Formats without pages come back whole from the first task.

OCR makes a page cost seconds, so each task also gets a time budget (a share of the pool's
timeout): a window that spends it stops after its current page and the next task starts from
there. Ten scanned pages, or five hundred, never make one task time out.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from .model import ParsedDocument

SLICE_PAGES = 50  # pages per task: about a second of work for dense pages here
# Reflowable books (EPUB, FB2, MOBI) are laid out whole by every task that opens them, so after
# the first window the rest of such a book is read in one more task.
FIXED_LAYOUT = ("pdf", "xps")
POLL_S = 0.1
BUDGET_SHARE = 0.5  # of the pool's timeout, per task: a slow page at the end still fits


class ParseCancelled(Exception):
    """The caller cancelled while the file was being parsed."""


def parse_in_slices(pool, path: str, cancel: threading.Event,
                    on_pages: Callable[[int, int], None] = lambda done, total: None,
                    **kwargs: Any) -> ParsedDocument:
    """``pool.submit(path, page_range=…, **kwargs)`` window by window, merged into one document.
    ``on_pages(pages_done, page_count)`` follows each window of a document longer than one;
    raises ParseError like the pool, or ParseCancelled."""
    timeout = getattr(pool, "timeout_s", None)
    if timeout:
        kwargs.setdefault("time_budget_s", timeout * BUDGET_SHARE)
    first = _wait(pool.submit(path, page_range=(1, SLICE_PAGES), **kwargs), cancel)
    count = first.page_count
    if not count or (count <= SLICE_PAGES and first.next_page is None):
        return first
    parts = [first]
    done = _done(first, min(SLICE_PAGES, count))
    on_pages(done, count)
    step = SLICE_PAGES if first.kind in FIXED_LAYOUT else count
    while done < count:
        end = min(done + step, count)
        part = _wait(pool.submit(path, page_range=(done + 1, end), **kwargs), cancel)
        parts.append(part)
        done = _done(part, end)
        on_pages(done, count)
    from .parse import finish_document  # on first use: a process that only searches never loads the parsers

    return finish_document(merge(parts, count))


def _done(part: ParsedDocument, end: int) -> int:
    """The last page a window read: its end, or the page before the one it stopped at."""
    return end if part.next_page is None else part.next_page - 1


def _wait(future: concurrent.futures.Future, cancel: threading.Event) -> ParsedDocument:
    while not cancel.is_set():
        try:
            return future.result(timeout=POLL_S)
        except concurrent.futures.TimeoutError:
            continue
        except concurrent.futures.CancelledError:  # the pool was closed under us
            break
    future.cancel()  # kills the worker if the task is running
    raise ParseCancelled


def merge(parts: list[ParsedDocument], count: int) -> ParsedDocument:
    """Windows of one document's pages, in order, as one document of ``count`` pages."""
    return ParsedDocument(
        kind=parts[0].kind,
        sections=[s for p in parts for s in p.sections],
        title=parts[0].title,
        page_count=count,
        warnings=tuple(dict.fromkeys(w for p in parts for w in p.warnings)),
        needs_ocr_pages=tuple(n for p in parts for n in p.needs_ocr_pages),
        ocr_pages=tuple(n for p in parts for n in p.ocr_pages),
        ocr_pictures=sum(p.ocr_pictures for p in parts),
        needs_ocr_pictures=sum(p.needs_ocr_pictures for p in parts),
    )
