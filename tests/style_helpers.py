"""House-style test material: real GGUF LoRA adapters shaped for the bundled SmolLM2-135M-Instruct,
written with the ``gguf`` package as a trained style is exported (general.type adapter, adapter.type
lora, adapter.lora.alpha; lora_a (r, in) and lora_b (out, r) per projection of every block), a GGUF
that is a model, and style manifests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.style.digests import file_sha256
from core.style.manifest import BaseModelRef, StyleManifest, TrainingParameters

# SmolLM2-135M: d=576, 9 heads / 3 KV heads of 64, MLP 1536, 30 blocks.
D_MODEL, D_KV, D_FFN, BLOCKS = 576, 192, 1536, 30
SHAPES = {  # llama.cpp weight -> (in, out)
    "attn_q": (D_MODEL, D_MODEL), "attn_k": (D_MODEL, D_KV), "attn_v": (D_MODEL, D_KV),
    "attn_output": (D_MODEL, D_MODEL), "ffn_gate": (D_MODEL, D_FFN), "ffn_up": (D_MODEL, D_FFN),
    "ffn_down": (D_FFN, D_MODEL),
}


def write_smollm2_lora(path: Path, rank: int = 4, alpha: float = 8.0, seed: int = 0,
                       scale: float = 0.01) -> Path:
    """A LoRA with small random A and B for every projection: loads on SmolLM2, nudges little."""
    import gguf

    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    for block in range(BLOCKS):
        for weight, (n_in, n_out) in SHAPES.items():
            name = f"blk.{block}.{weight}.weight"
            writer.add_tensor(f"{name}.lora_a", (scale * rng.standard_normal((rank, n_in))).astype(np.float32))
            writer.add_tensor(f"{name}.lora_b", (scale * rng.standard_normal((n_out, rank))).astype(np.float32))
    _finish(writer)
    return path


def write_tiny_model(path: Path) -> Path:
    """A GGUF that is a model (general.type model), not an adapter."""
    import gguf

    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_tensor("token_embd.weight", np.zeros((8, 16), dtype=np.float32))
    _finish(writer)
    return path


def _finish(writer) -> None:
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()


def make_manifest(base_path: Path, **changes) -> StyleManifest:
    """A manifest as training writes it, for a style trained on ``base_path``."""
    params = TrainingParameters(rank=4, alpha=8.0, dropout=0.0, learning_rate=1e-3, epochs=3, steps=12,
                                max_length=512, seed=0, target_modules=("q_proj", "k_proj", "v_proj", "o_proj",
                                                                        "gate_proj", "up_proj", "down_proj"))
    fields = dict(base=BaseModelRef("smollm2-135m", base_path.name, file_sha256(base_path)),
                  chat_template="chatml", dataset_sha256="d" * 64, train_examples=8, validation_examples=2,
                  training=params)
    return StyleManifest(**{**fields, **changes})
