"""Pick the answer engine: Ollama when it is running and has a model, else the built-in one."""

from __future__ import annotations

import logging

from core.llm.base import Engine, EngineError, EngineUnavailable
from core.llm.embedded_engine import EmbeddedEngine
from core.llm.ollama_engine import OllamaEngine, choose_default_model, same_model

log = logging.getLogger(__name__)

PREFERENCES = ("auto", "ollama", "embedded")


def split_model(model: str | None) -> tuple[str | None, str | None]:
    """(Ollama model, built-in model) for what a user typed: a GGUF file or a built-in model's short
    name ("qwen2.5-coder-1.5b") is for the built-in engine, anything else names an Ollama model."""
    from core.llm import builtin_models

    if not model:
        return None, None
    if model.endswith(".gguf") or model in {m.name for m in builtin_models.catalogue()}:
        return None, model
    return model, None


def engine_for(preference: str, model: str | None, ollama_host: str | None = None) -> Engine:
    """``select_engine`` for a model name as a user gives it (see ``split_model``)."""
    ollama_model, builtin = split_model(model)
    return select_engine(preference, ollama_host, ollama_model, builtin)


def select_engine(preference: str = "auto", ollama_host: str | None = None,
                  ollama_model: str | None = None, gguf: str | None = None) -> Engine:
    # ``gguf``: a GGUF file or a built-in model's short name; None for the default built-in model.
    """``"ollama"`` and ``"embedded"`` return that engine without probing (its errors, with what to
    do, come on first use). ``"auto"`` returns Ollama when it answers within ~1 s and has
    ``ollama_model`` (or, with none chosen, any chat model: the most recently pulled one, see
    ``choose_default_model``); otherwise the built-in engine. If neither can work, raises
    EngineUnavailable naming both reasons."""
    if preference not in PREFERENCES:
        raise ValueError(f"engine must be one of {', '.join(PREFERENCES)}, not {preference!r}")
    if preference == "ollama":
        return OllamaEngine(ollama_host, ollama_model)
    if preference == "embedded":
        return EmbeddedEngine(gguf)

    ollama = OllamaEngine(ollama_host, ollama_model)
    why_not = _ollama_unusable(ollama, ollama_model)
    if why_not is None:
        log.info("answer engine: %s", ollama.describe())
        return ollama
    ollama.close()
    embedded = EmbeddedEngine(gguf)
    try:
        embedded.check()
    except EngineUnavailable as e:
        raise EngineUnavailable(f"No answer engine is available. {why_not} {e}") from e
    log.info("answer engine: built-in (%s)", why_not)
    return embedded


def _ollama_unusable(engine: OllamaEngine, wanted: str | None) -> str | None:
    """Why Ollama cannot answer now (a sentence), or None when it can."""
    if not engine.is_running():
        return f"Ollama is not running at {engine.host}."
    try:
        models = engine.list_raw_models()
    except EngineError as e:
        return str(e)
    if wanted:
        if any(same_model(m.model or "", wanted) for m in models):
            return None
        return f"Ollama at {engine.host} does not have the model {wanted}."
    chosen = choose_default_model(models)
    if chosen is None:
        return f"Ollama at {engine.host} has no chat model installed."
    engine.model = chosen
    return None
