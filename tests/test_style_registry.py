"""Trained house styles kept in the data folder (core/style/registry.py): versions, switching,
reverting, removing, and the checks that refuse a wrong base or a damaged adapter. Real GGUF LoRA
files shaped for the bundled SmolLM2 (tests/style_helpers.py) and the bundled GGUF itself."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.llm.embedded_engine import bundled_model_path
from core.style import digests as digests_module
from core.style.digests import file_sha256
from core.style.errors import StyleError
from core.style.manifest import StyleManifest
from core.style.registry import StyleRegistry
from core.style.verify import read_lora_adapter
from style_helpers import make_manifest, write_smollm2_lora, write_tiny_model


@pytest.fixture
def base(tmp_path) -> Path:
    """A small stand-in base file (hashing it is instant); the real GGUF is used where it matters."""
    return write_tiny_model(tmp_path / "tiny-base.gguf")


@pytest.fixture
def adapters(tmp_path):
    made = iter(range(100))

    def make(**kw) -> Path:
        return write_smollm2_lora(tmp_path / f"adapter-{next(made)}.gguf", **kw)
    return make


def test_register_keeps_a_copy_as_the_next_version_with_its_manifest(data_dir, base, adapters):
    registry = StyleRegistry(data_dir)
    assert registry.list() == [] and registry.active() is None
    source = adapters(seed=1)
    first = registry.register(source, make_manifest(base))
    second = registry.register(adapters(seed=2), make_manifest(base, name="memo style"))
    source.unlink()  # the registry keeps its own copy

    assert [s.version for s in registry.list()] == [1, 2]
    assert first.folder == data_dir / "styles" / "v1" and first.adapter_path.is_file()
    assert first.label == "house style v1" and second.label == "memo style v2"
    m = first.manifest
    assert m.adapter_sha256 == file_sha256(first.adapter_path) and m.adapter_size == first.adapter_path.stat().st_size
    assert m.created_at.endswith("Z") and m.base.sha256 == file_sha256(base)
    # JSON on disk, read back the same (by a new registry, as another process would)
    on_disk = json.loads((first.folder / "manifest.json").read_text())
    assert on_disk["format"] == 1 and on_disk["base"]["file_name"] == "tiny-base.gguf"
    assert on_disk["training"]["target_modules"][0] == "q_proj" and on_disk["gate"] is None
    assert StyleRegistry(data_dir).get(1).manifest == m
    assert StyleManifest.from_json(m.to_json()) == m
    assert not [p for p in (data_dir / "styles").iterdir() if p.name.startswith(".staging")]
    info = registry.verify(first, base)
    assert (info.rank, info.alpha, info.pairs, info.architecture) == (4, 8.0, 30 * 7, "llama")


def test_evaluation_scores_and_gate_are_recorded_later(data_dir, base, adapters):
    registry = StyleRegistry(data_dir)
    style = registry.register(adapters(), make_manifest(base))
    registry.record_evaluation(1, scores={"style_adherence": 0.8})
    updated = registry.record_evaluation(1, scores={"citation_accuracy": 0.95},
                                         gate={"passed": False, "reason": "groundedness fell by 12 points"})
    again = StyleRegistry(data_dir).get(1).manifest
    assert again == updated.manifest
    assert again.scores == {"style_adherence": 0.8, "citation_accuracy": 0.95}
    assert again.gate["passed"] is False and again.adapter_sha256 == style.manifest.adapter_sha256


def test_use_revert_and_no_style(data_dir, base, adapters):
    registry = StyleRegistry(data_dir)
    for seed in (1, 2):
        registry.register(adapters(seed=seed), make_manifest(base))
    with pytest.raises(StyleError, match="no earlier house style"):
        registry.revert()
    assert registry.use(1).version == 1
    registry.use(2)
    assert registry.active().version == 2
    assert registry.revert().version == 1  # one step back
    assert StyleRegistry(data_dir).active().version == 1  # kept on disk for every process
    assert registry.revert().version == 2  # and forth again
    assert registry.use(None) is None and registry.active() is None
    assert registry.revert().version == 2
    assert registry.revert() is None  # back to "no style", which was active before
    with pytest.raises(StyleError, match="no house style v7"):
        registry.use(7)
    assert registry.active() is None  # a refused switch changes nothing


def test_remove_refuses_the_active_style_unless_forced(data_dir, base, adapters):
    registry = StyleRegistry(data_dir)
    for seed in (1, 2, 3):
        registry.register(adapters(seed=seed), make_manifest(base))
    registry.use(2)
    registry.use(3)
    with pytest.raises(StyleError, match="house style v3 is in use"):
        registry.remove(3)
    assert registry.get(3).adapter_path.is_file()
    registry.remove(2)  # the one revert() would go back to
    with pytest.raises(StyleError, match="no earlier house style"):
        registry.revert()
    registry.remove(3, force=True)
    assert registry.active() is None and [s.version for s in registry.list()] == [1]
    with pytest.raises(StyleError, match="no house style v3"):
        registry.get(3)
    # a number is never given out twice: "house style v3" in old answers means one adapter only
    assert registry.register(adapters(seed=4), make_manifest(base)).version == 4


def test_only_the_last_unused_versions_are_kept(data_dir, base, adapters):
    registry = StyleRegistry(data_dir, keep_unused=2)
    registry.register(adapters(seed=1), make_manifest(base))
    registry.register(adapters(seed=2), make_manifest(base))
    registry.use(2)
    registry.use(1)  # active 1, revert target 2: both in use
    for seed in (3, 4, 5, 6):
        registry.register(adapters(seed=seed), make_manifest(base))
    assert [s.version for s in registry.list()] == [1, 2, 5, 6]
    assert registry.revert().version == 2


def test_base_with_another_sha256_is_refused_with_what_was_expected(data_dir, tmp_path, adapters):
    real = Path(bundled_model_path())
    registry = StyleRegistry(data_dir)
    style = registry.register(adapters(), make_manifest(real))
    registry.verify(style, real)  # the weights it was trained on: accepted

    other = write_tiny_model(tmp_path / "SomeOther.Q4_0.gguf")
    with pytest.raises(StyleError) as refused:
        registry.verify(style, other)
    message = str(refused.value)
    expected = style.manifest.base.sha256[:12]
    assert message.startswith(f"house style v1 was trained on SmolLM2-135M-Instruct.Q4_1.gguf (sha256 {expected}…), "
                              f"not on SomeOther.Q4_0.gguf (sha256 {file_sha256(other)[:12]}…). ")
    assert "smollm2-135m" in message  # says which model to answer with

    # the same bytes under another name are the same weights
    renamed = tmp_path / "renamed.gguf"
    shutil.copyfile(real, renamed)
    registry.verify(style, renamed)


def test_base_sha256_is_remembered_by_path_size_and_mtime(data_dir, base, adapters, monkeypatch):
    hashed = []
    real_hash = digests_module.file_sha256
    monkeypatch.setattr(digests_module, "file_sha256", lambda p: hashed.append(Path(p)) or real_hash(p))
    registry = StyleRegistry(data_dir)
    style = registry.register(adapters(), make_manifest(base))
    for _ in range(3):
        registry.verify(style, base)
    assert hashed == [base]
    StyleRegistry(data_dir).verify(style, base)  # a new process reads the remembered digest
    assert hashed == [base]
    stat = base.stat()
    os.utime(base, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # rewritten: hash again
    registry.verify(style, base)
    assert hashed == [base, base]
    base.write_bytes(base.read_bytes() + b"\0" * 32)  # changed: hashed again, and refused
    with pytest.raises(StyleError, match="was trained on tiny-base.gguf"):
        registry.verify(style, base)


def _flip_bytes(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at:at + 4] = bytes(b ^ 0xFF for b in data[at:at + 4])
    path.write_bytes(bytes(data))


def test_damaged_adapter_is_refused(data_dir, base, adapters):
    registry = StyleRegistry(data_dir)
    style = registry.register(adapters(), make_manifest(base))
    registry.use(1)
    size = style.adapter_path.stat().st_size

    _flip_bytes(style.adapter_path, size // 2)  # same size, other bytes
    with pytest.raises(StyleError, match=r"adapter of house style v1 has changed since it was registered"):
        registry.verify(style, base)
    with pytest.raises(StyleError, match="has changed"):
        registry.use(1)  # switching to it is refused too

    with open(style.adapter_path, "r+b") as f:
        f.truncate(size - 1000)
    with pytest.raises(StyleError, match=f"damaged: {size - 1000} bytes instead of {size}"):
        registry.verify(style, base)
    style.adapter_path.unlink()
    with pytest.raises(StyleError, match="adapter of house style v1 is missing"):
        registry.verify(style, base)


def test_only_a_gguf_lora_adapter_can_be_registered(data_dir, tmp_path, base, adapters):
    registry = StyleRegistry(data_dir)
    model = write_tiny_model(tmp_path / "model.gguf")
    with pytest.raises(StyleError, match="model.gguf is a GGUF model, not a LoRA adapter"):
        registry.register(model, make_manifest(base))

    truncated = adapters()
    truncated.write_bytes(truncated.read_bytes()[:-5000])
    with pytest.raises(StyleError, match="is not a readable GGUF file; it is damaged or incomplete"):
        registry.register(truncated, make_manifest(base))

    text = tmp_path / "notes.gguf"
    text.write_text("not a model at all")
    with pytest.raises(StyleError, match="not a readable GGUF file"):
        registry.register(text, make_manifest(base))

    claimed = make_manifest(base, adapter_sha256="a" * 64)  # the trainer's sha differs: damaged in transit
    with pytest.raises(StyleError, match="is not the adapter its manifest describes"):
        registry.register(adapters(), claimed)
    assert registry.list() == [] and os.listdir(data_dir / "styles") == [".lock"]


def test_adapter_structure_checks(tmp_path):
    import gguf

    def write(name: str, tensors: dict, alpha: float = 8.0) -> Path:
        path = tmp_path / name
        writer = gguf.GGUFWriter(str(path), arch="llama")
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
        for key, value in tensors.items():
            writer.add_tensor(key, value.astype(np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path

    a, b = np.ones((4, 576)), np.ones((576, 4))
    assert read_lora_adapter(write("ok.gguf", {"blk.0.attn_q.weight.lora_a": a,
                                               "blk.0.attn_q.weight.lora_b": b})).rank == 4
    with pytest.raises(StyleError, match="blk.0.attn_q are incomplete"):
        read_lora_adapter(write("half.gguf", {"blk.0.attn_q.weight.lora_a": a}))
    with pytest.raises(StyleError, match="do not fit together"):
        read_lora_adapter(write("ranks.gguf", {"blk.0.attn_q.weight.lora_a": a,
                                               "blk.0.attn_q.weight.lora_b": np.ones((576, 8))}))
    with pytest.raises(StyleError, match="'token_embd.weight', which is not a LoRA matrix"):
        read_lora_adapter(write("extra.gguf", {"token_embd.weight": np.ones((8, 16))}))
    b_nan = b.copy()
    b_nan[3, 1] = np.nan
    with pytest.raises(StyleError, match="NaN or infinite"):
        read_lora_adapter(write("nan.gguf", {"blk.0.attn_q.weight.lora_a": a, "blk.0.attn_q.weight.lora_b": b_nan}))


def test_damaged_or_newer_manifest_is_refused_not_fatal(data_dir, base, adapters):
    registry = StyleRegistry(data_dir)
    for seed in (1, 2):
        registry.register(adapters(seed=seed), make_manifest(base))
    registry.use(2)
    (data_dir / "styles" / "v1" / "manifest.json").write_text("{not json")
    manifest_2 = data_dir / "styles" / "v2" / "manifest.json"
    newer = {**json.loads(manifest_2.read_text()), "format": 99}
    manifest_2.write_text(json.dumps(newer))
    assert registry.list() == []  # skipped, not a crash
    with pytest.raises(StyleError, match="cannot be read"):
        registry.get(1)
    with pytest.raises(StyleError, match="format 99; this version of Archivist reads format 1"):
        registry.get(2)
    assert registry.active() is None  # answers go on, without the style
    incomplete = {k: v for k, v in newer.items() if k != "dataset_sha256"}
    with pytest.raises(StyleError, match="dataset_sha256 missing"):
        StyleManifest.from_json({**incomplete, "format": 1})


def test_interrupted_register_leaves_nothing_behind(data_dir, base, adapters):
    registry = StyleRegistry(data_dir)
    registry.register(adapters(), make_manifest(base))
    stray = data_dir / "styles" / ".staging-killed"
    stray.mkdir()
    (stray / "adapter.gguf").write_bytes(b"half")
    assert [s.version for s in registry.list()] == [1]
    registry.register(adapters(seed=5), make_manifest(base))
    assert not stray.exists()
