"""A trained PEFT LoRA written as a GGUF LoRA adapter: what llama.cpp (the built-in engine) and
Ollama load beside the unchanged base file.

Written with the ``gguf`` package alone, offline (llama.cpp's convert_lora_to_gguf.py looks the base
up on the Hub without a local config). Only plain LoRA A/B matrices of the attention and MLP
projections are accepted: llama.cpp's loader knows nothing else (no DoRA magnitudes, embeddings,
lm_head or new tokens), and it scales by alpha/r, so rsLoRA would come out mis-scaled.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from core.style.base_model import PERMUTED_QK, BaseModel

# PEFT module path (transformers' names) -> llama.cpp tensor name.
TENSOR_NAMES = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
TARGET_MODULES = tuple(name.split(".")[1] for name in TENSOR_NAMES)
_PEFT_KEY = re.compile(r"(?:base_model\.model\.)?model\.layers\.(\d+)\.(\w+\.\w+)\.lora_([AB])\.weight")


class AdapterFormatError(ValueError):
    """The trained weights hold something a GGUF LoRA cannot carry."""


def write_gguf_adapter(tensors: dict[str, np.ndarray], alpha: float, base: BaseModel,
                       target: str | os.PathLike) -> Path:
    """Write PEFT's LoRA ``tensors`` (name -> array, as in adapter_model.safetensors) to ``target``
    (atomically: a reader never sees half a file)."""
    import gguf

    target = Path(target)
    staging = target.with_name(target.name + ".partial")
    writer = gguf.GGUFWriter(str(staging), arch=base.architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    for name, array in sorted(_gguf_tensors(tensors, base)):
        writer.add_tensor(name, array)
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
    os.replace(staging, target)
    return target


def _gguf_tensors(tensors: dict[str, np.ndarray], base: BaseModel):
    if not tensors:
        raise AdapterFormatError("the adapter holds no LoRA weights")
    for key, value in tensors.items():
        match = _PEFT_KEY.fullmatch(key)
        if match is None or match.group(2) not in TENSOR_NAMES:
            raise AdapterFormatError(f"'{key}' is not a LoRA matrix of an attention or MLP projection; "
                                     "a GGUF adapter cannot carry it")
        layer, module, which = match.groups()
        name = TENSOR_NAMES[module]
        array = np.ascontiguousarray(value, dtype=np.float32)
        if which == "B" and name in ("attn_q", "attn_k") and base.architecture in PERMUTED_QK:
            array = _permute_rows(array, base.head_count if name == "attn_q" else base.head_count_kv)
        yield f"blk.{layer}.{name}.weight.lora_{which.lower()}", array


def _permute_rows(weights: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's rotary layout of Q/K output rows: each head's two halves interleaved."""
    rows = weights.shape[0]
    return (weights.reshape(heads, 2, rows // heads // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape).copy())
