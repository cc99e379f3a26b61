"""Walk a watched folder: what is there, with size and mtime, without reading any file; and look
again at one file (``restat``) or read it whole (``file_hash``).

Symbolic links are followed (a symlinked docs folder is common) with cycle detection on
(device, inode), so a loop like ``a/b -> ..`` is visited once. Unreadable folders are reported,
not fatal.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from dataclasses import dataclass
from typing import Iterator

from core.ignore import IgnoreRules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    path: str
    size: int
    mtime_ns: int
    error: str | None = None  # e.g. an unreadable folder or a dangling link


def scan(top: str, rules: IgnoreRules, follow_symlinks: bool = True, recursive: bool = True) -> Iterator[Entry]:
    """Yield every non-ignored file below ``top`` (or ``top`` itself when it is a file); only
    the files directly in it when not ``recursive``."""
    try:
        info = os.stat(top, follow_symlinks=follow_symlinks)
    except OSError as exc:
        yield Entry(top, 0, 0, error=_describe(exc))
        return
    if not stat.S_ISDIR(info.st_mode):
        if stat.S_ISREG(info.st_mode) and not rules.is_ignored(top):
            yield Entry(top, info.st_size, info.st_mtime_ns)
        return
    visited = {(info.st_dev, info.st_ino)}
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                listing = list(entries)
        except OSError as exc:
            log.warning("cannot list %s: %s", directory, exc)
            yield Entry(directory, 0, 0, error=f"folder not readable: {_describe(exc)}")
            continue
        subdirs: list[str] = []
        for item in sorted(listing, key=lambda e: e.name):
            try:
                is_link = item.is_symlink()
                if is_link and not follow_symlinks:
                    continue
                st = item.stat(follow_symlinks=True)
            except OSError as exc:
                if not rules.is_ignored(item.path):
                    yield Entry(item.path, 0, 0, error=_describe(exc))
                continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in visited or rules.is_ignored(item.path, is_dir=True):
                    continue
                visited.add(key)
                subdirs.append(item.path)
            elif stat.S_ISREG(st.st_mode) and not rules.is_ignored(item.path):
                yield Entry(item.path, st.st_size, st.st_mtime_ns)
        if recursive:
            stack.extend(reversed(subdirs))  # visit folders in name order, like a file manager


def _describe(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "access denied"
    if isinstance(exc, FileNotFoundError):
        return "not found (dangling link or removed)"
    if exc.errno == 40:  # ELOOP
        return "symbolic link loop"
    return exc.strerror or str(exc)


def restat(entry: Entry) -> Entry:
    """The entry as the file is now (unchanged if it cannot be read)."""
    try:
        st = os.stat(entry.path)
    except OSError:
        return entry
    return Entry(entry.path, st.st_size, st.st_mtime_ns)


def file_hash(path: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
