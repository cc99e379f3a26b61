"""``parse_file``: one user file → a ParsedDocument, or a ParseError saying why not.

Dispatch is by magic bytes first (sniff.py), so a renamed PDF/DOCX/EPUB is parsed as what it
is and a legacy Office file or a binary named .txt is refused; the extension only picks the
parser among text formats (formats.py).

Policies:
* Compressed files: a gzip file whose inner name is a supported *text* format (notes.md.gz,
  log.txt.gz, page.html.gz) is decompressed in memory, capped at ``max_bytes`` of output (a gzip
  bomb stops at the cap), and parsed as that format; offsets index its decompressed text. Any
  other gzip file (.tar.gz, .pdf.gz, bare .gz) is skipped: "compressed files are not indexed".
  Other archives (zip, 7z …) are never opened.
* Symlinks: parse_file follows a symlink to its target like open() does and parses whatever
  regular file is there; directories, FIFOs and devices are skipped. It never walks folders, so
  symlinked folders and loops are the scanner's concern (it must dedupe by real path or hash).
* A document that yields no text raises ParseError("skipped", …): "no text layer (OCR needed)"
  when pages lack a text layer OCR did not read, "no text found in image" for an image, otherwise
  "no text content". One with very little text gets the warning "almost empty".
* OCR (``ocr``: True, False or OcrOptions) reads scanned pages and images; with ``time_budget_s``
  a paged document stops after the page that spends it (``ParsedDocument.next_page``).
"""

from __future__ import annotations

import dataclasses
import gzip
import logging
import os
import zipfile
import zlib
from collections.abc import Mapping
from typing import BinaryIO

from .decode import decode_text
from .docx_text import parse_docx
from .files import mb, open_regular, os_error, read_all, read_head, read_limited
from .formats import PYMUPDF_KINDS, SUPPORTED_EXTENSIONS, TEXT_KINDS
from .html_text import parse_html
from .image import parse_image
from .model import NEEDS_OCR, NO_TEXT_IN_IMAGE, ParsedDocument, ParseError
from .ocr.options import OcrOptions, as_options
from .ocr_pages import OCR_FOUND_NOTHING
from .pdf import parse_paged
from .sniff import ARCHIVE_REASON, HEAD_BYTES, sniff, zip_kind
from .text import parse_text_kind

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 * 2**20
ALMOST_EMPTY_CHARS = 100
ALMOST_EMPTY = "almost empty"
NO_TEXT_AFTER_OCR = "no text layer, and OCR found no legible text"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")  # a password-protected .docx is OLE2


def parse_file(
    path: str,
    *,
    ocr: bool | OcrOptions = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    kinds: Mapping[str, str] | None = None,
    page_range: tuple[int, int] | None = None,
    time_budget_s: float | None = None,
) -> ParsedDocument:
    """Parse ``path`` in this process. ``kinds`` maps extensions to kinds (default
    SUPPORTED_EXTENSIONS). ``page_range`` (1-based, inclusive) limits paged formats to a window
    of pages, so a huge PDF can be parsed in slices (see slices.py); a window that covers the
    whole document, or a format without pages, gives the same result as no window."""
    kinds = SUPPORTED_EXTENSIONS if kinds is None else kinds
    try:
        with open_regular(path, max_bytes) as (fh, _size):
            doc = _dispatch(fh, path, kinds, ocr=as_options(ocr), max_bytes=max_bytes, page_range=page_range,
                            time_budget_s=time_budget_s)
    except (ParseError, MemoryError):
        raise
    except OSError as exc:
        raise os_error(exc) from exc
    except Exception as exc:
        log.exception("parser error on %r", path)
        raise ParseError("failed", f"parser error: {type(exc).__name__}: {exc}") from exc
    whole = doc.next_page is None and (page_range is None or doc.page_count is None or (
        page_range[0] <= 1 and page_range[1] >= doc.page_count))
    return finish_document(doc) if whole else doc  # a slice is judged once merged


def _ext(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[1].lower()


def _dispatch(fh: BinaryIO, path: str, kinds: Mapping[str, str], **kw) -> ParsedDocument:
    ext = _ext(path)
    magic = sniff(read_head(fh, HEAD_BYTES))
    ext_kind = kinds.get(ext)
    if magic == "pdf":
        return _paged(fh, path, "pdf", kw)
    if magic in ("mobi", "fb2"):
        return _paged(fh, path, magic, kw)
    if magic == "image":
        fh.seek(0)
        return parse_image(fh, path, ocr=kw["ocr"], page_range=kw["page_range"],
                           time_budget_s=kw["time_budget_s"])
    if magic == "zip":
        return _parse_zip(fh, path, ext_kind, **kw)
    if magic == "ole2":
        if _ENCRYPTED_OOXML in read_all(fh, kw["max_bytes"]):
            raise ParseError("skipped", "encrypted: needs a password")
        raise ParseError("skipped", "unsupported legacy Office format")
    if magic == "gzip":
        return _parse_gzip(fh, path, kinds, kw["max_bytes"])
    if magic == "rtf":
        raise ParseError("skipped", "unsupported file type (RTF)")
    if ext_kind is None:
        raise ParseError("skipped", f"unsupported file type ({ext or 'no extension'})")
    if ext_kind in PYMUPDF_KINDS:  # e.g. a PDF with junk before its header: let MuPDF try
        return _paged(fh, path, ext_kind, kw)
    if ext_kind == "image":
        raise ParseError("failed", "unreadable image: not a PNG, JPEG, TIFF or WebP file")
    if ext_kind == "docx":
        raise ParseError("failed", "unreadable DOCX: not a ZIP package")
    if ext_kind == "gzip":
        raise ParseError("failed", "unreadable gzip file: bad header")
    if ext_kind in TEXT_KINDS:
        return _parse_text(read_all(fh, kw["max_bytes"]), ext_kind)
    raise ParseError("skipped", f"unsupported file type ({ext})")


def _parse_text(data: bytes, kind: str) -> ParsedDocument:
    if kind == "html":
        return parse_html(data)
    text, _encoding = decode_text(data)
    return parse_text_kind(text, kind)


def _parse_zip(fh: BinaryIO, path: str, ext_kind: str | None, **kw) -> ParsedDocument:
    label = {"docx": "DOCX", "epub": "EPUB", "xps": "XPS"}.get(ext_kind or "", "ZIP file")
    try:
        with zipfile.ZipFile(fh) as zf:
            kind = zip_kind(zf)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ParseError("failed", f"unreadable {label}: damaged ZIP container ({exc})") from None
    except ParseError as exc:
        if ext_kind in ("docx", "epub", "xps") and exc.reason == ARCHIVE_REASON:
            # named like a document, but its main part is missing
            raise ParseError("failed", f"unreadable {label}: not a valid package") from None
        raise
    fh.seek(0)
    if kind == "docx":
        return parse_docx(fh)
    return _paged(fh, path, kind, kw)


def _paged(fh: BinaryIO, path: str, kind: str, kw: dict) -> ParsedDocument:
    return parse_paged(fh, path, kind, ocr=kw["ocr"], max_bytes=kw["max_bytes"], page_range=kw["page_range"],
                       time_budget_s=kw["time_budget_s"])


def _parse_gzip(fh: BinaryIO, path: str, kinds: Mapping[str, str], max_bytes: int):
    stem = os.path.basename(path)
    stem = stem[:-3] if stem.lower().endswith(".gz") else stem
    inner_kind = kinds.get(_ext(stem))
    if inner_kind not in TEXT_KINDS:
        raise ParseError("skipped", "compressed files are not indexed")
    fh.seek(0)
    try:
        with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
            data = read_limited(gz, max_bytes)  # the cap bounds a gzip bomb
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ParseError("failed", f"unreadable gzip file: {exc}") from None
    if len(data) > max_bytes:
        raise ParseError("skipped", f"too large when decompressed (limit {mb(max_bytes)} MB)")
    if not data:
        raise ParseError("skipped", "empty file")
    return _parse_text(data, inner_kind)


def finish_document(doc: ParsedDocument) -> ParsedDocument:
    """A whole document's verdict: a ParseError when it has no text, a warning when almost none."""
    if not doc.sections:
        details = {"warnings": list(doc.warnings), "page_count": doc.page_count}
        if doc.needs_ocr_pages:  # OCR is off, or could not run: worth reading again later
            details["needs_ocr_pages"] = list(doc.needs_ocr_pages)
            raise ParseError("skipped", NEEDS_OCR, details=details)
        if doc.kind == "image":
            raise ParseError("skipped", NO_TEXT_IN_IMAGE, details=details)
        if any(w.startswith(OCR_FOUND_NOTHING) for w in doc.warnings):
            raise ParseError("skipped", NO_TEXT_AFTER_OCR, details=details)
        raise ParseError("skipped", "no text content", details=details)
    seen = 0
    for section in doc.sections:
        seen += sum(1 for c in section.text if not c.isspace())
        if seen >= ALMOST_EMPTY_CHARS:
            return doc
    return dataclasses.replace(doc, warnings=doc.warnings + (ALMOST_EMPTY,))
