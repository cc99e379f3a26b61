"""Evaluate a trained house style: compare it with the plain model on the examples held out from its
training, on a QA set if given, and on up to ten questions the user asked before that the app
answered from the documents; judge it with the gate, and keep the scores and the verdict in its
manifest (``StyleRegistry.record_evaluation``), where ``style use`` and ``style list`` read them.

The style checks are the user's (``styles/checks.json``) or, when there are none, derived from the
examples the style was trained on; the similarity to the user's examples is to those same training
answers. The held-out examples are the ones the training split left out: the split is recomputed
from the current examples, which is exact while they are the ones the style was trained on (the
dataset hash says so); otherwise the comparison says that some held-out examples may have been learnt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from core.style import style_checks
from core.style.compare import ASKED, Comparison, Question, Run, asked_before, compare, from_examples
from core.style.errors import StyleError
from core.style.manifest import now_rfc3339
from core.style.registry import Style

log = logging.getLogger(__name__)

QUICK_QUESTIONS = 10  # the comparison run right after training: held-out questions, at most this many
PLAIN = "the plain model"


@dataclass
class Evaluation:
    style: Style
    comparison: Comparison
    checks: style_checks.StyleChecks
    gate: dict
    strength: float
    against: str = PLAIN
    notes: list[str] = field(default_factory=list)

    def scores(self) -> dict:
        """What the manifest keeps of it (``scores["comparison"]``)."""
        return {"comparison": {"at": now_rfc3339(), "strength": self.strength, "against": self.against,
                               "questions": len(self.comparison.questions), "checks": self.checks.to_json(),
                               "base": self.comparison.base_figures, "styled": self.comparison.styled_figures}}

    def to_json(self) -> dict:
        return {"style": self.style.label, "version": self.style.version, "strength": self.strength,
                "against": self.against, "checks": self.checks.to_json(), "gate": self.gate, "notes": self.notes,
                **self.comparison.to_json()}


def engine_for_style(style: Style, registry, requested: str | None = None):
    """The built-in engine on the style's base: ``requested`` (a built-in name, a GGUF file or
    ollama:NAME), else the installed built-in model or the Ollama blob on this computer whose file
    the style was trained on. StyleError when it is not."""
    from core.llm import builtin_models
    from core.llm.embedded_engine import EmbeddedEngine
    from core.style.ollama_base import find_blob, models_dirs, ollama_model

    if ollama_model(requested):  # the same weights, read by the built-in engine from Ollama's file
        requested = str(_ollama_file(requested, registry))
    names = [requested] if requested else [None] + [m.name for m in builtin_models.catalogue()]
    if not requested and (blob := find_blob(style.manifest.base.file_name, models_dirs())):
        names.append(str(blob))  # a style trained for an Ollama model
    chosen = None
    for name in names:
        engine = EmbeddedEngine(name)
        if engine.model_path and Path(engine.model_path).name == style.manifest.base.file_name:
            chosen = engine
            break
    chosen = chosen or EmbeddedEngine(requested)
    chosen.check()
    registry.verify(style, chosen.model_path)  # the exact weights, and an intact adapter
    return chosen


def _ollama_file(spec: str, registry) -> Path:
    from core.llm.ollama_engine import OllamaEngine
    from core.style.ollama_base import ollama_model, resolve_ollama_base

    engine = OllamaEngine(None, ollama_model(spec))
    try:
        return resolve_ollama_base(engine, ollama_model(spec), registry.digests).path
    finally:
        engine.close()


def evaluate(studio, archivist, engine, style: Style, *, questions: Sequence[Question] = (),
             held_out: bool = True, limit: int | None = None, strength: float = 1.0,
             against: Style | None = None, record: bool = True, earlier: bool = True,
             progress: Callable[[str, int, int, Run], None] | None = None) -> Evaluation:
    """Compare ``style`` with the plain model (or with the style ``against``) on ``engine``, which
    must be the style's base (see ``engine_for_style``). The verdict is recorded only for a
    comparison with the plain model: that is what answering by default is judged against."""
    found = studio.collect(engine.count_tokens, engine.context_length(), minimum=0)
    notes = []
    trained = style.manifest.examples_sha256 or style.manifest.dataset_sha256  # older manifests: one hash
    if (found.examples_sha256 if style.manifest.examples_sha256 else found.dataset_sha256) != trained:
        notes.append(f"your examples have changed since {style.label} was trained: some of the held-out "
                     "examples may be ones it learnt from")
    asked = questions_to_ask(found, style, archivist.data_dir, questions, held_out, limit, earlier)
    if not asked:
        raise StyleError("there is nothing to compare on: no held-out example has a question "
                         "(add examples, or give questions with --questions FILE)")
    answers = [e.answer for e in found.train if e.origin != "rehearsal"]  # the style is in the user's answers
    originals = [e.original for e in found.train if e.origin == "corrected"]
    similarity = style_checks.Similarity(archivist.embedder, answers) if answers else None
    checks = style_checks.load(studio.root)
    if checks is None:
        checks = style_checks.derive(answers, originals, similarity.floor() if similarity else None)
    if against is not None:
        studio.registry.verify(against, engine.model_path)
    reference = (str(against.adapter_path), 1.0) if against is not None else None
    against_label = against.label if against is not None else PLAIN
    comparison = compare(archivist, engine, (str(style.adapter_path), strength), style.label, asked, checks,
                         similarity, reference=reference, reference_label=against_label if against else "",
                         progress=progress)
    verdict = comparison.verdict(against=against_label)
    verdict["strength"] = strength
    evaluation = Evaluation(style, comparison, checks, verdict, strength, against_label, notes)
    if record and against is None:
        evaluation.style = studio.registry.record_evaluation(style.version, evaluation.scores(), verdict)
    return evaluation


def check_after_training(studio, archivist, style: Style, engine_name: str | None = None,
                         progress: Callable[[str, int, int, Run], None] | None = None) -> Evaluation:
    """The quick comparison with the plain model run after training (`style train`, the window's
    Train and Check again), on the style's own base, its verdict recorded."""
    engine = engine_for_style(style, studio.registry, engine_name)
    try:
        return evaluate(studio, archivist, engine, style, limit=QUICK_QUESTIONS, progress=progress)
    finally:
        engine.close()


def questions_to_ask(found, style: Style, data_dir: Path, questions: Sequence[Question] = (),
                     held_out: bool = True, limit: int | None = None, earlier: bool = True) -> list[Question]:
    """The held-out examples' questions, the ones given, and up to ten the user asked before: the
    held-out rehearsed ones first, then others from the history; never one the style was trained
    on, as an example or rehearsed (``found``: the current ExampleSet)."""
    asked = (from_examples(found.validation, limit) if held_out else []) + list(questions)
    if earlier:
        asked += asked_before(found.validation, style.manifest.rehearsed)[:QUICK_QUESTIONS]
        trained = set(style.manifest.rehearsed) | {e.question for e in found.train}
        asked += earlier_questions(data_dir, QUICK_QUESTIONS - sum(q.origin == ASKED for q in asked),
                                   {q.text for q in asked} | trained)
    return asked


def earlier_questions(data_dir: Path, limit: int, skip: set[str]) -> list[Question]:
    """Up to ``limit`` of the user's own questions the app answered from the documents before
    (newest first): a style must go on answering them, not only questions of its own kind."""
    if limit <= 0:
        return []
    from core import layout
    from core.conversations import ConversationStore

    path = layout.conversations_path(Path(data_dir))
    if not path.exists():
        return []
    store = ConversationStore(path)
    try:
        texts = store.answered_questions(limit + len(skip))
    finally:
        store.close()
    return [Question(text, origin=ASKED) for text in texts if text not in skip][:limit]
