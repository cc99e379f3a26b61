"""The built-in engine runs on any x86-64 CPU, in a process of its own, and its crashes are news,
not the end of the app.

Real llama.cpp (the installed llama-cpp-python) and the real SmolLM2 GGUF throughout.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.llm import ChatMessage, ConnectionLost, EmbeddedEngine, EngineUnavailable
from core.llm import cpu_backend
from core.llm.chat_template import ChatFormat, render_chatml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_llama  # noqa: E402

SYSTEM = "You answer questions using only the given context. Be brief."
GROUNDED = [ChatMessage("system", SYSTEM),
            ChatMessage("user", "Context: The refund window for Acme widgets is 30 days from delivery."
                                "\n\nQuestion: How long is the refund window for Acme widgets?")]
ENDLESS = [ChatMessage("system", "You are a storyteller."),
           ChatMessage("user", "Write a very long story about a dragon.")]


@pytest.fixture
def engine():
    e = EmbeddedEngine(n_ctx=4096)
    yield e
    e.close()


# -- the portable build ---------------------------------------------------------------------------------
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 instruction sets")
@pytest.mark.skipif(shutil.which("objdump") is None, reason="needs objdump (GNU binutils)")
def test_engine_libraries_are_portable_and_hold_no_amx_code():
    lib_dir = cpu_backend.library_dir()
    problems = build_llama.check_libraries(lib_dir)
    assert problems == []
    built = cpu_backend.variants(lib_dir)
    assert {"x64", "haswell"} <= set(built) and not set(cpu_backend.UNSAFE_VARIANTS) & set(built)


def test_the_amx_check_recognises_amx_code(tmp_path):
    """The check above could pass by finding nothing at all; it must see AMX where there is some."""
    source = tmp_path / "amx.c"
    source.write_text("void tile(void *p) { __asm__ volatile (\"tileloadd (%0,%1,1), %%tmm0\" "
                      ":: \"r\"(p), \"r\"(64L)); }\n")
    library = tmp_path / "libamx.so"
    if shutil.which("gcc") is None or shutil.which("objdump") is None:
        pytest.skip("needs gcc and objdump")
    subprocess.run(["gcc", "-shared", "-fPIC", "-mamx-tile", "-o", str(library), str(source)], check=True)
    assert build_llama.amx_instructions(library) == 1


def test_a_variant_that_runs_here_is_chosen_never_an_amx_one():
    built = cpu_backend.variants()
    scores = cpu_backend.scores(built)
    chosen = cpu_backend.choose(built)
    assert chosen not in cpu_backend.UNSAFE_VARIANTS and scores[chosen] == max(
        s for n, s in scores.items() if n not in cpu_backend.UNSAFE_VARIANTS)
    assert scores["x64"] > 0  # the baseline runs on every x86-64 CPU


def test_a_long_prompt_completes_in_the_engine_process(engine):
    """~1,500 tokens: the size that died with SIGILL in llama.cpp's AMX code on this kind of CPU."""
    facts = " ".join(f"Fact {i}: parcel {i} is delivered in {i % 6 + 2} days by courier {i % 5}."
                     for i in range(100))
    messages = [ChatMessage("system", SYSTEM),
                ChatMessage("user", f"Context: {facts}\n\nQuestion: How fast is parcel 7 delivered?")]
    prompt_tokens = engine.count_tokens(engine.render(messages))
    assert 1400 <= prompt_tokens <= 2500
    answer = "".join(engine.stream_chat(messages, max_tokens=20))
    assert answer.strip()
    assert engine.process_id not in (None, os.getpid())


# -- crashes ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sig, said", [(signal.SIGILL, "processor instruction this computer does not have"),
                                       (signal.SIGKILL, "ran out of memory"),
                                       (signal.SIGABRT, "llama.cpp gave up")])
def test_an_engine_crash_mid_answer_is_reported_and_the_next_answer_works(engine, sig, said):
    pieces = []
    with pytest.raises(ConnectionLost) as err:
        for piece in engine.stream_chat(ENDLESS, max_tokens=400):
            pieces.append(piece)
            if len(pieces) == 3:
                os.kill(engine.process_id, sig)
    message = str(err.value)
    assert said in message and signal.Signals(sig).name in message
    assert err.value.partial == "".join(pieces)  # what had arrived is kept
    crashed = engine._process.pid
    assert "30" in "".join(engine.stream_chat(GROUNDED, max_tokens=30))  # a fresh process answers
    assert engine.process_id != crashed


def test_an_engine_that_dies_while_loading_is_unavailable_with_the_reason(engine, monkeypatch):
    monkeypatch.setenv("ARCHIVIST_CPU_VARIANT", "no-such-variant")  # the engine process fails to start
    with pytest.raises(EngineUnavailable, match="no-such-variant is not built"):
        engine.count_tokens("x")
    monkeypatch.delenv("ARCHIVIST_CPU_VARIANT")
    assert engine.count_tokens("hello") > 0


def test_stop_reaches_the_engine_within_a_batch_and_it_stays_usable(engine):
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    body = " ".join(f"Fact {i}: widget {i} ships in {i % 7 + 1} days." for i in range(200))
    long_prompt = [ChatMessage("system", SYSTEM), ChatMessage("user", f"{body}\nWhich widget ships first?")]
    started = time.monotonic()
    assert list(engine.stream_chat(long_prompt, cancel=cancel, max_tokens=50)) == []
    assert time.monotonic() - started < 8.0
    assert "30" in "".join(engine.stream_chat(GROUNDED, max_tokens=30))


def test_count_tokens_while_an_answer_streams_in_another_thread(engine):
    stream = engine.stream_chat(ENDLESS, max_tokens=60)
    assert next(stream)
    counts = []
    other = threading.Thread(target=lambda: counts.append(engine.count_tokens("The refund window.")))
    other.start()
    rest = list(stream)  # tokens that arrived while the other thread was counting are not lost
    other.join(30)
    assert counts and counts[0] > 2 and rest


# -- prompt formats ---------------------------------------------------------------------------------------
def test_the_bundled_model_keeps_ollamas_chatml(engine):
    assert engine.render(GROUNDED) == render_chatml(GROUNDED)


QWEN_LIKE = ("{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] "
             "+ '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen.<|im_end|>\\n' }}"
             "{%- endif %}{%- for m in messages %}{%- if m.role != 'system' %}{{- '<|im_start|>' + m.role "
             "+ '\\n' + m.content + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}"
             "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")
GEMMA_LIKE = ("{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m.role == 'assistant' "
              "else 'user' }}\n{{ m.content }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}"
              "<start_of_turn>model\n{% endif %}")


def test_a_gguf_is_prompted_with_its_own_template():
    qwen = ChatFormat(QWEN_LIKE, "", "<|im_end|>")
    assert qwen.source == "gguf" and qwen.render(GROUNDED) == render_chatml(GROUNDED)
    assert "<|im_end|>" in qwen.stop
    gemma = ChatFormat(GEMMA_LIKE, "<bos>", "<end_of_turn>")
    rendered = gemma.render(GROUNDED)
    assert rendered.startswith("<bos><start_of_turn>user\n") and rendered.endswith("<start_of_turn>model\n")
    assert "<|im_start|>" not in rendered and gemma.stop == ["<end_of_turn>"]


def test_a_template_that_fails_falls_back_to_chatml_and_cannot_run_code():
    broken = ChatFormat("{{ raise_exception('no system role') }}", "", "")
    assert broken.source.startswith("chatml") and broken.render(GROUNDED) == render_chatml(GROUNDED)
    sneaky = ChatFormat("{{ messages.__class__.__mro__[1].__subclasses__() }}", "", "")
    assert sneaky.source.startswith("chatml")  # the sandbox refused; nothing ran


def test_llama_cpp_says_nothing_on_the_terminal(capfd, tmp_path):
    """Its notes (the CPU variant it loaded, an adapter's layers kept off a repacked buffer) go to the
    log: `archivist-cli ask` printed them between the question and the answer."""
    from style_helpers import write_smollm2_lora

    from core.llm.embedded_engine import bundled_model_path

    if bundled_model_path() is None:
        pytest.skip("the bundled SmolLM2 is not installed")
    engine = EmbeddedEngine(bundled_model_path(), n_ctx=512,
                            adapter=(str(write_smollm2_lora(tmp_path / "style.gguf")), 1.0))
    try:
        assert "".join(engine.stream_chat([ChatMessage("user", "Say hello")], max_tokens=4))
    finally:
        engine.close()
    err = capfd.readouterr().err
    assert "load_backend" not in err and "llama_" not in err, err
