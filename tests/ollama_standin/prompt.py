"""Prompt rendering and option mapping, as Ollama does them for chatml models."""
from __future__ import annotations

import re

STOP = ["<|im_start|>", "<|im_end|>"]
# api/types.go DefaultOptions; note Ollama's repeat_penalty 1.0 and min_p 0,
# where llama-cpp-python defaults to 1.1 and 0.05.
DEFAULTS = {"num_predict": -1, "temperature": 0.8, "top_k": 40, "top_p": 0.9,
            "min_p": 0.0, "typical_p": 1.0, "repeat_penalty": 1.0,
            "presence_penalty": 0.0, "frequency_penalty": 0.0, "seed": -1}


def chat_messages(messages: list[dict], system: str, preset: list[dict]) -> list[dict]:
    """routes.go ChatHandler: model messages first, then the request's; the
    model's SYSTEM goes in front only when the request brings no system."""
    msgs = list(preset) + list(messages)
    if system and (not messages or messages[0].get("role") != "system"):
        msgs.insert(0, {"role": "system", "content": system})
    return msgs


def render_chatml(messages: list[dict]) -> str:
    """template/chatml.gotmpl. No default system prompt, unlike the GGUF's
    Jinja template."""
    out = [f"<|im_start|>{m.get('role', '')}\n{m.get('content') or ''}<|im_end|>\n"
           for m in messages]
    return "".join(out) + "<|im_start|>assistant\n"


def truncate_messages(messages: list[dict]) -> list[dict] | None:
    """Drop the oldest non-system message but never the last one; None when
    nothing is left to drop (Ollama's chatPrompt does the same walk)."""
    for i, m in enumerate(messages[:-1]):
        if m.get("role") != "system":
            return messages[:i] + messages[i + 1:]
    return None


def merged_options(model_params: dict, request_opts: dict | None) -> dict:
    opts = dict(DEFAULTS)
    opts.update(model_params or {})
    opts.update({k: v for k, v in (request_opts or {}).items() if v is not None})
    return opts


def sampling_kwargs(opts: dict) -> dict:
    """Ollama options -> llama_cpp.Llama.create_completion keyword arguments."""
    n = opts.get("num_predict")
    stop = opts.get("stop") or []
    if isinstance(stop, str):
        stop = [stop]
    kw = {
        "max_tokens": None if n is None or n < 0 else max(int(n), 1),
        "temperature": float(opts["temperature"]),
        "top_k": int(opts["top_k"]),
        "top_p": float(opts["top_p"]),
        "min_p": float(opts["min_p"]),
        "typical_p": float(opts["typical_p"]),
        "repeat_penalty": float(opts["repeat_penalty"]),
        "presence_penalty": float(opts["presence_penalty"]),
        "frequency_penalty": float(opts["frequency_penalty"]),
        # Template stop strings always apply, as chatml.json's do in Ollama.
        "stop": list(dict.fromkeys(STOP + list(stop))),
    }
    seed = opts.get("seed")
    if seed is not None and int(seed) >= 0:
        kw["seed"] = int(seed)
    if opts.get("mirostat"):
        kw.update(mirostat_mode=int(opts["mirostat"]),
                  mirostat_tau=float(opts.get("mirostat_tau", 5.0)),
                  mirostat_eta=float(opts.get("mirostat_eta", 0.1)))
    return kw


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def keep_alive_seconds(value, default: float = 300.0) -> float | None:
    """keep_alive as seconds; None means forever (negative values)."""
    if value is None or value == "":
        return default
    if isinstance(value, (int, float)):
        secs = float(value)
    else:
        s = str(value).strip()
        sign = -1 if s.startswith("-") else 1
        s = s.lstrip("+-")
        try:
            secs = float(s)
        except ValueError:
            parts = _DURATION.findall(s)
            if not parts or "".join(a + b for a, b in parts) != s:
                raise ValueError(f'time: invalid duration "{value}"')
            secs = sum(float(a) * _UNITS[b] for a, b in parts)
        secs *= sign
    return None if secs < 0 else secs
