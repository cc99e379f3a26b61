"""Vectors already computed, keyed by (model, chunk-text hash).

This is what makes an edit re-embed only the chunks whose text changed, and a rename, a move,
a duplicate or a file that comes back re-embed nothing at all.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable

import numpy as np


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class EmbeddingCache:
    def __init__(self, db_path: Path, model: str, dim: int):
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, hash TEXT NOT NULL,"
            " vector BLOB NOT NULL, used_at REAL NOT NULL, PRIMARY KEY (model, hash))"
        )
        self._model, self._dim = model, dim
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get_many(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        hashes = list(dict.fromkeys(hashes))
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(hashes), 500):  # stay under SQLite's parameter limit
                batch = hashes[i : i + 500]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})",
                    (self._model, *batch),
                ).fetchall()
                for h, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self._dim,):  # ignore anything written by another model
                        found[h] = vector
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        now = time.time()
        rows = [(self._model, h, np.asarray(v, np.float32).tobytes(), now) for h, v in items.items()]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")

    def touch(self, hashes: Iterable[str]) -> None:
        rows = [(time.time(), self._model, h) for h in hashes]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("UPDATE vectors SET used_at = ? WHERE model = ? AND hash = ?", rows)
            self._db.execute("COMMIT")

    def prune(self, older_than_s: float) -> int:
        """Forget vectors unused for a while (the index itself keeps what it needs)."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM vectors WHERE used_at < ?", (time.time() - older_than_s,))
            return cursor.rowcount
