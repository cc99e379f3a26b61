"""One question answered twice by the built-in engine, on the model a style was trained on: without
the style, then with it. Same index, same question, greedy decoding: what differs is the adapter.

The engine is the app's answer pipeline (core/answer/pipeline.ask) unchanged, so what the user sees
here is what chat would answer with the style switched off and on.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Callable

from core.style.errors import StyleError
from core.style.registry import Style, StyleRegistry

BASE, STYLED = "base", "styled"


@dataclass
class SideBySide:
    question: str
    style: str  # its label: "house style v3"
    base: object  # core.answer.pipeline.Answered
    styled: object
    sources: list  # NumberedSource: what both answers were written from


def base_model_path(style: Style) -> str:
    """The built-in GGUF the style was trained on (by file name; its sha256 is checked by verify)."""
    from core.llm import builtin_models
    from core.llm.embedded_engine import bundled_model_path

    candidates = [bundled_model_path()] + [str(s.path) for s in builtin_models.installed() if s.path]
    wanted = style.manifest.base.file_name
    for path in candidates:
        if path and os.path.basename(path) == wanted:
            return path
    raise StyleError(f"{style.label} was trained on {style.manifest.base.name} ({wanted}), which is not "
                     "installed as a built-in model here; install it to compare.")


def answer_both(archivist, registry: StyleRegistry, style: Style, question: str, *, strength: float = 1.0,
                strict: bool = True, on_token: Callable[[str, str], None] | None = None,
                cancel: threading.Event | None = None, n_ctx: int = 4096) -> SideBySide:
    """``on_token(side, piece)`` with side BASE or STYLED as each answer is written; StyleError when
    the style does not fit its base (changed file, damaged adapter)."""
    from core.answer.pipeline import Answered, Retrieved, Token, ask
    from core.llm.embedded_engine import EmbeddedEngine

    path = base_model_path(style)
    registry.verify(style, path)
    cancel = cancel or threading.Event()
    engine = EmbeddedEngine(path, n_ctx=n_ctx)
    answers: dict[str, Answered] = {}
    sources: list = []
    try:
        for side, adapter in ((BASE, None), (STYLED, (str(style.adapter_path), float(strength)))):
            engine.use_style(adapter, style.label if adapter else "")
            for event in ask(archivist, engine, question, strict=strict, cancel=cancel):
                if isinstance(event, Retrieved) and side == BASE:
                    sources = list(event.sources)
                elif isinstance(event, Token) and on_token is not None:
                    on_token(side, event.text)
                elif isinstance(event, Answered):
                    answers[side] = event
            if cancel.is_set():
                break
    finally:
        engine.close()
    if len(answers) < 2:
        raise StyleError("The comparison was stopped.")
    return SideBySide(question, style.label, answers[BASE], answers[STYLED], sources)
