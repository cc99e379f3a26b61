"""The built-in engine's own process: llama.cpp runs here, never in the app.

Whatever llama.cpp does on a given machine (an instruction the CPU lacks, running out of memory,
an abort on a damaged model) ends this process; the app sees the pipe close, says what happened and
starts a fresh one for the next question. The protocol is a few tuples over a multiprocessing pipe:

    app → engine:  ("tokenize", text) · ("generate", prompt, temperature, max_tokens, stop) ·
                   ("cancel",) · ("close",)
    engine → app:  ("ready", info) once loaded, or ("error", kind, message) and exit ·
                   ("count", n) · ("token", text)… then ("end", reason) or ("error", kind, message)

Requests are answered in order; while generating, the engine still answers "tokenize" between
two batches or tokens, and stops at "cancel".
"""

from __future__ import annotations

import os

# llama.cpp's OpenMP workers spin-wait by default; on a small shared CPU that made prompt
# evaluation 3-30x slower. Must be set before libgomp loads (before llama_cpp is imported).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Ollama's DefaultOptions (api/types.go); llama-cpp-python's own defaults differ (repeat 1.1,
# min_p 0.05) and would change even greedy answers.
SAMPLING = {"top_k": 40, "top_p": 0.9, "min_p": 0.0, "typical_p": 1.0, "repeat_penalty": 1.0}


# Stop and token counts are answered between two steps of prompt reading: 128 tokens are 0.5-1.5 s on
# 2 cores (a 512-token step made Stop wait 6 s on a busy machine), and cost no speed on a CPU.
PREFILL_STEP = 128


class _Cancelled(Exception):
    pass


def serve(conn, model_path: str, n_ctx: int, threads: int, adapter: tuple[str, float] | None = None) -> None:
    """The engine process's main function: load the model (with a LoRA adapter over it, unmerged,
    as Ollama applies one), then answer requests until told to close or until the app goes away."""
    try:
        from core.llm import cpu_backend

        cpu_backend.load()
        import llama_cpp

        from core.llm.llama_logs import route_to_logging

        route_to_logging()

        lora = {"lora_path": adapter[0], "lora_scale": float(adapter[1])} if adapter else {}
        llm = llama_cpp.Llama(model_path=model_path, n_ctx=n_ctx, n_threads=threads, verbose=False, **lora)
    except ImportError as e:
        conn.send(("error", "missing", str(e)))
        return
    except (ValueError, RuntimeError, OSError) as e:
        conn.send(("error", "load", str(e)))
        return
    conn.send(("ready", _describe(llm)))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the app has gone
        kind = request[0]
        if kind == "close":
            llm.close()
            return
        if kind == "tokenize":
            conn.send(("count", _count(llm, request[1])))
        elif kind == "generate":
            _generate(conn, llm, *request[1:])
        # a "cancel" that arrives after its answer ended needs nothing


def _describe(llm) -> dict:
    def token_text(token: int) -> str:
        if token < 0:
            return ""
        return llm.detokenize([token], special=True).decode("utf-8", errors="replace")

    metadata = dict(llm.metadata or {})
    return {"n_ctx": llm.n_ctx(), "chat_template": metadata.get("tokenizer.chat_template", ""),
            "bos_token": token_text(llm.token_bos()), "eos_token": token_text(llm.token_eos()),
            "architecture": metadata.get("general.architecture", ""),
            "name": metadata.get("general.name", ""), "pid": os.getpid()}


def _count(llm, text: str) -> int:
    """Exact: llama.cpp's tokenizer for this GGUF, special tokens parsed as in prompts."""
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))


def _check_messages(conn, llm) -> None:
    """Between two steps of an answer: answer token counts, stop when cancelled."""
    while conn.poll():
        request = conn.recv()
        if request[0] == "tokenize":
            conn.send(("count", _count(llm, request[1])))
        elif request[0] in ("cancel", "close"):
            raise _Cancelled


def _generate(conn, llm, prompt: str, temperature: float, max_tokens: int | None, stop: list[str]) -> None:
    # A template that writes the BOS token itself must not get a second one.
    bos = llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "replace") if llm.token_bos() >= 0 else ""
    tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=not (bos and prompt.startswith(bos)), special=True)
    if len(tokens) >= llm.n_ctx():
        conn.send(("error", "too_long", len(tokens)))
        return
    try:
        _prefill(conn, llm, tokens)
        room = llm.n_ctx() - len(tokens)
        stream = llm.create_completion(tokens, stream=True, stop=stop, temperature=temperature,
                                       max_tokens=min(max_tokens or room, room), **SAMPLING)
        try:
            for chunk in stream:
                _check_messages(conn, llm)
                text = chunk["choices"][0]["text"]
                if text:
                    conn.send(("token", text))
        finally:
            stream.close()
    except _Cancelled:
        conn.send(("end", "cancelled"))
        return
    except (RuntimeError, ValueError) as e:  # llama_decode failures surface as these
        llm.n_tokens = 0  # the cached state is suspect: evaluate afresh next time
        conn.send(("error", "decode", str(e)))
        return
    conn.send(("end", "done"))


def _prefill(conn, llm, tokens: list[int]) -> None:
    """Evaluate the prompt (all but its last token) batch by batch, answering messages in between:
    create_completion would evaluate it in one uninterruptible call, seconds to minutes on a CPU.
    It then finds the prefix cached and evaluates only the last token. Also keeps the cache of a
    shared prefix (the system prompt) from the previous question."""
    cached = list(llm.input_ids[:llm.n_tokens])
    keep = 0
    for a, b in zip(cached, tokens[:-1]):
        if a != b:
            break
        keep += 1
    llm.n_tokens = keep  # eval() drops the KV cache beyond this
    step = min(llm.n_batch, PREFILL_STEP)
    for start in range(keep, len(tokens) - 1, step):
        _check_messages(conn, llm)
        llm.eval(tokens[start:min(start + step, len(tokens) - 1)])
    _check_messages(conn, llm)
