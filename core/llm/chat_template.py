"""The prompt format for a GGUF: its own chat template, not ChatML for every file.

A GGUF carries the Jinja template its makers trained it with (``tokenizer.chat_template``). It is
rendered in a sandbox (document text never reaches the template as code, only as values). The
bundled SmolLM2 keeps Ollama's ``chatml.gotmpl`` rendering byte for byte, so the same model answers
the same way through Ollama and the built-in engine; a file without a template gets ChatML too.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from typing import Callable

from core.llm.base import ChatMessage

log = logging.getLogger(__name__)

CHATML_STOP = ["<|im_start|>", "<|im_end|>"]


def render_chatml(messages: list[ChatMessage]) -> str:
    """Exactly Ollama's template/chatml.gotmpl: no default system prompt is added (the GGUF's own
    Jinja template would add one), so callers always send their own system message."""
    turns = "".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


class ChatFormat:
    """Renders messages into the prompt text the model expects, and says where an answer stops."""

    def __init__(self, template: str = "", bos_token: str = "", eos_token: str = "",
                 force_chatml: bool = False):
        self.source = "chatml" if force_chatml or not template.strip() else "gguf"
        self.template_sha256 = hashlib.sha256(template.encode("utf-8")).hexdigest() if template else ""
        self._render: Callable[[list[ChatMessage]], str] = render_chatml
        if self.source == "gguf":
            try:
                self._render = _jinja_renderer(template, bos_token, eos_token)
                self._render([ChatMessage("system", "s"), ChatMessage("user", "u")])  # fail early
            except Exception as exc:  # noqa: BLE001 - any template error: fall back, and say so
                log.warning("the model's chat template does not render (%s); using ChatML", exc)
                self.source, self._render = "chatml (the model's template failed)", render_chatml
        # Stop strings are a safety net: llama.cpp already ends at the model's end-of-turn tokens.
        stop = set(CHATML_STOP) if self.source != "gguf" or "<|im_end|>" in template else set()
        self.stop = sorted(stop | ({eos_token} if eos_token else set()))

    def render(self, messages: list[ChatMessage]) -> str:
        return self._render(messages)


def _jinja_renderer(template: str, bos_token: str, eos_token: str) -> Callable[[list[ChatMessage]], str]:
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals.update(raise_exception=raise_exception,
                       strftime_now=lambda fmt: datetime.datetime.now().strftime(fmt))
    compiled = env.from_string(template)

    def render(messages: list[ChatMessage]) -> str:
        return compiled.render(messages=[{"role": m.role, "content": m.content} for m in messages],
                               add_generation_prompt=True, bos_token=bos_token, eos_token=eos_token)

    return render
