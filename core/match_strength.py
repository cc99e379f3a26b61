"""How well a passage matched a query, in words a person can read: which search found it and how
strongly, instead of a raw fusion score ("score 0.033" tells a reader nothing).

The meaning score (0-100) rescales the cosine similarity of MiniLM, whose useful range here is
narrow: off-topic passages score 0.0-0.15, passages that answer a question 0.35-0.8 (see
core/answer/pipeline.py). "Exact words" means the full-text search found the passage too.
"""

from __future__ import annotations

from dataclasses import dataclass

UNRELATED_SIMILARITY = 0.10  # meaning 0/100
CLOSE_SIMILARITY = 0.80  # meaning 100/100
STRONG, GOOD, WEAK = 60, 35, 15  # meaning scores; exact words lower each bar by 10
TEXT_ONLY_GOOD_RANK = 3  # found by its words only: among the best few counts as a good match


@dataclass(frozen=True)
class MatchStrength:
    label: str  # "strong match", "good match", "weak match" or "barely related"
    meaning: int | None  # 0-100 from the meaning (vector) search; None when that search missed it
    exact_words: bool  # the full-text search found it too

    def describe(self) -> str:
        """"strong match (meaning 72/100, exact words)"."""
        how = [] if self.meaning is None else [f"meaning {self.meaning}/100"]
        if self.exact_words:
            how.append("exact words" if self.meaning is not None else "exact words only")
        return f"{self.label} ({', '.join(how)})" if how else self.label


def match_strength(similarity: float | None, text_rank: int | None) -> MatchStrength:
    exact = text_rank is not None
    if similarity is None:
        label = "good match" if exact and text_rank <= TEXT_ONLY_GOOD_RANK else "weak match" if exact else "barely related"
        return MatchStrength(label, None, exact)
    span = CLOSE_SIMILARITY - UNRELATED_SIMILARITY
    meaning = round(min(max((similarity - UNRELATED_SIMILARITY) / span, 0.0), 1.0) * 100)
    bonus = 10 if exact else 0
    if meaning + bonus >= STRONG:
        label = "strong match"
    elif meaning + bonus >= GOOD:
        label = "good match"
    elif meaning + bonus >= WEAK:
        label = "weak match"
    else:
        label = "barely related"
    return MatchStrength(label, meaning, exact)


def describe_match(item) -> str:
    """For a search Hit, a Citation, or their stored dict form; "" when nothing says how it matched
    (citations stored before similarities were kept)."""
    get = item.get if isinstance(item, dict) else lambda name: getattr(item, name, None)
    similarity, text_rank = get("similarity"), get("text_rank")
    if similarity is None and text_rank is None:
        return ""
    return match_strength(similarity, text_rank).describe()
