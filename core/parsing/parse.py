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
* OCR (``ocr``: True, False or OcrOptions) reads scanned pages, images, and the pictures inside
  DOCX, ODT and slide decks (pictures.py); with ``time_budget_s`` a paged document (a deck too)
  stops after the page that spends it (``ParsedDocument.next_page``); a mail file's attachments
  share one such budget, and OCR in them stops when it is spent (mail_attachments.py).
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import logging
import os
import zipfile
import zlib
from collections.abc import Mapping
from typing import BinaryIO

from .decode import decode_text
from .delimited import DelimitedWorkbook
from .docx_text import parse_docx
from .files import mb, open_regular, os_error, read_all, read_head, read_limited
from .formats import PYMUPDF_KINDS, SUPPORTED_EXTENSIONS, TEXT_KINDS
from .html_text import parse_html
from .image import parse_image
from .legacy import ENCRYPTED, _ENCRYPTED_OOXML, legacy_office_error
from .mail import parse_eml, parse_mbox, parse_msg
from .mail_attachments import AttachmentReader
from .model import NEEDS_OCR, NO_TEXT_IN_IMAGE, ParsedDocument, ParseError
from .ocr.options import OcrOptions, as_options
from .ocr_pages import OCR_FOUND_NOTHING
from .odp_text import parse_odp
from .odt_text import parse_odt
from .pdf import parse_paged
from .pictures import SLIDE_GRACE, PictureReader
from .rtf_text import parse_rtf
from .sheets import LEGACY_XLS, open_workbook, parse_workbook
from .sniff import ARCHIVE_REASON, HEAD_BYTES, is_mailbox, sniff, zip_kind
from .text import parse_text_kind

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 * 2**20
ALMOST_EMPTY_CHARS = 100
ALMOST_EMPTY = "almost empty"
NO_TEXT_AFTER_OCR = "no text layer, and OCR found no legible text"
# What a damaged ZIP-based file is called in its reason, by the kind its extension gives.
_ZIP_LABELS = {"docx": "DOCX", "epub": "EPUB", "xps": "XPS", "slides": "presentation", "odt": "ODT",
               "sheet": "workbook"}


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


def parse_bytes(
    name: str,
    data: bytes,
    *,
    ocr: bool | OcrOptions = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    kinds: Mapping[str, str] | None = None,
    depth: int = 0,
    time_budget_s: float | None = None,
    page_range: tuple[int, int] | None = None,
) -> ParsedDocument:
    """Parse a file held in memory (an e-mail's attachment) like ``parse_file`` would parse a file
    called ``name``; ``depth`` counts the messages it is nested in (mail.py caps it). Not judged
    by ``finish_document``: the caller says what an empty attachment means."""
    if not data:
        raise ParseError("skipped", "empty file")
    if len(data) > max_bytes:
        raise ParseError("skipped", f"too large ({mb(len(data))} MB, limit {mb(max_bytes)} MB)")
    kinds = SUPPORTED_EXTENSIONS if kinds is None else kinds
    try:
        return _dispatch(io.BytesIO(data), name, kinds, ocr=as_options(ocr), max_bytes=max_bytes,
                         page_range=page_range, depth=depth, time_budget_s=time_budget_s)
    except (ParseError, MemoryError):
        raise
    except Exception as exc:
        log.exception("parser error on attachment %r", name)
        raise ParseError("failed", f"parser error: {type(exc).__name__}: {exc}") from exc


def _ext(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[1].lower()


def _dispatch(fh: BinaryIO, path: str, kinds: Mapping[str, str], **kw) -> ParsedDocument:
    ext = _ext(path)
    head = read_head(fh, HEAD_BYTES)
    magic = sniff(head)
    if not ext and is_mailbox(head):
        ext = ".mbox"  # a mail folder kept as one file without extension (Thunderbird's "Inbox")
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
    if ext_kind == "mail" and magic in (None, "ole2"):
        return _parse_mail(fh, ext, magic, kinds, **kw)
    if magic == "ole2":  # Office 97–2003 files, and encrypted Office 2007+ ones
        return _parse_ole2(fh, path, ext, **kw)
    if magic == "gzip":
        return _parse_gzip(fh, path, kinds, kw["max_bytes"])
    if magic == "rtf":
        return parse_rtf(read_all(fh, kw["max_bytes"]))
    if ext_kind is None:
        raise ParseError("skipped", f"unsupported file type ({ext or 'no extension'})")
    if ext_kind in PYMUPDF_KINDS:  # e.g. a PDF with junk before its header: let MuPDF try
        return _paged(fh, path, ext_kind, kw)
    if ext_kind == "image":
        raise ParseError("failed", "unreadable image: not a PNG, JPEG, TIFF or WebP file")
    if ext_kind in ("docx", "slides", "odt"):
        raise ParseError("failed", f"unreadable {_ZIP_LABELS[ext_kind]}: not a ZIP package")
    if ext_kind == "rtf":
        raise ParseError("failed", "unreadable RTF: it does not start with {\\rtf")
    if ext_kind == "sheet":
        return _parse_sheet_text(fh, path, ext, **kw)
    if ext_kind == "gzip":
        raise ParseError("failed", "unreadable gzip file: bad header")
    if ext_kind in TEXT_KINDS:
        return _parse_text(read_all(fh, kw["max_bytes"]), ext_kind)
    raise ParseError("skipped", f"unsupported file type ({ext})")


def _parse_mail(fh: BinaryIO, ext: str, magic: str | None, kinds: Mapping[str, str], **kw) -> ParsedDocument:
    depth = kw.get("depth", 0)

    def attachment(name: str, data: bytes, inner_depth: int, ocr: OcrOptions | None, time_budget_s: float | None,
                   page_range: tuple[int, int] | None) -> ParsedDocument:
        return parse_bytes(name, data, ocr=ocr or False, max_bytes=kw["max_bytes"], kinds=kinds,
                           depth=inner_depth, time_budget_s=time_budget_s, page_range=page_range)

    # One time budget for all the file's attachments, from now: OCR stops when it is spent.
    reader = AttachmentReader(attachment, kw["ocr"], kw["time_budget_s"])
    if ext == ".mbox":
        doc = parse_mbox(fh, reader, kw["max_bytes"], depth)
    elif magic == "ole2":
        doc = parse_msg(read_all(fh, kw["max_bytes"]), reader, depth)
    elif ext == ".msg":
        raise ParseError("failed", "unreadable Outlook message: not an OLE2 compound file")
    else:
        doc = parse_eml(read_all(fh, kw["max_bytes"]), reader, depth)
    return reader.finish(doc)


def _parse_text(data: bytes, kind: str) -> ParsedDocument:
    if kind == "html":
        return parse_html(data)
    text, _encoding = decode_text(data)
    return parse_text_kind(text, kind)


def _parse_ole2(fh: BinaryIO, path: str, ext: str, **kw) -> ParsedDocument:
    """Legacy Office files (and password-protected OOXML ones) are OLE2 compound files."""
    data = read_all(fh, kw["max_bytes"])
    if _ENCRYPTED_OOXML in data:
        raise ParseError("skipped", ENCRYPTED)
    from .xlsx import NotAWorkbook, XlsWorkbook

    try:
        book = XlsWorkbook(data)
    except ImportError:  # xlrd missing from an install: say what the user can do instead
        raise ParseError("skipped", LEGACY_XLS) from None
    except NotAWorkbook as exc:
        if ext == ".xls" and str(exc):
            raise ParseError("failed", f"unreadable Excel 97–2003 workbook: {exc}") from None
        raise legacy_office_error(fh, kw["max_bytes"]) from None  # a .doc or .ppt: what to save it as
    return parse_workbook(book, kw["page_range"])


def _parse_sheet_text(fh: BinaryIO, path: str, ext: str, **kw) -> ParsedDocument:
    """A spreadsheet's name on a file without a workbook's magic bytes: CSV/TSV, or a web
    page or tab-separated text saved as .xls (web exports do that; Excel opens them)."""
    if ext in (".xlsx", ".xlsm", ".ods"):
        raise ParseError("failed", "unreadable workbook: not a ZIP package")
    data = read_all(fh, kw["max_bytes"])
    if ext == ".xls" and data.lstrip()[:1] == b"<":
        return parse_html(data)
    return parse_workbook(DelimitedWorkbook(data, path, tab_separated=ext == ".tsv"), kw["page_range"])


def _parse_zip(fh: BinaryIO, path: str, ext_kind: str | None, **kw) -> ParsedDocument:
    label = _ZIP_LABELS.get(ext_kind or "", "ZIP file")
    try:
        with zipfile.ZipFile(fh) as zf:
            kind = zip_kind(zf)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ParseError("failed", f"unreadable {label}: damaged ZIP container ({exc})") from None
    except ParseError as exc:
        if ext_kind in _ZIP_LABELS and exc.reason == ARCHIVE_REASON:
            # named like a document, but its main part is missing
            raise ParseError("failed", f"unreadable {label}: not a valid package") from None
        raise
    fh.seek(0)
    if kind == "docx":
        return parse_docx(fh, _pictures(path, kw))
    if kind in _ZIP_READERS:
        return _ZIP_READERS[kind](fh, kw["page_range"], _pictures(path, kw, 1.0 if kind == "odt" else SLIDE_GRACE))
    if kind in ("xlsx", "ods"):
        return parse_workbook(open_workbook(fh, path, kind, kw["max_bytes"]), kw["page_range"])
    return _paged(fh, path, kind, kw)


def _paged(fh: BinaryIO, path: str, kind: str, kw: dict) -> ParsedDocument:
    return parse_paged(fh, path, kind, ocr=kw["ocr"], max_bytes=kw["max_bytes"], page_range=kw["page_range"],
                       time_budget_s=kw["time_budget_s"])


def _pictures(path: str, kw: dict, grace: float = 1.0) -> PictureReader:
    return PictureReader(kw["ocr"], kw["time_budget_s"], path, grace)


def _parse_pptx(fh: BinaryIO, page_range: tuple[int, int] | None, pictures: PictureReader) -> ParsedDocument:
    from .pptx_text import parse_pptx  # python-pptx takes ~0.15 s to import: only when a deck comes

    return parse_pptx(fh, page_range, pictures)


_ZIP_READERS = {
    "pptx": _parse_pptx,
    "odp": parse_odp,
    "odt": lambda fh, _pages, pictures: parse_odt(fh, pictures),
}


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
        if doc.needs_ocr_pages or doc.needs_ocr_pictures:  # OCR is off, or could not run: worth reading again later
            details.update(needs_ocr_pages=list(doc.needs_ocr_pages), needs_ocr_pictures=doc.needs_ocr_pictures)
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
