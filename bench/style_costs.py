"""What a house style costs on this machine, for bench/style_training.py: the memory training
needs, and generation speed with and without the adapter."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from core.llm.base import ChatMessage
from core.llm.embedded_engine import EmbeddedEngine


def training_memory_gb(gguf: str) -> float:
    """The least training can take: the weights in fp32 (a 4–5-bit GGUF grows about 6.6-fold) and
    the loader's copies, plus a GB; the measured peak is reported (run one model per process to get
    its own)."""
    return 1.2 * 6.6 * Path(gguf).stat().st_size / 2**30 + 1


def available_memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def generation_speed(model: str, adapter: str, prompts, rounds: int, max_tokens: int = 64) -> dict:
    """Base and adapter engines loaded side by side, the same prompts alternately, ``rounds`` times."""
    engines = {"base": EmbeddedEngine(model), "adapter": EmbeddedEngine(model, adapter=(adapter, 1.0))}
    times = {k: {"prefill": [], "decode": []} for k in engines}
    try:
        for engine in engines.values():
            "".join(engine.stream_chat([ChatMessage("user", "Say OK.")], max_tokens=1))  # loaded before the clock
        for _ in range(rounds):
            for messages in prompts:
                for which, engine in engines.items():
                    started, stamps = time.perf_counter(), []
                    for _piece in engine.stream_chat(messages, max_tokens=max_tokens):
                        stamps.append(time.perf_counter())
                    times[which]["prefill"].append(stamps[0] - started)
                    if len(stamps) > 2:
                        times[which]["decode"].append((len(stamps) - 1) / (stamps[-1] - stamps[0]))
    finally:
        for engine in engines.values():
            engine.close()
    out = {k: {"prefill_s": round(statistics.median(v["prefill"]), 3),
               "decode_tokens_per_s": round(statistics.median(v["decode"]), 1)} for k, v in times.items()}
    out["prefill_ratio"] = round(out["adapter"]["prefill_s"] / out["base"]["prefill_s"], 2)
    out["decode_ratio"] = round(out["base"]["decode_tokens_per_s"] / out["adapter"]["decode_tokens_per_s"], 2)
    out["samples"] = len(times["base"]["prefill"])
    return out
