"""Text in the pictures inside office documents (DOCX, ODT, PPTX, ODP), read by OCR.

Each reader finds its pictures and the place they are read at (docx_text.py, odt_text.py: after
the paragraph or table holding them, under the same heading; pptx_text.py, odp_text.py: after the
slide's text frames, before its notes) and asks a PictureReader for their text. That text comes as
a block of its own whose first line is "Text in picture:", the way "Speaker notes:" starts a
slide's notes, so whoever reads the passage (a citation, the preview) knows it was read off a
picture; the file's status says how many pictures OCR read (core/reasons.py), as for scanned pages.

Passed over without a word:
* pictures Pillow does not decode as pixels: vector pictures (EMF, WMF, SVG: Pillow reads WMF
  only on Windows), linked pictures (not in the file), anything unknown;
* pictures too small to hold a line of text: under MIN_SIDE_PX on a side (rules, dividers, a
  bullet), at most ICON_PX on both sides (icons come at 16–64 px, and text as small as that
  reads as a word or two at best), or shown under MIN_SHOWN_CM on both sides in the document
  (an icon or a badge as the reader sees it, however many pixels it has);
* a picture used again (a logo pasted on every slide) after its first place: the same words on
  every slide would crowd search results with copies. A deck read in windows of slides marks the
  pictures of the slides before its window as seen, so every window agrees with a whole reading.
A picture is scaled to the OCR pixel budget like a photo (ocr/pixels.py) and read through the
OCR cache, keyed by the picture's bytes (``cache_key``) rather than its pixels: reading the file
again, and the preview (OcrOptions.cached_only), find what was read without decoding the picture.

Time: a picture costs a second or more of OCR. With ``time_budget_s`` (the task's share of the
parser's timeout, slices.py) a text document's pictures are read until it is spent, and the rest
are left unread and counted (needs OCR: a Retry reads on, what was read coming from the cache); a
deck stops between slides instead (``spent``) and goes on in the next task like a PDF's pages, a
slide's pictures being left only past ``grace`` times the budget. At least one picture is read per
task, so every task makes progress.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import zipfile
from collections.abc import Callable

from PIL import Image, UnidentifiedImageError

from .ocr.options import OcrOptions
from .ocr.pixels import MAX_IMAGE_PIXELS, MAX_PIXELS, frame_pixels
from .ocr_pages import OCR_FOUND_NOTHING, OcrPages

log = logging.getLogger(__name__)

PICTURE_LABEL = "Text in picture:"
RASTER_FORMATS = ("PNG", "JPEG", "MPO", "GIF", "BMP", "TIFF", "WEBP")  # MPO: some cameras' JPEGs
MIN_SIDE_PX = 20
ICON_PX = 64
MIN_SHOWN_CM = 1.0
EMU_PER_CM = 360_000  # OOXML lengths are in English Metric Units
SLIDE_GRACE = 1.5  # a deck's slide leaves its last pictures only past this share of the budget
_DATA_ERRORS = (KeyError, OSError, ValueError, EOFError, zipfile.BadZipFile)
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)


class _Undecodable(Exception):
    pass


def cache_key(picture: bytes) -> str:
    """What the OCR cache knows a picture by: its bytes, and the pixel budget it is read within."""
    return f"picture {MAX_PIXELS} {hashlib.blake2b(picture, digest_size=16).hexdigest()}"


def emu_to_cm(width: int | None, height: int | None) -> tuple[float, float] | None:
    """A picture's shown size from OOXML's extents (None when not given)."""
    if not width or not height:
        return None
    return width / EMU_PER_CM, height / EMU_PER_CM


class PictureReader:
    """Reads the pictures of one document (or one window of a deck's slides) and keeps count."""

    def __init__(self, ocr: OcrOptions | None, time_budget_s: float | None = None, path: str = "",
                 grace: float = 1.0):
        self._pages = OcrPages(ocr)  # numbered by picture: which were read, empty, failed, not read
        self._ocr = ocr
        self._budget = time_budget_s
        self._grace = grace
        self._started = time.monotonic()
        self._path = path
        self._seen: set[str] = set()
        self._count = 0  # pictures that may hold text, in the order met
        self._tried = 0  # of them, given to OCR in this task
        self._late = 0  # left unread: the task's time ran out
        self._unreadable = 0  # damaged, or too large to decode

    def spent(self, share: float = 1.0) -> bool:
        """The task's time budget (times ``share``) is spent."""
        return self._budget is not None and time.monotonic() - self._started > self._budget * share

    def mark_seen(self, key: str) -> None:
        """A picture met before the part being read (a deck's earlier slides): not read again."""
        self._seen.add(key)

    def text(self, key: str, data: Callable[[], bytes], shown_cm: tuple[float, float] | None = None) -> str:
        """The picture's text as a block headed PICTURE_LABEL, or "" (nothing legible, passed
        over, or not read). ``key`` names the picture in its file (a part's name): a picture met
        again gives nothing; ``data`` gives its bytes; ``shown_cm`` its size in the document."""
        if key in self._seen:
            return ""
        self._seen.add(key)
        if shown_cm is not None and max(shown_cm) < MIN_SHOWN_CM:
            return ""
        try:
            blob = data()
            image = Image.open(io.BytesIO(blob), formats=RASTER_FORMATS)
        except UnidentifiedImageError:
            return ""  # EMF, WMF, SVG …: no pixels for OCR
        except (*_DATA_ERRORS, SyntaxError) as exc:
            log.info("%s: picture %s unreadable: %s", self._path, key, exc)
            return ""
        with image:
            width, height = image.size
            if min(width, height) < MIN_SIDE_PX or max(width, height) <= ICON_PX:
                return ""
            self._count += 1
            if width * height > MAX_IMAGE_PIXELS:
                log.warning("%s: picture %s too large to read (%d×%d)", self._path, key, width, height)
                self._unreadable += 1
                return ""
            text = self._read(image, blob, key)
        return f"{PICTURE_LABEL}\n{text}" if text else ""

    def _read(self, image: Image.Image, blob: bytes, name: str) -> str:
        number = self._count
        if self._ocr is None or self._pages.unavailable:  # counted as not read, and why
            return self._pages.read(number, lambda: None, self._path)
        if self._tried and self.spent(self._grace):
            self._late += 1
            return ""
        self._tried += 1
        try:
            return self._pages.read(number, lambda: _decoded(image), self._path, key=cache_key(blob))
        except _Undecodable as exc:
            log.warning("%s: picture %s cannot be decoded: %s", self._path, name, exc)
            self._unreadable += 1
            return ""

    def fields(self) -> dict:
        """What the document says about its pictures: ParsedDocument's ocr_pictures,
        needs_ocr_pictures and warnings. Pictures OCR found nothing on (most photos) go unsaid."""
        warnings = [w for w in self._pages.warnings(_pictures) if not w.startswith(OCR_FOUND_NOTHING)]
        if self._late:
            warnings.append(f"time ran out before {_pictures(self._late)} could be read (Retry reads on)")
        if self._unreadable:
            warnings.append(f"{_pictures(self._unreadable)} could not be decoded")
        return {"ocr_pictures": len(self._pages.done), "needs_ocr_pictures": len(self._pages.needed) + self._late,
                "warnings": tuple(warnings)}


def _decoded(image: Image.Image):
    try:
        return frame_pixels(image)
    except _DECODE_ERRORS as exc:  # a damaged picture: not a failure of OCR, reading again will not help
        raise _Undecodable(str(exc)) from exc


def _pictures(numbers: list[int] | int) -> str:
    n = numbers if isinstance(numbers, int) else len(numbers)
    return f"{n} picture" + ("" if n == 1 else "s")
