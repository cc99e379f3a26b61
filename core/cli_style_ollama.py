"""archivist-cli style, where Ollama answers: `style use N` registers the style with the running
Ollama, and `style train --base ollama:NAME` trains on the file Ollama answers NAME from.

`style use` registers on its own, without an extra flag: whoever switches a style on expects the
answers to change, and when Ollama is what answers (`--engine auto`, the default, picks it when it
runs), a style not registered there would silently change nothing. It registers only for the model
those answers come from (`--model`, else Ollama's default), and only when that model runs on the
exact weights the style was trained on; otherwise it says so and leaves Ollama untouched.
"""

from __future__ import annotations

import sys


def register_with_ollama(studio, style, args) -> int:
    """After `style use`/`revert` switched to ``style``: 0, or 1 after saying why it failed."""
    from core.style.ollama_sync import register_active

    if style is None or args.engine == "embedded":
        return 0
    wanted = args.engine == "ollama" or bool(args.model)  # asked for: a failure is an error
    outcome = register_active(style, studio.registry.digests, model=args.model, required=wanted)
    say(outcome)
    return 0 if outcome.ok else 1


def forget_in_ollama(models) -> None:
    """After `style remove`: the models it was registered as, deleted where Ollama runs."""
    from core.style.ollama_sync import forget_in_ollama as forget

    for outcome in forget(models):
        say(outcome)


def say(outcome) -> None:
    if outcome.message:
        text = outcome.message[0].lower() + outcome.message[1:]
        if outcome.kind == "info":
            print(text)
        else:
            print(f"archivist-cli: {text}", file=sys.stderr)


def ollama_training_base(spec: str | None, digests=None, training: bool = False):
    """``--base ollama:NAME`` resolved to the GGUF Ollama answers NAME from; None for a built-in
    model or a GGUF file. ``training``: refuse at once a model whose prompts cannot be reproduced."""
    from core.llm.ollama_engine import OllamaEngine
    from core.style.ollama_base import check_template, ollama_model, resolve_ollama_base

    name = ollama_model(spec)
    if name is None:
        return None
    engine = OllamaEngine(None, name)
    try:
        base = resolve_ollama_base(engine, name, digests)
    finally:
        engine.close()
    if training:
        check_template(base)
    return base
