"""Which sentences of its sources an answer rests on, and whether its claims are there.

A citation "[2]" names a whole passage; a person checks a sentence. So for each citation the
sentences whose values or words the answer uses are picked out, with offsets for highlighting.
When the model wrote no markers, each answer sentence is matched to the best source sentence
instead ("matched by wording"). Every claim (core/answer/check.py) is looked for in the cited
sentences first, then in the other passages the model was given: found there, that source is
cited as matched by wording; found nowhere, the claim is flagged.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace

from core.answer.check import STOPWORDS, CheckResult, Claim, Evidence, extract_claims
from core.answer.citations import Citation, EvidenceSpan, cited_numbers, citation_of
from core.answer.prompt import NumberedSource
from core.answer.sentences import Span, split_sentences
from core.locator import place_long

MIN_SENTENCE_SHARE = 0.5  # share of an answer sentence's content words a source sentence must hold
MAX_SENTENCES = 4  # per citation: beyond that the evidence stops being a quote and becomes the passage
_WORD = re.compile(r"[^\W_]+")
_LEADING_MARKERS = re.compile(r"(?:[\s.,;:!?()]*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\])*[\s.,;:!?()]*")


@dataclass(frozen=True)
class AnswerPart:
    """A sentence of the answer and the source numbers it cites."""

    start: int
    end: int
    cited: tuple[int, ...]


class SourceSentences:
    """A numbered source split into sentences, each ready for comparison."""

    def __init__(self, source: NumberedSource):
        hit = source.hit
        self.source = source
        self.spans: list[Span] = split_sentences(hit.text, hit.kind)
        self.evidence = [Evidence(span.of(hit.text)) for span in self.spans]
        self.words = [content_words(span.of(hit.text)) for span in self.spans]
        # The file name, heading and page count as stated too: "page 2 of the handbook".
        self.whole = Evidence(hit.text, hit.heading, os.path.basename(hit.path), place_long(hit.kind, hit.page))

    def first_supporting(self, claim: Claim) -> int | None:
        return next((i for i, e in enumerate(self.evidence) if e.supports(claim)), None)

    def best_by_wording(self, words: set[str]) -> tuple[int | None, float]:
        best, share = None, 0.0
        for i, known in enumerate(self.words):
            if words:
                s = len(words & known) / len(words)
                if s > share:
                    best, share = i, s
        return best, share

    def span(self, i: int) -> EvidenceSpan:
        hit, span = self.source.hit, self.spans[i]
        return EvidenceSpan(hit.start + span.start, hit.start + span.end, span.of(hit.text))


def content_words(text: str) -> set[str]:
    """Words that carry meaning, lower-cased, a plural "s" dropped: "Widgets" and "widget" agree."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if len(word) >= 3 and word not in STOPWORDS and not word.isdigit():
            words.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return words


def answer_parts(answer: str) -> list[AnswerPart]:
    """The answer's sentences with their markers; a marker that opens a sentence ("… delivery. [1]
    Next …") belongs to the sentence before it."""
    parts: list[AnswerPart] = []
    for span in split_sentences(answer):
        start = span.start
        leading = _LEADING_MARKERS.match(answer, start, span.end)
        if parts and "[" in leading.group():
            last = parts[-1]
            moved = [n for n in cited_numbers(leading.group()) if n not in last.cited]
            parts[-1] = AnswerPart(last.start, leading.end(), last.cited + tuple(moved))
            start = leading.end()
        if answer[start:span.end].strip():
            parts.append(AnswerPart(start, span.end, tuple(cited_numbers(answer[start:span.end]))))
    return parts


def ground(answer: str, sources: list[NumberedSource], citations: list[Citation],
           given: str = "") -> tuple[list[Citation], CheckResult]:
    """``citations`` (the ones the model wrote, or none) with the sentences they rest on, plus any
    source the answer used without citing it; and the check of the answer's claims. ``given`` is
    what the question and the conversation already said: it is not checked."""
    split = {s.n: SourceSentences(s) for s in sources}
    parts = answer_parts(answer)
    chosen: dict[int, list[int]] = {c.n: [] for c in citations}
    inferred: set[int] = set()
    if not citations:
        inferred = set(_match_by_wording(answer, parts, split, chosen))
    claims = extract_claims(answer, given)
    flagged = [c for c in claims if not _support(c, _part_of(parts, c.start), split, chosen, inferred)]
    for n, picked in chosen.items():
        if not picked and n in split:
            _pick_by_wording(answer, parts, n, split[n], picked)
    result = []
    for citation in citations:
        result.append(replace(citation, sentences=_spans(split.get(citation.n), chosen[citation.n])))
    for n in chosen:
        if n in inferred:
            result.append(citation_of(split[n].source, inferred=True, sentences=_spans(split[n], chosen[n])))
    return result, CheckResult(len(claims), len(claims) - len(flagged), tuple(flagged))


def _match_by_wording(answer: str, parts: list[AnswerPart], split: dict[int, SourceSentences],
                      chosen: dict[int, list[int]]) -> list[int]:
    """No markers: each answer sentence goes to the source sentence holding most of its words."""
    matched: list[int] = []
    for part in parts:
        words = content_words(answer[part.start:part.end])
        if len(words) < 2:
            continue
        best_n, best_i, best = None, None, 0.0
        for n, sentences in split.items():
            i, share = sentences.best_by_wording(words)
            if share > best:
                best_n, best_i, best = n, i, share
        if best_n is not None and best >= MIN_SENTENCE_SHARE:
            _choose(chosen, best_n, best_i)
            if best_n not in matched:
                matched.append(best_n)
    return matched


def _support(claim: Claim, part: AnswerPart | None, split: dict[int, SourceSentences],
             chosen: dict[int, list[int]], inferred: set[int]) -> bool:
    """Find the claim in the sentences the answer cites for it, then in other cited sources, then in
    the rest; record where. False when it is in none of them."""
    cited = list(chosen)
    first = [n for n in (part.cited if part else ()) if n in chosen]
    order = first + [n for n in cited if n not in first] + [n for n in split if n not in cited]
    for whole_passage in (False, True):
        for n in order:
            sentences = split.get(n)
            if sentences is None:
                continue
            i = sentences.first_supporting(claim)
            if i is None and not (whole_passage and sentences.whole.supports(claim)):
                continue
            if n not in chosen:
                inferred.add(n)
            _choose(chosen, n, i)
            return True
    return False


def _pick_by_wording(answer: str, parts: list[AnswerPart], n: int, sentences: SourceSentences,
                     picked: list[int]) -> None:
    """A cited source none of whose sentences holds a claim: quote the one closest in wording to
    the answer sentences that cite it (or to the whole answer)."""
    citing = [p for p in parts if n in p.cited] or parts
    for part in citing:
        i, share = sentences.best_by_wording(content_words(answer[part.start:part.end]))
        if i is not None and i not in picked:
            picked.append(i)


def _choose(chosen: dict[int, list[int]], n: int, i: int | None) -> None:
    picked = chosen.setdefault(n, [])
    if i is not None and i not in picked:
        picked.append(i)


def _part_of(parts: list[AnswerPart], offset: int) -> AnswerPart | None:
    return next((p for p in parts if p.start <= offset < p.end), None)


def _spans(sentences: SourceSentences | None, picked: list[int]) -> tuple[EvidenceSpan, ...]:
    if sentences is None:
        return ()
    return tuple(sentences.span(i) for i in sorted(picked[:MAX_SENTENCES]))
