"""What the core reports while it works: frozen dataclasses passed to one ``on_event`` callback.

The CLI prints them, the desktop re-emits them as Qt signals, tests collect them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union


@dataclass(frozen=True)
class SyncStarted:
    files: int  # files that need work (new, changed, retried)
    bytes: int
    by_source: dict[str, list[int]] = field(default_factory=dict)  # source → [files, bytes] of those


@dataclass(frozen=True)
class FileDone:
    path: str
    status: str  # core.manifest statuses
    reason: str
    chunks: int
    embedded: int  # chunks that needed the model (the rest came from the cache)
    source: str = ""  # the watched folder (or file) it belongs to
    size: int = 0  # bytes


@dataclass(frozen=True)
class FileRemoved:
    path: str


@dataclass(frozen=True)
class SyncProgress:
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    chunks: int
    eta_s: float | None


@dataclass(frozen=True)
class FileProgress:
    """Work inside one large file: pages read of a long PDF, or passages committed so far of a
    document indexed in parts (``total`` None: not known until it is all cut)."""

    path: str
    done: int
    total: int | None
    unit: str  # "pages" or "passages"

    def describe(self) -> str:
        if self.unit == "pages":
            return f"page {self.done:,} of {self.total:,}"
        return f"{self.done:,} passages indexed so far"


@dataclass(frozen=True)
class SyncFinished:
    files_done: int
    removed: int
    chunks_written: int
    embedded: int
    failed: int
    seconds: float
    cancelled: bool = False


@dataclass(frozen=True)
class SourceUnavailable:
    path: str
    reason: str


@dataclass(frozen=True)
class WatchMode:
    path: str
    mode: str  # "native" or "polling"
    reason: str = ""


@dataclass(frozen=True)
class RebuildStarted:
    """A new index is being built for another embedding model; the old one keeps answering."""

    old_model: str
    new_model: str


@dataclass(frozen=True)
class ModelSwitched:
    old_model: str
    new_model: str


Event = Union[SyncStarted, FileDone, FileRemoved, SyncProgress, FileProgress, SyncFinished, SourceUnavailable,
              WatchMode, RebuildStarted, ModelSwitched]
EventSink = Callable[[Event], None]


def ignore_event(_: Event) -> None:
    pass
