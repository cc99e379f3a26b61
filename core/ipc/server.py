"""The running instance's side: answer the CLI's read-only commands from the index it holds open.

Each connection is served on a thread of its own, beside indexing (searches are read-only and
thread-safe on the Archivist). A command runs through the CLI's own parser and commands (``run_served``),
with its output captured, so the CLI prints exactly what it would have printed itself.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import socketserver
import threading
from pathlib import Path

from core.ipc import channel

log = logging.getLogger(__name__)

CLIENT_TIMEOUT_S = 10.0  # to send a request or take an answer; a stuck client holds one thread at most


class InstanceServer:
    """Serves ``archivist`` on its data dir's socket until ``close``. ``name`` says who answered
    (shown by ``archivist-cli -v`` and in ``search --json``'s trace)."""

    def __init__(self, archivist, name: str):
        self.archivist = archivist
        self.served_by = f"{name} (pid {os.getpid()})"
        self.path = channel.socket_path(archivist.data_dir)
        self.served = 0  # commands answered: tests and benchmarks check that the socket was used
        self._count_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._inode: tuple[int, int] | None = None

    def start(self) -> bool:
        """Listen; False (logged) where that is not possible, e.g. no Unix sockets on Windows."""
        if not channel.available():
            return False
        try:
            self._listen()
        except OSError as exc:
            log.warning("the command line cannot use this instance (%s); it will open the index itself", exc)
            return False
        self._thread = threading.Thread(target=self._server.serve_forever, name="cli-server", daemon=True)
        self._thread.start()
        return True

    def _listen(self) -> None:
        channel.make_private_dir(self.path.parent)
        # Bound and listening under a temporary name, then renamed into place in one step: a socket
        # at the real path always has a listener, unless its process has ended (then it is stale,
        # and this rename replaces it).
        staging = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        staging.unlink(missing_ok=True)
        server = _Server(os.fspath(staging), _Handler, bind_and_activate=False)
        try:
            server.server_bind()
            os.chmod(staging, 0o600)
            server.server_activate()
            os.replace(staging, self.path)
        except BaseException:
            server.server_close()
            staging.unlink(missing_ok=True)
            raise
        server.instance = self
        info = os.lstat(self.path)
        self._server, self._inode = server, (info.st_dev, info.st_ino)

    def close(self) -> None:
        """Stop listening, finish the requests under way, and remove the socket if it is still ours."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()  # joins the threads of requests under way
        try:
            info = os.lstat(self.path)
            if (info.st_dev, info.st_ino) == self._inode:
                os.unlink(self.path)
        except OSError:
            pass

    def answer(self, line: bytes) -> dict:
        try:
            request = channel.decode(line)
            argv, cwd, data_dir = request["argv"], request["cwd"], request["data_dir"]
            if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv)
                    and isinstance(cwd, str) and isinstance(data_dir, str)):
                raise ValueError("malformed request")
        except (ValueError, KeyError) as exc:
            return {"ok": False, "error": f"cannot read the request: {exc}"}
        try:
            result = run_served(_ReadOnlyView(self.archivist, data_dir, self.served_by), argv, cwd, data_dir)
        except Exception as exc:  # the CLI will run it itself and show the error there
            log.exception("a command from the CLI failed here")
            return {"ok": False, "error": f"failed in the running instance: {exc}"}
        if result is None:
            return {"ok": False, "error": "not a command this instance answers"}
        with self._count_lock:
            self.served += 1
        exit_code, stdout = result
        return {"ok": True, "exit": exit_code, "stdout": stdout, "served_by": self.served_by}


class _RefusingParser(argparse.ArgumentParser):
    """Raises instead of printing usage or help and exiting: a running instance parses for a client."""

    def _print_message(self, message, file=None):
        pass

    def error(self, message):
        raise ValueError(message)

    def exit(self, status=0, message=None):
        raise ValueError(message or f"exit {status}")


def run_served(archivist, argv: list[str], cwd: str, data_dir: str) -> tuple[int, str] | None:
    """Run a client's command line ``argv`` (from directory ``cwd``, for the index in ``data_dir``)
    here, in a running instance; its exit code and what it printed, or None when it is not one for
    an instance to answer."""
    from core import cli, cli_commands  # the CLI's own parser and commands, loaded on the first request

    try:
        args = cli_commands.build_parser(_RefusingParser).parse_args(argv)
    except ValueError:  # e.g. an option this (older) instance does not know
        return None
    if args.command not in cli.SERVED:
        return None
    named = getattr(args, "data_dir", None)
    # The client found this socket from its own reading of the command line; the full parser may
    # read it otherwise (an abbreviated --data), and then this is not the index it asked for.
    if named is not None and not _same_folder(os.fspath(named), data_dir, cwd):
        return None
    args.json = getattr(args, "json", False)
    for option in ("folder", "file"):  # relative to where the client was started
        if getattr(args, option, None):
            setattr(args, option, os.path.join(cwd, getattr(args, option)))
    out = io.StringIO()
    return cli_commands.COMMANDS[args.command](archivist, args, None, out=out), out.getvalue()


def _same_folder(a: str, b: str, cwd: str) -> bool:
    resolve = lambda p: os.path.realpath(os.path.join(cwd, os.path.expanduser(p)))  # noqa: E731
    return resolve(a) == resolve(b)


class _ReadOnlyView:
    """What a CLI command may use of the instance's Archivist: reading only. ``status`` describes
    the index as the CLI would see it if it had opened the index itself: a read-only reader of
    the data dir it named."""

    _READS = frozenset({"files", "pending_model"})

    def __init__(self, archivist, data_dir: str, served_by: str):
        self._archivist, self._data_dir, self.served_by = archivist, data_dir, served_by

    def search(self, *args, **kwargs):
        result = self._archivist.search(*args, **kwargs)
        result.trace["served_by"] = self.served_by
        return result

    def status(self):
        from dataclasses import replace

        return replace(self._archivist.status(), data_dir=str(Path(self._data_dir)), read_only=True)

    def __getattr__(self, name: str):
        if name not in self._READS:
            raise AttributeError(f"{name} is not available to the command line through a running instance")
        return getattr(self._archivist, name)


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = False
    block_on_close = True  # closing waits for requests under way (each bounded by CLIENT_TIMEOUT_S)
    instance: InstanceServer

    def handle_error(self, request, client_address) -> None:
        # socketserver would print a traceback to stderr (the window's or watch's output)
        log.info("a command-line connection ended badly", exc_info=True)


class _Handler(socketserver.StreamRequestHandler):
    timeout = CLIENT_TIMEOUT_S

    def handle(self) -> None:
        try:
            channel.check_peer(self.connection)
        except channel.Untrusted as exc:
            log.warning("refused a connection to the command-line socket: %s", exc)
            return
        line = self.rfile.readline(channel.MAX_LINE + 1)
        self.wfile.write(channel.encode(self.server.instance.answer(line)))
