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
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
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

    def models(self) -> set[str]:
        with self._lock:
            return {m for (m,) in self._db.execute("SELECT DISTINCT model FROM vectors")}

    def prune_due(self, every_s: float) -> bool:
        """True (and noted) when the last pruning, by any process, is ``every_s`` old."""
        now = time.time()
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'pruned_at'").fetchone()
            if row is not None and now - float(row[0]) < every_s:
                return False
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('pruned_at', ?)", (str(now),))
            return True

    def prune(self, unused_for_s: float, keep: Iterable[str], dead_models: Iterable[str] = ()) -> int:
        """Forget the vectors of models whose index is gone, and of this model those unused for
        ``unused_for_s`` whose text no indexed passage has (``keep``): a file deleted last week
        may come back and cost nothing. Returns how many were dropped."""
        cutoff = time.time() - unused_for_s
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS kept (hash TEXT PRIMARY KEY)")
            self._db.executemany("INSERT OR IGNORE INTO kept VALUES (?)", ((h,) for h in keep))
            dropped = sum(self._db.execute("DELETE FROM vectors WHERE model = ?", (m,)).rowcount for m in dead_models)
            dropped += self._db.execute(
                "DELETE FROM vectors WHERE model = ? AND used_at < ? AND hash NOT IN (SELECT hash FROM kept)",
                (self._model, cutoff)).rowcount
            self._db.execute("DELETE FROM kept")
            self._db.execute("COMMIT")
            left = self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
            if dropped > 1000 and dropped > left / 4:
                self._db.execute("VACUUM")  # give the space back: SQLite keeps freed pages otherwise
            return dropped
