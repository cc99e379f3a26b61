"""The manifest: which folders are watched and, per file, what Archivist knows about it.

SQLite rather than a LanceDB table: rows change one at a time and often (status, retries,
progress), which SQLite commits cheaply and atomically, while every LanceDB write would add a
table version. Paths are stored as raw bytes so that names that are not valid UTF-8 survive.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from core.localdb import LocalDB, from_db, to_db
from core.parsing.model import Envelope

INDEXED, PENDING, SKIPPED, FAILED, NEEDS_OCR = "indexed", "pending", "skipped", "failed", "needs_ocr"
_REMOVING = "removing:"  # meta key prefix: a source whose removal has started
STATUSES = (INDEXED, PENDING, SKIPPED, FAILED, NEEDS_OCR)
# Statuses whose file has chunks in the index (when its ``chunks`` count is not 0).
SEARCHABLE = (INDEXED, NEEDS_OCR)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY,
    added_at REAL NOT NULL,
    available INTEGER NOT NULL DEFAULT 1,
    unavailable_since REAL
);
CREATE TABLE IF NOT EXISTS files (
    path BLOB PRIMARY KEY,
    source TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT '',
    chunks INTEGER NOT NULL DEFAULT 0,
    pages INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_after REAL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_by_hash ON files(content_hash);
CREATE INDEX IF NOT EXISTS files_by_source ON files(source);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS envelopes (
    content_hash TEXT NOT NULL,
    page INTEGER NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    sender_key TEXT NOT NULL,  -- sender and recipients case-folded: what filters match a part of
    recipients_key TEXT NOT NULL,
    sent_at INTEGER,  -- seconds since the epoch, UTC; NULL when the message's date is unreadable
    PRIMARY KEY (content_hash, page)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS envelopes_by_date ON envelopes(sent_at);
"""


def path_key(path: str) -> bytes:
    return os.fsencode(path)


def key_path(key: bytes) -> str:
    return os.fsdecode(key)


def display_path(path: str) -> str:
    """A printable form of a path whose bytes may not be valid UTF-8."""
    return os.fsencode(path).decode("utf-8", "replace")


def _key_range(directory: str) -> tuple[bytes, bytes]:
    """The keys of paths inside ``directory`` are those in [low, high)."""
    prefix = path_key(directory.rstrip(os.sep) + os.sep)
    return prefix, prefix[:-1] + bytes([prefix[-1] + 1])


@dataclass(frozen=True)
class FileRecord:
    path: str
    source: str
    size: int
    mtime_ns: int
    content_hash: str | None
    status: str
    reason: str
    kind: str
    chunks: int
    pages: int | None
    attempts: int
    retry_after: float | None
    updated_at: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "FileRecord":
        values = dict(row)
        values["path"] = key_path(values["path"])
        return cls(**values)


class Manifest:
    def __init__(self, db_path: Path):
        # 2: envelopes (mail messages' sender, recipients, date), a new table: no migration
        self._db = LocalDB(db_path, _SCHEMA, version=2)
        self.transaction = self._db.transaction
        self._query = self._db.query

    def close(self) -> None:
        self._db.close()

    # -- sources ------------------------------------------------------------------------------

    def add_source(self, path: str) -> bool:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO sources(path, added_at) VALUES (?, ?)", (path, time.time())
            )
            return cursor.rowcount > 0

    def remove_source(self, path: str) -> bool:
        with self.transaction() as db:
            db.execute("DELETE FROM files WHERE source = ?", (path,))
            db.execute("DELETE FROM meta WHERE key = ?", (_REMOVING + path,))
            return db.execute("DELETE FROM sources WHERE path = ?", (path,)).rowcount > 0

    def mark_removing(self, path: str) -> None:
        """Hide a source at once while its files are dropped; a removal cut short by a crash is
        found here and finished at the next start."""
        self.set_meta(_REMOVING + path, str(time.time()))

    def sources_being_removed(self) -> list[str]:
        rows = self._query("SELECT key FROM meta WHERE substr(key, 1, ?) = ?", (len(_REMOVING), _REMOVING))
        return sorted(r["key"][len(_REMOVING):] for r in rows)

    def absorb_source(self, inner: str, into: str) -> None:
        """A newly added folder contains an existing source: its files now belong to the new one."""
        with self.transaction() as db:
            db.execute("UPDATE files SET source = ? WHERE source = ?", (into, inner))
            db.execute("DELETE FROM sources WHERE path = ?", (inner,))

    def sources(self, include_removing: bool = False) -> list[sqlite3.Row]:
        """The watched sources (not those being removed, unless asked)."""
        hidden = "" if include_removing else (
            " WHERE path NOT IN (SELECT substr(key, ?) FROM meta WHERE substr(key, 1, ?) = ?)")
        args = () if include_removing else (len(_REMOVING) + 1, len(_REMOVING), _REMOVING)
        return self._query("SELECT * FROM sources" + hidden + " ORDER BY path", args)

    def set_source_available(self, path: str, available: bool) -> None:
        with self.transaction() as db:
            if available:
                db.execute(
                    "UPDATE sources SET available = 1, unavailable_since = NULL WHERE path = ?", (path,)
                )
            else:
                db.execute(
                    "UPDATE sources SET available = 0, unavailable_since = COALESCE(unavailable_since, ?)"
                    " WHERE path = ?",
                    (time.time(), path),
                )

    # -- files --------------------------------------------------------------------------------

    def get(self, path: str) -> FileRecord | None:
        rows = self._query("SELECT * FROM files WHERE path = ?", (path_key(path),))
        return FileRecord.from_row(rows[0]) if rows else None

    def files(self, source: str | None = None, status: str | None = None) -> list[FileRecord]:
        sql, args = "SELECT * FROM files WHERE 1=1", []
        if source is not None:
            sql, args = sql + " AND source = ?", args + [source]
        if status is not None:
            sql, args = sql + " AND status = ?", args + [status]
        return [FileRecord.from_row(r) for r in self._query(sql + " ORDER BY path", args)]

    def files_under(self, directory: str, recursive: bool = True) -> list[FileRecord]:
        """Records whose path lies inside ``directory`` (byte-prefix match on a separator), or
        directly in it when not ``recursive``."""
        prefix, upper = _key_range(directory)
        direct = "" if recursive else " AND instr(substr(path, ?), ?) = 0"
        args = (prefix, upper) if recursive else (prefix, upper, len(prefix) + 1, path_key(os.sep))
        rows = self._query("SELECT * FROM files WHERE path >= ? AND path < ?" + direct, args)
        return [FileRecord.from_row(r) for r in rows]

    def contents_under(self, directory: str, shared_outside: bool = False) -> set[str]:
        """Contents with passages in the index held by files inside ``directory``; with
        ``shared_outside``, only those that a file outside it holds too (copies)."""
        prefix, upper = _key_range(directory)
        searchable = "status IN (?, ?) AND chunks > 0 AND content_hash IS NOT NULL"
        sql = f"SELECT DISTINCT content_hash FROM files f WHERE path >= ? AND path < ? AND {searchable}"
        args: list = [prefix, upper, *SEARCHABLE]
        if shared_outside:
            sql += (f" AND EXISTS (SELECT 1 FROM files WHERE content_hash = f.content_hash AND {searchable}"
                    " AND (path < ? OR path >= ?))")
            args += [*SEARCHABLE, prefix, upper]
        return {r["content_hash"] for r in self._query(sql, args)}

    def paths_with_hash(self, content_hash: str) -> list[str]:
        rows = self._query(
            "SELECT path FROM files WHERE content_hash = ? AND status IN (?, ?) AND chunks > 0 ORDER BY path",
            (content_hash, *SEARCHABLE),
        )
        return [key_path(r["path"]) for r in rows]

    def files_with_hash(self, content_hash: str) -> list[FileRecord]:
        rows = self._query("SELECT * FROM files WHERE content_hash = ?", (content_hash,))
        return [FileRecord.from_row(r) for r in rows]

    def upsert(self, db: sqlite3.Connection, record: FileRecord) -> None:
        """Write one record inside a transaction opened with :meth:`transaction`."""
        values = record.__dict__ | {"path": path_key(record.path)}
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        db.execute(f"INSERT OR REPLACE INTO files({columns}) VALUES ({marks})", tuple(values.values()))

    def delete(self, db: sqlite3.Connection, path: str) -> None:
        db.execute("DELETE FROM files WHERE path = ?", (path_key(path),))

    def files_per_source(self) -> dict[str, int]:
        """Known files per source, counted by SQLite (a status poll must not build 20,000 records)."""
        rows = self._query("SELECT source, COUNT(*) AS n FROM files GROUP BY source")
        return {r["source"]: r["n"] for r in rows}

    def status_counts(self) -> dict[str, int]:
        rows = self._query("SELECT status, COUNT(*) AS n FROM files GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    def referenced_hashes(self, kinds: Iterable[str] | None = None) -> set[str]:
        """Contents whose passages are in the index (of files of these kinds only, when given)."""
        kinds = list(kinds or ())
        of_kinds = f" AND kind IN ({', '.join('?' for _ in kinds)})" if kinds else ""
        rows = self._query(
            "SELECT DISTINCT content_hash FROM files WHERE status IN (?, ?) AND chunks > 0"
            " AND content_hash IS NOT NULL" + of_kinds,
            (*SEARCHABLE, *kinds),
        )
        return {r["content_hash"] for r in rows}

    def first_holders(self) -> dict[str, tuple[str, str]]:
        """content hash → (path, kind) of the first file (in path order) whose passages are in the
        index: the path a document is shown under."""
        rows = self._query(  # SQLite takes the bare column kind from the row holding MIN(path)
            "SELECT content_hash, MIN(path) AS path, kind FROM files WHERE status IN (?, ?) AND chunks > 0"
            " AND content_hash IS NOT NULL GROUP BY content_hash", SEARCHABLE)
        return {r["content_hash"]: (key_path(r["path"]), r["kind"]) for r in rows}

    def known_hashes(self) -> set[str]:
        """Every content any file record names (pending ones included: their passages are wanted)."""
        rows = self._query("SELECT DISTINCT content_hash FROM files WHERE content_hash IS NOT NULL")
        return {r["content_hash"] for r in rows}

    def requeue(self, hashes: Iterable[str], reason: str) -> int:
        """Mark the searchable files holding these contents pending, so the next sync reads them."""
        hashes = list(hashes)
        with self.transaction() as db:
            n = 0
            for i in range(0, len(hashes), 500):
                part = hashes[i:i + 500]
                marks = ", ".join("?" for _ in part)
                n += db.execute(
                    f"UPDATE files SET status = ?, reason = ? WHERE status IN (?, ?) AND content_hash IN ({marks})",
                    (PENDING, reason, *SEARCHABLE, *part),
                ).rowcount
            return n

    # -- mail envelopes (what core/mail_filter.py filters on) -----------------------------------

    def put_envelopes(self, db: sqlite3.Connection, content_hash: str, envelopes: Iterable[Envelope]) -> None:
        """A content's envelopes in place of those it had, inside the transaction that records its files."""
        db.execute("DELETE FROM envelopes WHERE content_hash = ?", (content_hash,))
        db.executemany("INSERT OR REPLACE INTO envelopes VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (content_hash, e.page, to_db(e.sender), to_db(e.recipients), to_db(e.sender.casefold()),
             to_db(e.recipients.casefold()), e.sent_at) for e in envelopes])

    def forget_envelopes(self, db: sqlite3.Connection, hashes: Iterable[str]) -> None:
        db.executemany("DELETE FROM envelopes WHERE content_hash = ?", [(h,) for h in hashes])

    def forget_orphan_envelopes(self) -> int:
        """Drop the envelopes of contents no file names any more (left by a crash); returns how many."""
        with self.transaction() as db:
            return db.execute("DELETE FROM envelopes WHERE content_hash NOT IN"
                              " (SELECT content_hash FROM files WHERE content_hash IS NOT NULL)").rowcount

    def messages_matching(self, sender: str | None = None, recipient: str | None = None,
                          since: int | None = None, until: int | None = None) -> dict[str, list[int]]:
        """content hash → numbers of its messages whose sender and recipients contain these texts
        (any case) and that were sent in [since, until), for contents with passages in the index."""
        sql = ("SELECT content_hash, page FROM envelopes e WHERE EXISTS (SELECT 1 FROM files WHERE"
               " content_hash = e.content_hash AND status IN (?, ?) AND chunks > 0)")
        args: list = [*SEARCHABLE]
        for clause, value in (("instr(sender_key, ?) > 0", sender and sender.casefold()),
                              ("instr(recipients_key, ?) > 0", recipient and recipient.casefold()),
                              ("sent_at >= ?", since), ("sent_at < ?", until)):
            if value is not None:
                sql, args = sql + " AND " + clause, args + [to_db(value) if isinstance(value, str) else value]
        pages: dict[str, list[int]] = {}
        for row in self._query(sql + " ORDER BY content_hash, page", args):
            pages.setdefault(row["content_hash"], []).append(row["page"])
        return pages

    def envelopes_of(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Envelope]:
        """The envelopes of these (content hash, message number) pairs that are known."""
        found = {}
        for content_hash, page in set(keys):
            rows = self._query("SELECT page, sender, recipients, sent_at FROM envelopes"
                               " WHERE content_hash = ? AND page = ?", (content_hash, page))
            if rows:
                r = rows[0]
                found[content_hash, page] = Envelope(r["page"], from_db(r["sender"]), from_db(r["recipients"]),
                                                     r["sent_at"])
        return found

    # -- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
