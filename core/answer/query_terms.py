"""How much of a question's wording a sentence holds: its words, and above all its identifiers and
numbers ("P-17", "HX-77812", "2023"), which name one thing where a word names many.

This is the cheap half of sentence scoring (core/answer/evidence.py): no model, microseconds per
sentence, so it can look at every sentence of every candidate and pick the few worth embedding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.answer.check import STOPWORDS

EXACT_WEIGHT = 2.0  # an identifier or number the question names counts as two words
STEM_LENGTH = 6  # "operating"/"operation", "protocols"/"protocol": the same stem
_TOKEN = re.compile(r"[^\W_]+(?:[-./][^\W_]+)*")


@dataclass(frozen=True)
class QueryTerms:
    words: frozenset[str]  # stems of the question's content words
    exact: frozenset[str]  # its identifiers and numbers, lower-cased, separators dropped

    @property
    def weight(self) -> float:
        return len(self.words) + EXACT_WEIGHT * len(self.exact)

    def share(self, sentence: str) -> float:
        """0–1: the weighted share of the question's terms that ``sentence`` holds."""
        if not self.weight:
            return 0.0
        words, exact = _terms(sentence)
        found = len(self.words & words) + EXACT_WEIGHT * len(self.exact & exact)
        return found / self.weight


def query_terms(question: str) -> QueryTerms:
    words, exact = _terms(question)
    return QueryTerms(frozenset(words), frozenset(exact))


def _terms(text: str) -> tuple[set[str], set[str]]:
    words: set[str] = set()
    exact: set[str] = set()
    for token in _TOKEN.findall(text.lower()):
        if any(c.isdigit() for c in token):
            exact.add(re.sub(r"[-./]", "", token))
            continue
        for word in re.split(r"[-./]", token):
            if len(word) >= 3 and word not in STOPWORDS:
                words.add(_stem(word))
    return words, exact


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("s"):
        word = word[:-1]
    return word[:STEM_LENGTH]
