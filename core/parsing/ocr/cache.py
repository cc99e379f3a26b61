"""OCR results kept in the data folder, keyed by (the pixels' hash, the engine's id).

So a page is read once: re-indexing a file, switching the embedding model (which builds a new
index from the same files) and the preview all find it here. Parser workers and the window share
the file (SQLite, WAL). A result is pruned like the embedding cache's vectors (core/embed_cache.py):
once unused for a while and no indexed file holds the page (``owner``: the file's content hash).
A cache that cannot be read or written is logged and skipped: OCR then simply runs.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import zlib
from pathlib import Path

from .engine import Line, OcrResult, Word

log = logging.getLogger(__name__)

FILE_NAME = "ocr_cache.sqlite"


class OcrCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pages (image TEXT NOT NULL, engine TEXT NOT NULL, owner TEXT,"
            " used_at REAL NOT NULL, result BLOB NOT NULL, PRIMARY KEY (image, engine))")
        self._db.execute("CREATE INDEX IF NOT EXISTS pages_owner ON pages (owner)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, image: str, engine: str | None = None, owner: str | None = None) -> OcrResult | None:
        """The result for these pixels by ``engine`` (None: by any engine, the latest used)."""
        where, args = ("image = ? AND engine = ?", (image, engine)) if engine else ("image = ?", (image,))
        with self._lock:
            row = self._db.execute(f"SELECT engine, result FROM pages WHERE {where} ORDER BY used_at DESC LIMIT 1",
                                   args).fetchone()
            if row is None:
                return None
            self._db.execute("UPDATE pages SET used_at = ?, owner = COALESCE(?, owner) WHERE image = ? AND engine = ?",
                             (time.time(), owner, image, row[0]))
        try:
            return decode(row[1], row[0])
        except (ValueError, KeyError, TypeError, zlib.error) as exc:
            log.warning("ignoring an unreadable OCR cache entry: %s", exc)
            return None

    def put(self, image: str, result: OcrResult, owner: str | None = None) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?)",
                             (image, result.engine, owner, time.time(), encode(result)))

    def prune_due(self, every_s: float) -> bool:
        """True (and noted) when the last pruning, by any process, is ``every_s`` old."""
        now = time.time()
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'pruned_at'").fetchone()
            if row is not None and now - float(row[0]) < every_s:
                return False
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('pruned_at', ?)", (str(now),))
            return True

    def prune(self, unused_for_s: float, keep_owners) -> int:
        """Forget results unused for ``unused_for_s`` whose owner no file record holds (``keep_owners``:
        content hashes); returns how many were dropped."""
        cutoff = time.time() - unused_for_s
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS kept (hash TEXT PRIMARY KEY)")
            self._db.executemany("INSERT OR IGNORE INTO kept VALUES (?)", ((h,) for h in keep_owners))
            dropped = self._db.execute(
                "DELETE FROM pages WHERE used_at < ? AND (owner IS NULL OR owner NOT IN (SELECT hash FROM kept))",
                (cutoff,)).rowcount
            self._db.execute("DELETE FROM kept")
            self._db.execute("COMMIT")
            left = self._db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
            if dropped > 1000 and dropped > left / 4:
                self._db.execute("VACUUM")  # give the space back
            return dropped


def encode(result: OcrResult) -> bytes:
    lines = [[line.text, line.box, line.confidence, [[w.text, w.box] for w in line.words]] for line in result.lines]
    data = {"w": result.width, "h": result.height, "rotation": result.rotation, "lines": lines}
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def decode(blob: bytes, engine: str) -> OcrResult:
    data = json.loads(zlib.decompress(blob).decode("utf-8"))
    lines = tuple(Line(text, tuple(box), float(conf), tuple(Word(t, tuple(b)) for t, b in words))
                  for text, box, conf, words in data["lines"])
    return OcrResult(int(data["w"]), int(data["h"]), int(data["rotation"]), lines, engine)


_OPEN: dict[str, OcrCache | None] = {}


def cache_in(data_dir: str | None) -> OcrCache | None:
    """This process's cache in ``data_dir`` (None: no data folder, or one that cannot hold it)."""
    if not data_dir:
        return None
    if data_dir not in _OPEN:
        try:
            _OPEN[data_dir] = OcrCache(Path(data_dir) / FILE_NAME)
        except (sqlite3.Error, OSError) as exc:
            log.warning("OCR results will not be kept: %s", exc)
            _OPEN[data_dir] = None
    return _OPEN[data_dir]
