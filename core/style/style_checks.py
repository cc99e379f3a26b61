"""Style checks the user can define: what an answer in the house style looks like.

Kept as JSON in the styles folder (``styles/checks.json``), editable by hand or by the window:

    {"summary_first": true,          starts with a one-line summary, then more
     "bullets": null,                true: uses bullet points; false: uses none; null: not checked
     "min_words": 8, "max_words": 90,
     "required": ["Short answer:"],  phrases every answer holds (case does not matter)
     "forbidden": ["As an AI"],      phrases no answer holds
     "min_similarity": 0.41}         cosine to the nearest of the user's own answers (null: not checked)

When the user has defined none, they are derived from the training examples (``derive``): what at
least four in five of the user's answers do. The similarity floor is the one most of the user's
own answers clear when each is compared with the others (leave one out), so it is measured on the
examples trained on, never on the held-out ones a comparison reports.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Sequence

import numpy as np

from core.answer.pipeline import declines
from core.answer.sentences import split_sentences
from core.style.errors import StyleError
from core.style.manifest import write_json_atomically

CHECKS_FILE = "checks.json"
MOST = 0.8  # "what the user's answers do": at least four in five of them (at most one in five: do not)
SUMMARY_MAX_WORDS = 30  # a one-line summary is a line, not a paragraph
NEAREST = 3  # similarity: the mean cosine to this many of the closest training answers
SIMILARITY_QUANTILE = 0.1  # the floor nine in ten of the user's own answers clear (leave one out)
MAX_FORBIDDEN = 5

_MARKERS = re.compile(r"\s*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\]")
_BULLET = re.compile(r"^\s*(?:[-*•‣◦]|\d{1,2}[.)])\s+\S", re.MULTILINE)
_HEADING = re.compile(r"^\s*#{1,6}\s+(\S.*?)\s*#*\s*$", re.MULTILINE)
_LABEL = re.compile(r"^\s*(?:[*_>]+\s*)?([A-Z][\w'’-]*(?: [\w'’-]+){0,3}:)", re.MULTILINE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\n\"“”]+")


@dataclass(frozen=True)
class Outcome:
    name: str  # "summary line", "bullets", "length", "required", "forbidden", "similarity"
    passed: bool
    detail: str  # what was found, for the user: "34 words (8–90)", "missing: 'Details:'"


@dataclass(frozen=True)
class StyleChecks:
    summary_first: bool = False
    bullets: bool | None = None
    min_words: int | None = None
    max_words: int | None = None
    required: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    min_similarity: float | None = None
    derived: bool = False  # made from the examples rather than written by the user

    def to_json(self) -> dict:
        return {**asdict(self), "required": list(self.required), "forbidden": list(self.forbidden)}

    @classmethod
    def from_json(cls, data: object, where: str = "the style checks") -> "StyleChecks":
        if not isinstance(data, dict):
            raise StyleError(f"{where} must be a JSON object (see `archivist-cli style compare --help`)")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise StyleError(f"{where}: unknown check {', '.join(sorted(unknown))}; the checks are summary_first, "
                             "bullets, min_words, max_words, required, forbidden, min_similarity")

        def typed(key, kinds, what):
            value = data.get(key, getattr(cls, key))
            if value is not None and (not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds):
                raise StyleError(f"{where}: '{key}' must be {what}, not {value!r}")
            return value

        def phrases(key):
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
                raise StyleError(f"{where}: '{key}' must be a list of phrases")
            return tuple(p.strip() for p in value)

        checks = cls(summary_first=bool(typed("summary_first", (bool,), "true or false")),
                     bullets=typed("bullets", (bool,), "true, false or null"),
                     min_words=typed("min_words", (int,), "a number of words or null"),
                     max_words=typed("max_words", (int,), "a number of words or null"),
                     required=phrases("required"), forbidden=phrases("forbidden"),
                     min_similarity=typed("min_similarity", (int, float), "a number from -1 to 1 or null"),
                     derived=bool(typed("derived", (bool,), "true or false")))
        if checks.min_words is not None and checks.max_words is not None and checks.min_words > checks.max_words:
            raise StyleError(f"{where}: min_words ({checks.min_words}) is more than max_words ({checks.max_words})")
        if checks.min_similarity is not None and not -1 <= checks.min_similarity <= 1:
            raise StyleError(f"{where}: min_similarity must be from -1 to 1, not {checks.min_similarity}")
        return checks

    def check(self, answer: str, similarity: float | None = None) -> list[Outcome]:
        """Each defined check on ``answer`` (citation markers do not count as words or phrases)."""
        bare = _MARKERS.sub("", answer)
        lower = " ".join(bare.split()).casefold()
        outcomes = []
        if self.summary_first:
            first = starts_with_summary(bare)
            outcomes.append(Outcome("summary line", first is not None,
                                    f"starts with {first!r}" if first else "no one-line summary before the rest"))
        if self.bullets is not None:
            has = uses_bullets(bare)
            outcomes.append(Outcome("bullets", has == self.bullets,
                                    "uses bullet points" if has else "no bullet points"))
        if self.min_words is not None or self.max_words is not None:
            n = word_count(bare)
            low, high = self.min_words or 0, self.max_words if self.max_words is not None else math.inf
            outcomes.append(Outcome("length", low <= n <= high,
                                    f"{n} words ({_range(self.min_words, self.max_words)})"))
        if self.required:
            missing = [p for p in self.required if " ".join(p.split()).casefold() not in lower]
            outcomes.append(Outcome("required", not missing, "missing " + ", ".join(map(repr, missing)) if missing
                                    else "has " + ", ".join(map(repr, self.required))))
        if self.forbidden:
            found = [p for p in self.forbidden if " ".join(p.split()).casefold() in lower]
            outcomes.append(Outcome("forbidden", not found, "says " + ", ".join(map(repr, found)) if found
                                    else "none of " + ", ".join(map(repr, self.forbidden))))
        if self.min_similarity is not None and similarity is not None:
            outcomes.append(Outcome("similarity", similarity >= self.min_similarity,
                                    f"{similarity:.2f} to your examples (at least {self.min_similarity:.2f})"))
        return outcomes


def load(styles_root: Path) -> StyleChecks | None:
    """The user's checks, or None when there are none; a file that cannot be used is an error that
    says why (the user wrote it)."""
    path = Path(styles_root) / CHECKS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StyleError(f"{path} cannot be read: {exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StyleError(f"{path} is not valid JSON: {exc}") from exc
    return StyleChecks.from_json(data, where=str(path))


def save(styles_root: Path, checks: StyleChecks) -> Path:
    path = Path(styles_root) / CHECKS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(path, checks.to_json())
    return path


def derive(answers: Sequence[str], originals: Sequence[str] = (), min_similarity: float | None = None) -> StyleChecks:
    """Checks from the user's answers (refusals left out): what at least four in five of them do.
    ``originals``: the model's answers the user corrected; phrases most of them used and none of the
    user's answers do become forbidden. ``min_similarity``: see ``Similarity.floor``."""
    styled = [_MARKERS.sub("", a) for a in answers if a.strip() and not declines(a)]
    if not styled:
        return StyleChecks(derived=True)
    share = (lambda test: sum(1 for a in styled if test(a)) / len(styled))
    bulleted = share(uses_bullets)
    counts = sorted(word_count(a) for a in styled)
    labels = Counter(label for a in styled for label in set(_labels(a)))
    return StyleChecks(
        summary_first=share(lambda a: starts_with_summary(a) is not None) >= MOST,
        bullets=True if bulleted >= MOST else False if bulleted <= 1 - MOST else None,
        min_words=max(1, int(0.5 * _quantile(counts, 0.1))), max_words=math.ceil(1.5 * _quantile(counts, 0.9)),
        required=tuple(sorted(label for label, n in labels.items() if n / len(styled) >= MOST)),
        forbidden=_forbidden(styled, [o for o in originals if o.strip()]),
        min_similarity=None if min_similarity is None else round(min_similarity, 3), derived=True)


class Similarity:
    """How close an answer is to the user's own answers: the mean cosine (the index's embedding
    model) to the ``NEAREST`` closest of them."""

    def __init__(self, embedder, answers: Sequence[str]):
        self.embedder = embedder
        texts = [_MARKERS.sub("", a) for a in answers if a.strip() and not declines(a)]
        self.vectors = _unit(embedder.embed(texts)) if texts else np.zeros((0, 1), dtype=np.float32)

    def score(self, answer: str) -> float | None:
        if not len(self.vectors) or not answer.strip():
            return None
        vector = _unit(self.embedder.embed([_MARKERS.sub("", answer)]))[0]
        return _nearest_mean(self.vectors @ vector)

    def floor(self) -> float | None:
        """The similarity nine in ten of the user's answers reach to the others (None below 3 answers)."""
        if len(self.vectors) < 3:
            return None
        cosines = self.vectors @ self.vectors.T
        own = [_nearest_mean(np.delete(row, i)) for i, row in enumerate(cosines)]
        return _quantile(sorted(own), SIMILARITY_QUANTILE)


def starts_with_summary(text: str) -> str | None:
    """The first line when it is a one-sentence summary (not a bullet or heading) with more after it."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) < 2 or _BULLET.match(lines[0]) or _HEADING.match(lines[0]):
        return None
    first = lines[0]
    if word_count(first) > SUMMARY_MAX_WORDS or len(split_sentences(first)) > 1:
        return None
    return first


def uses_bullets(text: str) -> bool:
    return _BULLET.search(text) is not None


def word_count(text: str) -> int:
    return len(_WORD.findall(_MARKERS.sub("", text)))


def _labels(text: str) -> list[str]:
    """"Short answer:", "Details:" at the start of a line, and Markdown headings: the skeleton of a format."""
    return [m.group(1) for m in _LABEL.finditer(text)] + [m.group(1) for m in _HEADING.finditer(text)]


def _forbidden(answers: list[str], originals: list[str]) -> tuple[str, ...]:
    """Word sequences (2–5 words within a clause, no digits) in at least two and half of the corrected originals and
    in none of the user's answers: what corrections took out ("Based on the information provided")."""
    if len(originals) < 2:
        return ()
    kept = " " + " ".join(" ".join(_WORD.findall(a.casefold())) for a in answers) + " "
    found: Counter = Counter()
    for original in originals:
        phrases = set()
        for clause in _CLAUSE_BREAK.split(original.casefold()):  # a phrase does not run across punctuation
            words = _WORD.findall(clause)
            phrases.update(" ".join(words[i:i + n]) for n in range(2, 6) for i in range(len(words) - n + 1))
        found.update(phrases)
    common = [p for p, n in found.items() if n >= max(2, len(originals) / 2) and not re.search(r"\d", p)
              and f" {p} " not in kept]
    longest_first = sorted(common, key=lambda p: (-len(p.split()), -found[p], p))
    chosen: list[str] = []
    for phrase in longest_first:  # a shorter or shifted piece of a phrase already chosen adds nothing
        if not any(_pairs(phrase) & _pairs(c) for c in chosen):
            chosen.append(phrase)
    return tuple(chosen[:MAX_FORBIDDEN])


def _pairs(phrase: str) -> set[tuple[str, str]]:
    words = phrase.split()
    return set(zip(words, words[1:]))


def _nearest_mean(cosines: np.ndarray) -> float:
    nearest = np.sort(cosines)[::-1][:NEAREST]
    return round(float(nearest.mean()), 4)


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _quantile(ordered: list[float], q: float) -> float:
    """The value at share ``q`` of a sorted list, nearest rank (no interpolation)."""
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low}–{high}"
    return f"at least {low}" if low is not None else f"at most {high}"
