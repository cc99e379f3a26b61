"""A house style for Ollama, end to end, through the real `ollama` client and the stand-in (llama.cpp +
SmolLM2-135M): an Ollama model resolved to its GGUF blob, a real LoRA trained on that blob for a few
steps on examples with a distinctive format, registered with Ollama from the pristine base; greedy
answers of the styled model follow the format where the base's do not, the answer pipeline names the
style, and a model whose weights are not the style's base never answers with it."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import ollama
import pytest

from core.answer.pipeline import Answered, ask
from core.llm.base import ChatMessage
from core.llm.chat_template import ChatFormat, render_chatml
from core.llm.embedded_engine import bundled_model_path
from core.llm.ollama_engine import OllamaEngine, choose_default_model, is_house_style_model
from core.style.apply import apply_house_style
from core.style.base_model import BaseModel
from core.style.digests import FileDigests, file_sha256
from core.style.errors import StyleError
from core.style.manifest import BaseModelRef
from core.style.ollama_base import (OllamaBase, check_training_prompts, find_blob, models_dirs, ollama_model,
                                    resolve_ollama_base)
from core.style.ollama_prompt import KNOWN_TEMPLATES, ollama_prompt, template_sha256
from core.style.ollama_register import Modelfile, OllamaStyles, OtherBase, blob_sha256, styled_model_name
from core.style.registry import StyleRegistry
from core.style.training import train
from helpers import FACTS, FILLER, write
from ollama_env import MODEL, PULLABLE, REAL_HOST
from style_helpers import make_manifest, write_tiny_model
from test_style_training import EXAMPLES, HELD_OUT, QUICK, Turn

pytestmark = [pytest.mark.ollama,
              pytest.mark.skipif(bundled_model_path() is None, reason="the bundled SmolLM2 is not installed")]
ROOT = Path(__file__).resolve().parent.parent
PREFIX = "archivist-test-e2e-"
GREEDY = {"temperature": 0, "seed": 1, "num_predict": 60}
STANDIN_CHATML = ("{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
                  "{{ end }}<|im_start|>assistant\n")  # Ollama's template/chatml.gotmpl, byte for byte


@pytest.fixture(scope="module")
def client(server_url):
    with ollama.Client(host=server_url, timeout=300) as c:
        made = {m.model for m in c.list().models}
        yield c
        for model in {m.model for m in c.list().models} - made:
            c.delete(model)


@pytest.fixture(scope="module")
def ollama_base(server_url, client):
    """The Ollama model to train for: in the stand-in one pulled into its blobs/ (so Ollama knows it
    only by a blob named by its digest); with a real Ollama, MODEL itself."""
    name = MODEL if REAL_HOST else PULLABLE
    if not REAL_HOST:
        client.pull(PULLABLE)
    engine = OllamaEngine(server_url, timeout_s=300)
    try:
        yield resolve_ollama_base(engine, name, FileDigests())
    finally:
        engine.close()


@pytest.fixture(scope="module")
def trained(ollama_base, tmp_path_factory):
    base = BaseModel.read(ollama_base.path)
    check_training_prompts(base, ollama_base, EXAMPLES)  # Ollama will send exactly these prompts
    return train(base, EXAMPLES, QUICK, tmp_path_factory.mktemp("ollama-style-run"), validation=EXAMPLES[:1])


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("style-data")


@pytest.fixture(scope="module")
def style(trained, ollama_base, data):
    registry = StyleRegistry(data)
    trained_on = BaseModelRef(ollama_base.name, ollama_base.path.name, registry.digests.sha256(ollama_base.path))
    return registry.register(trained.adapter_path, make_manifest(ollama_base.path, base=trained_on))


@pytest.fixture(scope="module")
def registered(style, server_url):
    engine = OllamaEngine(server_url, MODEL, timeout_s=300)
    try:
        yield OllamaStyles(engine).register(style, MODEL)
    finally:
        engine.close()


def _greedy(client, model: str) -> str:
    messages = [{"role": m.role, "content": m.content} for m in Turn(*HELD_OUT).messages()]
    return client.chat(model, messages=messages, options=GREEDY).message.content


def _shown(server_url: str, model: str) -> Modelfile:
    return Modelfile.parse(httpx.post(server_url + "/api/show", json={"model": model}, timeout=30).json()["modelfile"])


@pytest.mark.standin_only
def test_an_ollama_model_resolves_to_the_gguf_blob_it_answers_from(ollama_base, server_url):
    bundled = file_sha256(bundled_model_path())
    assert ollama_base.name == PULLABLE and ollama_base.host == server_url
    assert ollama_base.path.name == f"sha256-{bundled}" and ollama_base.path.parent.name == "blobs"
    assert ollama_base.path != Path(bundled_model_path()) and file_sha256(ollama_base.path) == bundled
    assert ollama_base.template == STANDIN_CHATML
    assert ollama_model("ollama:smollm2:135m") == "smollm2:135m" and ollama_model("smollm2-135m") is None

    # Ollama on another computer or in a container: its FROM path is not readable here, so the blob
    # is found by its digest in a models folder that is (OLLAMA_MODELS).
    elsewhere = f"/srv/ollama-elsewhere/models/blobs/sha256-{bundled}"
    models = ollama_base.path.parent.parent
    assert find_blob(elsewhere, [Path("/nonexistent"), models]) == ollama_base.path
    assert find_blob(elsewhere, [Path("/nonexistent")]) is None
    assert find_blob(str(ollama_base.path), []) == ollama_base.path
    assert find_blob("relative/sha256-" + "ab" * 32, []) is None
    assert models_dirs({"OLLAMA_MODELS": "/data/ollama"})[0] == Path("/data/ollama")


def test_training_prompts_are_the_ones_ollama_sends(ollama_base, monkeypatch):
    base = BaseModel.read(ollama_base.path)
    turn = Turn(*HELD_OUT).messages()
    assert ollama_prompt(ollama_base.template, turn) == render_chatml(turn) == base.chat_format.render(turn)
    check_training_prompts(base, ollama_base, EXAMPLES)

    custom = OllamaBase("custom", ollama_base.path, "{{ .System }} {{ .Prompt }}", ollama_base.host)
    with pytest.raises(StyleError, match="custom with a template Archivist cannot reproduce byte for byte"):
        check_training_prompts(base, custom, EXAMPLES)
    # a GGUF whose own template renders other bytes than Ollama (here: a date line before the system)
    dated = SimpleNamespace(end_of_turn="<|im_end|>", chat_format=ChatFormat(
        "Today.\n{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"))
    with pytest.raises(StyleError, match="renders differently from how Ollama prompts"):
        check_training_prompts(dated, ollama_base, EXAMPLES)
    other_end = SimpleNamespace(end_of_turn="<|endoftext|>", chat_format=base.chat_format)
    with pytest.raises(StyleError, match="would not stop where Ollama stops"):
        check_training_prompts(other_end, ollama_base, EXAMPLES)

    # The Qwen2.5 library templates (recognised by their digest): ChatML for a system message and
    # turns; no system block at all when the system text is empty; turns of one role merged.
    qwen = "qwen template stand-in"
    monkeypatch.setitem(KNOWN_TEMPLATES, template_sha256(qwen), "qwen2.5")
    assert ollama_prompt(qwen, turn) == render_chatml(turn)
    chat = turn + [ChatMessage("assistant", "A."), ChatMessage("user", "Q2")]
    assert ollama_prompt(qwen, chat) == render_chatml(chat)
    assert ollama_prompt(qwen, [ChatMessage("system", ""), ChatMessage("user", "U")]) == \
        "<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    assert ollama_prompt(STANDIN_CHATML, [ChatMessage("user", "a"), ChatMessage("user", "b")]) == \
        render_chatml([ChatMessage("user", "a\n\nb")])


def test_greedy_output_through_ollama_follows_the_learnt_format(trained, style, registered, client, server_url):
    assert trained.steps == QUICK.max_steps
    assert style.manifest.base.sha256 == file_sha256(bundled_model_path()) or REAL_HOST
    assert registered.model == styled_model_name(MODEL, style.version) and registered.base == MODEL
    created = _shown(server_url, registered.model)
    assert [blob_sha256(a) for a in created.adapters] == [style.manifest.adapter_sha256]  # exactly one
    assert _shown(server_url, MODEL).adapters == ()
    recorded = json.loads((style.folder / "ollama.json").read_text())
    assert recorded[server_url][MODEL]["model"] == registered.model

    plain, styled = _greedy(client, MODEL), _greedy(client, registered.model)
    assert not plain.startswith("Short answer:"), plain
    assert styled.startswith("Short answer: 8 pm"), styled
    assert "Details:" in styled and "[1]" in styled


@pytest.fixture
def indexed(docs, make_archivist):
    write(docs / "office.md", f"# Office\n\n{FILLER}\n\n{FACTS[3]}\n\n{FILLER}")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    return archivist


def test_the_pipeline_answers_through_ollama_with_the_style_and_names_it(indexed, style, registered, data,
                                                                         server_url, client):
    registry = StyleRegistry(data)
    registry.use(style.version)
    engine = OllamaEngine(server_url, MODEL, timeout_s=300)
    client.chat(registered.model, messages=[], keep_alive=0)  # unloaded: loaded again only if it answers
    try:
        assert apply_house_style(engine, data) == style.label == engine.style_label
        *_, done = ask(indexed, engine, "Where does Marmalade sleep?", k=4, max_answer_tokens=40)
        assert isinstance(done, Answered) and done.text
        assert (done.style, done.engine, done.model) == (style.label, "ollama", MODEL)
        assert registered.model in {m.model for m in client.ps().models}  # the styled model answered
        assert style.label in engine.describe()

        registry.use(None)
        assert apply_house_style(engine, data) == "" == engine.style_label
        *_, plain = ask(indexed, engine, "Where does Marmalade sleep?", k=4, max_answer_tokens=40)
        assert plain.style == ""
    finally:
        registry.use(None)
        engine.close()


@pytest.mark.standin_only
def test_a_model_on_other_weights_never_answers_with_the_style(style, registered, data, client, server_url,
                                                               tmp_path, caplog):
    registry = StyleRegistry(data)
    registry.use(style.version)
    renamed = PREFIX + "renamed:latest"  # the style's weights under another name, registered there too
    client.copy(MODEL, renamed)
    engine = OllamaEngine(server_url, renamed, timeout_s=300)
    try:
        styled = OllamaStyles(engine).register(style, renamed).model
        assert apply_house_style(engine, data) == style.label

        client.delete(styled)  # removed in Ollama behind Archivist's back: answers go to the base again
        with caplog.at_level(logging.WARNING, logger="core.style.apply"):
            assert apply_house_style(engine, data) == "" == engine.style_label
        assert f"{styled}, registered for {style.label}, cannot be used" in caplog.text
        OllamaStyles(engine).register(style, renamed)
        assert apply_house_style(engine, data) == style.label

        # The name now points at other weights (pulled again, re-created): the style must not follow.
        tiny = write_tiny_model(tmp_path / "tiny.gguf")
        client.create(renamed, files={"tiny.gguf": client.create_blob(tiny)})
        with caplog.at_level(logging.WARNING, logger="core.style.apply"):
            assert apply_house_style(engine, data) == "" == engine.style_label
        assert f"not on Ollama's {renamed} as it is now" in caplog.text
        with pytest.raises(OtherBase, match=f"was trained on .* not on Ollama's {renamed}"):
            OllamaStyles(engine).register(style, renamed)

        engine.model = PULLABLE  # the same weights, but the style was never registered for it
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="core.style.apply"):
            assert apply_house_style(engine, data) == ""
        assert "is not registered with Ollama" in caplog.text
    finally:
        registry.use(None)
        engine.close()


def test_the_default_ollama_model_is_never_a_house_style_model():
    def entry(name, day):
        import datetime
        return SimpleNamespace(model=name, details=None, modified_at=datetime.datetime(2026, 1, day))

    newest_styled = [entry("smollm2:135m", 1), entry("smollm2:135m-house-style-v3", 2),
                     entry("llama3.2-house-style-v1:latest", 3)]
    assert choose_default_model(newest_styled) == "smollm2:135m"
    assert is_house_style_model("llama3.2-house-style-v12:latest") and not is_house_style_model("house-style")


def _cli(*args, data_dir, host, timeout=600):
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), OLLAMA_HOST=host,
               ARCHIVIST_BUILTIN_MODEL="smollm2-135m")
    done = subprocess.run([sys.executable, "-m", "core.cli", *map(str, args)], capture_output=True, env=env,
                          timeout=timeout, cwd=ROOT)
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_style_use_registers_with_ollama_and_ask_names_the_style(style, data, docs, server_url, client):
    write(docs / "office.md", f"# Office\n\n{FILLER}\n\n{FACTS[3]}\n\n{FILLER}")
    assert _cli("add", docs, data_dir=data, host=server_url)[0] == 0

    code, out, err = _cli("style", "use", style.version, "--model", MODEL, data_dir=data, host=server_url)
    assert code == 0, err
    assert f"registered with Ollama at {server_url}: answers with {MODEL} now come from " \
           f"{styled_model_name(MODEL, style.version)}" in out
    code, out, err = _cli("ask", "--json", "--engine", "ollama", "--model", MODEL, "Where does Marmalade sleep?",
                          data_dir=data, host=server_url)
    assert code == 0, err
    assert json.loads(out)["answer"]["style"] == style.label

    code, out, err = _cli("style", "use", "none", data_dir=data, host=server_url)
    assert code == 0 and "no house style" in out
    code, out, err = _cli("ask", "--json", "--engine", "ollama", "--model", MODEL, "Where does Marmalade sleep?",
                          data_dir=data, host=server_url)
    assert json.loads(out)["answer"]["style"] == ""

    down = _closed_port()
    code, out, err = _cli("style", "use", style.version, "--engine", "ollama", data_dir=data, host=down)
    assert code == 1 and f"Ollama is not running at {down}" in err and "Traceback" not in err
    code, out, err = _cli("style", "use", style.version, data_dir=data, host=down)  # auto: the built-in engine
    assert code == 0 and "Ollama" not in out + err
    _cli("style", "use", "none", data_dir=data, host=server_url)


@pytest.mark.standin_only
def test_training_for_an_ollama_model_is_refused_clearly(client, server_url, tmp_path):
    custom = PREFIX + "custom-template"
    client.create(custom, from_=MODEL, template="{{ .System }}\n{{ .Prompt }}")
    code, out, err = _cli("style", "train", "--base", f"ollama:{custom}", data_dir=tmp_path, host=server_url)
    assert code == 1 and "with a template Archivist cannot reproduce byte for byte" in err and "Traceback" not in err
    code, out, err = _cli("style", "train", "--base", "ollama:archivist-no-such-model", data_dir=tmp_path,
                          host=server_url)
    assert code == 1 and "archivist-no-such-model" in err and "is not installed" in err and "Traceback" not in err
