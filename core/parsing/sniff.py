"""Recognise a file's real format from its first bytes, so a renamed file is parsed (or refused)
by what it is rather than by what it is called."""

from __future__ import annotations

import re
import zipfile

from .model import ParseError

HEAD_BYTES = 8192
ARCHIVE_REASON = "archives are not indexed"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# PNG, JPEG, TIFF (both byte orders, and BigTIFF); WebP is checked apart (RIFF … WEBP).
_IMAGES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_ODF = "application/vnd.oasis.opendocument."
# An mbox file: a "From " line naming the sender (Thunderbird writes "-") and an asctime date, then
# a header field. Thunderbird and Evolution keep each mail folder as one, named without extension
# ("Inbox", "Sent"), so such a file is recognised by this start alone.
_MBOX_START = re.compile(rb"From \S+ [^\r\n]*\d\d:\d\d[^\r\n]*\r?\n[!-9;-~]+:")
_OPENDOCUMENT = {_ODF + "presentation": "odp", _ODF + "presentation-template": "odp",
                 _ODF + "text": "odt", _ODF + "text-template": "odt"}


def sniff(head: bytes) -> str | None:
    """Container kind from magic bytes: pdf, zip, ole2, gzip, mobi, rtf, fb2, image; None if no magic."""
    body = head
    for bom in _BOMS:
        if body.startswith(bom):
            body = body[len(bom) :]
            break
    if body.lstrip(b" \t\r\n").startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(_IMAGES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(_OLE2):
        return "ole2"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head[60:68] in (b"BOOKMOBI", b"TEXtREAd"):
        return "mobi"
    if body.startswith(b"{\\rtf"):
        return "rtf"
    # FictionBook is XML; a root element this specific cannot be a plain text file by accident.
    if body.lstrip().startswith(b"<?xml") and b"<FictionBook" in head:
        return "fb2"
    return None


def is_mailbox(head: bytes) -> bool:
    """Whether a file starting with ``head`` is an mbox mailbox (by its content, whatever its name)."""
    return _MBOX_START.match(head) is not None


def is_mailbox_file(path: str) -> bool:
    """The same for a file on disk; False when it cannot be read (its reading will say why)."""
    try:
        with open(path, "rb") as fh:
            return is_mailbox(fh.read(1024))
    except OSError:
        return False


def zip_kind(zf: zipfile.ZipFile) -> str:
    """docx, epub, xps, xlsx (XLSX/XLSM), pptx, ods, odp or odt for a ZIP we can index; raises
    ParseError("skipped", …) for the rest."""
    names = set(zf.namelist())
    if "word/document.xml" in names:
        return "docx"
    if "mimetype" in names:
        try:
            mime = zf.read("mimetype")[:100].decode("ascii", "replace").strip()
        except (OSError, zipfile.BadZipFile, RuntimeError, ValueError):
            mime = ""
        if mime == "application/epub+zip":
            return "epub"
        if mime in _OPENDOCUMENT:
            return _OPENDOCUMENT[mime]
        if mime.startswith("application/vnd.oasis.opendocument.spreadsheet"):  # and its templates
            return "ods"
        if mime.startswith("application/vnd.oasis.opendocument"):
            raise ParseError("skipped", "unsupported OpenDocument format")
    if "META-INF/container.xml" in names:  # an EPUB missing its mimetype entry
        return "epub"
    if any(n.lower().endswith((".fdseq", ".fdoc", ".fpage")) for n in names):
        return "xps"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise ParseError("skipped", "Excel binary workbook (.xlsb): save it as .xlsx to index it")
    if "ppt/presentation.xml" in names:
        return "pptx"
    raise ParseError("skipped", ARCHIVE_REASON)
