"""archivist-cli stays up when the built-in engine dies under it (SIGILL, as llama.cpp's AMX code did
on this kind of CPU): it says what happened and what to do, keeps the partial answer, exits 1."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from helpers import FACTS, FILLER, make_pdf

ROOT = Path(__file__).resolve().parent.parent


def engine_process(cli: psutil.Process) -> psutil.Process | None:
    """The CLI's child that has llama.cpp loaded."""
    for child in cli.children(recursive=True):
        try:
            if any("libllama" in m.path for m in child.memory_maps()):
                return child
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return None


def test_ask_survives_the_engine_dying_mid_answer(docs, data_dir):
    make_pdf(docs / "handbook.pdf", [FILLER, FILLER + FACTS[0]])
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), OLLAMA_HOST="http://127.0.0.1:9")
    added = subprocess.run([sys.executable, "-m", "core.cli", "add", str(docs)], env=env, capture_output=True)
    assert added.returncode == 0, added.stderr.decode(errors="replace")

    cli = subprocess.Popen([sys.executable, "-m", "core.cli", "ask", "--engine", "embedded", "--no-strict",
                            "Count from 1 to 300 in words, separated by commas."],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # The evidence card comes first, before the engine starts: wait for the engine, then its words.
        deadline = time.monotonic() + 120
        engine = None
        while engine is None and time.monotonic() < deadline and cli.poll() is None:
            engine = engine_process(psutil.Process(cli.pid))
            time.sleep(0.2)
        assert engine is not None
        first = b""
        while b"\n\n" not in first and len(first) < 4000:  # the card, then a blank line
            first += cli.stdout.read1(4096)
        first += cli.stdout.read1(4096)  # the answer has started
        engine.send_signal(signal.SIGILL)
        out, err = cli.communicate(timeout=120)
    finally:
        if cli.poll() is None:
            cli.kill()
        cli.wait(30)
    err = err.decode(errors="replace")
    assert cli.returncode == 1, err
    assert "processor instruction this computer does not have (SIGILL)" in err and "Ollama" in err
    assert "Traceback" not in err
    assert (first + out).decode(errors="replace").strip()  # the partial answer stays on screen
    time.sleep(0.5)
    assert not engine.is_running()
