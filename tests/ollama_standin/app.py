"""Starlette app: Ollama's inference routes (chat, generate, embed, ps).

Model management routes live in app_models.py. Request checks follow the
order of ollama/ollama server/routes.go, so the same bad request gets the
same status and message as from a real server.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from . import app_models
from . import prompt as P
from .engine import Engine, StandinError, tokens_for_messages
from .store import Name, Store, now_rfc3339
from .streaming import error, respond

VERSION = os.environ.get("STANDIN_OLLAMA_VERSION", "0.33.0")
FOREVER = dt.timedelta(microseconds=(2 ** 63 - 1) // 1000)  # Go's max Duration


async def body_json(request: Request) -> dict:
    raw = await request.body()
    if not raw.strip():
        raise StandinError("missing request body", 400)
    try:
        obj = json.loads(raw)
    except ValueError as e:
        raise StandinError(str(e), 400) from None
    if not isinstance(obj, dict):
        raise StandinError("json: cannot unmarshal into the request object", 400)
    return obj


def model_or_404(store: Store, raw: str, missing_msg: str) -> dict:
    m = store.get(raw)
    if m is None:
        raise StandinError(missing_msg, 404)
    return m


def think_enabled(value) -> bool:
    # api/types.go ThinkValue.Bool
    return value is True or value in ("high", "medium", "low", "max")


def check_common(req: dict) -> float | None:
    tl = req.get("top_logprobs") or 0
    if not isinstance(tl, int) or not 0 <= tl <= 20:
        raise StandinError("top_logprobs must be between 0 and 20", 400)
    try:
        return P.keep_alive_seconds(req.get("keep_alive"))
    except ValueError as e:
        raise StandinError(str(e), 400) from None


def grammar_for(fmt):
    if not fmt:
        return None
    from llama_cpp import LlamaGrammar
    from llama_cpp.llama_grammar import JSON_GBNF
    if fmt == "json":
        return LlamaGrammar.from_string(JSON_GBNF, verbose=False)
    if isinstance(fmt, dict):
        return LlamaGrammar.from_json_schema(json.dumps(fmt), verbose=False)
    raise StandinError(f"invalid format: {fmt!r}", 400)


async def chat(request: Request):
    t0 = time.perf_counter_ns()
    st = request.app.state
    req = await body_json(request)
    keep = check_common(req)
    model = req.get("model") or ""
    try:
        Name.parse(model)
    except ValueError:
        raise StandinError("model is required", 400) from None
    m = model_or_404(st.store, model, f"model '{model}' not found")
    messages = req.get("messages") or []
    if not messages and keep == 0:
        st.engine.unload(Name.parse(model).short())
        return JSONResponse({"model": model, "created_at": now_rfc3339(),
                             "message": {"role": "assistant", "content": ""},
                             "done": True, "done_reason": "unload"})
    if think_enabled(req.get("think")):
        raise StandinError(f'"{model}" does not support thinking', 400)
    if req.get("tools"):
        full = Name.parse(model)
        raise StandinError(f"{full.host}/{full.namespace}/{full.model}:{full.tag} "
                           "does not support tools", 400)
    res = st.store.resolved(m)
    opts = P.merged_options(res["parameters"], req.get("options"))
    msgs = P.chat_messages(messages, res["system"], res["messages"])
    truncate = req.get("truncate", True) is not False
    grammar = grammar_for(req.get("format"))
    name = Name.parse(model).short()

    def work(cancel):
        runner, load_ns = st.engine.acquire(name, res, m["_digest"], st.store.details(m), opts)
        try:
            if not messages:
                yield {"model": model, "created_at": now_rfc3339(),
                       "message": {"role": "assistant", "content": ""},
                       "done": True, "done_reason": "load"}
                return
            build = lambda llm, n_ctx: tokens_for_messages(llm, n_ctx, msgs, truncate)
            for kind, val in st.engine.generate(runner, load_ns, t0, build, opts, cancel, grammar):
                if kind == "token":
                    yield {"model": model, "created_at": now_rfc3339(),
                           "message": {"role": "assistant", "content": val}, "done": False}
                else:
                    val.pop("context")
                    yield {"model": model, "created_at": now_rfc3339(),
                           "message": {"role": "assistant", "content": ""},
                           "done": True, **val}
        finally:
            st.engine.finish(name, runner, keep)

    def combine(items):
        final = dict(items[-1])
        final["message"] = {"role": "assistant",
                            "content": "".join(i["message"]["content"] for i in items)}
        return final

    return await respond(request, work, req.get("stream", True) is not False, combine)


async def generate(request: Request):
    t0 = time.perf_counter_ns()
    st = request.app.state
    req = await body_json(request)
    keep = check_common(req)
    model = req.get("model") or ""
    missing = f"model '{model}' not found"
    try:
        full = Name.parse(model)
    except ValueError:
        raise StandinError(missing, 404) from None
    m = model_or_404(st.store, model, missing)
    prompt = req.get("prompt") or ""
    if not prompt and keep == 0:
        st.engine.unload(full.short())
        return JSONResponse({"model": model, "created_at": now_rfc3339(), "response": "",
                             "done": True, "done_reason": "unload"})
    raw = bool(req.get("raw"))
    if raw and (req.get("template") or req.get("system") or req.get("context")):
        raise StandinError("raw mode does not support template, system, or context", 400)
    if req.get("suffix"):
        raise StandinError(f"{full.host}/{full.namespace}/{full.model}:{full.tag} "
                           "does not support insert", 400)
    if think_enabled(req.get("think")):
        raise StandinError(f'"{model}" does not support thinking', 400)
    res = st.store.resolved(m)
    opts = P.merged_options(res["parameters"], req.get("options"))
    system = req.get("system") or res["system"]
    msgs = ([{"role": "system", "content": system}] if system else []) + \
        [{"role": "user", "content": prompt}]
    context = [int(t) for t in req.get("context") or []]
    truncate = req.get("truncate", True) is not False
    grammar = grammar_for(req.get("format"))
    name = full.short()

    def build(llm, n_ctx):
        if raw:
            toks = context + llm.tokenize(prompt.encode(), add_bos=True, special=True)
            if len(toks) >= n_ctx:
                raise StandinError("the input length exceeds the context length", 400)
            return toks
        return tokens_for_messages(llm, n_ctx, msgs, truncate, context)

    def work(cancel):
        runner, load_ns = st.engine.acquire(name, res, m["_digest"], st.store.details(m), opts)
        try:
            if not prompt:
                yield {"model": model, "created_at": now_rfc3339(), "response": "",
                       "done": True, "done_reason": "load"}
                return
            for kind, val in st.engine.generate(runner, load_ns, t0, build, opts, cancel, grammar):
                if kind == "token":
                    yield {"model": model, "created_at": now_rfc3339(),
                           "response": val, "done": False}
                else:
                    yield {"model": model, "created_at": now_rfc3339(), "response": "",
                           "done": True, **val}
        finally:
            st.engine.finish(name, runner, keep)

    def combine(items):
        return {**items[-1], "response": "".join(i["response"] for i in items)}

    return await respond(request, work, req.get("stream", True) is not False, combine)


async def embed(request: Request, legacy: bool = False):
    t0 = time.perf_counter_ns()
    st = request.app.state
    req = await body_json(request)
    keep = check_common(req)
    model = req.get("model") or ""
    m = model_or_404(st.store, model, f"model '{model}' not found")
    inp = req.get("prompt", "") if legacy else req.get("input", "")
    if isinstance(inp, str):
        texts = [inp] if inp or legacy else []
    elif isinstance(inp, list) and all(isinstance(x, str) for x in inp):
        texts = inp
    else:
        raise StandinError("invalid input type", 400)
    res = st.store.resolved(m)
    opts = P.merged_options(res["parameters"], req.get("options"))
    name = Name.parse(model).short()

    def work(cancel):
        runner, load_ns = st.engine.acquire(name, res, m["_digest"], st.store.details(m),
                                            opts, embedding=True)
        try:
            vecs, count = st.engine.embed(runner, texts, req.get("truncate", True) is not False) \
                if texts else ([], 0)
        finally:
            st.engine.finish(name, runner, keep)
        dims = req.get("dimensions")
        if dims:
            vecs = [_renorm(v[:int(dims)]) for v in vecs]
        if legacy:
            yield {"embedding": vecs[0] if vecs else []}
            return
        yield {"model": model, "embeddings": vecs,
               "total_duration": time.perf_counter_ns() - t0,
               "load_duration": load_ns, "prompt_eval_count": count}

    return await respond(request, work, stream=False)


async def embeddings(request: Request):
    """Deprecated /api/embeddings: {"prompt"} -> {"embedding"}."""
    return await embed(request, legacy=True)


def _renorm(v: list[float]) -> list[float]:
    n = sum(x * x for x in v) ** 0.5 or 1.0
    return [x / n for x in v]


async def ps(request: Request):
    models = []
    for loaded, runner in request.app.state.engine.ps():
        exp = (dt.datetime.now(dt.timezone.utc) + FOREVER if loaded.expires_at is None
               else dt.datetime.fromtimestamp(loaded.expires_at, dt.timezone.utc))
        models.append({"name": loaded.name, "model": loaded.name, "size": runner.size,
                       "digest": loaded.digest, "details": loaded.details,
                       "expires_at": now_rfc3339(exp), "size_vram": 0,
                       "context_length": runner.n_ctx})
    models.sort(key=lambda x: x["expires_at"], reverse=True)
    return JSONResponse({"models": models})


async def root(request: Request):
    return PlainTextResponse("Ollama is running")


async def version(request: Request):
    return JSONResponse({"version": VERSION})


async def stats(request: Request):
    """Test-only: generation counters (not an Ollama route)."""
    return JSONResponse(request.app.state.engine.stats.snapshot())


async def standin_error(request: Request, exc: StandinError):
    return error(str(exc), exc.status)


async def internal_error(request: Request, exc: Exception):
    # Ollama answers every failure with {"error": ...}; keep the traceback in the log.
    import traceback
    traceback.print_exception(exc)
    return error(f"{type(exc).__name__}: {exc}", 500)


def create_app(models_dir: str, registry_dir: str | None = None, seed: bool = True,
               num_ctx: int | None = None) -> Starlette:
    from .store import smollm2_gguf
    store = Store(models_dir)
    if seed and (path := smollm2_gguf()):
        store.seed("smollm2:135m", path)
    routes = [
        Route("/", root, methods=["GET", "HEAD"]),
        Route("/api/version", version, methods=["GET", "HEAD"]),
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/generate", generate, methods=["POST"]),
        Route("/api/embed", embed, methods=["POST"]),
        Route("/api/embeddings", embeddings, methods=["POST"]),
        Route("/api/ps", ps, methods=["GET"]),
        Route("/_standin/stats", stats, methods=["GET"]),
        *app_models.routes(),
    ]
    app = Starlette(routes=routes, exception_handlers={StandinError: standin_error,
                                                        Exception: internal_error})
    ctx = num_ctx or int(os.environ.get("OLLAMA_CONTEXT_LENGTH") or 8192)
    app.state.store, app.state.engine = store, Engine(default_ctx=ctx)
    app.state.registry = registry_dir
    return app
