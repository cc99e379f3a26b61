"""Answer a question from the user's documents: retrieve → fit a prompt → stream → cite.

``ask`` yields events (``Retrieved``, then ``Token``s, then ``Answered``), so the CLI, the desktop
and tests consume the same stream. Strict grounded mode refuses, and shows the nearest passages,
when retrieval finds nothing relevant: a small model handed irrelevant text tends to invent.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Union

from core.answer.check import CheckResult
from core.answer.citations import Citation, resolve
from core.answer.evidence import EvidenceSentence, evidence_card, sentence_scores
from core.answer.excerpts import excerpts
from core.answer.prompt import ANSWER_RESERVE, NOT_FOUND, BuiltPrompt, build_prompt
from core.answer.query_terms import query_terms
from core.answer.relevance import MIN_SIMILARITY, MIN_SIMILARITY_WITH_TEXT_MATCH, judge  # noqa: F401
from core.answer.repetition import drop_repeats, is_looping
from core.answer.support import ground
from core.llm.base import ChatMessage, ConnectionLost, Engine
from core.scope_summary import summary
from core.search import Filters, Hit


@dataclass(frozen=True)
class Retrieved:
    query: str  # what was searched (the question made stand-alone)
    sources: list  # NumberedSource: what the model sees, numbered
    cut: list[Hit]  # retrieved but left out for lack of room
    relevant: bool
    trace: dict
    messages: list = field(default_factory=list)  # ChatMessage: the prompt exactly as the model gets it
    # The sentences that best answer the question, found without the model (core/answer/evidence.py):
    # shown before the first token.
    evidence: list[EvidenceSentence] = field(default_factory=list)


@dataclass(frozen=True)
class EvidenceFound:
    """The evidence card, yielded as soon as retrieval is done: before the prompt is built (which
    may wait for the engine to load) and before the model's first token."""
    sentences: list[EvidenceSentence]
    elapsed_ms: float  # from the question to the card


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Answered:
    text: str
    citations: list[Citation]
    status: str  # complete | stopped | interrupted | refused
    engine: str
    model: str
    unknown_citations: list[int] = field(default_factory=list)  # "[7]" when there is no source 7
    error: str = ""
    timings: dict = field(default_factory=dict)
    # The answer's claims checked against its sources (core/answer/check.py); None when nothing
    # was answered. Each citation carries the sentences it rests on.
    check: CheckResult | None = None
    style: str = ""  # the house style that shaped the answer ("house style v3"), if any


AnswerEvent = Union[EvidenceFound, Retrieved, Token, Answered]

# The evidence prompt reads this many of the best passages (each cut to its best sentences,
# excerpts.SENTENCES_PER_PASSAGE), of whose sentences about PROMPT_BUDGET_CHARS characters are
# embedded and scored (those sharing the question's words first; the card's are cached). Chosen with
# bench/prompt_size.py and bench/answer_quality.py on the main and held-out sets (2026-12-02): 3
# passages × 2 sentences cost what 4 × 1 did (~500 tokens, a third of 8 whole passages) and keep the
# expected value in the prompt for 90.6 % of held-out questions instead of 71.9 %: the fact's
# passage often holds a near miss (last year's figure, another group's rate) that outscores it.
# Answers: 58 of 72 right over both sets instead of 56; 4 × 2 did as well but cost 2 s more.
PROMPT_PASSAGES = 3
PROMPT_BUDGET_CHARS = 4000


def ask(archivist, engine: Engine, question: str, history: list[ChatMessage] = (), *, strict: bool = True,
        k: int = 8, filters: Filters = Filters(), cancel: threading.Event | None = None,
        max_answer_tokens: int = 512, prompt_style: str = "evidence") -> Iterator[AnswerEvent]:
    """``prompt_style``: "evidence" gives the model the best sentences of the best passages (with
    their neighbours); "passages" gives it the passages whole (slower to read, see excerpts.py)."""
    started = time.perf_counter()
    cancel = cancel or threading.Event()
    query = standalone_question(engine, question, history) if history else question
    result = archivist.search(query, k=k, filters=filters)
    evidence_started = time.perf_counter()
    evidence = evidence_card(query, result.hits, archivist.embedder)
    evidence_ms = round((time.perf_counter() - evidence_started) * 1000, 1)
    yield EvidenceFound(evidence, round((time.perf_counter() - started) * 1000, 1))
    verdict = judge(query, result.hits, evidence)
    relevant = verdict.relevant
    prompt = answer_prompt(question, query, result.hits, archivist.embedder, engine.context_length(),
                           engine.count_tokens, history, max_answer_tokens, prompt_style)
    timings = {"retrieval_ms": result.trace["timings"]["total_ms"], "evidence_ms": evidence_ms,
               "before_model_ms": round((time.perf_counter() - started) * 1000, 1)}
    trace = dict(result.trace, timings=dict(result.trace["timings"], evidence_ms=evidence_ms),
                 prompt_tokens=prompt.tokens, context_tokens=engine.context_length(), cut=len(prompt.cut),
                 strict=strict, relevant=relevant, relevance=verdict.reason, query=query,
                 prompt_style="evidence" if any(s.excerpt for s in prompt.sources) else "passages")
    yield Retrieved(query, prompt.sources, prompt.cut, relevant, trace, prompt.messages, evidence)

    if strict and not relevant:
        yield Answered(not_found(filters), [], "refused", engine.name, engine.model, timings=timings,
                       style=getattr(engine, "style_label", ""))
        return
    pieces: list[str] = []
    status, error = "complete", ""
    first_token = None
    stream = engine.stream_chat(prompt.messages, cancel=cancel, max_tokens=max_answer_tokens)
    try:
        for piece in stream:
            if first_token is None:
                first_token = time.perf_counter()
            pieces.append(piece)
            yield Token(piece)
            if is_looping("".join(pieces)):
                break
        if cancel.is_set():
            status = "stopped"
    except ConnectionLost as exc:
        status, error = "interrupted", str(exc)
    finally:
        stream.close()  # frees the engine at once, whether the answer ended or was cut short
    text = drop_repeats("".join(pieces)).strip()
    if status == "complete" and declines(text):
        status = "refused"  # the model found no answer in the sources: say so the same way as strict mode
    citations, unknown = resolve(text, prompt.sources)
    check = None
    if text and status != "refused":
        given = "\n".join([question, query, *(m.content for m in history)])
        citations, check = ground(text, prompt.sources, citations, given)
    if first_token is not None:
        timings["first_token_ms"] = round((first_token - started) * 1000, 1)
    timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
    yield Answered(text, citations, status, engine.name, engine.model, unknown, error, timings, check,
                   style=getattr(engine, "style_label", ""))


def answer_prompt(question: str, query: str, hits: list[Hit], embedder, context_tokens: int,
                  count_tokens: Callable[[str], int], history: list[ChatMessage] = (),
                  answer_reserve: int = ANSWER_RESERVE, prompt_style: str = "evidence") -> BuiltPrompt:
    """The prompt the model answers ``question`` from, given the passages found for ``query``.
    Training examples are built with it too (core/style/), so that they match serving exactly."""
    cut_down = None
    if prompt_style == "evidence":
        scored = sentence_scores(query, hits, embedder, passages=PROMPT_PASSAGES, budget_chars=PROMPT_BUDGET_CHARS)
        cut_down = excerpts(hits, scored) or None  # nothing scored: the passages whole
    return build_prompt(question, hits, context_tokens, count_tokens, history=list(history)[-6:],
                        answer_reserve=answer_reserve, excerpts=cut_down)


def not_found(filters: Filters) -> str:
    """The refusal; after a narrowed search it names the scope, so that "not found" is not read as
    "in none of your documents"."""
    narrowed = summary(filters)
    return f"{NOT_FOUND.rstrip('.')} (searched only: {narrowed})." if narrowed else NOT_FOUND


_LEAD_IN = re.compile(r"^(?:[\w'’]+ ){0,4}[\w'’]+: ")  # "The answer is: ", "In short: "


def declines(answer: str) -> bool:
    """The model's answer is the refusal the system prompt asks for (perhaps with a reason after it,
    or after a lead-in of a few words and a colon: "The answer is: I could not find this…", as small
    models write it)."""
    text, refusal = " ".join(answer.split()).lower(), NOT_FOUND.lower().rstrip(".")
    return text.startswith(refusal) or _LEAD_IN.sub("", text, count=1).startswith(refusal)


REWRITE_PROMPT = """Rewrite the last question so that it can be understood without the conversation.
Reply with the rewritten question only."""


MIN_REWRITE_KEEPS = 0.5  # share of the question's own words and codes a usable rewrite keeps


def standalone_question(engine: Engine, question: str, history: list[ChatMessage]) -> str:
    """Follow-ups ("and the second one?") are rewritten before retrieval; if the model's rewrite
    looks unusable (empty, rambling), the previous question is prepended instead."""
    recent = [m for m in history if m.role in ("user", "assistant")][-4:]
    transcript = "\n".join(f"{m.role}: {m.content[:500]}" for m in recent)
    messages = [ChatMessage("system", REWRITE_PROMPT),
                ChatMessage("user", f"Conversation:\n{transcript}\n\nLast question: {question}")]
    try:
        rewritten = "".join(engine.stream_chat(messages, max_tokens=64)).strip().strip('"')
    except Exception:  # noqa: BLE001 - retrieval must go on without the rewrite
        rewritten = ""
    # A rewrite adds what the conversation implies; it must not lose what the question says (a small
    # model answered "How long is the refund window for Acme widgets?" with "This is a sentence.").
    terms = query_terms(question)
    keeps_question = not terms.weight or terms.share(rewritten) >= MIN_REWRITE_KEEPS
    if rewritten and len(rewritten) < 4 * len(question) + 200 and "\n" not in rewritten and keeps_question:
        return rewritten
    last_user = next((m.content for m in reversed(history) if m.role == "user"), "")
    return f"{last_user} {question}".strip()
