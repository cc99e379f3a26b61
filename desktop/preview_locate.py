"""Find a cited passage again in its file: a span of parsed text, or boxes on a document page.

Runs on worker threads; nothing here touches Qt. The offsets come from the index: for paged
formats they index the page's own ``get_text("text")`` (core/parsing/pdf.py), for the others the
parsed text of the whole file (core/parsing/model.py). A file may have changed since it was
indexed, so the offsets are trusted only while the text there is still the passage.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import pymupdf

from core.parsing import ParsedDocument, parse_file
from core.parsing.files import native_name
from core.parsing.ocr.options import OcrOptions
from core.parsing.pdf import looks_garbled
from core.parsing.pdf import PAGE_TEXT_FLAGS  # the extraction the index used

SNIPPET_CHARS = 300  # core/answer/citations.py cuts a Citation's snippet at this length
SEARCH_WORDS = 6  # words per phrase when falling back to MuPDF's own search
MAX_PAGES_SCANNED = 3000  # bounds the look for a passage that moved to another page
_WORD = re.compile(r"\S+")


def passage_of(citation: dict) -> str:
    """A search Hit carries the whole passage; a Citation only its first ~300 characters."""
    return citation.get("text") or citation.get("snippet") or ""


def highlight_spans(citation: dict) -> list[tuple[int, int, str]]:
    """What to mark, as (start, end, text): the sentences the answer rests on when the citation
    names them (core/answer/support.py), else the whole passage."""
    sentences = [(int(s["start"]), int(s["end"]), s["text"]) for s in citation.get("sentences") or ()]
    return sentences or [(int(citation.get("start") or 0), int(citation.get("end") or 0), passage_of(citation))]


# Passages indexed before ligatures were expanded at extraction still hold them (core/parsing/pdf.py).
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})


def flatten(text: str) -> str:
    return " ".join(text.translate(_LIGATURES).split())


class Flattened:
    """``text`` with whitespace runs collapsed to one space, and a way back to its offsets."""

    def __init__(self, text: str):
        self._flat_starts: list[int] = []
        self._starts: list[int] = []
        self._lengths: list[int] = []
        words, position = [], 0
        for match in _WORD.finditer(text):
            word = match.group()
            self._flat_starts.append(position)
            self._starts.append(match.start())
            self._lengths.append(len(word))
            words.append(word)
            position += len(word) + 1
        self.flat = " ".join(words)

    def original(self, flat_offset: int) -> int:
        i = bisect.bisect_right(self._flat_starts, flat_offset) - 1
        if i < 0:
            return 0
        return self._starts[i] + min(flat_offset - self._flat_starts[i], self._lengths[i])

    def find(self, needle: str, near: int = 0) -> tuple[int, int] | None:
        """Span of ``needle`` (already flattened) in the original text, the occurrence closest
        to offset ``near``."""
        if not needle:
            return None
        best = None
        at = self.flat.find(needle)
        while at >= 0:
            span = (self.original(at), self.original(at + len(needle)))
            if best is None or abs(span[0] - near) < abs(best[0] - near):
                best = span
            at = self.flat.find(needle, at + 1)
        return best


def is_passage(found: str, passage: str) -> bool:
    # A Citation's snippet is flattened and cut short, so compare flattened prefixes.
    return found == passage or flatten(found).startswith(flatten(passage))


def locate_in_text(text: str, start: int, end: int, passage: str) -> tuple[int, int] | None:
    """The passage's span in ``text``: at the given offsets while it is still there, else where
    it moved to; None when it is gone."""
    if 0 <= start < end <= len(text) and (not passage or is_passage(text[start:end], passage)):
        return start, end
    if not passage:
        return None
    span = Flattened(text).find(flatten(passage), near=start)
    if span and len(passage) >= SNIPPET_CHARS:  # the snippet was cut: keep the passage's length
        span = (span[0], max(span[1], min(len(text), span[0] + end - start)))
    return span


# -- parsed text of non-paged formats ----------------------------------------------------------

@dataclass(frozen=True)
class ParsedText:
    """The parsed sections of a file joined for reading, with the map from the index's offsets
    (into the parser's text) to offsets into ``text``."""

    text: str
    kind: str  # as core.parsing names it: "markdown", "html", "code", …
    source_starts: list[int]
    display_starts: list[int]
    lengths: list[int]

    def to_display(self, offset: int) -> int:
        i = bisect.bisect_right(self.source_starts, offset) - 1
        if i < 0:
            return 0
        inside = offset - self.source_starts[i]
        if inside > self.lengths[i] and i + 1 < len(self.source_starts):
            return self.display_starts[i + 1]  # in a gap between sections
        return self.display_starts[i] + min(inside, self.lengths[i])


def join_sections(doc: ParsedDocument) -> ParsedText:
    """Sections in order; the whitespace between them (trimmed by the parser) becomes a line
    break or a blank line, and text outside them (front matter) is left out."""
    pieces, source_starts, display_starts, lengths = [], [], [], []
    position, source_end = 0, None
    for section in sorted(doc.sections, key=lambda s: s.start):
        if source_end is not None:
            gap = section.start - source_end
            separator = "\n\n" if gap >= 2 else "\n" if gap == 1 else ""
            pieces.append(separator)
            position += len(separator)
        pieces.append(section.text)
        source_starts.append(section.start)
        display_starts.append(position)
        lengths.append(len(section.text))
        position += len(section.text)
        source_end = section.start + len(section.text)
    return ParsedText("".join(pieces), doc.kind, source_starts, display_starts, lengths)


def read_parsed_text(path: str, ocr: OcrOptions | None = None) -> ParsedText:
    """The file's text as the indexer parsed it; raises ParseError or OSError."""
    st = os.stat(path)
    return _parsed_text(path, st.st_mtime_ns, st.st_size, ocr)


@functools.lru_cache(maxsize=4)  # keyed by mtime and size: clicking around one file parses once
def _parsed_text(path: str, _mtime_ns: int, _size: int, ocr: OcrOptions | None) -> ParsedText:
    return join_sections(parse_file(path, ocr=as_indexed(ocr)))


def as_indexed(ocr: OcrOptions | None) -> OcrOptions | bool:
    """How the preview parses a file again: the text OCR read in its pictures (a DOCX's, a slide's,
    a mail's attached images) only from the cache the indexer filled, never read anew, so the text
    and the index's offsets into it come out as indexed; OCR off (or no data folder): none."""
    return dataclasses.replace(ocr, cached_only=True) if ocr and ocr.data_dir else False


# -- pages of PDF, EPUB, XPS … -------------------------------------------------------------------

@dataclass
class PageText:
    """A page's text as the index saw it, and each character's box (None for line breaks)."""

    text: str
    boxes: list[tuple[float, float, float, float] | None] | None  # None: no exact mapping
    lines: list[int]

    @classmethod
    def of(cls, page: pymupdf.Page) -> PageText:
        text = page.get_text("text", flags=PAGE_TEXT_FLAGS)
        chars, boxes, lines = [], [], []
        raw = page.get_text("rawdict", flags=PAGE_TEXT_FLAGS)
        line_no = 0
        # The same walk as MuPDF's plain-text output: characters line by line, and a line break
        # after each line that does not already end with one.
        for block in raw["blocks"]:
            for line in block.get("lines", ()):
                line_no += 1
                last = ""
                for span in line["spans"]:
                    for char in span["chars"]:
                        chars.append(char["c"])
                        boxes.append(tuple(char["bbox"]))
                        lines.append(line_no)
                        last = char["c"]
                if last and last != "\n":
                    chars.append("\n")
                    boxes.append(None)
                    lines.append(line_no)
        exact = "".join(chars) == text
        return cls(text, boxes if exact else None, lines if exact else [])

    @property
    def has_text_layer(self) -> bool:
        return bool(self.text.strip()) and not looks_garbled(self.text)

    def rects(self, start: int, end: int) -> list[pymupdf.Rect]:
        """One rectangle per line the span touches, around its visible characters."""
        by_line: dict[int, pymupdf.Rect] = {}
        for i in range(max(start, 0), min(end, len(self.boxes or ()))):
            box = self.boxes[i]
            if box is None or self.text[i].isspace():
                continue
            rect = pymupdf.Rect(box)
            line = self.lines[i]
            by_line[line] = by_line[line] | rect if line in by_line else rect
        return list(by_line.values())


@dataclass
class Located:
    page: int  # 1-based page the passage is on (the cited one unless it moved)
    rects: list[pymupdf.Rect]
    note: str = ""  # shown to the user when the highlight is not the indexed passage


CHANGED = "This passage is no longer in the file; it changed after indexing."
NO_TEXT_LAYER = ("This page has no text layer and OCR could not read it here, so the passage "
                 "cannot be highlighted.")
OcrText = Callable[[pymupdf.Page], "PageText | None"]  # a scanned page's OCR text (preview_ocr.py)


def locate_on_document(doc: pymupdf.Document, page_no: int, start: int, end: int,
                       passage: str, ocr_text: OcrText | None = None) -> Located:
    """Find the passage on its cited page, exactly when possible; else on another page; else
    the pieces of it MuPDF's search still finds on the cited page. A page without a text layer is
    searched in its OCR text (``ocr_text``), whose offsets the index has."""
    page_no = min(max(page_no, 1), doc.page_count)
    page = doc.load_page(page_no - 1)
    page_text = PageText.of(page)
    if not page_text.has_text_layer:
        page_text = ocr_text(page) if ocr_text is not None else None
        if page_text is None:
            return Located(page_no, [], NO_TEXT_LAYER)
        span = locate_in_text(page_text.text, start, end, passage)
        return Located(page_no, page_text.rects(*span)) if span else Located(page_no, [], CHANGED)
    span = locate_in_text(page_text.text, start, end, passage)
    if span and page_text.boxes is not None:
        return Located(page_no, page_text.rects(*span))
    if span:  # found, but the characters cannot be mapped to boxes one to one
        return Located(page_no, search_phrases(page, passage))
    moved = _find_on_other_pages(doc, page_no, passage)
    if moved is not None:
        return Located(moved.page, moved.rects,
                       f"This passage is now on page {moved.page}; the file changed after indexing.")
    pieces = search_phrases(page, passage)
    if pieces:
        return Located(page_no, pieces, "The passage changed after indexing; what is left of it "
                                        "is highlighted.")
    return Located(page_no, [], CHANGED)


def locate_spans_on_document(doc: pymupdf.Document, page_no: int, spans: list[tuple[int, int, str]],
                             ocr_text: OcrText | None = None) -> Located:
    """Several spans of one page (the sentences an answer rests on), marked together; they are
    looked for on the page where the first one is."""
    first = locate_on_document(doc, page_no, *spans[0], ocr_text=ocr_text)
    rects = list(first.rects)
    for start, end, text in spans[1:]:
        more = locate_on_document(doc, first.page, start, end, text, ocr_text=ocr_text)
        if more.page == first.page:
            rects += [r for r in more.rects if r not in rects]
    return Located(first.page, rects, first.note)


def _find_on_other_pages(doc: pymupdf.Document, cited: int, passage: str) -> Located | None:
    needle = flatten(passage)
    if not needle:
        return None
    for pno in range(1, min(doc.page_count, MAX_PAGES_SCANNED) + 1):
        if pno == cited:
            continue
        page = doc.load_page(pno - 1)
        if needle not in flatten(page.get_text("text", flags=PAGE_TEXT_FLAGS)):
            continue
        page_text = PageText.of(page)
        span = Flattened(page_text.text).find(needle)
        if span and page_text.boxes is not None:
            return Located(pno, page_text.rects(*span))
        return Located(pno, search_phrases(page, passage))
    return None


def search_phrases(page: pymupdf.Page, passage: str) -> list[pymupdf.Rect]:
    """MuPDF's search for runs of a few words: tolerant of hyphenation and spacing, at the cost
    of also marking a phrase that happens to occur twice."""
    words = passage.split()
    phrases = [" ".join(words[i:i + SEARCH_WORDS]) for i in range(0, len(words), SEARCH_WORDS)]
    if len(phrases) > 1 and len(phrases[-1].split()) < 3:  # too short to be telling on its own
        phrases[-2:] = [phrases[-2] + " " + phrases[-1]]
    rects: list[pymupdf.Rect] = []
    for phrase in phrases:
        for rect in page.search_for(phrase):
            if rect not in rects:
                rects.append(rect)
    return rects


def open_paged(path: str, kind: str | None) -> pymupdf.Document:
    """Open like the parser does: PDFs recognised by their header whatever they are called, and
    names MuPDF cannot take (not valid UTF-8) through the open file."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
            kind = "pdf"
        kind = kind or os.path.splitext(path)[1].lstrip(".").lower() or None
        name = native_name(fh, path)
        if name is None:
            fh.seek(0)
            return pymupdf.open(stream=fh.read(), filetype=kind)
        return pymupdf.open(name, filetype=kind) if kind else pymupdf.open(name)
