"""Train a style for an Ollama model on exactly the file Ollama answers from: its GGUF blob.

``/api/show``'s modelfile names the weights in its FROM line: a blob path on the machine Ollama runs
on (``…/models/blobs/sha256-<hex>``), or the GGUF itself. When that path cannot be read here (Ollama
in a container, as another user, or on another computer sharing its models folder), the blob is
looked for by its digest in Ollama's models folders: ``OLLAMA_MODELS``, ``~/.ollama/models``, and
the Linux service's ``/usr/share/ollama/.ollama/models``. A blob is named by its sha256, so the file
found is checked against that name before anything is trained on it.

Training renders prompts with the base's own format (core/style/training.py); that is only right for
Ollama if Ollama's template renders the same bytes for every example (core/style/ollama_prompt.py)
and the answer ends where Ollama stops. Otherwise training is refused, before it starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from core.llm.base import EngineError
from core.style.digests import FileDigests
from core.style.errors import StyleError
from core.style.ollama_prompt import END_OF_TURN, ollama_prompt, template_name, template_sha256
from core.style.ollama_register import OllamaStyles, blob_sha256

OLLAMA_PREFIX = "ollama:"  # --base ollama:smollm2:135m
LINUX_SERVICE_MODELS = "/usr/share/ollama/.ollama/models"


@dataclass(frozen=True)
class OllamaBase:
    name: str      # the model without an adapter, as Ollama knows it: what the manifest names
    path: Path     # its GGUF, readable on this computer
    template: str  # Ollama's TEMPLATE for it
    host: str


def ollama_model(spec: str | None) -> str | None:
    """"ollama:NAME" -> NAME; anything else (a built-in model, a GGUF file) -> None."""
    if spec and spec.startswith(OLLAMA_PREFIX):
        return spec[len(OLLAMA_PREFIX):].strip() or None
    return None


def models_dirs(env=os.environ) -> list[Path]:
    dirs = [env.get("OLLAMA_MODELS"), os.path.join(os.path.expanduser("~"), ".ollama", "models"),
            LINUX_SERVICE_MODELS]
    return [Path(d) for d in dict.fromkeys(d for d in dirs if d)]


def find_blob(from_path: str, dirs: Sequence[Path]) -> Path | None:
    """The FROM file when it is readable here, else the blob of the same digest in ``dirs``."""
    digest = blob_sha256(from_path)
    candidates = [Path(from_path)] if from_path else []
    candidates += [Path(d) / "blobs" / f"sha256-{digest}" for d in dirs] if digest else []
    for path in candidates:
        if path.is_absolute() and os.access(path, os.R_OK) and path.is_file():
            return path
    return None


def resolve_ollama_base(engine, model: str, digests: FileDigests | None = None,
                        dirs: Sequence[Path] | None = None) -> OllamaBase:
    """The GGUF Ollama answers ``model`` from (the pristine model's, if it carries an adapter).
    With ``digests`` the file is hashed (cached) and must match its blob's name."""
    styles = OllamaStyles(engine, digests)
    pristine, modelfile = styles.pristine_base(model)
    dirs = models_dirs() if dirs is None else dirs
    path = find_blob(modelfile.model, dirs)
    if path is None:
        where = ", ".join(str(d) for d in dirs) or "no folder"
        raise StyleError(f"Ollama at {engine.host} answers {pristine} from {modelfile.model or 'an unnamed file'}, "
                         f"which cannot be read on this computer (looked there and in {where}). Train on this "
                         "computer with Ollama's models folder readable (set OLLAMA_MODELS to it), or train "
                         "on a built-in model.")
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise StyleError(f"{path} (Ollama's {pristine}) is not a GGUF file; only GGUF models can be trained on.")
    expected = blob_sha256(modelfile.model)
    if digests is not None and expected and digests.sha256(path) != expected:
        raise StyleError(f"{path} is not the blob Ollama's {pristine} names (its contents do not hash to "
                         f"{expected[:12]}…): the file is damaged or being replaced. Pull the model again.")
    try:
        shown = engine.call(engine.client.show, pristine, model=pristine)
    except EngineError as exc:
        raise StyleError(f"Could not look at {pristine} in Ollama: {exc}") from exc
    return OllamaBase(pristine, path, shown.template or "", engine.host)


def check_template(base: OllamaBase) -> None:
    """Refuse, before anything is collected or trained, a model whose prompts cannot be reproduced."""
    if template_name(base.template) is None:
        raise StyleError(f"Ollama prompts {base.name} with a template Archivist cannot reproduce byte for byte "
                         f"(sha256 {template_sha256(base.template)[:12]}…), so a style trained for it would learn "
                         "from other prompts than Ollama sends. A style can be trained for Ollama models with the "
                         "ChatML or Qwen2.5 templates (e.g. smollm2:135m, qwen2.5:0.5b, qwen2.5-coder:0.5b), or "
                         "for a built-in model.")


def check_training_prompts(base_model, base: OllamaBase, examples: Sequence) -> None:
    """Every example's prompt as training renders it (``base_model``: core/style/base_model.BaseModel
    of ``base.path``) must be the one Ollama sends, and the answer must end where Ollama stops."""
    check_template(base)
    if base_model.end_of_turn != END_OF_TURN:
        raise StyleError(f"{base.name} ends its answers with {base_model.end_of_turn!r}, but Ollama's template "
                         f"for it stops at {END_OF_TURN!r}: a style trained on it would not stop where Ollama "
                         "stops. Train on the instruct version of the model.")
    chat_format = base_model.chat_format
    for example in examples:
        messages = example.messages()
        if chat_format.render(messages) != ollama_prompt(base.template, messages):
            raise StyleError(f"The prompt of the example {messages[-1].content[:60]!r} renders differently from "
                             f"how Ollama prompts {base.name} (the model file's own template and Ollama's "
                             "disagree), so a style trained on it would not fit Ollama's prompts.")
