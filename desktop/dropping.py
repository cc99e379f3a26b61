"""What a drop onto the window may add: local files and folders only."""

from __future__ import annotations

import os

from PySide6.QtCore import QMimeData

from desktop.file_urls import local_path


def local_paths(mime: QMimeData) -> list[str]:
    """Existing local files and folders among the dropped URLs, as absolute normalised paths, each
    once, in drop order. Other schemes (http, smb, ...), missing paths and plain text are ignored:
    Archivist only indexes what this computer can open as a file."""
    if not mime.hasUrls():
        return []
    paths: list[str] = []
    seen: set[str] = set()
    for url in mime.urls():
        if not url.isLocalFile():
            continue
        path = os.path.abspath(local_path(url))
        if path not in seen and os.path.exists(path):
            seen.add(path)
            paths.append(path)
    return paths
