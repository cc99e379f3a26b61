"""Which paths Archivist leaves alone: hidden and temporary files, and `.archivistignore` rules.

`.archivistignore` uses gitignore syntax and applies to the folder it is in and everything
below, like `.gitignore`. Editors' temp files are ignored so that an atomic save (write a temp
file, rename it over the original) is seen as one change to the original.
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading

import pathspec

IGNORE_FILE = ".archivistignore"

# Temporary and backup files of editors, office suites and browsers.
TEMP_PATTERNS = (
    "*~", "~$*", ".~lock.*#", "*.tmp", "*.temp", "*.swp", "*.swo", "*.swx", ".#*", "#*#",
    "*.part", "*.crdownload", "*.download", ".goutputstream-*", "*.kate-swp", "4913",
    "*.sb-*", "Thumbs.db", "desktop.ini",
)
_TEMP = re.compile("|".join(fnmatch.translate(p) for p in TEMP_PATTERNS))


def is_hidden_or_temp(name: str) -> bool:
    return name.startswith(".") or _TEMP.match(name) is not None


class IgnoreRules:
    """Answers "is this path ignored?" for paths under a set of watched roots."""

    def __init__(self, roots: list[str], exclude: list[str] = (), patterns: list[str] = ()):
        self._roots = sorted({os.path.normpath(r) for r in roots}, key=len, reverse=True)
        # Rules from the settings (gitignore syntax), for every source: the app never writes
        # an .archivistignore into the user's folders, so rules set in the app live here.
        self._global = pathspec.GitIgnoreSpec.from_lines(list(patterns)) if patterns else None
        # Archivist's own data dir, should it lie inside a watched folder.
        self._exclude = [os.path.normpath(p) for p in exclude]
        self._specs: dict[str, tuple[float, pathspec.PathSpec | None]] = {}
        self._lock = threading.Lock()

    def root_of(self, path: str) -> str | None:
        for root in self._roots:
            if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
                return root
        return None

    def _spec(self, directory: str) -> pathspec.PathSpec | None:
        ignore_file = os.path.join(directory, IGNORE_FILE)
        try:
            mtime = os.stat(ignore_file).st_mtime_ns
        except OSError:
            mtime = None
        with self._lock:
            cached = self._specs.get(directory)
            if cached is not None and cached[0] == mtime:
                return cached[1]
        spec = None
        if mtime is not None:
            try:
                with open(ignore_file, encoding="utf-8", errors="replace") as fh:
                    spec = pathspec.GitIgnoreSpec.from_lines(fh.read().splitlines())
            except OSError:
                spec = None
        with self._lock:
            self._specs[directory] = (mtime, spec)
        return spec

    def is_ignored(self, path: str, is_dir: bool = False) -> bool:
        path = os.path.normpath(path)
        root = self.root_of(path)
        if root is None:
            return True
        if path == root:
            return False
        if any(path == x or path.startswith(x + os.sep) for x in self._exclude):
            return True
        relative = os.path.relpath(path, root)
        parts = relative.split(os.sep)
        if any(is_hidden_or_temp(part) for part in parts):
            return True
        if self._global is not None and (
                self._global.match_file(relative.replace(os.sep, "/") + ("/" if is_dir else ""))
                or any(self._global.match_file("/".join(parts[:d]) + "/") for d in range(1, len(parts)))):
            return True
        # Check each ancestor's ignore file against the path relative to that ancestor.
        directory = root
        for depth in range(len(parts)):
            spec = self._spec(directory)
            if spec is not None:
                sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
                if spec.match_file(sub):
                    return True
                # A directory excluded by a parent rule excludes everything below it.
                for d in range(depth + 1, len(parts)):
                    if spec.match_file("/".join(parts[depth:d]) + "/"):
                        return True
            directory = os.path.join(directory, parts[depth])
        return False
