"""The active house style on the engine that answers, where it fits.

The built-in engine gets the style's adapter when its model file is the exact base the style was
trained on (sha256, remembered per file), at the strength the settings give
(``Settings.style_strength``). Through Ollama, answers go to the model the style was registered as
for the chosen model (core/style/ollama_register.py), after Ollama confirms that the chosen model
still has the style's base weights and the styled model exactly its adapter (Ollama applies an
adapter at strength 1). Any other model answers plainly, and the reason is logged.
"""

from __future__ import annotations

import logging
import math
import os

log = logging.getLogger(__name__)

DEFAULT_STRENGTH = 1.0
MAX_STRENGTH = 2.0  # beyond twice the trained change a small model's answers come apart


def checked_strength(value: object) -> float:
    """A style strength from 0 to MAX_STRENGTH, or ValueError saying what is allowed."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= MAX_STRENGTH:
        raise ValueError(f"the style strength is a number from 0 (no style) to {MAX_STRENGTH:g} (twice as "
                         f"strong as trained), 1 being as trained; {value!r} is not")
    return float(value)


def configured_strength(data_dir: str | os.PathLike) -> float:
    """The strength in the settings; a value out of range answers at the default, saying why."""
    from core.config import Settings

    value = Settings.load(data_dir).style_strength
    try:
        return checked_strength(value)
    except ValueError as exc:
        log.warning("%s (settings in %s); using %g", exc, data_dir, DEFAULT_STRENGTH)
        return DEFAULT_STRENGTH


def apply_house_style(engine, data_dir: str | os.PathLike, strength: float | None = None) -> str:
    """Give ``engine`` the active style if it fits, at ``strength`` (None: the settings'); returns
    what answers say ("house style v3") or "" when no style applies. Ollama applies an adapter at
    strength 1 whatever ``strength`` says."""
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
    strength = configured_strength(data_dir) if strength is None else checked_strength(strength)
    engine.use_style((str(style.adapter_path), strength), style.label)
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
