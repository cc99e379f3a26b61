"""The Ollama stand-in (tests/ollama_standin) seen through the real `ollama` client.

By default one stand-in server (llama.cpp + SmolLM2-135M) is started for the
session. With ARCHIVIST_TEST_OLLAMA_HOST=http://host:port the same tests run
against that server instead (a real Ollama that has ARCHIVIST_TEST_OLLAMA_MODEL,
default smollm2:135m); tests marked standin_only are then skipped.
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time

import httpx
import numpy as np
import ollama
import pytest

try:
    from tests.ollama_standin import start_standin
    from tests.ollama_standin.gguf import write_gguf, write_lora_adapter
    from tests.ollama_standin.store import smollm2_gguf
except ImportError:  # plain `pytest` puts tests/ itself on sys.path instead
    from ollama_standin import start_standin
    from ollama_standin.gguf import write_gguf, write_lora_adapter
    from ollama_standin.store import smollm2_gguf

from ollama_env import MODEL, PULLABLE, REAL_HOST, serve_ollama_api  # noqa: E402
PREFIX = "archivist-test-"  # models the tests create (and delete)
SYSTEM = "You answer questions using only the given context. Be brief."
GROUNDED = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": "Context: The refund window for Acme widgets is 30 days "
                                "from delivery.\n\nQuestion: How long is the refund window "
                                "for Acme widgets?"},
]
# Long, open-ended output, for the tests that interrupt a stream.
# (greedy SmolLM2 goes on for 600+ tokens here; "count to 500" stopped after 17)
ENDLESS = [{"role": "user", "content": "Write a very long story about a dragon."}]
GREEDY = {"temperature": 0, "seed": 1}

pytestmark = pytest.mark.ollama  # registered in pyproject.toml


@pytest.fixture(scope="module")
def server_url(tmp_path_factory, registry_dir):
    """A server of its own: these tests check first-download behaviour (an empty blob store)."""
    yield from serve_ollama_api(tmp_path_factory, registry_dir)








@pytest.fixture
def client(server_url):
    with ollama.Client(host=server_url, timeout=120) as c:  # closes its sockets
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- discovery endpoints ------------------------------------------------------
def test_root_and_version(server_url):
    r = httpx.get(server_url + "/")
    assert r.status_code == 200 and r.text == "Ollama is running"
    assert httpx.head(server_url + "/").status_code == 200
    assert isinstance(httpx.get(server_url + "/api/version").json()["version"], str)


def test_list_show_ps_shapes(client, server_url):
    listed = client.list()  # pydantic ListResponse: `models` is required
    names = [m.model for m in listed.models]
    assert MODEL in names
    entry = next(m for m in listed.models if m.model == MODEL)
    assert len(entry.digest) == 64 and int(entry.digest, 16) >= 0
    assert entry.size > 50_000_000 and entry.details.format == "gguf"
    assert entry.details.family == "llama" and entry.details.parameter_size

    shown = client.show(MODEL)
    assert shown.modelinfo["general.architecture"] == "llama"
    assert shown.modelinfo["llama.context_length"] == 8192
    assert "completion" in shown.capabilities
    assert "<|im_start|>" in shown.template
    assert "stop" in shown.parameters
    raw = httpx.post(server_url + "/api/show", json={"model": MODEL}).json()
    assert "model_info" in raw and raw["model_info"]["tokenizer.ggml.tokens"] == []

    client.chat(MODEL, messages=[])  # loads the model
    ps = client.ps()
    loaded = next(m for m in ps.models if m.model == MODEL)
    assert loaded.context_length and loaded.context_length > 0
    assert loaded.expires_at is not None and loaded.details.family == "llama"


# -- chat and generate ----------------------------------------------------------
def test_chat_streams_tokens_then_final_chunk_with_metrics(client):
    chunks = list(client.chat(MODEL, messages=GROUNDED, stream=True,
                              options={**GREEDY, "num_predict": 40}))
    assert len(chunks) >= 3
    assert all(c.done is False for c in chunks[:-1])
    assert sum(1 for c in chunks[:-1] if c.message.content) >= 2
    final = chunks[-1]
    assert final.done is True and final.done_reason in ("stop", "length")
    assert final.message.role == "assistant" and final.message.content == ""
    assert final.prompt_eval_count > 10 and final.eval_count > 0
    assert final.total_duration > 0 and final.eval_duration > 0


def test_chat_ndjson_framing(server_url):
    body = {"model": MODEL, "messages": GROUNDED, "options": {**GREEDY, "num_predict": 8}}
    with httpx.stream("POST", server_url + "/api/chat", json=body, timeout=120) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        text = r.read().decode()
    assert text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert all(line.strip() for line in lines), "blank line in NDJSON"
    objs = [json.loads(line) for line in lines]
    assert objs[-1]["done"] is True and "done_reason" in objs[-1]
    assert all(o["message"]["role"] == "assistant" for o in objs)


def test_grounded_answer(client):
    r = client.chat(MODEL, messages=GROUNDED, options={**GREEDY, "num_predict": 60})
    assert "30" in r.message.content


def test_non_stream_chat(client):
    r = client.chat(MODEL, messages=GROUNDED, stream=False, options={**GREEDY, "num_predict": 12})
    assert isinstance(r, ollama.ChatResponse)
    assert r.done is True and r.done_reason in ("stop", "length")
    assert r.message.role == "assistant" and r.message.content.strip()
    assert r.eval_count and r.eval_count <= 12 + 1


def test_num_predict_caps_output_with_length_reason(client):
    r = client.chat(MODEL, messages=ENDLESS, options={**GREEDY, "num_predict": 5})
    assert r.done_reason == "length" and r.eval_count == 5


def test_generate_always_has_response_and_context(client):
    parts = list(client.generate(MODEL, prompt="Name a colour.", stream=True,
                                 options={**GREEDY, "num_predict": 8}))
    assert all(isinstance(p.response, str) for p in parts)
    assert parts[-1].done and parts[-1].response == "" and parts[-1].context
    whole = client.generate(MODEL, prompt="Name a colour.", options={**GREEDY, "num_predict": 8})
    assert whole.response == "".join(p.response for p in parts)
    loaded = client.generate(MODEL, prompt="")
    assert loaded.done_reason == "load" and loaded.response == ""


def test_empty_messages_load_and_keep_alive_zero_unloads(client):
    r = client.chat(MODEL, messages=[])
    assert r.done and r.done_reason == "load" and r.message.content == ""
    assert MODEL in [m.model for m in client.ps().models]
    r = client.chat(MODEL, messages=[], keep_alive=0)
    assert r.done_reason == "unload"
    deadline = time.monotonic() + 10
    while MODEL in [m.model for m in client.ps().models] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert MODEL not in [m.model for m in client.ps().models]


def test_concurrent_chats_are_serialized_not_broken(client):
    results, errors = [], []

    def one(i):
        try:
            r = client.chat(MODEL, messages=[{"role": "user", "content": f"Say {i}."}],
                            options={**GREEDY, "num_predict": 6})
            results.append(r.done)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and results == [True, True, True]


# -- errors ------------------------------------------------------------------------
def test_missing_model_is_404(client):
    with pytest.raises(ollama.ResponseError) as e:
        client.chat("no-such-model:1", messages=GROUNDED)
    assert e.value.status_code == 404
    assert e.value.error == "model 'no-such-model:1' not found"

    stream = client.chat("no-such-model:1", messages=GROUNDED, stream=True)  # no error yet
    with pytest.raises(ollama.ResponseError) as e:
        next(iter(stream))
    assert e.value.status_code == 404

    with pytest.raises(ollama.ResponseError) as e:
        client.show("no-such-model:1")
    assert e.value.status_code == 404


def test_think_true_is_400(client):
    with pytest.raises(ollama.ResponseError) as e:
        client.chat(MODEL, messages=GROUNDED, think=True)
    assert e.value.status_code == 400
    assert e.value.error == f'"{MODEL}" does not support thinking'


def test_bad_requests_are_400(server_url):
    r = httpx.post(server_url + "/api/chat", content=b"")
    assert r.status_code == 400 and r.json() == {"error": "missing request body"}
    r = httpx.post(server_url + "/api/chat", json={"messages": []})
    assert r.status_code == 400 and r.json() == {"error": "model is required"}
    r = httpx.post(server_url + "/api/generate", json={"model": MODEL, "prompt": "x",
                                                         "raw": True, "system": "s"})
    assert r.status_code == 400
    assert r.json() == {"error": "raw mode does not support template, system, or context"}


def test_server_down_errors():
    with ollama.Client(host=f"http://127.0.0.1:{_free_port()}", timeout=5) as c:
        with pytest.raises(httpx.ConnectError):  # streaming: raw httpx error, on iteration
            next(iter(c.chat(MODEL, messages=GROUNDED, stream=True)))
        with pytest.raises(ConnectionError):  # non-streaming: the builtin ConnectionError
            c.chat(MODEL, messages=GROUNDED)
    assert not issubclass(httpx.ConnectError, ConnectionError)


# -- interrupted streams (need the stand-in: kill -9, server-side counters) -----------
@pytest.mark.standin_only
def test_server_killed_mid_stream_raises_httpx_error(tmp_path):
    handle = start_standin(tmp_path)
    received = []
    try:
        with ollama.Client(host=handle.url, timeout=60) as c:
            with pytest.raises(httpx.HTTPError):
                for chunk in c.chat(MODEL, messages=ENDLESS, stream=True,
                                    options={**GREEDY, "num_predict": 2000}):
                    received.append(chunk)
                    if len(received) == 5:
                        handle.kill()
    finally:
        handle.stop()
    assert len(received) >= 5 and not received[-1].done
    assert handle.process.returncode == -9


@pytest.mark.standin_only
def test_client_closing_stream_stops_generation(client, server_url):
    before = httpx.get(server_url + "/_standin/stats").json()
    stream = client.chat(MODEL, messages=ENDLESS, stream=True,
                         options={**GREEDY, "num_predict": 2000})
    for i, _chunk in enumerate(stream):
        if i == 3:
            break
    stream.close()  # closes the HTTP response, so the connection drops
    stats = _wait_cancelled(server_url, before)
    assert stats["cancelled"] == before["cancelled"] + 1, stats
    assert stats["active"] == 0 and stats["last"]["cancelled"] is True
    assert stats["last"]["tokens"] < 400, stats  # far from num_predict=2000


def _wait_cancelled(server_url, before, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        stats = httpx.get(server_url + "/_standin/stats").json()
        done = stats["cancelled"] > before["cancelled"] and stats["active"] == 0
        if done or time.monotonic() > deadline:
            return stats
        time.sleep(0.1)


@pytest.mark.standin_only
def test_non_streaming_client_giving_up_stops_generation(server_url):
    before = httpx.get(server_url + "/_standin/stats").json()
    body = {"model": MODEL, "messages": ENDLESS, "stream": False,
            "options": {**GREEDY, "num_predict": 2000}}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(server_url + "/api/chat", json=body, timeout=httpx.Timeout(5, read=1.5))
    stats = _wait_cancelled(server_url, before)
    assert stats["cancelled"] == before["cancelled"] + 1, stats
    assert stats["last"]["tokens"] < 1000, stats


def test_num_ctx_option_sets_the_loaded_context(client):
    r = client.chat(MODEL, messages=[{"role": "user", "content": "Hi"}],
                    options={**GREEDY, "num_predict": 2, "num_ctx": 2048})
    assert r.done
    assert next(m for m in client.ps().models if m.model == MODEL).context_length == 2048


# -- model management --------------------------------------------------------------
@pytest.mark.standin_only
def test_pull_progress_sequence(client):
    events = list(client.pull(PULLABLE, stream=True))
    statuses = [e.status for e in events]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    layers = [e for e in events if e.status.startswith("pulling ") and e.digest]
    assert layers and all(e.status == f"pulling {e.digest[7:19]}" for e in layers)
    big = [e for e in layers if e.total and e.total > 50_000_000]
    assert big and big[0].completed is None and big[-1].completed == big[-1].total
    assert PULLABLE in [m.model for m in client.list().models]
    assert client.pull(PULLABLE).status == "success"  # stream=False: the last status
    assert client.delete(PULLABLE).status == "success"


def test_pull_unknown_model_errors(client):
    stream = client.pull("archivist-no-such/model:x", stream=True)
    seen = []
    with pytest.raises(ollama.ResponseError) as e:
        for p in stream:
            seen.append(p.status)
    assert seen[:1] == ["pulling manifest"] and e.value.status_code == -1
    assert "pull model manifest" in e.value.error
    with pytest.raises(ollama.ResponseError) as e:
        client.pull("archivist-no-such/model:x")
    assert e.value.status_code == 500


def test_create_from_existing_with_system_then_copy_delete(client, server_url):
    name, copy = PREFIX + "brief:latest", PREFIX + "brief-copy:latest"
    statuses = [p.status for p in client.create(
        name, from_=MODEL, system="Answer in one short sentence.",
        parameters={"temperature": 0, "num_predict": 24}, stream=True)]
    assert statuses[-2:] == ["writing manifest", "success"]
    assert any(s.startswith("using existing layer sha256:") for s in statuses)
    try:
        shown = client.show(name)  # the client's ShowResponse has no `system` field
        assert 'SYSTEM """Answer in one short sentence."""' in shown.modelfile
        raw = httpx.post(server_url + "/api/show", json={"model": name}).json()
        assert raw["system"] == "Answer in one short sentence."
        assert "temperature" in shown.parameters and "num_predict" in shown.parameters
        r = client.chat(name, messages=[{"role": "user", "content": "What is 2+2?"}])
        assert r.message.content and r.eval_count <= 25
        client.copy(name, copy)
        assert {name, copy} <= {m.model for m in client.list().models}
        assert client.show(copy).modelfile.split("\n")[4:] == shown.modelfile.split("\n")[4:]
    finally:
        for n in (name, copy):
            try:
                client.delete(n)
            except ollama.ResponseError:
                pass
    with pytest.raises(ollama.ResponseError) as e:
        client.delete(name)
    assert e.value.status_code == 404


def test_create_errors(client):
    with pytest.raises(ollama.ResponseError) as e:
        client.create(PREFIX + "bad", system="x")
    assert e.value.status_code == 400
    assert e.value.error == "neither 'from' or 'files' was specified"
    digest = "sha256:" + "0" * 64
    with pytest.raises(ollama.ResponseError) as e:
        client.create(PREFIX + "bad", from_=MODEL, adapters={"a.gguf": digest, "b.gguf": digest})
    assert e.value.status_code == 400
    assert e.value.error == "only one adapter is currently supported"


def test_blobs(server_url, client, tmp_path):
    data = b"archivist blob test " + str(time.time_ns()).encode()
    import hashlib
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    url = f"{server_url}/api/blobs/{digest}"
    assert httpx.head(url).status_code == 404
    bad = httpx.post(f"{server_url}/api/blobs/sha256:{'1' * 64}", content=data)
    assert bad.status_code == 400 and bad.json()["error"].startswith("digest mismatch")
    assert httpx.post(f"{server_url}/api/blobs/sha256:xyz", content=data).status_code == 400
    assert httpx.post(url, content=data).status_code == 201
    assert httpx.post(url, content=data).status_code == 200
    assert httpx.head(url).status_code == 200
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert client.create_blob(path) == digest


@pytest.mark.standin_only
def test_create_with_gguf_lora_adapter_changes_output(client, tmp_path):
    """Two tiny LoRAs on attn_q: all-zero B leaves the output as the base's,
    a large random B changes it; so the adapter is really applied."""
    rng = np.random.default_rng(0)

    def lora(path, scale):
        t = {}
        for i in range(30):
            t[f"blk.{i}.attn_q.weight.lora_a"] = rng.standard_normal((4, 576))
            t[f"blk.{i}.attn_q.weight.lora_b"] = scale * rng.standard_normal((576, 4))
        write_lora_adapter(str(path), t, alpha=4)
        return path

    ask = [{"role": "user", "content": "What is the capital of France?"}]
    opts = {**GREEDY, "num_predict": 12}
    base = client.chat(MODEL, messages=ask, options=opts).message.content
    outputs = {}
    try:
        for label, scale in (("zero", 0.0), ("big", 1.0)):
            digest = client.create_blob(lora(tmp_path / f"{label}.gguf", scale))
            statuses = [p.status for p in client.create(
                PREFIX + label, from_=MODEL, adapters={f"{label}.gguf": digest}, stream=True)]
            assert "parsing GGUF" in statuses and statuses[-1] == "success"
            assert "ADAPTER " in client.show(PREFIX + label).modelfile
            outputs[label] = client.chat(PREFIX + label, messages=ask, options=opts).message.content
    finally:
        for label in ("zero", "big"):
            try:
                client.delete(PREFIX + label)
            except ollama.ResponseError:
                pass
    assert outputs["zero"] == base
    assert outputs["big"] != base


@pytest.mark.standin_only
def test_create_from_a_model_with_an_adapter_stacks_both(client, tmp_path):
    """As Ollama's create.go does: the `from` model's layers, its adapter included, plus the new
    one; /api/show lists both and both are applied (a zero adapter then a big one answers as the
    big one alone)."""
    rng = np.random.default_rng(1)

    def lora(path, scale):
        t = {}
        for i in range(30):
            t[f"blk.{i}.attn_q.weight.lora_a"] = rng.standard_normal((4, 576))
            t[f"blk.{i}.attn_q.weight.lora_b"] = scale * rng.standard_normal((576, 4))
        write_lora_adapter(str(path), t, alpha=4)
        return client.create_blob(path)

    ask = [{"role": "user", "content": "What is the capital of France?"}]
    opts = {**GREEDY, "num_predict": 12}
    zero, big = lora(tmp_path / "zero.gguf", 0.0), lora(tmp_path / "big.gguf", 1.0)
    names = [PREFIX + n for n in ("only-zero", "only-big", "zero-then-big")]
    try:
        client.create(names[0], from_=MODEL, adapters={"zero.gguf": zero})
        client.create(names[1], from_=MODEL, adapters={"big.gguf": big})
        client.create(names[2], from_=names[0], adapters={"big.gguf": big})
        adapters = [l for l in client.show(names[2]).modelfile.splitlines() if l.startswith("ADAPTER ")]
        assert [a.rsplit("sha256-", 1)[1] for a in adapters] == [zero[7:], big[7:]]
        base = client.chat(MODEL, messages=ask, options=opts).message.content
        alone = client.chat(names[1], messages=ask, options=opts).message.content
        stacked = client.chat(names[2], messages=ask, options=opts).message.content
    finally:
        for name in names:
            try:
                client.delete(name)
            except ollama.ResponseError:
                pass
    assert stacked == alone != base


@pytest.mark.standin_only
def test_create_rejects_non_adapter_gguf_as_adapter(client, tmp_path):
    path = tmp_path / "model.gguf"  # a (tiny) model, not an adapter
    write_gguf(str(path), {"general.architecture": "llama", "general.type": "model"},
               {"token_embd.weight": np.zeros((4, 8))})
    digest = client.create_blob(path)
    with pytest.raises(ollama.ResponseError) as e:
        client.create(PREFIX + "bad-adapter", from_=MODEL, adapters={"m.gguf": digest})
    assert e.value.status_code == 400


def test_embed_returns_normalized_vectors(client):
    r = client.embed(MODEL, input=["refund window", "shipping policy"])
    assert len(r.embeddings) == 2
    for v in r.embeddings:
        assert len(v) > 100 and abs(sum(x * x for x in v) - 1.0) < 1e-3
