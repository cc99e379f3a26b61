"""archivist-cli ask prints the evidence card (the best sentences, no model needed) before the answer."""

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import FACTS, FILLER, make_pdf

ROOT = Path(__file__).resolve().parent.parent


def test_ask_shows_the_evidence_card_before_the_answer(docs, data_dir):
    make_pdf(docs / "handbook.pdf", [FILLER, FILLER + FACTS[0]])
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), OLLAMA_HOST="http://127.0.0.1:9")

    def cli(*args):
        out = subprocess.run([sys.executable, "-m", "core.cli", *args], env=env, capture_output=True, timeout=300)
        assert out.returncode == 0, out.stderr.decode(errors="replace")
        return out.stdout.decode()

    cli("add", str(docs))
    question = "How long is the refund window for Acme widgets?"
    text = cli("ask", "--engine", "embedded", question)
    card, _, rest = text.partition("\n\n")
    assert card.startswith("Found in your documents:")
    assert f"“{FACTS[0]}” — handbook.pdf, p. 2" in " ".join(card.split())
    assert rest.strip()  # the answer follows the card
    result = json.loads(cli("ask", "--json", "--engine", "embedded", "--no-save", question))
    assert result["evidence_card"][0]["page"] == 2 and FACTS[0] in " ".join(result["evidence_card"][0]["text"].split())
