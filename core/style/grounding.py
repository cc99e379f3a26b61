"""Sources for the user's imported pairs, found the way the app finds them, and only the pairs those
sources support.

A pair from a file has a question and an answer but no sources. Trained without sources it would
teach answering from memory, and trained with sources that lack its facts, answering past them (facts
learnt in fine-tuning raise hallucination: Gekhman et al., EMNLP 2024). So each question is put to the
user's index as the app puts it: the same search, strict mode's relevance judgement, the same prompt
(core/answer/pipeline.answer_prompt). The pair is kept only when every value, date, identifier and
name of its answer is in the text the model reads (the claim check of core/answer/check.py), and its
sentences get citation markers for the sources they rest on (``examples.cite``), as the app's answers
have; markers the file had pointed to other sources, and are replaced.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Callable, Iterable

from core.answer.check import Evidence, check_answer
from core.answer.evidence import evidence_card
from core.answer.pipeline import answer_prompt, declines
from core.answer.prompt import ANSWER_RESERVE, quote
from core.answer.relevance import judge
from core.style.examples import Problem, StyleExample, cite, numbered
from core.style.importing import ImportedPair

log = logging.getLogger(__name__)

_MARKERS = re.compile(r"[ \t]*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\]")


class _Dropped(Exception):
    """Why a pair is not kept (shown to the user)."""


def ground_imported(pairs: Iterable[ImportedPair], archivist, count_tokens: Callable[[str], int],
                    context_length: int, *, k: int = 8, answer_reserve: int = ANSWER_RESERVE,
                    progress: Callable[[int], None] | None = None,
                    cancel: threading.Event | None = None) -> tuple[list[StyleExample], list[Problem]]:
    """The pairs as examples with the sources the app would give them, and a problem for each pair
    dropped. ``count_tokens`` and ``context_length`` are the answering model's (the prompt is
    fitted to its window as the app fits it); ``k`` and ``answer_reserve`` as the app asks.
    ``progress`` is called with the number of pairs done; ``cancel`` stops after the current pair."""
    kept: list[StyleExample] = []
    dropped: list[Problem] = []
    for done, pair in enumerate(pairs, 1):
        if cancel is not None and cancel.is_set():
            break
        try:
            kept.append(_grounded(pair, archivist, count_tokens, context_length, k, answer_reserve))
        except _Dropped as why:
            dropped.append(Problem(pair.where, str(why)))
        except Exception as exc:  # noqa: BLE001 - one pair that breaks a part must not stop the others
            log.exception("grounding %s failed", pair.where)
            dropped.append(Problem(pair.where, f"could not be checked against your documents: {exc}"))
        if progress is not None:
            progress(done)
    return kept, dropped


def _grounded(pair: ImportedPair, archivist, count_tokens, context_length: int, k: int,
              answer_reserve: int) -> StyleExample:
    question = pair.question.strip()
    refusal = declines(pair.answer)
    result = archivist.search(question, k=k)
    if not refusal:  # a refusal is right where the app finds nothing
        verdict = judge(question, result.hits, evidence_card(question, result.hits, archivist.embedder))
        if not verdict.relevant:
            raise _Dropped(f"your documents have nothing on this question, so the app would refuse it "
                           f"({verdict.reason})")
    prompt = answer_prompt(question, question, result.hits, archivist.embedder, context_length, count_tokens,
                           answer_reserve=answer_reserve)
    if not prompt.sources and not refusal:
        raise _Dropped("no source fits the model's window")
    answer = pair.answer.strip()
    quoted = tuple(quote(s) for s in prompt.sources)
    if not refusal:
        answer = _supported(answer, quoted, question)
    system, user = prompt.messages[0].content, prompt.messages[-1].content
    return StyleExample(system, user, answer, question, "imported", pair.answer if answer != pair.answer else "",
                        sources=quoted)


def supported_answer(answer: str, quoted: tuple[str, ...], question: str) -> str:
    """``answer`` cited for the sources ``quoted``, as an imported answer is kept (a refusal as it
    is); ValueError saying why when the sources do not hold its facts. For an answer the user
    rewrites after importing: the same rule as on import."""
    answer = answer.strip()
    if declines(answer):
        return answer
    try:
        return _supported(answer, quoted, question)
    except _Dropped as why:
        raise ValueError(str(why)) from None


def _supported(answer: str, quoted: tuple[str, ...], question: str) -> str:
    bare = _MARKERS.sub("", answer)
    read = Evidence(*quoted)  # what the model reads: the excerpts, with their labels
    flagged = check_answer(bare, read, given=question).flagged
    if flagged:
        facts = ", ".join(dict.fromkeys(c.text for c in flagged))
        raise _Dropped(f"its facts are not in your documents: {facts}")
    cited = cite(bare, numbered(quoted), question)
    if cited == bare:
        raise _Dropped("none of its sentences matches what your documents say")
    return cited
