"""What every answer engine offers, and the errors it may raise (each with a message a user can act on).

Engines: ``core.llm.ollama_engine.OllamaEngine`` (a local Ollama server) and
``core.llm.embedded_engine.EmbeddedEngine`` (llama.cpp in-process, so answers work out of the box).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


def model_text(text: str) -> str:
    """``text`` as valid UTF-8, which every engine needs: lone surrogates (the undecodable bytes of
    a file name, as os.fsdecode keeps them) become U+FFFD instead of failing the request."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")  # each undecodable byte back to itself: one U+FFFD
    except UnicodeEncodeError:  # a surrogate os.fsdecode never makes
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


@dataclass(frozen=True)
class ModelInfo:
    name: str
    size_bytes: int | None = None
    family: str | None = None
    parameter_size: str | None = None
    quantization: str | None = None


@dataclass(frozen=True)
class PullProgress:
    status: str
    completed: int | None = None
    total: int | None = None


class EngineError(Exception):
    """Base class; ``str(error)`` is shown to the user as is."""


class EngineUnavailable(EngineError):
    """The engine cannot be reached or loaded at all (e.g. Ollama is not running)."""


class ModelMissing(EngineError):
    def __init__(self, message: str, model: str, can_pull: bool):
        super().__init__(message)
        self.model = model
        self.can_pull = can_pull


class ConnectionLost(EngineError):
    """The engine went away mid-answer; ``partial`` is what had arrived (kept and shown)."""

    def __init__(self, message: str, partial: str):
        super().__init__(message)
        self.partial = partial


class Engine(Protocol):
    name: str  # "ollama" or "embedded"
    model: str

    def describe(self) -> str:
        """E.g. "Ollama 0.12 at http://127.0.0.1:11434, model llama3.2:3b" — always shown to users."""

    def list_models(self) -> list[ModelInfo]: ...

    def context_length(self) -> int:
        """The context window the model is run with, in tokens."""

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` for this model (exact where the engine can tell, else a safe overestimate)."""

    def stream_chat(self, messages: list[ChatMessage], *, cancel: threading.Event | None = None,
                    temperature: float = 0.0, max_tokens: int | None = None) -> Iterator[str]:
        """Yield pieces of the answer as they come. Stops early (no error) when ``cancel`` is set.
        Raises EngineUnavailable, ModelMissing, or ConnectionLost (with the partial answer)."""

    def pull(self, model: str, on_progress: Callable[[PullProgress], None]) -> None:
        """Download a model (Ollama only; the embedded engine raises EngineError)."""
