"""archivist-cli ask and models, as a user runs them, against the Ollama stand-in and built in."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import FACTS, FILLER, make_pdf, write, write_named
from ollama_env import MODEL, PULLABLE

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, data_dir, ollama=None, timeout=300):
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    env["OLLAMA_HOST"] = ollama or "http://127.0.0.1:9"  # nothing listens on port 9
    return subprocess.run([sys.executable, "-m", "core.cli", *map(str, args)], capture_output=True,
                          env=env, timeout=timeout)


@pytest.fixture
def indexed(docs, data_dir):
    make_pdf(docs / "handbook.pdf", [FILLER, FILLER + FACTS[0]], toc=[(1, "Refunds", 2)])
    write(docs / "finance.md", f"# Finance\n\n{FACTS[1]}")
    assert cli("add", docs, data_dir=data_dir).returncode == 0
    return docs


@pytest.mark.parametrize("engine", ["ollama", "embedded"])
def test_ask_streams_an_answer_and_lists_its_page(indexed, data_dir, server_url, engine):
    out = cli("ask", "--json", "--engine", engine, "--model", "" if engine == "embedded" else MODEL,
              "How long is the refund window for Acme widgets?", data_dir=data_dir, ollama=server_url)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    result = json.loads(out.stdout)
    assert result["answer"]["engine"] == engine and result["answer"]["status"] == "complete"
    assert "30" in result["answer"]["text"]
    cited = result["answer"]["citations"]
    assert cited and (cited[0]["path"], cited[0]["page"]) == (str(indexed / "handbook.pdf"), 2)


@pytest.fixture
def odd_names(docs, data_dir):
    """docs/café.md (Latin-1 bytes in its name) and its copy docs/old/copy.md, which shares its passages."""
    refunds = f"# Refunds\n\n{FILLER}\n\n{FACTS[0]}\n"
    cafe = write_named(docs, b"caf\xe9.md", refunds)
    copy = str(write(docs / "old" / "copy.md", refunds))
    write(docs / "finance.md", f"# Finance\n\n{FACTS[1]}")
    assert cli("add", docs, data_dir=data_dir).returncode == 0
    return cafe, copy


@pytest.mark.parametrize("engine", ["ollama", "embedded"])
def test_ask_and_summarize_name_the_file_exactly_for_non_utf8_names_and_copies(odd_names, docs, data_dir,
                                                                                server_url, engine):
    cafe, copy = odd_names
    choice = ["--engine", engine, "--model", "" if engine == "embedded" else MODEL]

    def run(*args):
        out = cli(*args, *choice, "--json", data_dir=data_dir, ollama=server_url)
        assert out.returncode == 0, out.stderr.decode(errors="replace")
        return json.loads(out.stdout)  # lone surrogates come back from their \udcXX escapes

    question = "How long is the refund window for Acme widgets?"
    for narrowed, path in [((), cafe), (("--file", copy), copy), (("--folder", docs / "old"), copy)]:
        answer = run("ask", *narrowed, question)["answer"]
        assert answer["status"] == "complete" and "30" in answer["text"], (narrowed, answer)
        assert {c["path"] for c in answer["citations"]} == {path}, narrowed
    for path in (cafe, copy):
        summary = run("summarize", path)
        assert summary["status"] == "complete" and summary["files"] == [path]
        assert {c["path"] for c in summary["citations"]} <= {path}

    out = cli("ask", *choice, question, data_dir=data_dir, ollama=server_url)
    assert out.returncode == 0 and b"caf\xe9.md" in out.stdout  # the name's real bytes


def test_ask_quotes_the_cited_sentence_and_reports_the_check(indexed, data_dir, server_url):
    question = "How long is the refund window for Acme widgets?"
    out = cli("ask", "--json", "--engine", "ollama", "--model", MODEL, question, data_dir=data_dir, ollama=server_url)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    result = json.loads(out.stdout)
    [evidence] = [e for e in result["evidence"] if e["page"] == 2]
    assert any(FACTS[0] in " ".join(s["text"].split()) for s in evidence["sentences"])
    assert result["trace"]["claims_checked"] >= 1 and result["check"]["claims_flagged"] == len(result["check"]["flagged"])
    assert result["sources"][0]["match"].startswith(("strong match", "good match"))

    out = cli("ask", "--engine", "ollama", "--model", MODEL, question, data_dir=data_dir, ollama=server_url)
    text = out.stdout.decode()
    assert "handbook.pdf (p. 2)" in text and "“The refund window for Acme widgets is 30 days from delivery.”" in text
    assert "score" not in text and ("facts checked" in text or "fact checked" in text)


def test_auto_falls_back_to_the_built_in_engine_and_says_so(indexed, data_dir):
    out = cli("ask", "Who was invoice INV-2024-0042 issued to?", data_dir=data_dir)
    assert out.returncode == 0
    assert b"built in" in out.stderr.lower() or b"SmolLM2" in out.stderr
    assert b"finance.md" in out.stdout


def test_off_topic_question_is_refused_with_nearest_passages(indexed, data_dir):
    out = cli("ask", "--engine", "embedded", "What is the capital of Mongolia?", data_dir=data_dir)
    assert out.returncode == 0 and b"could not find this in your documents" in out.stdout
    assert b"Nearest passages" in out.stdout


def test_ollama_not_running_is_explained(indexed, data_dir):
    out = cli("ask", "--engine", "ollama", "Anything?", data_dir=data_dir)
    assert out.returncode == 1 and b"ollama serve" in out.stderr


@pytest.mark.standin_only
def test_models_lists_both_engines_and_pulls(data_dir, server_url):
    listed = json.loads(cli("models", "--json", data_dir=data_dir, ollama=server_url).stdout)
    engines = {(m["engine"], m["name"]) for m in listed["models"]}
    assert ("ollama", MODEL) in engines and any(e == "embedded" for e, _ in engines)
    out = cli("models", "pull", PULLABLE, data_dir=data_dir, ollama=server_url)
    assert out.returncode == 0 and b"pulled" in out.stdout
    missing = cli("models", "pull", "no-such/model:1", data_dir=data_dir, ollama=server_url)
    assert missing.returncode == 1 and b"no-such/model:1" in missing.stderr


def test_chat_remembers_the_conversation_and_saves_it(indexed, data_dir):
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), OLLAMA_HOST="http://127.0.0.1:9")
    out = subprocess.run([sys.executable, "-m", "core.cli", "chat", "--engine", "embedded"],
                         input=b"How long is the refund window for Acme widgets?\nWho was invoice INV-2024-0042 issued to?\n\n",
                         capture_output=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    assert b"30 days" in out.stdout and b"handbook.pdf p. 2" in out.stdout
    from core import layout
    from core.conversations import ConversationStore

    store = ConversationStore(layout.conversations_path(data_dir))
    try:
        [summary] = store.list()
        conversation = store.get(summary.id)
        assert [m.role for m in conversation.messages] == ["user", "assistant", "user", "assistant"]
        assert conversation.title.startswith("How long is the refund window")
        assert conversation.messages[1].engine == "embedded" and conversation.messages[1].citations
    finally:
        store.close()
