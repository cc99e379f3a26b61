"""Keeping Ollama in step with the house-style registry, for the command line and the window alike.

Switching a style on (`style use`, Revert, the window's Use button) registers it with the Ollama
that answers, for the model those answers come from, when that model runs on the weights the style
was trained on: whoever switches a style on expects the answers to change, and a style not
registered there would silently change nothing. Removing a style deletes the models it was
registered as, wherever that Ollama is reachable, and says which ones stay where it is not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    ok: bool       # False: it failed where the user asked for Ollama
    message: str   # what to tell the user ("" for nothing)
    kind: str = "info"  # info | warning | error


def register_active(style, digests=None, host: str | None = None, model: str | None = None,
                    required: bool = False) -> Outcome:
    """Register ``style`` with the Ollama at ``host`` for ``model`` (None: Ollama's default model).
    ``required`` (Ollama or a model was asked for by name): not running, or another base, is an error;
    otherwise those are no reason to complain, since answers then come from the built-in engine or
    stay plain."""
    from core.llm.base import EngineError
    from core.llm.ollama_engine import OllamaEngine
    from core.style.errors import StyleError
    from core.style.ollama_register import OllamaStyles, OtherBase

    if style is None:
        return Outcome(True, "")
    engine = OllamaEngine(host, model)
    try:
        if not engine.is_running():
            if required:
                return Outcome(False, f"{style.label} is in use, but Ollama is not running at {engine.host}, "
                                      "so it could not be registered there", "error")
            return Outcome(True, "")
        chosen = ""
        try:
            chosen = engine.resolve_model()
            served = OllamaStyles(engine, digests).register(style, chosen)
        except OtherBase as exc:
            if required:
                return Outcome(False, str(exc), "error")
            return Outcome(True, f"Ollama at {engine.host} answers with {chosen}, not with the model {style.label} "
                                 f"was trained on ({style.manifest.base.name}): answers through it stay plain",
                           "warning")
        except (StyleError, EngineError) as exc:
            return Outcome(False, f"{style.label} is in use, but could not be registered with Ollama at "
                                  f"{engine.host}: {exc}", "error")
        return Outcome(True, f"Registered with Ollama at {engine.host}: answers with {chosen} now come from "
                             f"{served.model}.")
    finally:
        engine.close()


def registered_models(style) -> list[tuple[str, str]]:
    """(host, styled model) for every registration kept with ``style``; read before the style's
    folder goes, since the registrations live in it."""
    from core.style.ollama_register import OllamaStyles

    found = []
    for host, entries in OllamaStyles.registrations(style).items():
        if isinstance(entries, dict):
            found += [(host, e["model"]) for e in entries.values()
                      if isinstance(e, dict) and isinstance(e.get("model"), str)]
    return found


def forget_in_ollama(models: list[tuple[str, str]]) -> list[Outcome]:
    """Delete the styled models (their bases and shared blobs stay). A model already gone is fine;
    an Ollama not running keeps its model, and the outcome says how to remove it there."""
    from core.llm.base import EngineError, ModelMissing
    from core.llm.ollama_engine import OllamaEngine

    outcomes = []
    for host, model in models:
        engine = OllamaEngine(host, timeout_s=60)
        try:
            if not engine.is_running():
                outcomes.append(Outcome(False, f"Ollama at {host} is not running: its model {model} stays "
                                               f"(`ollama rm {model}` removes it)", "warning"))
                continue
            try:
                engine.call(engine.client.delete, model, model=model)
            except ModelMissing:
                continue  # removed by hand already
            except EngineError as exc:
                outcomes.append(Outcome(False, f"could not remove {model} from Ollama at {host}: {exc}", "warning"))
                continue
            log.info("removed %s from Ollama at %s", model, host)
            outcomes.append(Outcome(True, f"Removed {model} from Ollama at {host}."))
        finally:
            engine.close()
    return outcomes
