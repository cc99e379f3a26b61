"""Counting work done and estimating the time left, by bytes (file counts mislead when sizes vary)."""

from __future__ import annotations

import time

from core.events import SyncProgress


class ProgressMeter:
    def __init__(self, files_total: int, bytes_total: int):
        self.files_total = files_total
        self.bytes_total = bytes_total
        self.files_done = 0
        self.bytes_done = 0
        self._started = time.monotonic()

    def file_done(self, size: int) -> None:
        self.files_done += 1
        self.bytes_done += size

    def eta_s(self) -> float | None:
        elapsed = time.monotonic() - self._started
        if self.bytes_done <= 0 or elapsed < 1.0:
            return None
        rate = self.bytes_done / elapsed
        return max(self.bytes_total - self.bytes_done, 0) / rate

    def progress(self, chunks: int) -> SyncProgress:
        return SyncProgress(self.files_done, self.files_total, self.bytes_done, self.bytes_total, chunks, self.eta_s())
