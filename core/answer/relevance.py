"""Strict mode's judgement: did retrieval find anything worth answering from?

Meaning is the main evidence, judged sentence by sentence: the sentence that answers a question
scores 0.50–0.86 (cosine, MiniLM) on bench/qa_library.py, while an off-topic question's best sentence
reaches 0.19–0.27. Whole passages separate worse (answering 0.17–0.55, off-topic up to 0.26: a fact
buried in a passage about something else), so they decide only when no sentence was scored.
Exact words are the
other: a question that names an identifier ("INV-2024-0042", "F-12") or quotes a term is about
that thing, and a passage holding it verbatim is relevant however low its cosine (a code in a long
table, a name buried in an unrelated paragraph). Plain shared words are not enough: one common word
("population", "command") carried off-topic questions through when any full-text match counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.search import Hit

MIN_SENTENCE_SIMILARITY = 0.40  # between off-topic's best (0.27) and answering sentences' worst (0.50)
MIN_SIMILARITY = 0.25
# A full-text match lowers the bar a little, not to 0.15: on bench/answer_quality.py one shared
# word carried off-topic questions at 0.15–0.19, while answerable ones' best passages scored 0.20+.
MIN_SIMILARITY_WITH_TEXT_MATCH = 0.20

# Mixes letters and digits (INV-2024-0042, F-12, KB4471, P-17) or is an all-capitals code with a
# separator (ACME-EU): identifiers, not words.
_IDENTIFIER = re.compile(r"(?<![\w-])(?=[\w./-]*\d)(?=[\w./-]*[A-Za-z])[A-Za-z0-9][\w./-]*[A-Za-z0-9](?![\w-])"
                         r"|(?<![\w-])[A-Z]{2,}(?:[-_/][A-Z0-9]+)+(?![\w-])")
_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»]{3,60})[\"“”„«»]")
_UNITS = re.compile(r"^\d+(?:[.,]\d+)?(?:st|nd|rd|th|s|m|h|kg|km|mm|cm|g|ml|l|mb|gb|kb|pm|am|x)?$"
                    r"|^\d+(?:-[a-z]+)+$", re.I)


@dataclass(frozen=True)
class Verdict:
    relevant: bool
    reason: str  # which rule let the question through, or why nothing did (shown in the trace)


def exact_terms(question: str) -> list[str]:
    """Identifiers and quoted terms the question names, which a relevant passage must hold verbatim.
    Plain numbers and measures ("2023", "30 days", "5th") are not identifiers."""
    terms = [m.group(0) for m in _IDENTIFIER.finditer(question)
             if not _UNITS.match(m.group(0)) or m.group(0).isupper()]
    terms += [m.group(1).strip() for m in _QUOTED.finditer(question)]
    return [t for t in terms if t]


def judge(question: str, hits: list[Hit], sentences=()) -> Verdict:
    """``sentences``: the evidence card's scored sentences (core/answer/evidence.py), if any."""
    terms = exact_terms(question)
    if terms and not any(_holds(hit.text, t) for hit in hits for t in terms):
        # "What did report QX-9999 say?" beside a report QX-5582: similar in meaning, about another thing.
        return Verdict(False, f"nothing relevant: no passage holds {', '.join(terms)}")
    scored = [s.similarity for s in sentences] + [h.sentence_similarity for h in hits
                                                   if getattr(h, "sentence_similarity", None) is not None]
    if scored:
        best_sentence = max(scored)
        if best_sentence >= MIN_SENTENCE_SIMILARITY:
            return Verdict(True, f"meaning: a sentence's similarity {best_sentence:.2f} ≥ {MIN_SENTENCE_SIMILARITY}")
    else:
        for hit in hits:
            similarity = hit.similarity or 0.0
            if similarity >= MIN_SIMILARITY:
                return Verdict(True, f"meaning: similarity {similarity:.2f} ≥ {MIN_SIMILARITY}")
            if hit.text_rank and similarity >= MIN_SIMILARITY_WITH_TEXT_MATCH:
                return Verdict(True, f"shared words and meaning: similarity {similarity:.2f} ≥ "
                                     f"{MIN_SIMILARITY_WITH_TEXT_MATCH}")
    for hit in hits:
        if not hit.text_rank:
            continue
        held = [t for t in terms if _holds(hit.text, t)]
        if held:
            return Verdict(True, f"exact words: {', '.join(held)} in {hit.path.rsplit('/', 1)[-1]}")
    if scored:
        why = f"nothing relevant: best sentence similarity {max(scored):.2f} < {MIN_SENTENCE_SIMILARITY}"
    else:
        why = f"nothing relevant: best similarity {max((h.similarity or 0.0 for h in hits), default=0.0):.2f} " \
              f"< {MIN_SIMILARITY}"
    return Verdict(False, why)


def _holds(text: str, term: str) -> bool:
    """The term, whole, in the passage: case-insensitive, separators optional ("INV 2024 0042")."""
    pattern = r"[\s./_-]?".join(re.escape(part) for part in re.split(r"[\s./_-]+", term) if part)
    return re.search(rf"(?<![\w]){pattern}(?![\w])", text, re.IGNORECASE) is not None
