"""file: URLs and the paths they name, byte for byte.

Qt turns a path into a URL (and back) through UTF-8 text, so a name that is not valid UTF-8 (kept
by Python as lone surrogates, os.fsdecode) would come out as other bytes, naming another file or
none. These go through the name's real bytes, percent-encoded, instead.
"""

from __future__ import annotations

import os
import urllib.parse

from PySide6.QtCore import QUrl


def file_url(path: str) -> QUrl:
    """The file: URL of ``path`` (the same URL QUrl.fromLocalFile gives for a UTF-8 name)."""
    if os.name == "nt":
        return QUrl.fromLocalFile(path)
    return QUrl.fromEncoded(b"file://" + urllib.parse.quote_from_bytes(os.fsencode(path)).encode("ascii"))


def local_path(url: QUrl) -> str:
    """The path a local file: URL names (check ``url.isLocalFile()`` first)."""
    if os.name == "nt":
        return url.toLocalFile()
    encoded = url.path(QUrl.ComponentFormattingOption.FullyEncoded)
    return os.fsdecode(urllib.parse.unquote_to_bytes(encoded))
