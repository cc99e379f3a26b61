"""The prompt Ollama sends a model, reproduced for the templates where Archivist can do so exactly,
so that a style trained for an Ollama model sees byte for byte the prompts Ollama will send.

Ollama renders a chat with the model's Go TEMPLATE after merging consecutive messages of one role
with a blank line and joining every system message into ``.System`` (template/template.go
``collate``). A template is recognised by the sha256 of its text, which is also the digest of the
template layer Ollama keeps:

    chatml     template/chatml.gotmpl: what Ollama picks for a GGUF with a ChatML-like Jinja
               template (SmolLM2 scores 41, OLLAMA_AND_LORA.md §2), as the stand-in serves it
    qwen2.5    the ollama.com library template of qwen2.5 (and qwen2), layer eb4402837c78
    qwen2.5-coder  the same with a fill-in-the-middle branch and other tool wording, layer 1e65450c3067

The two Qwen templates were read and their text checked against those digests; for a system
message followed by user and assistant turns, without tools, both render ChatML. Any other
template is refused rather than guessed.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

from core.llm.base import ChatMessage
from core.llm.chat_template import render_chatml

KNOWN_TEMPLATES = {
    "e3b2721cec511e3a627ae0993753abbf5c72cdf4cfcdbc8f5c33ce15c4c4e04b": "chatml",
    "eb4402837c7829a690fa845de4d7f3fd842c2adee476d5341da8a46ea9255175": "qwen2.5",
    "1e65450c30670713aa47fe23e8b9662bdf4065e81cc8e3cbfaa98924fcc0d320": "qwen2.5-coder",
}
END_OF_TURN = "<|im_end|>"  # where a model answering through these templates stops


def template_sha256(template: str) -> str:
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


def template_name(template: str) -> str | None:
    """"chatml", "qwen2.5", "qwen2.5-coder", or None for a template this module cannot reproduce."""
    return KNOWN_TEMPLATES.get(template_sha256(template))


def ollama_prompt(template: str, messages: Sequence[ChatMessage]) -> str | None:
    """The prompt Ollama renders for ``messages`` with ``template``; None when it is not known."""
    name = template_name(template)
    if name is None or any(m.role not in ("system", "user", "assistant") for m in messages):
        return None
    turns = _collate(messages)
    if name == "chatml":  # {{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n…
        return render_chatml(turns)
    return _render_qwen(turns, "\n\n".join(m.content for m in messages if m.role == "system"))


def _collate(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    out: list[ChatMessage] = []
    for m in messages:
        if out and out[-1].role == m.role:
            out[-1] = ChatMessage(m.role, f"{out[-1].content}\n\n{m.content}")
        else:
            out.append(ChatMessage(m.role, m.content))
    return out


def _render_qwen(turns: list[ChatMessage], system: str) -> str:
    """The ``.Messages`` branch of the Qwen2.5 templates without tools: the system block only when
    there is a system text; system turns in the list print nothing themselves; an assistant turn is
    closed unless it is the last; a prompt ending on a non-assistant turn opens the answer."""
    out = f"<|im_start|>system\n{system}<|im_end|>\n" if system else ""
    for i, m in enumerate(turns):
        last = i == len(turns) - 1
        if m.role == "user":
            out += f"<|im_start|>user\n{m.content}<|im_end|>\n"
        elif m.role == "assistant":
            out += f"<|im_start|>assistant\n{m.content}" + ("" if last else "<|im_end|>\n")
        if m.role != "assistant" and last:
            out += "<|im_start|>assistant\n"
    return out
