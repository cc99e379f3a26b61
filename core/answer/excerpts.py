"""What the model reads of each passage: its best sentences with their neighbours, not all of it.

Eight whole passages are 1,500–2,000 tokens: on 2 CPU cores a 1.5B model reads ~100 tokens a
second, so the first word of the answer came 15–20 s after the question. The sentences that answer
a question are already scored for the evidence card (core/answer/evidence.py); each passage is cut
down to its best few, widened by one sentence on each side (a fact's subject is often named the
sentence before), in reading order, with "…" where text was left out.
"""

from __future__ import annotations

from typing import Sequence

from core.answer.evidence import EvidenceSentence, with_neighbours
from core.search import Hit

# Best sentences kept per passage, by rank (the last number holds for the ranks after it).
SENTENCES_PER_PASSAGE: tuple[int, ...] = (2,)
GAP = " … "


def excerpts(hits: Sequence[Hit], scored: Sequence[EvidenceSentence],
             per_passage: Sequence[int] | None = None) -> dict[int, str]:
    """Excerpt text by passage rank (1-based, as in ``EvidenceSentence.rank``), for the passages
    that have scored sentences; the others are left to the caller (whole, or out)."""
    per_passage = tuple(per_passage or SENTENCES_PER_PASSAGE)
    by_rank: dict[int, list[EvidenceSentence]] = {}
    for sentence in scored:
        by_rank.setdefault(sentence.rank, []).append(sentence)
    out = {}
    for rank, sentences in by_rank.items():
        hit = hits[rank - 1]
        keep = per_passage[min(rank, len(per_passage)) - 1]
        best = sorted(sentences, key=lambda s: s.score, reverse=True)[:keep]
        spans = sorted((w.start - hit.start, w.end - hit.start)
                       for w in (with_neighbours(s, hits) for s in best))
        out[rank] = _join(hit.text, _merged(spans))
    return out


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _join(text: str, spans: list[tuple[int, int]]) -> str:
    parts = [" ".join(text[a:b].split()) for a, b in spans]
    head = "… " if spans and text[:spans[0][0]].strip() else ""
    tail = " …" if spans and text[spans[-1][1]:].strip() else ""
    return head + GAP.join(parts) + tail
