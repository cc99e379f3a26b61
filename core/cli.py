"""archivist-cli's entry point: hand a search, status or file list to a running Archivist before
loading anything else, and run every other command (or one the instance declines) in
core/cli_commands.py.

With a window or `archivist-cli watch` running, a search then costs the interpreter's start, this
module and core/ipc, and the search itself: no argparse, no settings, no LanceDB. The command line
is read here only as far as finding the command and the data folder; the instance parses it with
the real parser and declines anything it does not fully understand, so a mistake here only ever
costs the shortcut.
"""

from __future__ import annotations

import core.privacy  # noqa: F401  first: no library may phone home (see core/privacy.py)
import os
import sys

# Commands a running window or `watch` answers for the CLI (core/ipc), in milliseconds instead of
# the seconds it takes this process to load LanceDB and the model.
SERVED = {"search", "status", "files"}
_HELP = {"-h", "--help"}
_VERBOSE = {"-v", "--verbose"}


def main(argv: list[str] | None = None) -> int:
    if getattr(sys, "frozen", False):  # parser workers of a frozen (PyInstaller) build start here
        import multiprocessing

        multiprocessing.freeze_support()
    argv = sys.argv[1:] if argv is None else list(argv)
    # File names need not be valid UTF-8; write their original bytes back rather than crash.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")
    command, data_dir = read_command_line(argv)
    if command in SERVED:
        try:
            answered = _answered_by_instance(argv, data_dir)
        except KeyboardInterrupt:
            return 130
        if answered is not None:
            return answered
    from core import cli_commands

    return cli_commands.main(argv)


def read_command_line(argv: list[str]) -> tuple[str | None, str | None]:
    """The command (None when help is asked for) and the ``--data-dir`` given, if any (the last,
    as argparse takes it)."""
    command, data_dir = None, None
    options = iter(argv)
    for arg in options:
        if arg == "--":
            break
        if arg in _HELP:
            return None, None
        if arg == "--data-dir":
            data_dir = next(options, None)
        elif arg.startswith("--data-dir="):
            data_dir = arg.split("=", 1)[1]
        elif command is None and not arg.startswith("-"):
            command = arg
    return command, data_dir


def _answered_by_instance(argv: list[str], data_dir: str | None) -> int | None:
    if _VERBOSE & set(argv):
        import logging

        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from core.ipc.client import ask_instance

    if data_dir is None:
        from core.data_location import default_data_dir

        data_dir = default_data_dir()
    reply = ask_instance(data_dir, argv)
    if reply is None:
        return None
    sys.stdout.write(reply.stdout)
    return reply.exit_code


def run() -> None:
    """The program (console script and frozen build): ``main``, then, after a command that leaves
    nothing running and nothing unwritten, an exit that skips the interpreter's teardown of LanceDB
    and ONNX Runtime (0.2 s of a 2 s search)."""
    argv = sys.argv[1:]
    code = main(argv)
    if read_command_line(argv)[0] in SERVED:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # e.g. the reader of a pipe has gone
            code = code or 1
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
