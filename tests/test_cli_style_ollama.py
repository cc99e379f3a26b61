"""A house style for an Ollama model from the command line, end to end: `style train --base
ollama:NAME` trains on the file Ollama answers NAME from and compares on it, `style use` registers
it, answers through Ollama carry it, and `style remove` takes its models out of Ollama (or says
which stay, when Ollama is not running)."""

from __future__ import annotations

import json

import ollama
import pytest

from core.llm.embedded_engine import bundled_model_path
from core.style.ollama_register import REGISTRATIONS_FILE, styled_model_name
from core.style.registry import StyleRegistry
from ollama_env import PULLABLE
from test_cli_style import FACTS, HELD_OUT, library  # noqa: F401 (a fixture)
from test_style_ollama_e2e import _cli, _closed_port

pytestmark = [pytest.mark.ollama, pytest.mark.standin_only,
              pytest.mark.skipif(bundled_model_path() is None, reason="the bundled SmolLM2 is not installed")]


def _pairs(path):
    path.write_text("\n".join(json.dumps({"messages": [
        {"role": "user", "content": q},
        {"role": "assistant", "content": f"Short answer: {short}.\n\nDetails: {detail}."}]})
        for q, (_, short, detail) in FACTS.items()) + "\n")
    return path


def _models(server_url) -> set[str]:
    with ollama.Client(host=server_url, timeout=60) as client:
        return {m.model for m in client.list().models}


def test_train_for_an_ollama_model_use_it_and_remove_it(library, data_dir, tmp_path, server_url):  # noqa: F811
    def cli(*args):
        return _cli(*args, data_dir=data_dir, host=server_url, timeout=1200)

    with ollama.Client(host=server_url, timeout=300) as client:
        client.pull(PULLABLE)
    assert cli("add", library)[0] == 0
    assert json.loads(cli("style", "import", _pairs(tmp_path / "pairs.jsonl"), "--json")[1])["kept"] == 6

    code, out, err = cli("style", "train", "--base", f"ollama:{PULLABLE}", "--json", "--min-examples", "5",
                         "--epochs", "8", "--rank", "8", "--learning-rate", "1e-3")
    assert code == 0, err
    report = json.loads(out)
    assert report["label"] == "house style v1" and "not compared" not in err
    assert report["gate"]["applied"], report["gate"]  # compared on Ollama's own file, read by the built-in engine
    style = StyleRegistry(data_dir).get(1)
    assert style.manifest.base.name == PULLABLE and style.manifest.base.file_name.startswith("sha256-")

    styled = styled_model_name(PULLABLE, 1)
    assert not report["gate"]["judged"]  # no earlier questions of the user's to judge it on: held back
    code, out, err = cli("style", "use", "1", "--model", PULLABLE, "--force")
    assert code == 0 and f"now come from {styled}" in out, err
    code, out, err = cli("ask", "--json", "--engine", "ollama", "--model", PULLABLE, HELD_OUT[0])
    answer = json.loads(out)["answer"]
    assert answer["style"] == "house style v1" and answer["text"].startswith("Short answer:"), answer

    second = StyleRegistry(data_dir).register(style.adapter_path, style.manifest)  # the same style, kept again
    code, out, err = cli("style", "use", str(second.version), "--model", PULLABLE, "--force")  # its verdict too
    assert code == 0 and styled_model_name(PULLABLE, second.version) in out, err
    assert {styled, styled_model_name(PULLABLE, second.version)} <= _models(server_url)

    # v1's Ollama has stopped since it was registered there (its registration moved to a closed port).
    down = _closed_port()
    kept = style.folder / REGISTRATIONS_FILE
    kept.write_text(kept.read_text(encoding="utf-8").replace(json.dumps(server_url), json.dumps(down)))
    code, out, err = cli("style", "remove", "1")
    assert code == 0 and f"its model {styled} stays (`ollama rm {styled}`" in err, err
    assert styled in _models(server_url)  # it could not be reached: nothing else removed it

    code, out, err = cli("style", "remove", str(second.version))
    assert code == 1 and "is in use" in err
    code, out, err = cli("style", "remove", str(second.version), "--force")
    assert code == 0 and f"removed {styled_model_name(PULLABLE, second.version)} from Ollama" in out, (out, err)
    assert styled_model_name(PULLABLE, second.version) not in _models(server_url)
    with ollama.Client(host=server_url, timeout=60) as client:
        client.delete(styled)
