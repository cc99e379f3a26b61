"""A house style side by side with the plain model: the same questions through the real answer
pipeline (core/answer/pipeline.py ``ask``), the same retrieved passages for both, greedy decoding
(temperature 0: a run is reproducible), then the style checks (core/style/style_checks.py) and the
groundedness figures of the answers issue on every answer, and the gate's verdict (core/style/gate.py).

Questions come from the held-out examples (the user's own answer is the reference: its values are
expected, and the passage holding them is the right one to cite) and from a QA set (accepted forms of
the value, the file and page it is on, or ``refuse`` for a question the documents do not answer).
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from core.answer.check import Evidence, extract_claims
from core.answer.grading import contains_answer, same_file
from core.answer.pipeline import Answered, Retrieved, ask, declines
from core.answer.prompt import NumberedSource
from core.search import Filters
from core.style import gate
from core.style.errors import StyleError
from core.style.style_checks import Outcome, Similarity, StyleChecks

K = 8  # passages retrieved, as the app asks
MAX_ANSWER_TOKENS = 160  # as bench/answer_quality.py: the facts need a sentence, a format a few more
HELD_OUT = "held-out"
ASKED = "asked before"  # a question from the user's conversations (core/conversations.py)
REFERENCE_SHARE = 0.5  # of the values of the user's answer that an answer must state


@dataclass(frozen=True)
class Question:
    text: str
    expected: tuple[str, ...] = ()  # accepted forms of the value (any one), as the QA sets give them
    reference: str = ""  # the user's own answer (a held-out example): its values are expected
    file: str = ""  # the file holding the answer (a relative path matches the end of a path)
    page: int | None = None
    refuse: bool = False  # the documents do not answer it: only the app's refusal is right
    origin: str = ""  # HELD_OUT, or the file the question came from

    def states_answer(self, answer: str) -> bool | None:
        """The answer states the expected value (None: nothing to check it against). Against the
        user's own answer, which may say more than was asked: at least half of its values."""
        if self.expected:
            return contains_answer(answer, self.expected)
        claims = self._claims()
        if not claims:
            return None
        written = Evidence(answer)
        return sum(written.supports(c) for c in claims) >= REFERENCE_SHARE * len(claims)

    def holds_answer(self, source: NumberedSource) -> bool | None:
        """The passage is where the answer is: the expected file and page, else the passage states
        the expected values (None: nothing to check it against)."""
        if self.file:
            return same_file(source.hit.path, self.file) and (self.page is None or source.hit.page == self.page)
        text = source.excerpt or source.hit.text
        if self.expected:
            return contains_answer(text, self.expected)
        claims = self._claims()
        if not claims:
            return None
        held = Evidence(text, source.hit.heading)
        return sum(held.supports(c) for c in claims) >= REFERENCE_SHARE * len(claims)

    def _claims(self):
        return extract_claims(self.reference, self.text) if self.reference and not declines(self.reference) else []


@dataclass
class Run:
    """One question answered by one engine."""
    retrieved: Retrieved
    answered: Answered
    seconds: float

    @property
    def reached_model(self) -> bool:
        """Strict mode answered before the model when retrieval found nothing relevant."""
        return self.retrieved.relevant


@dataclass
class Scored:
    question: Question
    text: str
    status: str
    reached_model: bool
    states_answer: bool | None
    cited: tuple[int, ...]  # source numbers the answer's own [n] markers name
    inferred: tuple[int, ...]  # sources the app attributed by wording (no marker)
    cites_right: bool | None  # a marker names a passage holding the answer
    cites_right_any: bool | None  # the same, counting attributions by wording (the answers issue's figure)
    outcomes: list[Outcome] = field(default_factory=list)
    similarity: float | None = None
    seconds: float = 0.0

    @property
    def styled_answer(self) -> bool:
        """An answer the style checks apply to: written by the model, not the refusal."""
        return self.reached_model and self.status != "refused" and bool(self.text.strip())

    @property
    def adheres(self) -> bool:
        return all(o.passed for o in self.outcomes)

    @property
    def style_score(self) -> float | None:
        return sum(o.passed for o in self.outcomes) / len(self.outcomes) if self.outcomes else None

    def to_json(self) -> dict:
        return {"answer": self.text, "status": self.status, "states_answer": self.states_answer,
                "cited": list(self.cited), "inferred": list(self.inferred), "cites_right": self.cites_right,
                "cites_right_any": self.cites_right_any, "similarity": self.similarity,
                "style_score": self.style_score if self.styled_answer else None,
                "checks": [{"name": o.name, "passed": o.passed, "detail": o.detail} for o in self.outcomes],
                "seconds": round(self.seconds, 2)}


class SameSources:
    """The archivist as ``ask`` uses it, with each search done once: every engine answers a
    question from the same passages, whatever the index does in between."""

    def __init__(self, archivist):
        self._archivist = archivist
        self._found: dict = {}

    @property
    def embedder(self):
        return self._archivist.embedder

    def search(self, query: str, k: int = K, filters: Filters = Filters()):
        key = (query, k, filters)
        if key not in self._found:
            self._found[key] = self._archivist.search(query, k=k, filters=filters)
        return self._found[key]


def answer_questions(sources: SameSources, engine, questions: Sequence[Question], *,
                     max_answer_tokens: int = MAX_ANSWER_TOKENS,
                     progress: Callable[[int, int, Run], None] | None = None) -> list[Run]:
    """Every question through the real pipeline (strict mode) with the engine as it is set up now."""
    runs = []
    for i, question in enumerate(questions, 1):
        started = time.perf_counter()
        retrieved = answered = None
        for event in ask(sources, engine, question.text, strict=True, k=K, max_answer_tokens=max_answer_tokens):
            if isinstance(event, Retrieved):
                retrieved = event
            elif isinstance(event, Answered):
                answered = event
        runs.append(Run(retrieved, answered, time.perf_counter() - started))
        if progress is not None:
            progress(i, len(questions), runs[-1])
    return runs


def score(question: Question, run: Run, checks: StyleChecks, similarity: Similarity | None) -> Scored:
    answered = run.answered
    refused = answered.status == "refused"
    explicit = tuple(c.n for c in answered.citations if not c.inferred)
    inferred = tuple(c.n for c in answered.citations if c.inferred)
    cites_right = cites_right_any = None
    if not question.refuse and not refused:
        holds = {s.n: question.holds_answer(s) for s in run.retrieved.sources}
        if any(held is not None for held in holds.values()):
            right = {n for n, held in holds.items() if held}
            cites_right = bool(right & set(explicit))
            cites_right_any = bool(right & set(explicit + inferred)) if explicit or inferred else None
    scored = Scored(question, answered.text, answered.status, run.reached_model,
                    None if question.refuse else (False if refused else question.states_answer(answered.text)),
                    explicit, inferred, cites_right, cites_right_any, seconds=run.seconds)
    if scored.styled_answer:
        scored.similarity = similarity.score(answered.text) if similarity is not None else None
        scored.outcomes = checks.check(answered.text, scored.similarity)
    return scored


def figures(rows: Sequence[Scored]) -> dict:
    """The comparison's figures for one engine: style adherence over the answers the model wrote
    (refusals are the app's words, not the style's), groundedness over the questions that have a
    known answer, refusals over the questions the documents do not answer."""
    written = [r for r in rows if r.styled_answer]
    answerable = [r for r in rows if not r.question.refuse and r.states_answer is not None]
    citing = [r for r in rows if r.cites_right is not None]
    citing_any = [r for r in rows if r.cites_right_any is not None]
    off = [r for r in rows if r.question.refuse]
    open_ = [r for r in rows if not r.question.refuse and r.states_answer is None and r.question.origin == ASKED]
    return {
        "questions": len(rows), "answers_written": len(written),
        "adherence": _share(sum(r.adheres for r in written), len(written)),
        "style_score": _mean([r.style_score for r in written]),
        "similarity": _mean([r.similarity for r in written]),
        "expected_value_rate": _share(sum(bool(r.states_answer) for r in answerable), len(answerable)),
        "expected_value_questions": len(answerable),
        # The model's own [n] markers: a style that stops writing them loses this, even where the
        # app can still attribute a sentence by its wording (cites_right_any).
        "citation_accuracy": _share(sum(r.cites_right for r in citing), len(citing)),
        "citation_questions": len(citing),
        "citation_accuracy_with_inferred": _share(sum(r.cites_right_any for r in citing_any), len(citing_any)),
        "refusal_rate": _share(sum(r.status == "refused" for r in off), len(off)),
        "refusal_questions": len(off),
        "false_refusals": _share(sum(r.status == "refused" for r in answerable), len(answerable)),
        # The user's own earlier questions, answered then from the documents: no known value to
        # check, but refusing them is a loss the held-out examples (all of the style's kind) miss.
        "asked_refusals": _share(sum(r.status == "refused" for r in open_), len(open_)),
        "asked_questions": len(open_),
        "seconds_mean": _mean([r.seconds for r in rows if r.reached_model]),
    }


@dataclass
class Comparison:
    questions: list[Question]
    base: list[Scored]
    styled: list[Scored]
    base_figures: dict
    styled_figures: dict
    identical: bool  # the same text from both on every prompt that reached the model
    prompts: int  # prompts that reached the model in both runs
    parts: dict[str, tuple[dict, dict]] = field(default_factory=dict)  # figures per set, when there are two

    @classmethod
    def of(cls, questions: Sequence[Question], base_runs: Sequence[Run], styled_runs: Sequence[Run],
           checks: StyleChecks, similarity: Similarity | None) -> "Comparison":
        return cls.of_scored([score(q, r, checks, similarity) for q, r in zip(questions, base_runs)],
                             [score(q, r, checks, similarity) for q, r in zip(questions, styled_runs)])

    @classmethod
    def of_scored(cls, base: Sequence[Scored], styled: Sequence[Scored]) -> "Comparison":
        both = [(b, s) for b, s in zip(base, styled) if b.reached_model and s.reached_model]
        identical = bool(both) and all(b.text == s.text for b, s in both)
        held = [b.question.origin == HELD_OUT for b in base]
        parts = {} if all(held) or not any(held) else {
            name: (figures([b for b, h in zip(base, held) if h == wanted]),
                   figures([s for s, h in zip(styled, held) if h == wanted]))
            for name, wanted in ((gate.HELD_OUT_PART, True), ("your questions", False))}
        return cls([b.question for b in base], list(base), list(styled), figures(base), figures(styled), identical,
                   len(both), parts)

    def leaving_out(self, origin: str) -> "Comparison":
        """The comparison without the questions of ``origin``: examples a setting was chosen on
        must not be judged with the questions the verdict is reported on."""
        kept = [i for i, b in enumerate(self.base) if b.question.origin != origin]
        return Comparison.of_scored([self.base[i] for i in kept], [self.styled[i] for i in kept])

    def verdict(self, against: str = "the plain model") -> dict:
        """The gate's verdict (core/style/gate.py) on both sets together and on each set alone."""
        others = sum(b.reached_model and s.reached_model and b.question.origin != HELD_OUT
                     for b, s in zip(self.base, self.styled))
        return gate.verdict(self.base_figures, self.styled_figures, identical=self.identical, prompts=self.prompts,
                            against=against, parts=self.parts, others=others)

    def to_json(self) -> dict:
        return {"questions": [{"question": q.text, "origin": q.origin, "reference": q.reference,
                               "expected": list(q.expected), "refuse": q.refuse,
                               "base": b.to_json(), "styled": s.to_json()}
                              for q, b, s in zip(self.questions, self.base, self.styled)],
                "base": self.base_figures, "styled": self.styled_figures,
                "identical": self.identical, "prompts": self.prompts}


def compare(archivist, engine, adapter: tuple[str, float], label: str, questions: Sequence[Question],
            checks: StyleChecks, similarity: Similarity | None, *, reference: tuple[str, float] | None = None,
            reference_label: str = "", max_answer_tokens: int = MAX_ANSWER_TOKENS,
            progress: Callable[[str, int, int, Run], None] | None = None) -> Comparison:
    """Answer every question with the reference (the plain model unless ``reference``) and then
    with ``adapter`` on the same built-in ``engine``, from the same passages; score both. The
    engine is left answering plainly."""
    sources = SameSources(archivist)
    step = (lambda which: (lambda i, n, run: progress(which, i, n, run))) if progress else (lambda which: None)
    try:
        engine.use_style(reference, reference_label)
        base_runs = answer_questions(sources, engine, questions, max_answer_tokens=max_answer_tokens,
                                     progress=step("base"))
        engine.use_style(adapter, label)
        styled_runs = answer_questions(sources, engine, questions, max_answer_tokens=max_answer_tokens,
                                       progress=step("styled"))
    finally:
        engine.use_style(None)
    return Comparison.of(questions, base_runs, styled_runs, checks, similarity)


def compare_engines(archivist, base_engine, styled_engine, questions: Sequence[Question], checks: StyleChecks,
                    similarity: Similarity | None, *, max_answer_tokens: int = MAX_ANSWER_TOKENS) -> Comparison:
    """The same comparison between any two engines: Ollama's base model and the model a style was
    registered as (core/style/ollama_register.py), where an adapter has been ignored before."""
    sources = SameSources(archivist)
    base_runs = answer_questions(sources, base_engine, questions, max_answer_tokens=max_answer_tokens)
    styled_runs = answer_questions(sources, styled_engine, questions, max_answer_tokens=max_answer_tokens)
    return Comparison.of(questions, base_runs, styled_runs, checks, similarity)


def from_examples(examples: Iterable, limit: int | None = None) -> list[Question]:
    """The held-out examples' questions, once each, with the user's answer as the reference. A
    refusal example pairs a question with sources that do not answer it, which live retrieval
    would not give, so it is left out (its question is asked with its own answered example); a
    rehearsed answer is not the user's style (``asked_before`` asks its question)."""
    seen, questions = set(), []
    for example in examples:
        key = " ".join(example.question.split()).casefold()
        if example.origin in ("refusal", "rehearsal") or declines(example.answer) or key in seen:
            continue
        seen.add(key)
        questions.append(Question(example.question.strip(), reference=example.answer, origin=HELD_OUT))
    return questions[:limit] if limit is not None else questions


def asked_before(examples: Iterable, skip: Iterable[str] = ()) -> list[Question]:
    """The held-out rehearsed answers' questions: the user asked them before and the app answered
    them from the documents, so a style must still answer them. ``skip``: questions a style was
    trained on (its manifest's ``rehearsed``)."""
    skipped = {" ".join(q.split()).casefold() for q in skip}
    return [Question(e.question.strip(), origin=ASKED) for e in examples
            if e.origin == "rehearsal" and " ".join(e.question.split()).casefold() not in skipped]


def read_questions(path: str | Path) -> list[Question]:
    """A QA set: a JSON array or JSON Lines of {"question", "expected": value or [forms], "answer":
    a reference answer, "file", "page", "refuse"}, or plain text with one question per line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise StyleError(f"cannot read the questions in {path}: {exc}") from exc
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except ValueError as exc:
            raise StyleError(f"{path.name} is not valid JSON: {exc}") from exc
        entries = [(f"{path.name} item {i}", item) for i, item in enumerate(items, 1)]
    elif stripped.startswith("{"):
        entries = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    entries.append((f"{path.name} line {n}", json.loads(line)))
                except ValueError as exc:
                    raise StyleError(f"{path.name} line {n} is not valid JSON: {exc}") from exc
    else:
        entries = [(f"{path.name} line {n}", {"question": line.strip()})
                   for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    questions = [_question(where, item, path.name) for where, item in entries]
    if not questions:
        raise StyleError(f"{path.name} holds no questions")
    return questions


def _question(where: str, item: object, origin: str) -> Question:
    if not isinstance(item, dict) or not isinstance(item.get("question"), str) or not item["question"].strip():
        raise StyleError(f"{where}: each entry needs a \"question\" (text)")
    expected = item.get("expected", ())
    expected = (expected,) if isinstance(expected, (str, int, float)) else expected
    if not isinstance(expected, (list, tuple)) or not all(isinstance(e, (str, int, float)) for e in expected):
        raise StyleError(f"{where}: \"expected\" must be a value or a list of accepted forms")
    page, answer, file = item.get("page"), item.get("answer", ""), item.get("file", "")
    if page is not None and (not isinstance(page, int) or isinstance(page, bool) or page < 1):
        raise StyleError(f"{where}: \"page\" must be a page number (1 or more)")
    if not isinstance(answer, str) or not isinstance(file, str) or not isinstance(item.get("refuse", False), bool):
        raise StyleError(f"{where}: \"answer\" and \"file\" are text, \"refuse\" is true or false")
    return Question(item["question"].strip(), tuple(str(e) for e in expected), answer, file, page,
                    bool(item.get("refuse", False)), origin)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.fmean(known), 4) if known else None
