"""Training examples for the house style, each one a real Archivist turn: the system prompt, the
numbered sources and the question as the app sends them, and the answer in the user's style.

Where they come from (``StyleExample.origin``):
- "approved": an answer the user rated +1 in the feedback log, with the prompt it was written from;
- "corrected": the user's ideal answer instead of the model's (kept as ``original``, with the user's
  ``reason``): a correction is the best example there is;
- "imported": the user's own pairs (core/style/importing.py), given sources from the user's index and
  kept only when those sources hold the answer's facts (core/style/grounding.py);
- "refusal": a real question of the set, sources that do not answer it, and the app's refusal, so that
  the style does not teach answering past the sources;
- "rehearsal": the app's own earlier answer to another of the user's questions, so that the style
  leaves other kinds of question as they were (core/style/rehearsal.py).
``validate`` then drops what cannot be trained on, with messages the user can act on, and ``split``
holds out a part for comparing base and style.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Sequence

from core.answer.check import Evidence, extract_claims
from core.answer.citations import cited_numbers
from core.answer.pipeline import declines
from core.answer.prompt import NOT_FOUND, SYSTEM_PROMPT, NumberedSource, user_turn
from core.answer.support import MIN_SENTENCE_SHARE, answer_parts, content_words, ground
from core.feedback import Feedback, FeedbackLog
from core.llm.base import ChatMessage
from core.search import Hit

ORIGINS = ("approved", "corrected", "imported", "refusal", "rehearsal")
MADE = ("refusal", "rehearsal")  # made by the app, not given by the user: they teach no style
MIN_EXAMPLES = 20  # below this a style is noise: "50–100 good examples show an effect" (OLLAMA_AND_LORA.md §6)
# Share of refusals in the set. Measured only on the QA benches (bench/RESULTS.md, default model and
# prompt): 14 % of all answers on the main set, 20 % on the held-out and fresh sets, but that share is
# set by how many off-topic questions each bench mixes in (10 of 50, 8 of 40, 8 of 44), not by what
# users ask; answerable questions alone were refused 0–11 %. No measurement of real use exists.
# Chosen on development examples (taken out of training, not the held-out ones reported; bench/RESULTS.md
# "House style", 2026-12-03): with 10 % SmolLM2-135M learnt to refuse answerable questions of the
# style's own kind (0 → 9 % there, 0 → 15 % held out); with 5 % it refused none, and followed the style
# as closely (69 % and 73 % adherence).
REFUSAL_RATE = 0.05
CHAT_MARKUP_TOKENS = 8  # per message: role and delimiters of the chat template (as core/answer/prompt.py counts)

_SOURCE_BLOCK = re.compile(r'<source id="(\d+)" from="([^"]*)">\n(.*?)\n</source>', re.DOTALL)
_SENTENCE_END = ".!?。！？…:;,"


@dataclass(frozen=True)
class StyleExample:
    system: str
    user: str  # the numbered sources and the question, as the app sends them
    answer: str  # in the user's style, with its citations
    question: str
    origin: str  # one of ORIGINS
    original: str = ""  # corrected: the model's answer; else the answer as given, if citation markers were added
    reason: str = ""  # corrected: why, as the user said it
    sources: tuple[str, ...] = ()  # the sources of ``user``, each quoted as the model reads it

    def messages(self) -> list[ChatMessage]:
        """The prompt exactly as the app sends it: the answer is what the model learns to write."""
        return [ChatMessage("system", self.system), ChatMessage("user", self.user)]


@dataclass(frozen=True)
class Problem:
    where: str  # "pairs.csv line 4", "example 3 (\"How long…\")"; "" for the whole set
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def from_feedback(log: FeedbackLog) -> list[StyleExample]:
    """Approved and corrected answers, oldest first. An answer rated down or not at all without a
    correction teaches nothing and is left out. An answer without citation markers gets them for
    the sources it rests on (small models often write none, and a user's correction may not
    either): trained without them, the style would learn to drop citations."""
    return [e for _, e in feedback_examples(log)]


def feedback_examples(log: FeedbackLog) -> list[tuple[str, StyleExample]]:
    """``from_feedback`` with the message id each example comes from (to correct it later)."""
    found = []
    for fb in sorted(log.list(), key=lambda f: (f.created_at, f.message_id)):
        example = example_from_feedback(fb)
        if example is not None:
            found.append((fb.message_id, example))
    return found


def example_from_feedback(fb: Feedback) -> StyleExample | None:
    if fb.ideal_answer is not None:
        origin, given, original = "corrected", fb.ideal_answer, fb.answer
    elif fb.rating == 1:
        origin, given, original = "approved", fb.answer, ""
    else:
        return None
    sources = _sources(fb)
    answer = given if declines(given) or cited_numbers(given) else cite(given, numbered(sources), fb.question)
    if origin == "approved" and answer != given:
        original = given
    # Today's system prompt, whatever the answer was written under: what is trained on must be
    # what is served, and the user's answer does not depend on the app's wording of its rules.
    return StyleExample(SYSTEM_PROMPT, fb.user_prompt, answer, fb.question, origin, original, fb.reason or "",
                        sources)


def _sources(fb: Feedback) -> tuple[str, ...]:
    """The quoted sources of the stored prompt; a prompt in another shape (from an older version)
    keeps its sources text whole."""
    blocks = quoted_sources(fb.context)
    if user_turn(blocks, fb.question) == fb.user_prompt:
        return blocks
    return (fb.context,) if fb.context.strip() else ()


def quoted_sources(text: str) -> tuple[str, ...]:
    """Each source quoted in a prompt's text, as the model read it."""
    return tuple(m.group(0) for m in _SOURCE_BLOCK.finditer(text))


def numbered(quoted: Sequence[str]) -> list[NumberedSource]:
    """Quoted sources (``StyleExample.sources``) back as numbered passages holding what the model
    reads of them; a source in another shape is left out."""
    found = []
    for block in quoted:
        match = _SOURCE_BLOCK.fullmatch(block)
        if match:
            text = match.group(3)
            hit = Hit("", html.unescape(match.group(2)), "text", None, "", 0, len(text), text, 0.0)
            found.append(NumberedSource(int(match.group(1)), hit))
    return found


def cite(answer: str, sources: list[NumberedSource], given: str = "") -> str:
    """``answer`` with "[n]" after each sentence for the sources it rests on: those holding its
    values, else the one holding most of its words (core/answer/support.py). ``given``: what the
    question already states."""
    pieces, position = [], 0
    for part in answer_parts(answer):
        citations, _ = ground(answer[part.start:part.end], sources, [], given)
        numbers = sorted({c.n for c in citations})
        end = part.end
        while end > part.start and answer[end - 1] in _SENTENCE_END:
            end -= 1
        pieces.append(answer[position:end])
        if numbers:
            pieces.append(" " + "".join(f"[{n}]" for n in numbers))
        position = end
    pieces.append(answer[position:])
    return "".join(pieces)


def refusals(examples: Sequence[StyleExample], rate: float | None = None, seed: int = 0) -> list[StyleExample]:
    """Refusal examples to add so that about ``rate`` (None: ``REFUSAL_RATE``) of the set refuses
    (refusals already in it count). Each pairs a real question of the set with another example's
    sources, which hold none of its answer's facts (or, for an answer without checkable facts, not
    most of its words), and the app's refusal text. Fewer when the set has too few such pairings."""
    rate = REFUSAL_RATE if rate is None else rate
    if not 0 <= rate < 1:
        raise ValueError(f"the refusal rate is a share from 0 to 1, not {rate!r}")
    answered = [e for e in examples if not declines(e.answer)]
    wanted = round(rate * len(answered) / (1 - rate)) - (len(examples) - len(answered))
    donors = [e for e in answered if e.sources and e.user == user_turn(e.sources, e.question)]
    rng = random.Random(seed)
    questions = list(answered)
    rng.shuffle(questions)
    made: list[StyleExample] = []
    asked = {_plain(e.question) for e in examples if declines(e.answer)}
    evidence: dict[tuple[str, ...], Evidence] = {}
    for example in questions:
        if len(made) >= wanted:
            break
        if _plain(example.question) in asked:
            continue
        for donor in rng.sample(donors, len(donors)):
            if _lacks_answer(donor, example, evidence):
                made.append(StyleExample(SYSTEM_PROMPT, user_turn(donor.sources, example.question), NOT_FOUND,
                                         example.question, "refusal", sources=donor.sources))
                asked.add(_plain(example.question))
                break
    return made


def _lacks_answer(donor: StyleExample, example: StyleExample, cache: dict) -> bool:
    if _plain(donor.question) == _plain(example.question) or set(donor.sources) & set(example.sources):
        return False
    if donor.sources not in cache:
        cache[donor.sources] = Evidence(*donor.sources)
    evidence = cache[donor.sources]
    claims = extract_claims(example.answer, example.question)
    if claims:  # values decide: "Item 7 costs 107 euros" does not answer what item 5 costs
        return not any(evidence.supports(c) for c in claims)
    words = content_words(example.answer)
    return not words or len(words & content_words("\n".join(donor.sources))) / len(words) < MIN_SENTENCE_SHARE


def validate(examples: Iterable[StyleExample], count_tokens: Callable[[str], int], context_length: int,
             minimum: int = MIN_EXAMPLES) -> tuple[list[StyleExample], list[Problem]]:
    """The examples that can be trained on, and a problem for each one left out (empty, the same as
    an earlier one, too long for the model's window) and for a set too small. Refusals and
    rehearsed answers do not count towards ``minimum``: the app makes them."""
    kept: list[StyleExample] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for i, example in enumerate(examples, 1):
        where = f"example {i} ({_short(example.question)})"
        key = (_plain(example.question), " ".join(example.answer.split()))
        if not example.answer.strip():
            problems.append(Problem(where, "the answer is empty"))
        elif not example.question.strip() or not example.user.strip():
            problems.append(Problem(where, "the question is empty"))
        elif key in seen:
            problems.append(Problem(where, f"the same question and answer as example {seen[key]}"))
        else:
            seen[key] = i
            tokens = example_tokens(example, count_tokens)
            if tokens > context_length:
                problems.append(Problem(where, f"too long for the model's window: {tokens:,} tokens, the window "
                                               f"holds {context_length:,} (shorten the answer or the sources)"))
            else:
                kept.append(example)
    styled = sum(1 for e in kept if e.origin not in MADE)
    if styled < minimum:
        problems.append(Problem("", f"{styled} usable example{'s' * (styled != 1)} (refusals not counted) are "
                                    f"too few to learn a style from: {minimum - styled} more are needed "
                                    f"(at least {minimum})"))
    return kept, problems


def example_tokens(example: StyleExample, count_tokens: Callable[[str], int]) -> int:
    """Prompt and answer as the model reads them in training."""
    return (count_tokens(example.system) + count_tokens(example.user) + count_tokens(example.answer)
            + 3 * CHAT_MARKUP_TOKENS)


def split(examples: Sequence[StyleExample], holdout: float = 0.2,
          seed: int = 0) -> tuple[list[StyleExample], list[StyleExample]]:
    """(train, validation), the same for the same examples and seed; both keep the given order.
    Examples that share a question go to the same side, so validation never asks what training
    answered (a refusal shares its question with an answered example). Questions with a refusal
    and those without are held out in the same share, so training sees refusals at the set's rate.
    At least one example is held out from 5 on, and at least one is always trained on."""
    if not 0 <= holdout < 1:
        raise ValueError(f"holdout is a share from 0 to 1, not {holdout!r}")
    groups: dict[str, list[int]] = {}
    for i, example in enumerate(examples):
        groups.setdefault(_plain(example.question), []).append(i)
    # A shuffle of its own: refusals() picks its questions from a shuffle seeded alike, which made
    # this one hold out exactly those questions.
    order = list(groups.values())
    random.Random(f"split {seed}").shuffle(order)
    with_refusal = [g for g in order if any(examples[i].origin == "refusal" for i in g)]
    without = [g for g in order if not any(examples[i].origin == "refusal" for i in g)]
    held: set[int] = set()
    for kind in (with_refusal, without):
        size = sum(len(g) for g in kind)
        _hold(kind, round(size * holdout), held, len(examples))
    if len(examples) >= 5 and not held:
        _hold(without or with_refusal, 1, held, len(examples))
    train = [e for i, e in enumerate(examples) if i not in held]
    return train, [e for i, e in enumerate(examples) if i in held]


def _hold(groups: list[list[int]], wanted: int, held: set[int], total: int) -> None:
    """Add groups to ``held`` until ``wanted`` more examples are held; never all ``total``."""
    taken = 0
    for members in groups:
        if taken >= wanted or len(held) + len(members) >= total:
            continue  # a large group that would leave nothing to train on is skipped, a smaller one may fit
        held.update(members)
        taken += len(members)


def dataset_sha256(examples: Sequence[StyleExample]) -> str:
    """The hash of exactly this ordered set (the training set a style was learnt from, for its
    manifest): canonical JSON of every field, in order."""
    canonical = json.dumps([asdict(e) for e in examples], ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return json.dumps(text if len(text) <= limit else text[:limit - 1] + "…", ensure_ascii=False)
