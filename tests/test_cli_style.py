"""The house style from the command line, end to end: import pairs in a distinctive format, check
them against the index, train a real adapter on the built-in SmolLM2, use it, and see `ask` answer
in that format and say so; revert, and it answers plainly again."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.llm.embedded_engine import bundled_model_path
from helpers import FILLER, write

pytestmark = pytest.mark.skipif(bundled_model_path() is None, reason="the bundled SmolLM2 is not installed")

ROOT = Path(__file__).resolve().parent.parent
FACTS = {
    "How long is the refund window for Acme widgets?": ("The refund window for Acme widgets is 30 days from delivery.",
                                                         "30 days", "the refund window is 30 days from delivery"),
    "Where does the quarterly board meeting take place?": ("The quarterly board meeting takes place in the Lisbon office.",
                                                           "Lisbon", "the quarterly board meeting is held in the Lisbon office"),
    "Where does Marmalade sleep?": ("Our office cat, Marmalade, sleeps on the server rack every afternoon.",
                                    "on the server rack", "Marmalade sleeps on the server rack every afternoon"),
    "Who approves travel requests?": ("Travel requests are approved by the finance director.",
                                      "the finance director", "travel requests are approved by the finance director"),
    "How much does crate 7 weigh?": ("Crate 7 in the warehouse weighs 12 kilograms.",
                                     "12 kilograms", "crate 7 in the warehouse weighs 12 kilograms"),
    "When does the library close on Fridays?": ("The company library closes at 8 pm on Fridays.",
                                                "8 pm", "the company library closes at 8 pm on Fridays"),
}
HELD_OUT = ("Which colour are the visitor badges?", "Visitor badges at the front desk are bright green.")


def cli(*args, data_dir, timeout=900):
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), ARCHIVIST_BUILTIN_MODEL="smollm2-135m")
    return subprocess.run([sys.executable, "-m", "core.cli", *map(str, args)], capture_output=True, env=env,
                          timeout=timeout, cwd=ROOT)


@pytest.fixture
def library(docs):
    for n, (fact, _, _) in enumerate(FACTS.values()):
        write(docs / f"note{n}.md", f"# Note {n}\n\n{FILLER}\n\n{fact}\n\n{FILLER}")
    write(docs / "badges.md", f"# Front desk\n\n{FILLER}\n\n{HELD_OUT[1]}")
    return docs


def test_import_train_use_and_revert(library, data_dir, tmp_path):
    assert cli("add", library, data_dir=data_dir).returncode == 0
    pairs = tmp_path / "pairs.jsonl"
    lines = [json.dumps({"messages": [{"role": "user", "content": q},
                                      {"role": "assistant", "content": f"Short answer: {short}.\n\nDetails: {detail}."}]})
             for q, (_, short, detail) in FACTS.items()]
    lines.append(json.dumps({"messages": [{"role": "user", "content": "What is the CEO's salary?"},
                                          {"role": "assistant", "content": "Short answer: 2 million euros."}]}))
    pairs.write_text("\n".join(lines) + "\nnot json\n")

    imported = cli("style", "import", pairs, "--json", data_dir=data_dir)
    report = json.loads(imported.stdout)
    assert (report["read"], report["kept"]) == (7, 6), report
    assert any("line 8" in p for p in report["problems"])  # the bad line, by number
    assert any("line 7" in p and "documents" in p for p in report["problems"])  # not in them: dropped, saying why

    ready = json.loads(cli("style", "examples", "--json", "--min-examples", "5", data_dir=data_dir).stdout)
    assert ready["ready"] and ready["counts"]["imported"] == 6
    too_few = json.loads(cli("style", "examples", "--json", data_dir=data_dir).stdout)
    assert not too_few["ready"] and any("more are needed" in p for p in too_few["problems"])

    trained = cli("style", "train", "--json", "--min-examples", "5", "--epochs", "8", "--rank", "8",
                  "--learning-rate", "1e-3", data_dir=data_dir)
    assert trained.returncode == 0, trained.stderr.decode(errors="replace")
    report = json.loads(trained.stdout)
    assert report["label"] == "house style v1"
    # Compared on the held-out example only: the user has asked nothing else yet, so it is held back.
    gate = report["gate"]
    assert gate["applied"] and not gate["passed"] and not gate["judged"], gate
    assert gate["reason"].startswith("compared only on questions like your examples (0 of your other questions")

    question = HELD_OUT[0]
    plain = json.loads(cli("ask", "--json", "--engine", "embedded", question, data_dir=data_dir).stdout)["answer"]
    assert plain["style"] == "" and not plain["text"].startswith("Short answer:")  # trained, not yet used

    refused = cli("style", "use", "1", data_dir=data_dir)
    assert refused.returncode != 0 and b"--force" in refused.stderr and b"questions like your examples" in refused.stderr
    assert cli("style", "use", "1", "--force", data_dir=data_dir).returncode == 0
    styled = cli("ask", "--engine", "embedded", question, data_dir=data_dir)
    assert b"house style v1" in styled.stderr  # every answer says which style shaped it
    answer = json.loads(cli("ask", "--json", "--engine", "embedded", question, data_dir=data_dir).stdout)["answer"]
    assert answer["style"] == "house style v1" and answer["text"].startswith("Short answer:"), answer["text"]
    assert "green" in answer["text"].lower()  # the fact still comes from the documents

    listed = json.loads(cli("style", "list", "--json", data_dir=data_dir).stdout)
    assert [(s["label"], s["active"]) for s in listed] == [("house style v1", True)]
    assert listed[0]["base"]["sha256"] and listed[0]["train_examples"] >= 5

    assert b"no house style" in cli("style", "revert", data_dir=data_dir).stdout
    again = json.loads(cli("ask", "--json", "--engine", "embedded", question, data_dir=data_dir).stdout)["answer"]
    assert again["style"] == "" and again["text"] == plain["text"]


def test_compare_holds_back_an_adapter_that_changes_nothing(library, data_dir, tmp_path):
    """An adapter of zeros loads and changes no answer: the comparison says it was not applied, and
    `style use` answers with it only when forced, saying why."""
    from core.style.registry import StyleRegistry
    from style_helpers import make_manifest, write_smollm2_lora

    assert cli("add", library, data_dir=data_dir).returncode == 0
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"prompt": q, "completion": f"Short answer: {short}.\n\nDetails: {detail}."}) + "\n"
                             for q, (_, short, detail) in FACTS.items()))
    assert json.loads(cli("style", "import", pairs, "--json", data_dir=data_dir).stdout)["kept"] == 6
    zeros = write_smollm2_lora(tmp_path / "zeros.gguf", scale=0.0)
    StyleRegistry(data_dir).register(zeros, make_manifest(Path(bundled_model_path())))
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"question": HELD_OUT[0], "expected": "green", "file": "badges.md"}) + "\n"
                         + json.dumps({"question": "What is the population of Mongolia?", "refuse": True}) + "\n")

    compared = cli("style", "compare", "1", "--questions", questions, "--json", data_dir=data_dir)
    assert compared.returncode == 0, compared.stderr.decode(errors="replace")
    report = json.loads(compared.stdout)
    assert report["identical"] and report["prompts"] >= 2
    assert not report["gate"]["passed"] and report["gate"]["reason"].startswith("not applied")
    rows = {row["question"]: row for row in report["questions"]}
    badges = rows[HELD_OUT[0]]
    assert badges["base"]["answer"] == badges["styled"]["answer"]
    assert badges["styled"]["states_answer"] in (True, False) and badges["styled"]["cites_right"] is not None
    assert rows["What is the population of Mongolia?"]["styled"]["status"] == "refused"
    assert report["styled"]["refusal_rate"] == 1.0 and report["checks"]["derived"]
    assert any(row["origin"] == "held-out" for row in report["questions"])

    text = cli("style", "compare", "--questions", questions, data_dir=data_dir).stdout.decode()  # the newest
    assert "verdict: held back: not applied" in text and "plain" in text and "styled" in text
    listed = cli("style", "list", data_dir=data_dir).stdout.decode()
    assert "held back: not applied" in listed

    refused = cli("style", "use", "1", data_dir=data_dir)
    assert refused.returncode == 1 and b"not applied" in refused.stderr and b"--force" in refused.stderr
    assert json.loads(cli("style", "list", "--json", data_dir=data_dir).stdout)[0]["active"] is False
    forced = cli("style", "use", "1", "--force", data_dir=data_dir)
    assert forced.returncode == 0 and b"house style v1" in forced.stdout

    bad = tmp_path / "bad.json"
    bad.write_text('[{"answer": "no question"}]')
    failed = cli("style", "compare", "1", "--questions", bad, data_dir=data_dir)
    assert failed.returncode == 1 and b"needs a \"question\"" in failed.stderr
    too_strong = cli("style", "compare", "1", "--strength", "5", data_dir=data_dir)
    assert too_strong.returncode == 1 and b"from 0" in too_strong.stderr
