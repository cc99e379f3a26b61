"""The CLI's side: hand a command to a running Archivist, or say that none answered.

Every failure means "none answered" and costs little: no socket file is a stat; a socket left by
a crashed instance refuses at once (and is removed); a busy or hung one is given up after a
timeout. The CLI then opens the index itself, so a reply from an instance is only ever a shortcut.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from core.ipc import channel

log = logging.getLogger(__name__)

CONNECT_S = 1.0
# A search waits at most one embedding batch of indexing (~1 s); past this, something is wrong.
ANSWER_S = 30.0


class Reply:
    __slots__ = ("exit_code", "stdout", "served_by")  # not a dataclass: its import costs a CLI start 8 ms

    def __init__(self, exit_code: int, stdout: str, served_by: str):
        self.exit_code, self.stdout, self.served_by = exit_code, stdout, served_by


def ask_instance(data_dir: str | os.PathLike, argv: list[str], cwd: str | None = None) -> Reply | None:
    """The running instance's answer to the command line ``argv`` (run as if from ``cwd``, by
    default the current folder), or None: no instance, one of another user, or one that cannot
    run this command."""
    if not channel.available():
        return None
    path = channel.socket_path(data_dir)
    try:
        before = channel.check_private(path)
        cwd = cwd or os.getcwd()
    except FileNotFoundError:  # no instance (or the current folder was deleted)
        return None
    except OSError as exc:
        log.warning("not using the running Archivist: %s", exc)
        return None
    try:
        reply = _exchange(path, {"argv": argv, "cwd": cwd, "data_dir": os.fspath(data_dir)})
    except ConnectionRefusedError:  # nobody listens: the instance that made it has ended
        _remove_stale(path, before)
        return None
    except (OSError, ValueError) as exc:  # timeouts, resets, another user, a garbled reply
        log.info("the running Archivist did not answer (%s); opening the index here", exc)
        return None
    if not reply.get("ok"):
        log.info("the running Archivist cannot run this (%s); opening the index here", reply.get("error"))
        return None
    try:
        answer = Reply(int(reply["exit"]), str(reply["stdout"]), str(reply.get("served_by", "")))
    except (KeyError, TypeError, ValueError):
        return None
    log.info("answered by %s", answer.served_by)
    return answer


def _exchange(path: Path, request: dict) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(CONNECT_S)
        sock.connect(os.fspath(path))
        channel.check_peer(sock)
        sock.settimeout(ANSWER_S)
        sock.sendall(channel.encode(request))
        with sock.makefile("rb") as stream:
            return channel.decode(stream.readline())


def _remove_stale(path: Path, seen: os.stat_result) -> None:
    """Remove the dead socket, unless a new instance has put its own in its place meanwhile."""
    try:
        now = os.lstat(path)
        if (now.st_dev, now.st_ino) == (seen.st_dev, seen.st_ino):
            os.unlink(path)
            log.info("removed %s, left by an Archivist that has ended", path)
    except OSError:
        pass
