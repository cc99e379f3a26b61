"""Rehearsal: the app's own earlier answers to the user's other questions, trained on beside the
style's examples so that a style learnt from one kind of question leaves the others as they were.

Trained only on the user's examples (and the refusals made from them), a small model learns the
style on its kind of question and turns every other kind into "not in your documents": SmolLM2-135M
refused 29 of 30 answerable questions of the main QA set after 100 examples × 3 epochs
(bench/RESULTS.md "House style"). Mixing in answers the model gave before to other questions is
the usual remedy for that forgetting: the loss then also asks the adapter to keep them.

An answer is rehearsed only when it can be trained on exactly as it was served and is worth
keeping: the first question of its conversation (its prompt held no earlier turns), with the
system prompt the app sends today and a user turn in today's shape, answered from the sources
(not refused, cited, no claim the app's own check flagged), by a plain model (an answer a style
shaped would feed the style back to itself), neither rated down nor already an example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from core.answer.pipeline import declines
from core.answer.prompt import SYSTEM_PROMPT, user_turn
from core.style.examples import StyleExample, quoted_sources

ORIGIN = "rehearsal"
# Rehearsed answers as a share of the whole set (style examples, refusals and rehearsal): a
# quarter is within what continual-learning work mixes in, and enough on the bench to keep the
# other questions answered (bench/RESULTS.md "House style"; measured on the QA set, not tuned on it).
REHEARSAL_SHARE = 0.25
HISTORY_LIMIT = 2000  # newest first: a longer history adds nothing a few hundred answers do not


def wanted(styled: int, share: float = REHEARSAL_SHARE) -> int:
    """How many rehearsed answers make ``share`` of a set with ``styled`` other examples."""
    if not 0 <= share < 1:
        raise ValueError(f"the rehearsal share is a share from 0 to 1, not {share!r}")
    return round(share * styled / (1 - share))


def from_history(data_dir: str | Path, count: int, skip: Iterable[str] = (),
                 skip_answers: Iterable[str] = ()) -> list[StyleExample]:
    """Up to ``count`` of the app's own earlier answers that can be rehearsed, newest first.
    ``skip``: questions already in the set (an example, a refusal); ``skip_answers``: message ids
    of answers the user rated (rated up or corrected ones are examples, rated down ones are not
    to be learnt)."""
    if count <= 0:
        return []
    from core import layout
    from core.conversations import ConversationStore

    path = layout.conversations_path(Path(data_dir))
    if not path.exists():
        return []
    skipped = {_plain(q) for q in skip}
    rated = set(skip_answers)
    store = ConversationStore(path)
    try:
        answers = store.first_answers(HISTORY_LIMIT)
    finally:
        store.close()
    found = []
    for question, message in answers:
        if message.id in rated or _plain(question) in skipped:
            continue
        example = rehearsable(question, message)
        if example is not None:
            found.append(example)
            skipped.add(_plain(question))
            if len(found) >= count:
                break
    return found


def rehearsable(question: str, message) -> StyleExample | None:
    """The training example a saved answer (core.conversations.Message) makes, or None when it is
    not one to rehearse (see the module's notes)."""
    trace = message.trace or {}
    prompt = trace.get("prompt") or {}
    system, user = prompt.get("system", ""), prompt.get("user", "")
    if system != SYSTEM_PROMPT or trace.get("task") or trace.get("claims_flagged"):
        return None
    if _styled(message.model) or not message.citations or declines(message.content):
        return None
    sources = quoted_sources(user)
    if not sources or user_turn(sources, question) != user:
        return None  # asked with earlier turns, or a prompt of another shape: not what is served now
    return StyleExample(system, user, message.content.strip(), question, ORIGIN, sources=sources)


def _styled(model: str | None) -> bool:
    from core.history import split_style

    return bool(split_style(model or "")[1])


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()
