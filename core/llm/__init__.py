"""Answer engines: Ollama (a local or LAN server) and the built-in llama.cpp engine.

Importing this package is cheap: llama-cpp-python is imported only when the built-in engine
first loads its model.
"""

from core.llm.base import (ChatMessage, ConnectionLost, Engine, EngineError, EngineUnavailable,
                           ModelInfo, ModelMissing, PullProgress)
from core.llm.embedded_engine import EmbeddedEngine
from core.llm.ollama_engine import OllamaEngine
from core.llm.select import select_engine

__all__ = ["ChatMessage", "ConnectionLost", "Engine", "EngineError", "EngineUnavailable",
           "ModelInfo", "ModelMissing", "PullProgress", "EmbeddedEngine", "OllamaEngine",
           "select_engine"]
