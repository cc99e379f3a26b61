"""Map the ``[n]`` markers in an answer back to file, page and passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.answer.prompt import NumberedSource

_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")


@dataclass(frozen=True)
class EvidenceSpan:
    """A sentence of a cited passage that the answer rests on, quoted word for word."""

    start: int  # offsets in the page (or file), like Citation.start, for highlighting exactly it
    end: int
    text: str


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
    inferred: bool = False  # the model wrote no marker; matched by wording (see ``infer``)
    # Added later; answers stored before have none of these (stored citations are plain dicts).
    sentences: tuple[EvidenceSpan, ...] = ()  # see core/answer/support.py
    similarity: float | None = None  # cosine similarity of the passage to the question
    text_rank: int | None = None  # rank in the full-text search, None when it did not find it
    also_in: tuple[tuple[str, int | None], ...] = ()  # the same text in other files (core/twins.py)
    kind: str = ""  # the document's kind: what its ``page`` counts (core/locator.py)


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
        citations.append(citation_of(source))
    return citations, unknown


_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MIN_CONTAINMENT = 0.6  # share of a sentence's words (3+ letters) that must appear in the source


def infer(answer: str, sources: list[NumberedSource]) -> list[Citation]:
    """Small models often answer correctly without writing [n]. Attribute each answer sentence to
    the source that contains most of its words, when one contains most of them."""
    vocab = {s.n: {w.lower() for w in _WORD.findall(s.hit.text)} for s in sources}
    chosen: list[int] = []
    for sentence in _SENTENCE.split(answer):
        words = {w.lower() for w in _WORD.findall(sentence) if len(w) >= 3}
        if len(words) < 3:
            continue
        best_n, best = None, 0.0
        for n, known in vocab.items():
            share = len(words & known) / len(words)
            if share > best:
                best_n, best = n, share
        if best_n is not None and best >= MIN_CONTAINMENT and best_n not in chosen:
            chosen.append(best_n)
    by_number = {s.n: s for s in sources}
    return [citation_of(by_number[n], inferred=True) for n in chosen]


def citation_of(source: NumberedSource, inferred: bool = False,
              sentences: tuple[EvidenceSpan, ...] = ()) -> Citation:
    hit = source.hit
    return Citation(source.n, hit.path, hit.page, hit.heading, hit.start, hit.end,
                    " ".join(hit.text.split())[:300], hit.score, inferred, sentences, hit.similarity, hit.text_rank,
                    tuple(getattr(hit, "also_in", ())), hit.kind or "")
