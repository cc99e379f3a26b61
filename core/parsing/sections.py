"""Cut located Sections out of a text without ever losing the offset invariant
``section.text == unit_text[section.start : section.start + len(section.text)]``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .model import Section

# Sections are cut further by the chunker; this bound only keeps one section of a huge file
# (a 200 MB log, a one-heading 20 MB HTML page) from travelling as a single string.
MAX_SECTION_CHARS = 32_000

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _bounded(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Split [start, end) into pieces of at most ``limit`` chars at paragraph, then line breaks."""
    while end - start > limit:
        window_end = start + limit
        cut = -1
        for m in _PARAGRAPH_BREAK.finditer(text, start + limit // 4, window_end):
            cut = m.end()
        if cut < 0:
            cut = text.rfind("\n", start + limit // 4, window_end) + 1 or -1
        if cut <= start:
            cut = window_end  # one enormous line: a hard cut is the only option
        yield start, cut
        start = cut
    yield start, end


def cut_sections(
    text: str,
    spans: Iterable[tuple[int, int, tuple[str, ...]]],
    page: int | None = None,
    limit: int = MAX_SECTION_CHARS,
) -> list[Section]:
    """Sections for each (start, end, heading) span: whitespace trimmed, empty ones dropped."""
    out: list[Section] = []
    for span_start, span_end, heading in spans:
        for start, end in _bounded(text, span_start, span_end, limit):
            start, end = _strip(text, start, end)
            if end > start:
                out.append(Section(text=text[start:end], start=start, page=page, heading=heading))
    return out


def line_starts(text: str) -> list[int]:
    """Offset of each line start, splitting on \\r\\n, \\r and \\n (as markdown-it does)."""
    return [0] + [m.end() for m in re.finditer(r"\r\n?|\n", text)]


def heading_spans(
    heads: Iterable[tuple[int, int, str]], body_start: int, end: int
) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, heading path) spans from (offset, level, title) headings in document order."""
    spans = []
    path: list[tuple[int, str]] = []
    prev_start, prev_path = body_start, ()
    for offset, level, title in heads:
        spans.append((prev_start, offset, prev_path))
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, title))
        prev_start, prev_path = offset, tuple(t for _, t in path)
    spans.append((prev_start, end, prev_path))
    return spans
