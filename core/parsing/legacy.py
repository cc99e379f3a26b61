"""Why an OLE2 compound file (Office 97–2003 .doc/.ppt/.xls, a password-protected .docx/.xlsx/.pptx)
is not indexed, in words a user can act on.

The streams inside tell them apart, whatever the file is called: "WordDocument" in a Word file,
"PowerPoint Document" in a PowerPoint file, "EncryptedPackage" in an encrypted Office 2007+ file.
olefile (BSD-2-Clause, pure Python) reads the directory; when it finds none of these (a damaged
directory), the bytes are searched for the name of an encrypted package, as before.
"""

from __future__ import annotations

import logging
from typing import BinaryIO

import olefile

from .files import read_all
from .model import ParseError

log = logging.getLogger(__name__)

ENCRYPTED = "encrypted: needs a password"
LEGACY = "unsupported legacy Office format"
# By stream name, the first found wins (an encrypted package is named before anything else).
REASONS = (
    ("EncryptedPackage", ENCRYPTED),
    ("WordDocument", "Word 97–2003 document: save it as .docx to index it"),
    ("PowerPoint Document", "PowerPoint 97–2003 presentation: save it as .pptx to index it"),
)
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")  # its directory entry's name


def legacy_office_error(fh: BinaryIO, max_bytes: int) -> ParseError:
    """The ParseError for an OLE2 file (raise it)."""
    streams = _stream_names(fh)
    for stream, reason in REASONS:
        if stream in streams:
            return ParseError("skipped", reason)
    fh.seek(0)  # a directory olefile cannot read may still name an encrypted package
    return ParseError("skipped", ENCRYPTED if _ENCRYPTED_OOXML in read_all(fh, max_bytes) else LEGACY)


def _stream_names(fh: BinaryIO) -> set[str]:
    fh.seek(0)
    try:
        with olefile.OleFileIO(fh) as ole:
            return {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except Exception as exc:  # noqa: BLE001 - olefile raises OSError and others on damaged files
        log.debug("olefile could not read the directory: %s", exc)
        return set()
