"""The exact weights a style is trained on and served with: one GGUF file, known by its sha256.

A LoRA adapter only means something on the weights it was trained against. llama.cpp checks the
architecture and tensor shapes, not the weights: an adapter trained on SmolLM2's base checkpoint
loads silently on the instruct one and answers erratically. So a style records the sha256 of its
base file, and the prompt format (chat template) it was trained with, and both are checked before
it is used.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from core.llm.chat_template import ChatFormat

# Architectures whose GGUF stores attention Q/K rows permuted for llama.cpp's rotary embedding
# (convert_hf_to_gguf.py LlamaModel.permute); transformers' GGUF loader undoes it, so the adapter's
# B matrices for Q and K must be permuted back. Qwen2 stores them unpermuted.
PERMUTED_QK = {"llama"}
TRAINABLE_ARCHITECTURES = {"llama", "qwen2"}


class BaseModelError(ValueError):
    """The file cannot be a base for a house style (not a GGUF model, an unsupported architecture)."""


@dataclass(frozen=True)
class BaseModel:
    path: Path
    architecture: str
    head_count: int
    head_count_kv: int
    context_length: int
    chat_template: str
    bos_token: str
    eos_token: str

    @classmethod
    def read(cls, path: str | os.PathLike) -> "BaseModel":
        """The model's metadata, read from its GGUF header (memory-mapped: fast for any size)."""
        import gguf

        path = Path(path)
        try:
            reader = gguf.GGUFReader(path)
        except (OSError, ValueError) as exc:
            raise BaseModelError(f"{path.name} is not a readable GGUF model: {exc}") from exc

        def field(key: str, default=None):
            found = reader.fields.get(key)
            return found.contents() if found is not None else default

        if field("general.type", "model") != "model":
            raise BaseModelError(f"{path.name} is a {field('general.type')}, not a model")
        arch = field("general.architecture", "")
        if arch not in TRAINABLE_ARCHITECTURES:
            raise BaseModelError(f"{path.name}: a house style can be trained on {', '.join(sorted(TRAINABLE_ARCHITECTURES))} "
                                 f"models, not on '{arch or 'unknown'}'")
        tokens = field("tokenizer.ggml.tokens", [])

        def token(key: str) -> str:
            index = field(key)
            return tokens[index] if index is not None and 0 <= index < len(tokens) else ""

        return cls(path=path, architecture=arch, head_count=int(field(f"{arch}.attention.head_count")),
                   head_count_kv=int(field(f"{arch}.attention.head_count_kv")),
                   context_length=int(field(f"{arch}.context_length", 2048)),
                   chat_template=field("tokenizer.chat_template", "") or "",
                   bos_token=token("tokenizer.ggml.bos_token_id"), eos_token=token("tokenizer.ggml.eos_token_id"))

    @property
    def chat_format(self) -> ChatFormat:
        """The prompt format the built-in engine serves this file with (core/llm/embedded_engine.py):
        ChatML byte for byte for the bundled SmolLM2 (as Ollama renders it), else the file's own."""
        from core.llm.embedded_engine import bundled_model_path

        bundled = bundled_model_path()
        force = bundled is not None and os.path.realpath(bundled) == os.path.realpath(self.path)
        return ChatFormat(self.chat_template, self.bos_token, self.eos_token, force_chatml=force)

    @property
    def template_id(self) -> str:
        """What the training prompts were rendered with: "chatml" or the template's sha256."""
        chat_format = self.chat_format
        return "chatml" if chat_format.source != "gguf" else chat_format.template_sha256

    @property
    def end_of_turn(self) -> str:
        """What ends an answer: the model stops there, so the training target ends with it."""
        return "<|im_end|>" if self.chat_format.source != "gguf" else self.eos_token

    @cached_property
    def sha256(self) -> str:
        return file_sha256(self.path)


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
