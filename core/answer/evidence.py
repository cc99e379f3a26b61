"""The sentences of the retrieved passages that answer a question, found without any answer model:
the evidence card shown before the model's first token, and the sentence scores that re-ranking
(core/sentence_rank.py) and a prompt built from the best sentences use.

A fact buried in a passage about something else is hard to see at passage level (the passage's
cosine with the question is 0.1–0.3, the sentence's alone 0.5–0.8), so each sentence is scored on
its own: its cosine with the question, plus the share of the question's words, identifiers and
numbers it holds. Embedding is the cost (about 0.15 ms per token on 2 cores), so only the sentences
worth it are embedded, within a character budget: those sharing the question's terms first, then
those of the best passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple, Sequence

from core.answer.query_terms import query_terms
from core.answer.sentences import Span, split_sentences
from core.sentence_vectors import sentence_vectors

if TYPE_CHECKING:
    from core.embedding import Embedder
    from core.search import Hit

# A sentence holding all the question's terms gains 0.3 of cosine. On bench/qa_library.py any weight
# from 0 to 0.8 ranks the same; words matter more where the embedding is weak (codes, names).
LEXICAL_WEIGHT = 0.3
PASSAGES = 8  # the card reads the passages an answer would be written from
# Sentence text embedded per call: 500-700 tokens, ~0.1-0.15 s on 2 idle cores. Measured on
# bench/qa_library.py: 2,000 characters over 24 passages re-rank as well as 4,000 (hit@1 29/30).
EMBED_BUDGET_CHARS = 2000
# After re-ranking (hits carry a sentence_similarity) most of the card's sentences are embedded
# already; what is left (the best passages' sentences that share no word with the question) only
# tops up.
CARD_TOP_UP_CHARS = 500
MAX_SENTENCE_CHARS = 200  # longer "sentences" are tables or code; a fact's subject comes early
# Headings ("Home network") and the tail of a sentence cut by a passage boundary ("per share.") are
# short and topical: they match a question's subject without stating anything about it.
MIN_WORDS = 4
CARD_SIZE = 3


@dataclass(frozen=True)
class EvidenceSentence:
    path: str
    page: int | None
    heading: str
    start: int  # offsets in the page (or file), like Hit.start/end: the preview highlights these
    end: int
    text: str
    score: float  # similarity + LEXICAL_WEIGHT * lexical: what sentences are ranked by
    similarity: float  # cosine of the sentence and the question
    lexical: float  # 0–1: weighted share of the question's terms the sentence holds
    doc_id: str
    rank: int  # 1-based position of its passage in the hits it was scored from
    kind: str = ""  # the document's kind: what ``page`` counts (core/locator.py)


def sentence_scores(question: str, hits: Sequence[Hit], embedder: Embedder, *, passages: int = PASSAGES,
                    budget_chars: int = EMBED_BUDGET_CHARS) -> list[EvidenceSentence]:
    """The scored sentences of the first ``passages`` hits, in passage and reading order. Sentences
    embedded before (re-ranking embeds most of the card's) cost nothing; of the others, only those
    that fit ``budget_chars`` are embedded and scored, the rest are left out."""
    terms = query_terms(question)
    candidates = [_Candidate(rank, hit, span, terms.share(span.of(hit.text)))
                  for rank, hit in enumerate(hits[:passages], 1) for span in candidate_spans(hit.text, hit.kind)
                  if len(span.of(hit.text).split()) >= MIN_WORDS]
    cache = sentence_vectors(embedder)
    chosen = _within_budget(candidates, budget_chars, cache.has)
    if not chosen:
        return []
    question_vector = cache.vectors([question])[0]
    similarities = cache.vectors([c.embedded_text for c in chosen]) @ question_vector
    return [_sentence(c, float(similarity)) for c, similarity in zip(chosen, similarities)]


def best_sentences(scored: Sequence[EvidenceSentence], limit: int = CARD_SIZE) -> list[EvidenceSentence]:
    """The ``limit`` best sentences, each once: a sentence repeated by an overlapping passage, or a
    piece of a sentence already chosen, does not take a second place."""
    chosen: list[EvidenceSentence] = []
    seen_text: set[str] = set()
    for sentence in sorted(scored, key=lambda s: s.score, reverse=True):
        if len(chosen) == limit:
            break
        text = " ".join(sentence.text.split()).lower()
        if text in seen_text or any(_overlap(sentence, c) for c in chosen):
            continue
        seen_text.add(text)
        chosen.append(sentence)
    return chosen


def best_per_passage(scored: Sequence[EvidenceSentence]) -> dict[int, EvidenceSentence]:
    """Each passage's best sentence, by passage rank."""
    best: dict[int, EvidenceSentence] = {}
    for sentence in scored:
        if sentence.rank not in best or sentence.score > best[sentence.rank].score:
            best[sentence.rank] = sentence
    return best


def evidence_card(question: str, hits: Sequence[Hit], embedder: Embedder,
                  limit: int = CARD_SIZE) -> list[EvidenceSentence]:
    """The few sentences that best answer ``question`` among the passages of ``hits``."""
    reranked = any(getattr(h, "sentence_similarity", None) is not None for h in hits)
    budget = CARD_TOP_UP_CHARS if reranked else EMBED_BUDGET_CHARS
    return best_sentences(sentence_scores(question, hits, embedder, budget_chars=budget), limit)


def with_neighbours(sentence: EvidenceSentence, hits: Sequence[Hit], before: int = 1,
                    after: int = 1) -> EvidenceSentence:
    """The sentence widened by its neighbours in its passage (a fact's subject is often named in the
    sentence before it); offsets and text cover the whole run. ``hits`` are those it was scored from."""
    hit = hits[sentence.rank - 1]
    spans = split_sentences(hit.text, hit.kind)
    start, end = sentence.start - hit.start, sentence.end - hit.start
    inside = [i for i, s in enumerate(spans) if s.start < end and start < s.end]
    if not inside:
        return sentence
    first = max(0, inside[0] - before)
    last = min(len(spans) - 1, inside[-1] + after)
    start, end = min(start, spans[first].start), max(end, spans[last].end)
    return replace(sentence, start=hit.start + start, end=hit.start + end, text=hit.text[start:end])


# A line that ends with no punctuation and a next line that opens with a capital: in PDF text this
# is either a wrapped sentence ("at the\nOstrava plant") or a table row, title or footer followed by
# a new sentence. split_sentences keeps long such lines together (wrapping is the likelier reading),
# which buries a fact behind the line before it; so each line run is scored as well.
_LINE_START = re.compile(r"(?<=[^.!?:;,\s])[ \t]*\n[ \t]*(?=[A-ZÀ-ÖØ-Þ0-9\"“(])")


def candidate_spans(text: str, kind: str | None = None) -> list[Span]:
    """The sentences of ``text`` and, for a sentence spanning lines, its line runs (see above)."""
    spans: list[Span] = []
    for sentence in split_sentences(text, kind):
        spans.append(sentence)
        cuts = [m for m in _LINE_START.finditer(text, sentence.start, sentence.end)]
        position = sentence.start
        for cut in cuts:
            spans.append(Span(position, cut.start()))
            position = cut.end()
        if cuts:
            spans.append(Span(position, sentence.end))
    return spans


class _Candidate(NamedTuple):
    rank: int
    hit: Hit
    span: Span
    lexical: float

    @property
    def embedded_text(self) -> str:
        return " ".join(self.span.of(self.hit.text).split())[:MAX_SENTENCE_CHARS]


def _within_budget(candidates: list[_Candidate], budget_chars: int, cached) -> list[_Candidate]:
    """Those already embedded, then those that share the question's terms (most of them first), then
    the rest in passage order, while the text to embed fits the budget. In reading order."""
    order = sorted(range(len(candidates)), key=lambda i: (-candidates[i].lexical, candidates[i].rank, i))
    chosen, used = [], 0
    for i in order:
        text = candidates[i].embedded_text
        if not cached(text):
            if used + len(text) > budget_chars:
                continue
            used += len(text)
        chosen.append(i)
    return [candidates[i] for i in sorted(chosen)]


def _sentence(candidate: _Candidate, similarity: float) -> EvidenceSentence:
    hit, span = candidate.hit, candidate.span
    return EvidenceSentence(hit.path, hit.page, hit.heading, hit.start + span.start, hit.start + span.end,
                            span.of(hit.text), similarity + LEXICAL_WEIGHT * candidate.lexical, similarity,
                            candidate.lexical, hit.doc_id, candidate.rank, hit.kind or "")


def _overlap(a: EvidenceSentence, b: EvidenceSentence) -> bool:
    return (a.path, a.page) == (b.path, b.page) and a.start < b.end and b.start < a.end
