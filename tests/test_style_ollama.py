"""A house style registered with Ollama (core/style/ollama_register.py), through the real `ollama`
client against the stand-in (llama.cpp + SmolLM2-135M) or, with ARCHIVIST_TEST_OLLAMA_HOST, a real
Ollama: created from the pristine base with exactly one adapter, never stacked on a styled model,
refused on other weights, on a damaged adapter and when the server is down."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import ollama
import pytest

from core.llm.embedded_engine import bundled_model_path
from core.llm.ollama_engine import OllamaEngine
from core.style.digests import file_sha256
from core.style.errors import StyleError
from core.style.manifest import BaseModelRef
from core.style.ollama_register import Modelfile, OllamaStyles, blob_sha256, styled_model_name
from core.style.registry import StyleRegistry
from style_helpers import make_manifest, write_smollm2_lora, write_tiny_model
from ollama_env import MODEL

pytestmark = pytest.mark.ollama
PREFIX = "archivist-test-style-"
GREEDY = {"temperature": 0, "seed": 1, "num_predict": 12}
ASK = [{"role": "system", "content": "You answer in one short sentence."},
       {"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def engine(server_url):
    e = OllamaEngine(server_url, MODEL, timeout_s=120)
    yield e
    e.close()


@pytest.fixture
def client(server_url):
    with ollama.Client(host=server_url, timeout=120) as c:
        made = set(m.model for m in c.list().models)
        yield c
        for model in {m.model for m in c.list().models} - made:  # what the test created
            c.delete(model)


@pytest.fixture
def registry(data_dir, engine, tmp_path):
    """Styles whose manifest names the weights Ollama serves as MODEL (in the stand-in: the bundled
    SmolLM2 file)."""
    trained_on = BaseModelRef(MODEL, Path(bundled_model_path()).name, OllamaStyles(engine).model_sha256(MODEL))
    some_file = write_tiny_model(tmp_path / "unused.gguf")
    registry = StyleRegistry(data_dir)
    registry.make = lambda seed=0: registry.register(
        write_smollm2_lora(tmp_path / f"lora-{seed}.gguf", seed=seed), make_manifest(some_file, base=trained_on))
    return registry


def shown_modelfile(server_url: str, model: str) -> Modelfile:
    raw = httpx.post(server_url + "/api/show", json={"model": model}, timeout=30).json()
    return Modelfile.parse(raw["modelfile"])


def test_registered_from_the_pristine_base_with_exactly_one_adapter(engine, client, registry, server_url):
    style = registry.make()
    served = OllamaStyles(engine).register(style, MODEL)
    assert served.model == styled_model_name(MODEL, 1) and served.base == served.requested_base == MODEL
    assert served.model in {m.model for m in client.list().models}

    created, base = shown_modelfile(server_url, served.model), shown_modelfile(server_url, MODEL)
    assert base.adapters == () and created.model == base.model  # the base's own weights
    assert len(created.adapters) == 1 and blob_sha256(created.adapters[0]) == style.manifest.adapter_sha256
    # the adapter really loads on these weights (llama.cpp checks every tensor's shape)
    answer = client.chat(served.model, messages=ASK, options=GREEDY)
    assert answer.message.content and answer.done_reason in ("stop", "length")

    again = OllamaStyles(engine).register(style, MODEL)  # registering twice changes nothing
    assert again == served and len(shown_modelfile(server_url, served.model).adapters) == 1


@pytest.mark.standin_only
def test_base_identity_is_the_sha256_of_its_gguf(engine, client, server_url):
    styles = OllamaStyles(engine)
    bundled = file_sha256(bundled_model_path())
    assert styles.model_sha256(MODEL) == bundled  # the stand-in's seed: the file itself, hashed
    pulled = "archivist-registry/tiny:v1"  # copied into blobs/ by a pull: named by its digest
    client.pull(pulled)
    from_line = styles.modelfile(pulled).model
    assert Path(from_line).name == f"sha256-{bundled}"
    assert styles.model_sha256(pulled) == bundled


@pytest.mark.standin_only
def test_a_styled_base_is_resolved_to_its_pristine_model(engine, client, registry, server_url):
    first, second = registry.make(seed=1), registry.make(seed=2)
    styles = OllamaStyles(engine)
    styled = styles.register(first, MODEL).model

    # What a naive create does (and Ollama allows): from the styled model, adapters stack.
    digest = client.create_blob(second.adapter_path)
    stacked = PREFIX + "stacked"
    client.create(stacked, from_=styled, adapters={"adapter.gguf": digest})
    assert len(shown_modelfile(server_url, stacked).adapters) == 2
    assert client.chat(stacked, messages=ASK, options=GREEDY).message.content  # served with both

    for asked in (styled, stacked):  # by its name, or by its weights among the installed models
        served = styles.register(second, asked)
        assert served.requested_base == asked and served.model == styled_model_name(served.base, 2)
        base = shown_modelfile(server_url, served.base)
        assert base.adapters == () and styles.model_sha256(served.base) == first.manifest.base.sha256
        adapters = shown_modelfile(server_url, served.model).adapters
        assert [blob_sha256(a) for a in adapters] == [second.manifest.adapter_sha256]


@pytest.fixture
def tiny_base(client, tmp_path):
    """A model on other weights than SmolLM2 (a tiny GGUF: created, never loaded)."""
    name = PREFIX + "tiny"
    client.create(name, files={"tiny.gguf": client.create_blob(write_tiny_model(tmp_path / "tiny.gguf"))})
    return name


@pytest.mark.standin_only
def test_other_weights_are_refused_and_nothing_is_created(engine, client, registry, tiny_base):
    style = registry.make()
    before = {m.model for m in client.list().models}
    with pytest.raises(StyleError) as refused:
        OllamaStyles(engine).register(style, tiny_base)
    expected = style.manifest.base.sha256[:12]
    assert str(refused.value).startswith(
        f"house style v1 was trained on SmolLM2-135M-Instruct.Q4_1.gguf (sha256 {expected}…), not on "
        f"Ollama's {tiny_base}")
    assert {m.model for m in client.list().models} == before


@pytest.mark.standin_only
def test_styled_model_without_an_installed_pristine_base_is_refused(engine, client, registry, tiny_base):
    style = registry.make()
    digest = client.create_blob(style.adapter_path)
    orphan = PREFIX + "orphan"
    client.create(orphan, from_=tiny_base, adapters={"adapter.gguf": digest})
    client.delete(tiny_base)
    with pytest.raises(StyleError, match=f"{orphan}:latest already carries a LoRA adapter"):
        OllamaStyles(engine).register(style, orphan + ":latest")


@pytest.mark.standin_only
def test_a_created_model_with_stacked_adapters_is_caught_and_removed(engine, client, registry):
    first, second = registry.make(seed=1), registry.make(seed=2)
    styles = OllamaStyles(engine)
    styled = styles.register(first, MODEL).model
    # A resolution that failed to find the pristine base: the check after create still catches it.
    styles.pristine_base = lambda model: (model, styles.modelfile(model))
    with pytest.raises(StyleError, match="with 2 adapters instead of exactly one, so it was removed"):
        styles.register(second, styled)
    assert styled_model_name(styled, 2) not in {m.model for m in client.list().models}


def test_damaged_adapter_is_refused_before_upload(engine, client, registry):
    style = registry.make()
    data = bytearray(style.adapter_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    style.adapter_path.write_bytes(bytes(data))
    with pytest.raises(StyleError, match="has changed since it was registered"):
        OllamaStyles(engine).register(style, MODEL)
    assert styled_model_name(MODEL, 1) not in {m.model for m in client.list().models}


def test_missing_base_and_server_down_are_style_errors(engine, registry):
    style = registry.make()
    with pytest.raises(StyleError, match="archivist-no-such-model.* is not installed in Ollama"):
        OllamaStyles(engine).register(style, "archivist-no-such-model")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
    gone = OllamaEngine(down, MODEL, timeout_s=5)
    try:
        with pytest.raises(StyleError, match=f"Ollama is not running at {down}"):
            OllamaStyles(gone).register(style, MODEL)
    finally:
        gone.close()


def test_modelfile_parsing_and_names():
    text = ('# Modelfile generated by "ollama show"\n# FROM smollm2:135m\n\n'
            "FROM /usr/share/ollama/.ollama/models/blobs/sha256-" + "ab" * 32 + "\n"
            'TEMPLATE """{{ .System }}\nADAPTER not-a-command\n"""\n'
            "ADAPTER C:\\Users\\me\\.ollama\\models\\blobs\\sha256-" + "cd" * 32 + "\n"
            'SYSTEM """one line"""\nPARAMETER stop "<|im_end|>"\n'
            'MESSAGE user """two\nADAPTER lines"""\nLICENSE """MIT"""\n')
    parsed = Modelfile.parse(text)
    assert blob_sha256(parsed.model) == "ab" * 32
    assert [blob_sha256(a) for a in parsed.adapters] == ["cd" * 32]
    assert blob_sha256("/home/me/models/SmolLM2.gguf") is None
    assert styled_model_name("smollm2:135m", 3) == "smollm2:135m-house-style-v3"
    assert styled_model_name("llama3.2:latest", 3) == styled_model_name("llama3.2", 3) == "llama3.2-house-style-v3"
