"""A small SQLite wrapper shared by the conversation and feedback stores (same style as the manifest).

One connection guarded by a lock, WAL so readers in other processes never block the writer, and
explicit ``BEGIN IMMEDIATE`` transactions so a GUI thread pool writes one at a time.

Versions: the schema is always the newest one (``CREATE … IF NOT EXISTS``), and ``PRAGMA user_version``
says which one a file was made with. A file older than the code gets each migration after its version
(statements such as ``ALTER TABLE … ADD COLUMN``) in one transaction, so its rows stay; a new file
needs none. A file newer than the code is left as it is (older code reads the columns it knows).

Text may carry lone surrogates (paths decoded with ``os.fsdecode`` from names that are not
UTF-8). The sqlite3 module cannot bind such a str, so those values go in as UTF-8 bytes with
``surrogatepass`` and come back out exactly; ordinary text stays readable TEXT. JSON columns are
written with ``ensure_ascii=True``, which escapes surrogates as ``\\udcXX`` and reads them back.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence


class LocalDB:
    def __init__(self, db_path: Path, schema: str, version: int,
                 migrations: Mapping[int, Sequence[str]] | None = None):
        """``migrations``: the statements that bring a file of version ``n - 1`` to ``n``, by ``n``
        (a version whose change ``schema`` makes by itself, such as a new table, needs none)."""
        db_path = Path(db_path)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.RLock()
        self._migrate(int(version), migrations or {})
        self._db.executescript(schema)  # CREATE ... IF NOT EXISTS: safe to run at every start

    def _migrate(self, version: int, migrations: Mapping[int, Sequence[str]]) -> None:
        if self._db.execute("PRAGMA user_version").fetchone()[0] >= version:
            return  # the usual case, without a write lock (a reader must not wait for the writer)
        # Read again inside the write transaction: another process opening the same file migrates once.
        with self.transaction() as db:
            found = db.execute("PRAGMA user_version").fetchone()[0]
            if not found and db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'").fetchone():
                found = 1  # tables made before their version was written (every store began at 1)
            if found >= version:
                return
            if found:  # 0 is a new file: the schema below creates the newest tables directly
                for step in range(found + 1, version + 1):
                    for statement in migrations.get(step, ()):
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {version}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, args: Iterable = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()


def to_db(text: str | None) -> str | bytes | None:
    """``text`` as SQLite can bind it: the str itself, or exact bytes when it holds lone surrogates."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def from_db(value: str | bytes | None) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogatepass")
    return value


def dump_json(value: Any) -> str:
    # default=str: a Path or datetime in a trace should be stored, not crash the answer.
    return json.dumps(value, ensure_ascii=True, default=str)


def load_json(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)
