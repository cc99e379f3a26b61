"""Before a style is applied: is its adapter intact, and is this the base it was trained on?

llama.cpp checks only the architecture and tensor shapes of an adapter, so one trained on another
checkpoint of the same shape (SmolLM2's base instead of its instruct model) loads silently and
answers erratically; Ollama checks nothing at all. The base is therefore pinned by the sha256 of
its GGUF, and the adapter by its own sha256 and by reading it as a GGUF LoRA.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.style.digests import FileDigests, file_sha256
from core.style.errors import StyleError

if TYPE_CHECKING:
    from core.style.registry import Style

# llama.cpp's names for LoRA matrices: blk.<layer>.<attn_q|ffn_up|…>.weight.lora_a / lora_b
_TENSOR = re.compile(r"blk\.(\d+)\.(\w+)\.weight\.lora_([ab])")
_FLOAT_TYPES = {"F32", "F16", "BF16"}
# Reading 400 tensors and scanning their values takes ~50 ms; the same bytes (sha256) read the same.
_read_by_sha256: dict[str, "AdapterInfo"] = {}


@dataclass(frozen=True)
class AdapterInfo:
    architecture: str
    alpha: float | None
    rank: int
    pairs: int  # adapted weight matrices (one lora_a and one lora_b each)


def read_lora_adapter(path: str | Path) -> AdapterInfo:
    """What llama.cpp's adapter loader requires, checked up front with a clear message."""
    import gguf  # reads the header and maps the tensors; nothing is loaded into memory

    path = Path(path)
    try:
        reader = gguf.GGUFReader(path)
    except Exception as exc:  # noqa: BLE001 - the reader fails in many ways on a damaged file
        raise StyleError(f"{path.name} is not a readable GGUF file; it is damaged or incomplete "
                         f"({type(exc).__name__}: {str(exc)[:120]})") from exc

    def value(key: str):
        found = reader.fields.get(key)
        return found.contents() if found is not None else None

    kind, lora = value("general.type"), value("adapter.type")
    if kind != "adapter" or lora != "lora":
        what = f"a GGUF {kind or 'model'}" if kind != "adapter" else f"a '{lora}' adapter"
        raise StyleError(f"{path.name} is {what}, not a LoRA adapter (general.type must be 'adapter' "
                         "and adapter.type 'lora')")
    shapes: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {}
    for tensor in reader.tensors:
        match = _TENSOR.fullmatch(tensor.name)
        if match is None:
            raise StyleError(f"{path.name} holds '{tensor.name}', which is not a LoRA matrix "
                             "(blk.N.<weight>.weight.lora_a / lora_b): llama.cpp would refuse it")
        # GGUF lists dimensions innermost first: lora_a is [in, r], lora_b is [r, out].
        shapes.setdefault(match.group(1, 2), {})[match.group(3)] = tuple(int(d) for d in tensor.shape)
        if tensor.tensor_type.name in _FLOAT_TYPES and not _finite(tensor.data):
            raise StyleError(f"{path.name}: '{tensor.name}' holds NaN or infinite values (training "
                             "diverged); train the style again with a lower learning rate")
    if not shapes:
        raise StyleError(f"{path.name} holds no LoRA matrices")
    ranks = set()
    for (block, weight), pair in sorted(shapes.items()):
        a, b = pair.get("a"), pair.get("b")
        if a is None or b is None or len(a) != 2 or len(b) != 2 or a[1] != b[0]:
            raise StyleError(f"{path.name}: the LoRA matrices of blk.{block}.{weight} are incomplete or "
                             f"do not fit together (lora_a {a}, lora_b {b})")
        ranks.add(a[1])
    alpha = value("adapter.lora.alpha")
    return AdapterInfo(architecture=str(value("general.architecture") or ""),
                       alpha=float(alpha) if alpha is not None else None,
                       rank=max(ranks), pairs=len(shapes))


def verify_adapter(style: "Style") -> AdapterInfo:
    """The adapter is the file that was registered (size, sha256) and still a GGUF LoRA."""
    path, manifest = style.adapter_path, style.manifest
    again = f"Remove {style.label} and train it again"
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise StyleError(f"The adapter of {style.label} is missing ({path}). {again}.") from exc
    if size != manifest.adapter_size:
        raise StyleError(f"The adapter of {style.label} is damaged: {size} bytes instead of "
                         f"{manifest.adapter_size} ({path}). {again}.")
    try:
        sha = file_sha256(path)  # a few MB: hashed every time, so no change can slip through
    except OSError as exc:
        raise StyleError(f"The adapter of {style.label} cannot be read ({exc}).") from exc
    if sha != manifest.adapter_sha256:
        raise StyleError(f"The adapter of {style.label} has changed since it was registered (sha256 "
                         f"{sha[:12]}… instead of {manifest.adapter_sha256[:12]}…): the file is damaged. "
                         f"{again}.")
    if sha not in _read_by_sha256:
        _read_by_sha256[sha] = read_lora_adapter(path)
    return _read_by_sha256[sha]


def base_mismatch_message(style: "Style", what: str, sha256: str) -> str:
    base = style.manifest.base
    return (f"{style.label} was trained on {base.file_name} (sha256 {base.sha256[:12]}…), not on "
            f"{what} (sha256 {sha256[:12]}…). A style only fits the exact weights it was trained on: "
            f"answer with {base.name} to use it, or train the style again on this model.")


def verify_base(style: "Style", base_path: str | Path, digests: FileDigests | None = None) -> None:
    base_path = Path(base_path)
    try:
        sha = (digests or FileDigests()).sha256(base_path)
    except OSError as exc:
        raise StyleError(f"The model file {base_path} cannot be read to check it is the base of "
                         f"{style.label}: {exc}") from exc
    if sha != style.manifest.base.sha256:
        raise StyleError(base_mismatch_message(style, base_path.name, sha))


def verify(style: "Style", base_path: str | Path, digests: FileDigests | None = None) -> AdapterInfo:
    """Refuse (StyleError) a base other than the one the style was trained on, or a damaged adapter."""
    verify_base(style, base_path, digests)
    return verify_adapter(style)


def _finite(data) -> bool:
    import numpy as np

    return bool(np.isfinite(data).all())
