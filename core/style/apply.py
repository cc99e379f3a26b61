"""The active house style on the engine that answers, where it fits.

The built-in engine gets the style's adapter when its model file is the exact base the style was
trained on (sha256, remembered per file). Through Ollama, answers go to the model the style was
registered as for the chosen model (core/style/ollama_register.py), after Ollama confirms that the
chosen model still has the style's base weights and the styled model exactly its adapter. Any other
model answers plainly, and the reason is logged.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def apply_house_style(engine, data_dir: str | os.PathLike, strength: float = 1.0) -> str:
    """Give ``engine`` the active style if it fits; returns what answers say ("house style v3") or
    "" when no style applies. ``strength`` (the adapter's scale) applies to the built-in engine only:
    Ollama applies an adapter at scale 1."""
    from core.llm.embedded_engine import EmbeddedEngine
    from core.llm.ollama_engine import OllamaEngine
    from core.style.errors import StyleError
    from core.style.registry import StyleRegistry

    if isinstance(engine, OllamaEngine):
        return _apply_through_ollama(engine, StyleRegistry(data_dir))
    if not isinstance(engine, EmbeddedEngine) or engine.model_path is None:
        return ""
    registry = StyleRegistry(data_dir)
    style = registry.active()
    try:
        if style is not None:
            registry.verify(style, engine.model_path)
    except StyleError as exc:
        log.warning("answering without the house style: %s", exc)
        style = None
    if style is None:
        engine.use_style(None)
        return ""
    engine.use_style((str(style.adapter_path), float(strength)), style.label)
    return style.label


def _apply_through_ollama(engine, registry) -> str:
    from core.llm.base import EngineError
    from core.style.errors import StyleError
    from core.style.ollama_register import OllamaStyles

    style, styled = registry.active(), None
    if style is not None:
        try:
            styled = OllamaStyles(engine, registry.digests).serving(style, engine.resolve_model())
        except (StyleError, EngineError) as exc:  # Ollama down or no model: the answer itself says so
            log.warning("answering through Ollama without the house style: %s", exc)
    engine.use_style(styled, style.label if styled else "")
    return engine.style_label
