"""The answer engines (core/llm) against real parts: the Ollama stand-in (llama.cpp + SmolLM2)
through the real `ollama` client, and llama.cpp in-process with the bundled SmolLM2 GGUF.

With ARCHIVIST_TEST_OLLAMA_HOST=http://host:port the Ollama tests run against that server (which
must have ARCHIVIST_TEST_OLLAMA_MODEL, default smollm2:135m); standin_only tests are then skipped.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import ollama
import pytest

from core.llm import (ChatMessage, ConnectionLost, EmbeddedEngine, EngineError, EngineUnavailable,
                      ModelMissing, OllamaEngine, select_engine)
from core.llm.embedded_engine import BUNDLED_NAME, bundled_model_path, render_chatml
from core.llm.ollama_engine import not_running_message

try:
    from tests.ollama_standin import start_standin
except ImportError:  # plain `pytest` puts tests/ itself on sys.path instead
    from ollama_standin import start_standin

from ollama_env import MODEL, PULLABLE, REAL_HOST  # noqa: E402
SMOLLM2 = MODEL == "smollm2:135m"
SYSTEM = "You answer questions using only the given context. Be brief."
GROUNDED = [ChatMessage("system", SYSTEM),
            ChatMessage("user", "Context: The refund window for Acme widgets is 30 days from "
                                "delivery.\n\nQuestion: How long is the refund window for Acme "
                                "widgets?")]
ENDLESS = [ChatMessage("system", "You are a storyteller."),
           ChatMessage("user", "Write a very long story about a dragon.")]
OLLAMA = pytest.mark.ollama


def long_prompt(sentences: int) -> list[ChatMessage]:
    """A prompt that takes seconds to evaluate; the nonce defeats prompt caches."""
    body = " ".join(f"Fact {i}: widget {i} ships in {i % 7 + 1} days." for i in range(sentences))
    return [ChatMessage("system", f"{SYSTEM} [{uuid.uuid4().hex}]"),
            ChatMessage("user", f"Context: {body}\n\nQuestion: How fast does widget 3 ship?")]








@pytest.fixture
def engine(server_url):
    e = OllamaEngine(server_url, MODEL, timeout_s=120)
    yield e
    e.close()


@pytest.fixture(scope="module")
def embedded():
    e = EmbeddedEngine()
    yield e
    e.close()


def free_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def stats(url: str) -> dict:
    return httpx.get(url + "/_standin/stats").json()


def wait_cancelled(url: str, before: dict, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        s = stats(url)
        if (s["cancelled"] > before["cancelled"] and s["active"] == 0) or time.monotonic() > deadline:
            return s
        time.sleep(0.1)


# -- Ollama: discovery ------------------------------------------------------------------------------
@OLLAMA
def test_describe_list_and_context_length(engine, server_url):
    version = httpx.get(server_url + "/api/version").json()["version"]
    assert engine.describe() == f"Ollama {version} at {server_url}, model {MODEL}"
    assert engine.is_running()
    listed = {m.name: m for m in engine.list_models()}
    assert MODEL in listed and listed[MODEL].size_bytes > 50_000_000
    with ollama.Client(server_url, timeout=30) as c:
        trained = c.show(MODEL).modelinfo
    trained = trained[f"{trained['general.architecture']}.context_length"]
    assert engine.context_length() == min(trained, 8192)
    if SMOLLM2:
        assert listed[MODEL].family == "llama" and listed[MODEL].quantization == "Q4_1"
        assert engine.context_length() == 8192  # SmolLM2's GGUF says 8192


def test_host_from_environment(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:12345")
    assert OllamaEngine().host == "http://127.0.0.1:12345"
    monkeypatch.delenv("OLLAMA_HOST")
    assert OllamaEngine().host == "http://127.0.0.1:11434"
    assert OllamaEngine("http://gpu-box:11434").host == "http://gpu-box:11434"


@OLLAMA
def test_requested_num_ctx_is_the_loaded_window(server_url):
    small = OllamaEngine(server_url, MODEL, timeout_s=120, num_ctx=2048)
    assert small.context_length() == 2048
    assert "".join(small.stream_chat(GROUNDED, max_tokens=3))
    small.close()
    with ollama.Client(server_url, timeout=30) as c:
        loaded = c.ps().models
    assert next(m for m in loaded if m.model == MODEL).context_length == 2048


def test_token_estimate_never_undercounts(embedded):
    from core.llm.ollama_engine import estimate_tokens
    samples = ["The refund window for Acme widgets is 30 days from delivery.",
               "2023-08-04 19:22:45.499127 " * 20, '{"a": 1, "b": [1, 2, 3]}' * 10,
               "Die Rückgabefrist beträgt dreißig Tage. " * 10, "Срок возврата 30 дней. " * 10,
               "Okres zwrotu dla widżetów Acme wynosi trzydzieści dni od dostawy. " * 10,
               "退货期限为自交付之日起30天。" * 10, "Muda wa kurudisha bidhaa ni siku thelathini. " * 10, Path(__file__).read_text(encoding="utf-8")[:3000]]
    for text in samples:
        assert estimate_tokens(text) >= embedded.count_tokens(text), text[:40]
    assert estimate_tokens("") == 0


# -- Ollama: answering -------------------------------------------------------------------------------
@OLLAMA
def test_stream_grounded_answer(engine):
    pieces = list(engine.stream_chat(GROUNDED, temperature=0.0, max_tokens=40))
    assert len(pieces) >= 2 and "30" in "".join(pieces)


# A file name's undecodable bytes, as os.fsdecode keeps them (lone surrogates), in the prompt.
ODD_NAME = os.fsdecode(b"caf\xe9.md")
GROUNDED_ODD = [GROUNDED[0], ChatMessage("user", f"From {ODD_NAME}: " + GROUNDED[1].content)]


@OLLAMA
def test_undecodable_name_bytes_in_a_prompt_do_not_fail_the_request(engine):
    assert "30" in "".join(engine.stream_chat(GROUNDED_ODD, temperature=0.0, max_tokens=40))
    assert engine.count_tokens(ODD_NAME) >= 1


@OLLAMA
@pytest.mark.standin_only
def test_cancel_between_tokens_stops_server_generation(engine, server_url):
    before, cancel, pieces = stats(server_url), threading.Event(), []
    for piece in engine.stream_chat(ENDLESS, cancel=cancel, max_tokens=2000):
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()
    assert len(pieces) == 3  # nothing after Stop, and no error
    after = wait_cancelled(server_url, before)
    assert after["cancelled"] == before["cancelled"] + 1, after
    assert after["last"]["cancelled"] and after["last"]["tokens"] < 400, after


@OLLAMA
@pytest.mark.standin_only
def test_cancel_while_server_evaluates_a_long_prompt(engine, server_url):
    """Stop must work before the first token too: the blocked read is woken at once."""
    engine.context_length()  # cached, so only the chat request is in flight
    before, cancel = stats(server_url), threading.Event()
    threading.Timer(0.3, cancel.set).start()
    t0 = time.monotonic()
    pieces = list(engine.stream_chat(long_prompt(80), cancel=cancel, max_tokens=2000))
    returned = time.monotonic() - t0
    during = stats(server_url)
    assert pieces == [] and returned < 3.0, returned
    # We came back while the server was still on the prompt (no token produced yet) ...
    assert during["active"] == 1 and during["tokens"] == before["tokens"], during
    after = wait_cancelled(server_url, before)  # ... and it then stopped instead of generating
    assert after["last"]["cancelled"] and after["last"]["tokens"] == 0, after


@OLLAMA
def test_missing_model_can_be_pulled(server_url):
    e = OllamaEngine(server_url, "no-such-model:1")
    with pytest.raises(ModelMissing) as err:
        list(e.stream_chat(GROUNDED))
    assert err.value.can_pull and err.value.model == "no-such-model:1"
    assert "`archivist-cli models pull no-such-model:1`" in str(err.value)
    with pytest.raises(ModelMissing):
        e.context_length()
    e.close()


def test_server_down_is_unavailable_for_list_and_stream():
    url = free_url()
    e = OllamaEngine(url, MODEL)
    assert not e.is_running() and "not reachable" in e.describe()
    for call in (e.list_models, lambda: list(e.stream_chat(GROUNDED))):
        with pytest.raises(EngineUnavailable) as err:
            call()
        assert str(err.value) == not_running_message(url)
        assert "`ollama serve`" in str(err.value) and url in str(err.value)
    e.close()


@OLLAMA
@pytest.mark.standin_only
def test_server_killed_mid_stream_keeps_the_partial_answer(tmp_path):
    handle = start_standin(tmp_path)
    e = OllamaEngine(handle.url, MODEL, timeout_s=60)
    pieces = []
    try:
        e.context_length()  # cached: below, the streaming call itself meets the dead server
        with pytest.raises(ConnectionLost) as err:
            for piece in e.stream_chat(ENDLESS, max_tokens=2000):
                pieces.append(piece)
                if len(pieces) == 5:
                    handle.kill()
        assert handle.process.returncode == -9
        assert err.value.partial == "".join(pieces) and len(pieces) >= 5
        assert "lost in the middle of the answer" in str(err.value)
        # Now nothing listens: the streaming path (raw httpx.ConnectError) says so too.
        with pytest.raises(EngineUnavailable) as err:
            list(e.stream_chat(GROUNDED))
        assert str(err.value) == not_running_message(handle.url)
    finally:
        handle.stop()
        e.close()


# -- Ollama: models ----------------------------------------------------------------------------------
@OLLAMA
@pytest.mark.standin_only
def test_pull_reports_progress(engine, server_url):
    events = []
    engine.pull(PULLABLE, events.append)
    try:
        statuses = [p.status for p in events]
        assert statuses[0] == "pulling manifest" and statuses[-1] == "success"
        big = [p for p in events if p.total and p.total > 50_000_000]
        assert big and big[-1].completed == big[-1].total
        assert PULLABLE in [m.name for m in engine.list_models()]
    finally:
        with ollama.Client(server_url, timeout=30) as c:
            c.delete(PULLABLE)


@OLLAMA
def test_pull_unknown_model_is_an_error(engine):
    events = []
    with pytest.raises(EngineError) as err:
        engine.pull("archivist-no-such/model:x", events.append)
    assert "Could not download archivist-no-such/model:x" in str(err.value)
    assert not isinstance(err.value, (EngineUnavailable, ModelMissing))


# -- the built-in engine -------------------------------------------------------------------------------
def test_embedded_grounded_answer(embedded):
    assert embedded.model == BUNDLED_NAME and embedded.context_length() == 4096
    assert "SmolLM2" in embedded.describe()
    assert [m.name for m in embedded.list_models()][0] == BUNDLED_NAME  # then any other installed built-in
    answer = "".join(embedded.stream_chat(GROUNDED, temperature=0.0, max_tokens=40))
    assert "30" in answer


@OLLAMA
@pytest.mark.skipif(not SMOLLM2, reason="compares with the same GGUF under Ollama")
def test_embedded_prompt_and_answer_match_ollama(embedded, server_url):
    """Same chatml rendering and sampling defaults: same prompt tokens, same greedy answer."""
    msgs = [{"role": m.role, "content": m.content} for m in GROUNDED]
    with ollama.Client(server_url, timeout=120) as c:
        final = list(c.chat(MODEL, messages=msgs, stream=True,
                            options={"temperature": 0, "num_predict": 30}))
    assert embedded.count_tokens(render_chatml(GROUNDED)) == final[-1].prompt_eval_count
    ours = "".join(embedded.stream_chat(GROUNDED, max_tokens=30))
    assert ours == "".join(c.message.content for c in final)


def test_embedded_count_tokens_is_exact_and_consistent(embedded):
    a, b = "The refund window is 30 days.", "Shipping takes two weeks."
    n = embedded.count_tokens(a)
    assert 5 < n < len(a) and embedded.count_tokens(a) == n and embedded.count_tokens("") == 0
    assert abs(embedded.count_tokens(a + "\n" + b) - (n + 1 + embedded.count_tokens(b))) <= 1
    assert embedded.count_tokens("<|im_start|>") == 1  # special tokens, as in prompts


def test_embedded_takes_undecodable_name_bytes_as_replacement_characters(embedded):
    assert embedded.count_tokens(ODD_NAME) == embedded.count_tokens("caf\ufffd.md")
    assert "30" in "".join(embedded.stream_chat(GROUNDED_ODD, temperature=0.0, max_tokens=40))
    assert "30" in "".join(embedded.stream_chat(GROUNDED, temperature=0.0, max_tokens=40))  # still alive


def test_embedded_cancel(embedded):
    cancel, pieces = threading.Event(), []
    for piece in embedded.stream_chat(ENDLESS, cancel=cancel, max_tokens=500):
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()
    assert len(pieces) == 3
    assert list(embedded.stream_chat(ENDLESS, cancel=cancel)) == []  # already set: nothing
    # During a long prompt (~3k tokens, 10+ s here) Stop takes effect within one batch.
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    t0 = time.monotonic()
    assert list(embedded.stream_chat(long_prompt(180), cancel=cancel, max_tokens=50)) == []
    assert time.monotonic() - t0 < 6.0
    assert "".join(embedded.stream_chat(GROUNDED, max_tokens=40))  # lock released, cache sound


def test_embedded_one_answer_at_a_time(embedded):
    first = embedded.stream_chat(ENDLESS, max_tokens=50)
    assert next(first)
    assert embedded.count_tokens("still works") > 0  # same thread, answer suspended
    with pytest.raises(EngineError, match="already answering in this thread"):
        list(embedded.stream_chat(GROUNDED))
    waited = []
    other = threading.Thread(target=lambda: waited.append("".join(
        embedded.stream_chat(GROUNDED, max_tokens=40))))
    other.start()
    other.join(1.0)
    assert other.is_alive() and not waited  # queued behind the open answer
    first.close()
    other.join(60)
    assert waited and "30" in waited[0]


def test_embedded_bad_model_files(tmp_path):
    missing = EmbeddedEngine(str(tmp_path / "nope.gguf"))
    assert missing.model == "nope.gguf"
    with pytest.raises(EngineUnavailable, match="Cannot open the model file"):
        list(missing.stream_chat(GROUNDED))
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model" * 100)
    with pytest.raises(EngineUnavailable, match="is not a GGUF model file"):
        EmbeddedEngine(str(junk)).count_tokens("x")
    cut = tmp_path / "cut.gguf"  # a real header, then the file ends: llama.cpp refuses it
    with open(bundled_model_path(), "rb") as f:
        cut.write_bytes(f.read(2_000_000))
    with pytest.raises(EngineUnavailable, match="Could not load .*cut.gguf"):
        list(EmbeddedEngine(str(cut)).stream_chat(GROUNDED))


def test_embedded_without_llama_cpp(monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp now fails
    with pytest.raises(EngineUnavailable) as err:
        EmbeddedEngine().count_tokens("x")
    assert "pip install 'archivist[embedded]'" in str(err.value)


def test_embedded_cannot_pull(embedded):
    with pytest.raises(EngineError, match="cannot download models; choose a GGUF file"):
        embedded.pull("llama3.2:3b", lambda p: None)


# -- selection -----------------------------------------------------------------------------------------
@OLLAMA
def test_auto_prefers_a_running_ollama(server_url):
    chosen = select_engine("auto", ollama_host=server_url)
    assert isinstance(chosen, OllamaEngine) and chosen.name == "ollama"
    assert chosen.model in [m.name for m in chosen.list_models()]
    if not REAL_HOST:
        assert chosen.model == MODEL  # the stand-in's only model
    chosen.close()
    chosen = select_engine("auto", ollama_host=server_url, ollama_model=MODEL)
    assert isinstance(chosen, OllamaEngine) and chosen.model == MODEL
    chosen.close()
    other = select_engine("auto", ollama_host=server_url, ollama_model="no-such-model:1")
    assert isinstance(other, EmbeddedEngine)


def test_auto_without_ollama_is_embedded():
    chosen = select_engine("auto", ollama_host=free_url())
    assert isinstance(chosen, EmbeddedEngine) and chosen.name == "embedded"
    explicit = select_engine("ollama", ollama_host=free_url())
    assert isinstance(explicit, OllamaEngine)
    explicit.close()
    assert isinstance(select_engine("embedded"), EmbeddedEngine)
    with pytest.raises(ValueError):
        select_engine("gpt")


def test_auto_with_neither_engine_says_why(tmp_path):
    with pytest.raises(EngineUnavailable) as err:
        select_engine("auto", ollama_host=free_url(), gguf=str(tmp_path / "none.gguf"))
    assert "Ollama is not running" in str(err.value) and "none.gguf" in str(err.value)
