"""Rehearsal: the app's own earlier answers, saved by the app with their prompts in a real
conversation store, trained on beside the user's examples; the user's split does not move with the
history, and a style is never judged on a question it rehearsed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core import layout
from core.answer.citations import resolve
from core.answer.pipeline import Answered, Retrieved, ask
from core.answer.prompt import NOT_FOUND, SYSTEM_PROMPT
from core.answer.support import ground
from core.conversations import ConversationStore
from core.feedback import FeedbackLog
from core.history import rate_answer, save_answer
from core.style import rehearsal
from core.style.compare import ASKED, HELD_OUT, asked_before, from_examples
from core.style.evaluation import questions_to_ask
from core.style.example_set import assemble
from core.style.examples import StyleExample
from core.style.registry import Style
from core.style.studio import HouseStyle
from style_helpers import make_manifest
from test_style_examples import engine, example, indexed, words  # noqa: F401 (fixtures)

REFUND, INVOICE = "How long is the refund window for Acme widgets?", "Who was invoice INV-2024-0042 issued to?"


def answer_and_save(archivist, engine, store, question, text, conversation=None, model="SmolLM2-135M"):
    """The real pipeline's prompt for ``question``, answered with ``text`` (checked by the app's own
    claim check), saved as the app saves answers."""
    events = ask(archivist, engine, question)
    retrieved = next(e for e in events if isinstance(e, Retrieved))
    events.close()
    citations, _ = resolve(text, retrieved.sources)
    citations, check = ground(text, retrieved.sources, citations, question)
    conversation = conversation or store.create().id
    store.add_message(conversation, "user", question)
    done = Answered(text, citations, "complete", "embedded", model, check=check)
    return retrieved, save_answer(store, conversation, retrieved, done), conversation


def test_an_answer_the_app_saved_is_rehearsed_with_the_exact_prompt_it_was_given(indexed, engine, data_dir):
    store = ConversationStore(layout.conversations_path(data_dir))
    try:
        retrieved, saved, conversation = answer_and_save(indexed, engine, store, REFUND,
                                                         "The refund window is 30 days from delivery [1].")
        # a follow-up's prompt held the earlier turns: not what a first question is served with
        answer_and_save(indexed, engine, store, INVOICE, "Globex Corporation [1].", conversation)
        answer_and_save(indexed, engine, store, "How long is the Acme refund window, in days?",
                        "The refund window is 45 days [1].")  # a value its sources do not hold: flagged
    finally:
        store.close()
    [found] = rehearsal.from_history(data_dir, 10)
    assert found.origin == "rehearsal" and found.question == REFUND
    assert found.messages() == retrieved.messages  # byte for byte what the model was given
    assert found.answer == saved.content and found.sources and "30 days" in found.sources[0]
    assert rehearsal.from_history(data_dir, 10, skip=[" how long is the REFUND window for acme widgets? "]) == []
    assert rehearsal.from_history(data_dir, 10, skip_answers=[saved.id]) == []


def message(**changes):
    """A saved answer that is rehearsable, and each way one is not."""
    from core.conversations import Message

    quoted = '<source id="1" from="policy.md">\nThe refund window is 30 days.\n</source>'
    trace = {"prompt": {"system": SYSTEM_PROMPT, "user": f"Sources:\n\n{quoted}\n\nQuestion: {REFUND}"},
             "claims_flagged": 0}
    fields = dict(id="m1", conversation_id="c1", role="assistant", content="30 days [1].", created_at=0.0,
                  engine="embedded", model="SmolLM2-135M", citations=[{"n": 1}], trace=trace)
    return Message(**{**fields, **changes})


@pytest.mark.parametrize("why, changes", [
    ("a style shaped it", {"model": "SmolLM2-135M · house style v2"}),
    ("the app's check flagged a claim", {"trace": {**message().trace, "claims_flagged": 1}}),
    ("it refused", {"content": NOT_FOUND}),
    ("no sources cited", {"citations": []}),
    ("an older system prompt", {"trace": {**message().trace, "prompt": {**message().trace["prompt"],
                                                                        "system": "You are helpful."}}}),
    ("a summary, not an answer", {"trace": {**message().trace, "task": "summary"}}),
    ("saved without its prompt", {"trace": {}}),
])
def test_what_is_not_rehearsed(why, changes):
    assert rehearsal.rehearsable(REFUND, message()) is not None
    assert rehearsal.rehearsable(REFUND, message(**changes)) is None, why
    assert rehearsal.rehearsable("Another question?", message()) is None  # the prompt asked something else


def rehearsed(i: int) -> StyleExample:
    return dataclasses.replace(example(100 + i), question=f"Where is depot {i}?", origin="rehearsal")


def test_the_users_split_does_not_move_with_the_history_and_rehearsal_takes_its_share():
    given = [example(i) for i in range(40)]
    alone = assemble(given, words, 4096, minimum=0)
    pool = [rehearsed(i) for i in range(40)]
    asked_for = []

    def history(count, skip):
        asked_for.append(count)
        assert {e.question for e in given} <= skip  # never a question that is already an example
        return pool[:count]

    mixed = assemble(given, words, 4096, history=history, minimum=0)
    made = [e for e in mixed.train + mixed.validation if e.origin == "rehearsal"]
    every = len(mixed.train) + len(mixed.validation)
    assert asked_for == [rehearsal.wanted(every - len(made))] and len(made) == asked_for[0]
    assert abs(len(made) / every - rehearsal.REHEARSAL_SHARE) < 0.02
    assert [e for e in mixed.validation if e.origin != "rehearsal"] == alone.validation
    assert [e for e in mixed.train if e.origin != "rehearsal"] == alone.train
    assert mixed.examples_sha256 == alone.dataset_sha256 != mixed.dataset_sha256
    assert mixed.rehearsed and set(mixed.rehearsed) == {e.question for e in mixed.train if e.origin == "rehearsal"}
    held = [e for e in mixed.validation if e.origin == "rehearsal"]
    assert held, "some rehearsed answers are held out to ask the style"
    assert all(q.origin == HELD_OUT for q in from_examples(mixed.validation))  # not the user's style
    assert [q.text for q in asked_before(mixed.validation)] == [e.question for e in held]
    assert asked_before(mixed.validation, skip=[held[0].question.upper()])[0].text != held[0].question
    assert assemble([], words, 4096, history=history, minimum=0).train == []  # no style, nothing to rehearse


def test_the_house_style_trains_on_earlier_answers_and_is_never_judged_on_one_it_rehearsed(indexed, engine,
                                                                                          data_dir):
    store, log = ConversationStore(layout.conversations_path(data_dir)), FeedbackLog(layout.feedback_path(data_dir))
    try:
        for i in range(24):  # the user's style: corrections of answers in the chat
            _, saved, _ = answer_and_save(indexed, engine, store, f"{REFUND} (case {i})", "30 days [1].")
            rate_answer(store, log, saved.id, 1, f"In short: 30 days from delivery, case {i} [1].")
        _, down, _ = answer_and_save(indexed, engine, store, "What is the Acme refund window?", "30 days [1].")
        rate_answer(store, log, down.id, -1)
        for i in range(12):  # other questions the app answered
            answer_and_save(indexed, engine, store, f"{INVOICE} ({i})", "Globex Corporation [1].")
    finally:
        store.close()
        log.close()
    studio = HouseStyle(data_dir)
    found = studio.collect(words, 4096)
    rehearsed_ = [e for e in found.train + found.validation if e.origin == "rehearsal"]
    assert found.counts["rehearsal"] == len(rehearsed_) > 0 and found.ready
    assert all(e.question.startswith(INVOICE) for e in rehearsed_)  # neither examples nor rated down
    listed, _ = studio.listing(words, 4096)
    assert {item.example.question for item in listed if item.example.origin == "rehearsal"} == \
        {e.question for e in rehearsed_}
    assert not any(item.editable or item.removable for item in listed if item.example.origin == "rehearsal")

    manifest = make_manifest(Path(engine.model_path), rehearsed=tuple(found.rehearsed))
    style = Style(data_dir / "styles" / "v1", manifest)
    asked = questions_to_ask(found, style, data_dir)
    earlier = [q.text for q in asked if q.origin == ASKED]
    assert earlier and not set(earlier) & set(found.rehearsed)
    assert len(earlier) <= 10 and not any(t.startswith(REFUND) for t in earlier)  # nor an example's question
    assert {e.question for e in found.validation if e.origin == "rehearsal"} <= set(earlier)


def test_new_answers_in_the_history_do_not_restart_an_unfinished_run(data_dir):
    from core.llm.embedded_engine import bundled_model_path
    from core.style.base_model import BaseModel
    from core.style.studio import training_parameters

    studio, base, params = HouseStyle(data_dir), BaseModel.read(bundled_model_path()), training_parameters()
    given = [example(i) for i in range(24)]

    def prepared(examples, shift=0):
        found = assemble(examples, words, 4096, history=lambda count, _: [rehearsed(i + shift) for i in range(count)],
                         minimum=0)
        return found, studio.prepare(base, "smollm2-135m", params, found, 4096)

    first, job = prepared(given)
    (job.folder / "checkpoint-1").mkdir()  # as a cancelled run leaves it
    later, again = prepared(given, shift=1)  # the user chatted meanwhile: other answers to rehearse
    assert later.dataset_sha256 != first.dataset_sha256
    assert (again.folder / "checkpoint-1").is_dir()  # resumes, on the set it started with
    assert (again.folder / "train.jsonl").read_text() == (job.folder / "train.jsonl").read_text()
    _, changed = prepared(given[:-1])  # the user's own examples changed: a fresh run
    assert not (changed.folder / "checkpoint-1").exists()
