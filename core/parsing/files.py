"""Open a user's file safely and turn every OS-level failure into a ParseError a user can act on."""

from __future__ import annotations

import errno
import logging
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from .model import ParseError

log = logging.getLogger(__name__)

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    # A FIFO or device dropped into a watched folder must not block open() forever.
    | getattr(os, "O_NONBLOCK", 0)
)


def mb(n: int) -> str:
    """Bytes as a short MB figure for messages: 2.5, 256, 0.1."""
    text = f"{n / 2**20:.1f}".rstrip("0").rstrip(".")
    return text if text != "0" or n == 0 else "0.1"


def os_error(exc: OSError) -> ParseError:
    """Map an OSError from stat/open/read to the status the rest of the app expects."""
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return ParseError("failed", "file disappeared while being read", details={"vanished": True})
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return ParseError("failed", "access denied", retry=True)
    if exc.errno == errno.ELOOP:
        return ParseError("failed", "symlink loop")
    if exc.errno == errno.ENAMETOOLONG:
        return ParseError("failed", "file name too long")
    # ENXIO: open() on a Unix socket; EOPNOTSUPP: on some special files.
    if isinstance(exc, IsADirectoryError) or exc.errno in (errno.ENXIO, errno.EOPNOTSUPP):
        return ParseError("skipped", "not a regular file")
    # EIO, EBUSY, ESTALE (network share went away), Windows sharing violations …: transient.
    return ParseError("failed", f"read error: {exc.strerror or exc}", retry=True)


@contextmanager
def open_regular(path: str, max_bytes: int) -> Iterator[tuple[BinaryIO, int]]:
    """Yield (binary file, size) for a non-empty regular file no bigger than ``max_bytes``.

    Checks run on the opened descriptor (fstat), so a file swapped between stat and open is seen
    as it really is. Symlinks are followed like open() does; walking folders (and cycle detection)
    is the scanner's job, not this one's.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise os_error(exc) from exc
    try:
        fh = os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        raise os_error(exc) from exc
    with fh:
        try:
            st = os.fstat(fh.fileno())
        except OSError as exc:
            raise os_error(exc) from exc
        if not stat.S_ISREG(st.st_mode):
            raise ParseError("skipped", "not a regular file")
        if st.st_size == 0:
            raise ParseError("skipped", "empty file")
        if st.st_size > max_bytes:
            raise ParseError(
                "skipped", f"too large ({mb(st.st_size)} MB, limit {mb(max_bytes)} MB)"
            )
        yield fh, st.st_size


def read_limited(fh: BinaryIO, max_bytes: int) -> bytes:
    """Up to ``max_bytes + 1`` bytes, in blocks: ``read(n)`` would reserve n bytes up front."""
    blocks, total = [], 0
    while total <= max_bytes:
        block = fh.read(min(1 << 20, max_bytes + 1 - total))
        if not block:
            break
        blocks.append(block)
        total += len(block)
    return b"".join(blocks)


def read_all(fh: BinaryIO, max_bytes: int) -> bytes:
    """The whole file, refusing one that grew past the limit since it was checked."""
    try:
        fh.seek(0)
        data = read_limited(fh, max_bytes)
    except OSError as exc:
        raise os_error(exc) from exc
    if len(data) > max_bytes:
        raise ParseError("skipped", f"too large (over {mb(max_bytes)} MB limit)")
    if not data:
        raise ParseError("skipped", "empty file")
    return data


def read_head(fh: BinaryIO, n: int) -> bytes:
    try:
        fh.seek(0)
        return fh.read(n)
    except OSError as exc:
        raise os_error(exc) from exc


def native_name(fh: BinaryIO, path: str) -> str | None:
    """A file name a C library (MuPDF) can open for the file behind ``fh``, or None.

    On Linux /proc/self/fd/N names the very file already opened (no race with a rename, and no
    trouble with names that are not valid UTF-8). Elsewhere the path works if it is valid UTF-8.
    """
    try:
        fd = fh.fileno()
    except (OSError, ValueError):  # held in memory (an e-mail's attachment): no name to open
        return None
    if sys.platform.startswith("linux"):
        proc = f"/proc/self/fd/{fd}"
        if os.path.exists(proc):
            return proc
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return path
