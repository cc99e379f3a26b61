"""Logging for the desktop app: a rotating file in the data folder and a buffer for "Copy logs".

Logs hold file names but never document text; they stay on this computer unless the user pastes them.
"""

from __future__ import annotations

import collections
import logging
import platform
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


class _Recent(logging.Handler):
    def __init__(self, lines: int = 2000):
        super().__init__()
        self.lines: collections.deque[str] = collections.deque(maxlen=lines)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


_recent = _Recent()


def setup(data_dir: Path) -> Path:
    folder = Path(data_dir) / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "archivist.log"
    file_handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    formatter = logging.Formatter(FORMAT)
    for handler in (file_handler, _recent):
        handler.setFormatter(formatter)
        handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(file_handler)
    root.addHandler(_recent)
    return path


def report() -> str:
    """What to paste into a bug report: versions and the recent log lines."""
    from PySide6 import __version__ as pyside

    header = [f"Archivist on Python {sys.version.split()[0]}, {platform.platform()}, PySide6 {pyside}", ""]
    return "\n".join(header + list(_recent.lines)) + "\n"
