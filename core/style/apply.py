"""The active house style on the engine that answers, where it fits.

The built-in engine gets the style's adapter when its model file is the exact base the style was
trained on (sha256, remembered per file); any other model answers plainly, and the reason is
logged. Through Ollama a style answers as the model it was registered as (core/style/ollama_register.py).
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def apply_house_style(engine, data_dir: str | os.PathLike, strength: float = 1.0) -> str:
    """Give ``engine`` the active style if it fits; returns what answers say ("house style v3") or
    "" when no style applies."""
    from core.llm.embedded_engine import EmbeddedEngine
    from core.style.errors import StyleError
    from core.style.registry import StyleRegistry

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
