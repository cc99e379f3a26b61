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
    from core.llm.base import EngineError
    from core.llm.ollama_engine import OllamaEngine
    from core.style.errors import StyleError
    from core.style.ollama_register import OllamaStyles, OtherBase

    if style is None or args.engine == "embedded":
        return 0
    engine = OllamaEngine(None, args.model)
    wanted = args.engine == "ollama" or bool(args.model)  # asked for: a failure is an error
    try:
        if not engine.is_running():
            if wanted:
                print(f"archivist-cli: {style.label} is in use, but Ollama is not running at {engine.host}, "
                      "so it could not be registered there", file=sys.stderr)
            return 1 if wanted else 0
        model = ""
        try:
            model = engine.resolve_model()
            served = OllamaStyles(engine, studio.registry.digests).register(style, model)
        except OtherBase as exc:
            if wanted:
                print(f"archivist-cli: {exc}", file=sys.stderr)
                return 1
            print(f"Ollama at {engine.host} answers with {model}, not with the model {style.label} was trained on "
                  f"({style.manifest.base.name}): answers through it stay plain (`--model` names another Ollama model)")
            return 0
        except (StyleError, EngineError) as exc:
            print(f"archivist-cli: {style.label} is in use, but could not be registered with Ollama at "
                  f"{engine.host}: {exc}", file=sys.stderr)
            return 1
        print(f"registered with Ollama at {engine.host}: answers with {model} now come from {served.model}")
        return 0
    finally:
        engine.close()


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
