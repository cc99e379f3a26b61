"""sha256 of big model files, remembered by (path, size, mtime): a style is checked against its
base before every answer, and hashing a 1 GB GGUF takes about a second.

The cache lives in memory and in a small JSON file, so a new process (the CLI) does not hash again.
A file rewritten in place changes its mtime (and usually its size), which makes a new key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path

from core.style.manifest import write_json_atomically

log = logging.getLogger(__name__)

MAX_ENTRIES = 32  # a handful of base models, each perhaps at a few paths


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class FileDigests:
    def __init__(self, cache_path: Path | None = None):
        self.cache_path = cache_path
        self._lock = threading.Lock()
        self._known: dict[str, str] | None = None

    def sha256(self, path: str | os.PathLike) -> str:
        """The file's sha256, hashed only when the file is new or changed (OSError if unreadable)."""
        key = _key(path)
        with self._lock:
            known = self._load()
            if key in known:
                return known[key]
        digest = file_sha256(path)  # outside the lock: other files need not wait
        with self._lock:
            known = self._load()
            known.pop(key, None)
            known[key] = digest  # newest last: the oldest entries are dropped first
            while len(known) > MAX_ENTRIES:
                known.pop(next(iter(known)))
            self._save(known)
        return digest

    def _load(self) -> dict[str, str]:
        if self._known is None:
            self._known = {}
            if self.cache_path is not None:
                try:
                    data = json.loads(self.cache_path.read_text(encoding="utf-8"))
                    self._known = {k: v for k, v in data.items() if isinstance(v, str)}
                except (OSError, ValueError, AttributeError):
                    pass  # no cache yet, or a damaged one: hashing again is always correct
        return self._known

    def _save(self, known: dict[str, str]) -> None:
        if self.cache_path is None:
            return
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomically(self.cache_path, known)
        except OSError as exc:  # only a cache: the next process hashes again
            log.warning("could not save the file digests to %s: %s", self.cache_path, exc)


def _key(path: str | os.PathLike) -> str:
    stat = os.stat(path)
    return f"{os.path.realpath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
