"""Sentences of a passage, with their offsets: the unit of evidence, of highlighting and of checking.

Passages come from PDFs, where lines wrap mid-sentence, and from notes, where a line break may end a
list item or a heading (and from spreadsheets, where each line is a row: see LINE_KINDS). So a sentence ends at . ! ? followed by space (not after a common
abbreviation or an initial), at a blank line, or at a line break before a bullet or after a line
that ends without punctuation and is short (a heading or a list item).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Dr. Saelen", "e.g. this", "approx. 5", "No. 7", "J. Smith": a period that does not end a sentence.
_ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "st", "no", "nr", "vs", "etc", "e.g", "i.e", "eg", "ie", "cf",
    "approx", "fig", "figs", "vol", "p", "pp", "ch", "sec", "art", "ltd", "inc", "co", "corp", "jr",
    "sr", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "min",
    "max", "ca", "resp", "incl", "excl", "dept", "est", "al",
}
_END = re.compile(r"[.!?。！？][\"'”’)\]]*(?=\s)|\n[ \t]*\n")
_BULLET = re.compile(r"\n[ \t]*(?:[-*•‣◦▪]|\d{1,3}[.)])[ \t]+")
_SHORT_LINE = 80  # a line this short without end punctuation, followed by a break, stands alone


@dataclass(frozen=True)
class Span:
    start: int  # offsets into the text that was split
    end: int

    def of(self, text: str) -> str:
        return text[self.start:self.end]


# Kinds whose every line is a unit of its own: a spreadsheet row ("Invoice: 2024-117 · Amount: …").
LINE_KINDS = frozenset({"sheet"})


def split_sentences(text: str, kind: str | None = None) -> list[Span]:
    """Non-blank sentences of ``text`` in order, trimmed of surrounding whitespace; for a passage
    of a kind in LINE_KINDS, its lines."""
    if kind in LINE_KINDS:
        return [span for m in re.finditer(r"[^\n]+", text) if (span := _trimmed(text, m.start(), m.end()))]
    cuts = sorted({m.end() for m in _END.finditer(text) if not _after_abbreviation(text, m.start())}
                  | {m.start() for m in _BULLET.finditer(text)}
                  | set(_short_line_ends(text)))
    spans: list[Span] = []
    position = 0
    for cut in [*cuts, len(text)]:
        span = _trimmed(text, position, cut)
        if span is not None:
            spans.append(span)
        position = max(position, cut)
    return spans


def _after_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"([A-Za-z][A-Za-z.]*)$", text[max(0, dot - 12):dot])
    if not word:
        return False
    token = word.group(1).lower()
    return token in _ABBREVIATIONS or len(token) == 1  # an initial: "J. Smith"


def _short_line_ends(text: str):
    """Line breaks that end a heading or list item rather than wrapping a sentence."""
    line_start = 0
    for match in re.finditer(r"\n", text):
        line = text[line_start:match.start()].strip()
        line_start = match.end()
        if line and len(line) <= _SHORT_LINE and not re.search(r"[.!?,;:\-–]$", line) \
                and _next_line_starts_new(text, match.end()):
            yield match.start()


def _next_line_starts_new(text: str, position: int) -> bool:
    rest = text[position:position + 2].lstrip(" \t")
    return bool(rest) and (rest[0].isupper() or rest[0].isdigit() or rest[0] in "-*•#")


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None
