"""The user's history for bench/style_training.py: other questions the user asked before, answered
by the plain model through the real pipeline and saved as the app saves answers, so that a house
style can rehearse them (core/style/rehearsal.py) and be asked the held-out ones.

The questions come from bench/qa_heldout.py and bench/qa_fresh.py (their libraries indexed beside
the style's): another kind of question than the style's examples, and not the main QA set the
bench reports on, so nothing reported is trained on.
"""

from __future__ import annotations

import time
from pathlib import Path

import qa_fresh
import qa_heldout

from core import layout
from core.answer.pipeline import Answered, Retrieved, ask
from core.conversations import ConversationStore
from core.history import save_answer

SETS = {"earlier-a": qa_heldout, "earlier-b": qa_fresh}


def build_libraries(root: Path) -> dict:
    return {name: module.build(root / name) for name, module in SETS.items()}


def questions() -> list[str]:
    return [fact.question for module in SETS.values() for fact in module.FACTS]


def answer_and_save(archivist, engine, asked: list[str], say) -> dict:
    """Each question in a conversation of its own, answered and saved; counts by status."""
    store = ConversationStore(layout.conversations_path(archivist.data_dir))
    counts: dict[str, int] = {}
    started = time.perf_counter()
    try:
        for i, question in enumerate(asked, 1):
            retrieved = done = None
            for event in ask(archivist, engine, question):
                if isinstance(event, Retrieved):
                    retrieved = event
                elif isinstance(event, Answered):
                    done = event
            conversation = store.create().id
            store.add_message(conversation, "user", question)
            save_answer(store, conversation, retrieved, done)
            counts[done.status] = counts.get(done.status, 0) + 1
            say(f"  history {i}/{len(asked)} {done.status:8} {' '.join(done.text.split())[:90]}")
    finally:
        store.close()
    return {"asked": len(asked), "by_status": counts, "seconds": round(time.perf_counter() - started, 1)}
