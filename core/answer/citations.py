"""Map the ``[n]`` markers in an answer back to file, page and passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.answer.prompt import NumberedSource

_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")


@dataclass(frozen=True)
class Citation:
    n: int
    path: str
    page: int | None
    heading: str
    start: int  # offsets of the passage in its page (or file), for highlighting
    end: int
    snippet: str
    score: float


def cited_numbers(answer: str) -> list[int]:
    """Source numbers in order of first mention; "[1, 3]" and "[2][4]" both count."""
    seen: list[int] = []
    for match in _MARKER.finditer(answer):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if n not in seen:
                seen.append(n)
    return seen


def resolve(answer: str, sources: list[NumberedSource]) -> tuple[list[Citation], list[int]]:
    """Citations for the numbers that name a real source, and the numbers that do not."""
    by_number = {s.n: s for s in sources}
    citations, unknown = [], []
    for n in cited_numbers(answer):
        source = by_number.get(n)
        if source is None:
            unknown.append(n)
            continue
        hit = source.hit
        citations.append(Citation(n, hit.path, hit.page, hit.heading, hit.start, hit.end,
                                  " ".join(hit.text.split())[:300], hit.score))
    return citations, unknown
