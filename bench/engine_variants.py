"""Built-in engine speed per llama.cpp CPU variant: is runtime dispatch worth it on this machine?

    python bench/engine_variants.py [--model qwen2.5-coder-0.5b] [--variants x64,haswell,zen4] [--rounds 2]

Each variant runs in the real engine process (core/llm/engine_client.py) with ARCHIVIST_CPU_VARIANT
forcing it; "auto" is the variant runtime dispatch picks. Per round the variants run interleaved (this
machine is shared and noisy). A prompt of ~1,000 tokens of distinct text (no cache reuse between
runs: a nonce leads it) is evaluated, then 48 tokens are generated greedily.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

import common  # noqa: F401 - puts the project on sys.path
from core.llm import cpu_backend
from core.llm.base import ChatMessage
from core.llm.embedded_engine import EmbeddedEngine
from corpus import module_texts

GENERATE = 48


def prompt_messages(engine: EmbeddedEngine, target_tokens: int = 600) -> list[ChatMessage]:
    text = ""
    for paragraph in (p[:1500] for t in module_texts(limit=20) for p in t.split("\n\n") if len(p) > 200):
        text += paragraph + "\n\n"
        if engine.count_tokens(text) >= target_tokens:
            break
    return [ChatMessage("system", f"Answer briefly. [{uuid.uuid4().hex}]"),
            ChatMessage("user", f"{text}\n\nSummarize the text above in three sentences.")]


def run_variant(variant: str, model: str) -> dict:
    if variant == "auto":
        os.environ.pop("ARCHIVIST_CPU_VARIANT", None)
    else:
        os.environ["ARCHIVIST_CPU_VARIANT"] = variant
    engine = EmbeddedEngine(model, n_ctx=4096)
    try:
        messages = prompt_messages(engine)
        prompt_tokens = engine.count_tokens(engine.render(messages))
        started = time.perf_counter()
        first = None
        pieces = 0
        for _ in engine.stream_chat(messages, max_tokens=GENERATE):
            pieces += 1
            if first is None:
                first = time.perf_counter()
        done = time.perf_counter()
    finally:
        engine.close()
    generated = max(pieces - 1, 1)  # pieces after the first, each about one token
    return {"prompt_tokens": prompt_tokens, "prefill_tok_s": prompt_tokens / (first - started),
            "generate_tok_s": generated / (done - first), "generated": generated}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--variants", default="x64,sse42,haswell,skylakex,icelake,zen4,auto")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    built = cpu_backend.variants()
    print(f"built variants: {', '.join(built)}; runtime dispatch picks {cpu_backend.choose(built)} here")
    results: dict[str, list[dict]] = {}
    for round_ in range(args.rounds):
        for variant in args.variants.split(","):
            row = run_variant(variant, args.model)
            results.setdefault(variant, []).append(row)
            print(f"round {round_ + 1} {variant:10} prompt {row['prompt_tokens']} tok: prefill "
                  f"{row['prefill_tok_s']:6.1f} tok/s, generation {row['generate_tok_s']:5.1f} tok/s", flush=True)
    print(f"\nmodel {args.model}, {os.cpu_count()} threads; median of {args.rounds} interleaved rounds")
    first = next(iter(results))
    base = statistics.median(r["prefill_tok_s"] for r in results[first])
    for variant, rows in results.items():
        prefill = statistics.median(r["prefill_tok_s"] for r in rows)
        generate = statistics.median(r["generate_tok_s"] for r in rows)
        print(f"  {variant:10} prefill {prefill:6.1f} tok/s ({prefill / base:4.2f}x {first}), "
              f"generation {generate:5.1f} tok/s")


if __name__ == "__main__":
    main()
