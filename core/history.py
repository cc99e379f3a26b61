"""Answers kept as conversations, and rated later (by id) from the CLI or the desktop.

Each saved answer carries the exact prompt the model was given (in its trace), so a rating given
days later still becomes a training pair for the same task the model performed.
"""

from __future__ import annotations

import re
from dataclasses import asdict

from core.conversations import ConversationStore, Message
from core.feedback import Feedback, FeedbackLog


def save_answer(store: ConversationStore, conversation_id: str, retrieved, done,
                replace_id: str | None = None) -> Message:
    """Store an answer (core.answer.pipeline Retrieved and Answered) after its question, or in
    place of an earlier answer (``replace_id``: regenerated, it keeps its place and id)."""
    prompt = {"system": "", "user": ""}
    for message in retrieved.messages:  # system first; the last user turn holds sources and question
        prompt[message.role if message.role in prompt else "user"] = message.content
    check = done.check.as_trace() if getattr(done, "check", None) else {}  # counts and flags of the claim check
    return _save(store, conversation_id, done, dict(retrieved.trace, **check, prompt=prompt), replace_id)


def save_summary(store: ConversationStore, conversation_id: str, done, replace_id: str | None = None) -> Message:
    """Store a summary or comparison (core.answer.summarize Summarized) like an answer."""
    trace = {"task": done.task, "files": done.files, "parts": done.parts, "passages": done.passages,
             "rounds": done.rounds, "timings": done.timings, "left_out": done.left_out, "caveat": done.caveat}
    return _save(store, conversation_id, done, trace, replace_id)


STYLE_SEPARATOR = " · "
_STYLE_LABEL = re.compile(r".+ v[1-9][0-9]*")  # core.style.registry.Style.label: "house style v3"


def split_style(model: str) -> tuple[str, str]:
    """(model, house style label) of a saved answer's model field ("SmolLM2 · house style v3");
    the label is "" when no style shaped the answer."""
    name, _, style = (model or "").rpartition(STYLE_SEPARATOR)
    return (name, style) if name and _STYLE_LABEL.fullmatch(style) else (model or "", "")


def _save(store: ConversationStore, conversation_id: str, done, trace: dict, replace_id: str | None) -> Message:
    style = getattr(done, "style", "")  # kept with the model: the history says what shaped each answer
    model = f"{done.model}{STYLE_SEPARATOR}{style}" if style else done.model
    fields = {"engine": done.engine, "model": model, "citations": [asdict(c) for c in done.citations],
              "trace": trace, "status": done.status}
    if replace_id is not None:
        return store.update_message(replace_id, content=done.text, **fields)
    return store.add_message(conversation_id, "assistant", done.text, **fields)


class NotRateable(ValueError):
    """The answer cannot become a training pair (no prompt saved, or it was never answered)."""


def rate_answer(store: ConversationStore, log: FeedbackLog, message_id: str, rating: int,
                ideal_answer: str | None = None, reason: str | None = None) -> Feedback:
    """Thumbs up (1), down (-1) or neutral (0) on an answer, optionally with the answer it should
    have been and why; KeyError when there is no such message."""
    question, answer = store.exchange(message_id)
    if answer.role != "assistant" or question is None:
        raise NotRateable("only answers can be rated, not questions")
    prompt = (answer.trace or {}).get("prompt") or {}
    if not prompt.get("system") or not prompt.get("user"):
        raise NotRateable("this answer was saved without the prompt it was written from, "
                          "so it cannot become a training example")
    context = prompt["user"].rsplit("\n\nQuestion: ", 1)[0]
    feedback = log.rate(answer.id, answer.conversation_id, question.content, answer.content, rating,
                        prompt["system"], context, answer.citations, user_prompt=prompt["user"])
    if ideal_answer is not None:
        feedback = log.set_ideal(answer.id, ideal_answer, reason)
    return feedback
