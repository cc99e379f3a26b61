"""llama.cpp runners: load, cache, generate token by token, embed.

One llama.cpp context is not thread-safe, so each runner has a lock held for
a whole generation; a second request for the same model waits, as Ollama's
scheduler queues it. Generation runs in a worker thread (see streaming.py)
and checks a cancel event between tokens, so a client that disconnects stops
the work instead of leaving the model busy until num_predict.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from . import prompt as P

# llama.cpp's OpenMP threads spin-wait by default; on a 2-core box shared with
# the test process (or anything else) that made prompt evaluation 5-30x slower
# here (60 tokens: 1-9 s instead of 0.3 s). Must be set before libgomp loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class StandinError(Exception):
    """An error with the HTTP status Ollama would use."""

    def __init__(self, message: str, status: int = 500):
        super().__init__(message)
        self.status = status


@dataclass
class Runner:
    key: tuple
    llm: object
    n_ctx: int
    size: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0        # requests holding it; it is closed only at zero
    doomed: bool = False  # replaced or unloaded: close when the last user ends


@dataclass
class Loaded:
    """What /api/ps shows for a model name: its chat runner and, after
    /api/embed, an embedding runner (llama.cpp needs a separate context)."""
    name: str
    keys: dict  # {embedding: bool -> runner key}
    digest: str
    details: dict
    expires_at: float | None  # None: keep forever


class Stats:
    """Counters read through the test-only GET /_standin/stats."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = 0
        self.started = self.finished = self.cancelled = 0
        self.tokens = 0
        self.last = {}

    def snapshot(self) -> dict:
        with self.lock:
            return {"active": self.active, "started": self.started,
                    "finished": self.finished, "cancelled": self.cancelled,
                    "tokens": self.tokens, "last": dict(self.last)}


class Engine:
    def __init__(self, default_ctx: int = 8192, threads: int | None = None):
        self.default_ctx = default_ctx
        # One thread per two cores (llama-cpp-python's default): faster here than
        # two when the client or another job shares the CPU.
        self.threads = threads or int(os.environ.get("STANDIN_THREADS") or 0) or \
            max(1, (os.cpu_count() or 2) // 2)
        self.runners: dict[tuple, Runner] = {}
        self.loaded: dict[str, Loaded] = {}
        self.lock = threading.Lock()
        self._load_locks: dict[tuple, threading.Lock] = {}
        self.stats = Stats()

    # -- loading -----------------------------------------------------------
    def _load(self, key: tuple) -> Runner:
        import llama_cpp  # imported lazily: a slow import, and tests of
        # routes that never generate should not need it.

        from core.llm import cpu_backend

        cpu_backend.load_once()  # the portable build picks its CPU code at run time
        model, adapters, n_ctx, embedding = key
        kw = dict(model_path=model, n_ctx=n_ctx, n_threads=self.threads,
                  verbose=False)
        if adapters:
            kw["lora_path"] = adapters[0]
        if embedding:
            kw.update(embedding=True, n_batch=n_ctx, n_ubatch=n_ctx,
                      pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN)
        try:
            llm = llama_cpp.Llama(**kw)
            if len(adapters) > 1:
                _apply_all_adapters(llama_cpp, llm, adapters)
        except Exception as e:  # llama.cpp only says why on stderr
            raise StandinError(f"llama runner process has terminated: {e}") from e
        size = os.path.getsize(model) + sum(os.path.getsize(a) for a in adapters)
        return Runner(key, llm, n_ctx, size)

    def acquire(self, name: str, res: dict, digest: str, details: dict, opts: dict,
                embedding: bool = False) -> tuple[Runner, int]:
        """Runner for a model (loading it if needed) and the load time in ns.
        Every acquire must be paired with finish()."""
        if not res.get("model"):
            raise StandinError(f"model {name!r} not found, try pulling it first", 404)
        n_ctx = int(opts.get("num_ctx") or self.default_ctx)
        if embedding:
            n_ctx = min(n_ctx, 2048)  # the whole input is one batch
        key = (res["model"], tuple(res.get("adapters") or ()), n_ctx, embedding)
        t0 = time.perf_counter_ns()
        with self.lock:
            load_lock = self._load_locks.setdefault(key, threading.Lock())
        with load_lock:  # one load per key; users counted under the same lock
            with self.lock:
                runner = self.runners.get(key)
                if runner is not None:
                    runner.users += 1
            if runner is None:
                runner = self._load(key)
                with self.lock:
                    self.runners[key] = runner
                    runner.users += 1
        load_ns = time.perf_counter_ns() - t0
        with self.lock:
            entry = self.loaded.get(name)
            if entry is None:
                entry = self.loaded[name] = Loaded(name, {}, digest, details, time.time() + 300)
            old = entry.keys.get(embedding)
            entry.keys[embedding], entry.digest = key, digest
            if old is not None and old != key:  # e.g. another num_ctx: reload
                self._release(old)
        return runner, max(load_ns, 1)

    def finish(self, name: str, runner: Runner, keep_alive: float | None) -> None:
        """End of a request: set the expiry; keep_alive 0 unloads at once."""
        with self.lock:
            runner.users -= 1
            if runner.doomed and runner.users == 0:
                self._close(runner)
        if keep_alive == 0:
            self.unload(name)
        else:
            with self.lock:
                if name in self.loaded:
                    self.loaded[name].expires_at = \
                        None if keep_alive is None else time.time() + keep_alive

    def unload(self, name: str) -> None:
        with self.lock:
            entry = self.loaded.pop(name, None)
            for key in (entry.keys.values() if entry else ()):
                self._release(key)

    def _release(self, key: tuple) -> None:
        """Drop a runner no loaded name uses (caller holds self.lock)."""
        if any(key in l.keys.values() for l in self.loaded.values()):
            return
        runner = self.runners.pop(key, None)
        if runner is not None:
            runner.doomed = True
            if runner.users == 0:
                self._close(runner)

    @staticmethod
    def _close(runner: Runner) -> None:
        def close():
            with runner.lock:
                getattr(runner.llm, "close", lambda: None)()
        threading.Thread(target=close, daemon=True).start()

    def ps(self) -> list[tuple[Loaded, Runner]]:
        now = time.time()
        with self.lock:
            expired = [n for n, l in self.loaded.items()
                       if l.expires_at is not None and l.expires_at <= now]
        for name in expired:
            self.unload(name)
        with self.lock:
            out = []
            for l in self.loaded.values():
                key = l.keys.get(False) or l.keys.get(True)
                if key in self.runners:
                    out.append((l, self.runners[key]))
            return out

    # -- generation ----------------------------------------------------------
    def generate(self, runner: Runner, load_ns: int, t_start: int, build, opts: dict,
                 cancel: threading.Event, grammar=None):
        """Yield ("token", text) events, then ("done", metrics).

        `build(llm)` returns the prompt tokens (it may truncate); it runs under
        the runner lock because tokenizing uses the same llama.cpp objects.
        """
        with runner.lock:
            llm = runner.llm
            tokens = build(llm, runner.n_ctx)
            kw = P.sampling_kwargs(opts)
            if kw["max_tokens"] is None:
                kw["max_tokens"] = max(runner.n_ctx - len(tokens), 1)
            if grammar is not None:
                kw["grammar"] = grammar
            st = self.stats
            with st.lock:
                st.active += 1
                st.started += 1
            produced, reason, cancelled = 0, "stop", False
            t_gen = time.perf_counter_ns()
            t_first = None
            it = llm.create_completion(tokens, stream=True, **kw)
            try:
                for chunk in it:
                    if cancel.is_set():
                        cancelled = True
                        break
                    if t_first is None:
                        t_first = time.perf_counter_ns()
                    choice = chunk["choices"][0]
                    if choice.get("finish_reason"):  # a last, empty chunk
                        reason = choice["finish_reason"]
                    else:
                        produced += 1
                        with st.lock:
                            st.tokens += 1
                    if choice["text"]:
                        yield "token", choice["text"]
            finally:
                it.close()
                cancelled = cancelled or cancel.is_set()
                # The stream may merge tokens into one chunk, so count from the
                # context: every generated token but the last sampled one has
                # been evaluated (the EOS on "stop", which Ollama omits too).
                evaluated = max(llm.n_tokens - len(tokens) + (reason == "length"), produced)
                with st.lock:
                    st.active -= 1
                    st.finished += 1
                    st.cancelled += int(cancelled)
                    st.last = {"tokens": produced, "cancelled": cancelled,
                               "prompt_tokens": len(tokens)}
        if cancelled:
            return
        t_end = time.perf_counter_ns()
        t_first = t_first or t_end
        yield "done", {
            "done_reason": "length" if reason == "length" else "stop",
            "total_duration": t_end - t_start,
            "load_duration": load_ns,
            "prompt_eval_count": len(tokens),
            "prompt_eval_duration": max(t_first - t_gen, 1),
            "eval_count": evaluated,
            "eval_duration": max(t_end - t_first, 1),
            "context": [int(t) for t in llm._input_ids[:llm.n_tokens]],
        }

    def embed(self, runner: Runner, texts: list[str], truncate: bool) -> tuple[list, int]:
        with runner.lock:
            llm = runner.llm
            count = 0
            for t in texts:
                n = len(llm.tokenize(t.encode(), add_bos=True, special=True))
                if n > runner.n_ctx and not truncate:
                    raise StandinError("the input length exceeds the context length", 400)
                count += min(n, runner.n_ctx)
            vectors = llm.embed(texts, normalize=True, truncate=True)
        return [list(map(float, v)) for v in vectors], count


def tokens_for_messages(llm, n_ctx: int, messages: list[dict], truncate: bool,
                        prefix: list[int] | None = None) -> list[int]:
    """Render chatml, dropping old turns while the prompt does not fit."""
    while True:
        text = P.render_chatml(messages)
        tokens = list(prefix or []) + llm.tokenize(text.encode(), add_bos=True, special=True)
        if len(tokens) < n_ctx:
            return tokens
        if not truncate:
            raise StandinError("the input length exceeds the context length", 400)
        shorter = P.truncate_messages(messages)
        if shorter is None:
            raise StandinError("input after truncation exceeds maximum context length", 500)
        messages = shorter


def _apply_all_adapters(llama_cpp, llm, paths) -> None:
    """Ollama (>= 0.30) starts llama-server with one --lora per adapter layer, so a model created
    from a styled model runs with both adapters; llama-cpp-python's constructor loads only the
    first, the others go through its low-level API."""
    import ctypes

    handles = [llm._lora_adapter]
    for path in paths[1:]:
        handle = llama_cpp.llama_adapter_lora_init(llm._model.model, path.encode("utf-8"))
        if handle is None:
            raise RuntimeError(f"Failed to initialize LoRA adapter from lora path: {path}")
        llm._stack.callback(llama_cpp.llama_adapter_lora_free, handle)
        handles.append(handle)
    array = (llama_cpp.llama_adapter_lora_p_ctypes * len(handles))(*handles)
    scales = (ctypes.c_float * len(handles))(*[1.0] * len(handles))
    if llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, array, len(handles), scales):
        raise RuntimeError(f"Failed to set LoRA adapters: {', '.join(paths)}")
