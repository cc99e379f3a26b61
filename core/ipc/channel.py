"""Where a running Archivist's socket is, who may use it, and the messages on it.

One request and one response per connection, each a line of JSON (``ensure_ascii``, so file names
that are not UTF-8, held as lone surrogates, travel exactly). Both carry ``v``: a side that does
not speak the other's version refuses, and the CLI then does the work itself.

The socket lives in ``<data dir>/run/`` (mode 0700; the socket itself 0600). Where that path is
too long for a Unix socket address, in a 0700 folder of this user under the temporary folder,
named after the data dir. Both sides check the folder before trusting it, and on Linux each
checks the other's user id on the connection (SO_PEERCRED).

Only standard-library imports here: the CLI loads this before anything heavy.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import struct
from pathlib import Path

PROTOCOL = 1
MAX_LINE = 1 << 20  # a request; responses (a long file list) may be longer
SOCKET_NAME = "cli.sock"
# sun_path holds 108 bytes on Linux and 104 on macOS and the BSDs, the terminating NUL included.
MAX_ADDRESS = 100


class Untrusted(OSError):
    """The socket's folder or the process at the other end belongs to someone else."""


def available() -> bool:
    """Unix sockets and user ids: not on Windows, where the CLI always opens the index itself."""
    return hasattr(socket, "AF_UNIX") and hasattr(os, "getuid")


def socket_path(data_dir: str | os.PathLike) -> Path:
    real = os.path.realpath(os.path.expanduser(os.fspath(data_dir)))
    path = Path(real) / "run" / SOCKET_NAME
    if len(os.fsencode(path)) <= MAX_ADDRESS:
        return path
    import hashlib  # the rare long path only: a command line's start counts every import
    import tempfile

    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"archivist-{os.getuid()}" / f"{digest}.sock"


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` (mode 0700) or make sure an existing one is this user's alone."""
    folder.mkdir(mode=0o700, parents=False, exist_ok=True)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise Untrusted(f"{folder} is not a folder of this user")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)


def check_private(path: Path) -> os.stat_result:
    """The socket's lstat, if it and its folder are this user's and nobody else may enter the folder."""
    folder = os.lstat(path.parent)
    if not stat.S_ISDIR(folder.st_mode) or folder.st_uid != os.getuid() or folder.st_mode & 0o077:
        raise Untrusted(f"{path.parent} may be reached by other users")
    info = os.lstat(path)
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid():
        raise Untrusted(f"{path} is not a socket of this user")
    return info


def check_peer(sock: socket.socket) -> None:
    """Raise Untrusted when the other end runs as another user (Linux; elsewhere the 0700 folder
    is what keeps others out)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return
    size = struct.calcsize("3i")
    _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, size))
    if uid != os.getuid():
        raise Untrusted(f"the other end of the socket runs as user {uid}")


def encode(message: dict) -> bytes:
    return json.dumps({"v": PROTOCOL, **message}, ensure_ascii=True).encode("ascii") + b"\n"


def decode(line: bytes) -> dict:
    """A message of this protocol version, or ValueError."""
    if not line.endswith(b"\n"):
        raise ValueError("incomplete or oversized message")
    message = json.loads(line)
    if not isinstance(message, dict) or message.get("v") != PROTOCOL:
        raise ValueError(f"not a protocol {PROTOCOL} message")
    return message
