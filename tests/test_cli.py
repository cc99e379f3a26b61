"""archivist-cli end to end, as a user runs it: real processes, real files, exit codes, JSON."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import FACTS, FILLER, make_pdf, wait_for, write

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, data_dir, timeout=300, check=None):
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "core.cli", *map(str, args)], capture_output=True,
                         env=env, timeout=timeout)
    if check is not None:
        assert out.returncode == check, (out.returncode, out.stdout.decode(errors="replace"),
                                         out.stderr.decode(errors="replace"))
    return out


@pytest.fixture
def library(docs):
    make_pdf(docs / "handbook.pdf", [FILLER, FILLER + FACTS[0]], toc=[(1, "Refunds", 2)])
    write(docs / "finance.md", f"# Finance\n\n{FACTS[1]}")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")
    (docs / os.fsdecode(b"caf\xe9-notes.txt")).write_text(f"{FILLER}\n\n{FACTS[3]}")
    return docs


def test_help_explains_the_commands():
    out = cli("--help", data_dir="/nonexistent", check=0)
    text = out.stdout.decode()
    for word in ("add", "remove", "sync", "watch", "search", "status", "files", "model", "exit codes"):
        assert word in text


def test_add_search_status_files(library, data_dir):
    out = cli("add", library, data_dir=data_dir, check=5)  # 5: done, but a file failed
    assert b"broken.pdf" in out.stderr and b"unparseable" in out.stderr

    out = cli("search", "--json", "How long is the refund window?", data_dir=data_dir, check=0)
    result = json.loads(out.stdout)
    top = result["hits"][0]
    assert (top["path"], top["page"], top["heading"]) == (str(library / "handbook.pdf"), 2, "Refunds")
    assert set(top["found_by"]) <= {"vector", "text"} and result["trace"]["timings"]["total_ms"] > 0
    assert top["match"].startswith(("strong match", "good match"))

    out = cli("search", "office cat Marmalade", data_dir=data_dir, check=0)
    assert b"caf\xe9-notes.txt" in out.stdout  # the real bytes of a non-UTF-8 name
    assert b" match (meaning " in out.stdout and b"score" not in out.stdout  # words, not a fusion score

    assert cli("search", "--type", "docx", "refund", data_dir=data_dir).returncode == 4  # nothing found

    status = json.loads(cli("status", "--json", data_dir=data_dir, check=0).stdout)
    assert status["counts"] == {"indexed": 3, "failed": 1}
    assert [f["status"] for f in status["not_indexed"]] == ["failed"]
    failed = json.loads(cli("files", "--json", "--status", "failed", data_dir=data_dir, check=0).stdout)
    assert [Path(f["path"]).name for f in failed] == ["broken.pdf"]

    assert cli("sync", data_dir=data_dir, check=0).returncode == 0  # nothing changed, nothing failed anew
    assert cli("remove", library / "nope", data_dir=data_dir).returncode == 1
    cli("remove", library, data_dir=data_dir, check=0)
    assert json.loads(cli("status", "--json", data_dir=data_dir, check=0).stdout)["chunks"] == 0
    assert (library / "handbook.pdf").exists()


def test_watch_holds_the_writer_lock_and_readers_still_search(library, data_dir):
    cli("add", "--no-sync", library, data_dir=data_dir, check=0)
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    watch = subprocess.Popen([sys.executable, "-m", "core.cli", "watch"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: cli("search", "INV-2024-0042", data_dir=data_dir).returncode == 0, timeout=120,
                 interval=1)
        busy = cli("add", library, data_dir=data_dir)
        assert busy.returncode == 3 and b"another Archivist process" in busy.stderr
        write(library / "new.md", f"# New\n\n{FACTS[2]}")
        wait_for(lambda: b"new.md" in cli("search", "Zephyr protocol", data_dir=data_dir).stdout,
                 timeout=60, interval=0.5)
    finally:
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, err.decode(errors="replace")


def test_unknown_model_is_a_usage_error(data_dir):
    out = cli("model", "no-such-model", data_dir=data_dir)
    assert out.returncode == 2 and b"available" in out.stderr
    shown = json.loads(cli("model", "--json", data_dir=data_dir, check=0).stdout)
    assert shown["current"] == "all-MiniLM-L6-v2" and "all-MiniLM-L6-v2-int8" in shown["available"]


def test_a_search_reads_the_model_while_the_index_opens_and_says_why_it_cannot(library, data_dir):
    cli("add", library, data_dir=data_dir, check=5)  # broken.pdf fails
    found = cli("-v", "search", "--json", "How long is the refund window?", data_dir=data_dir, check=0)
    assert json.loads(found.stdout)["hits"][0]["path"].endswith("handbook.pdf")
    assert b"could not load the embedding model ahead" not in found.stderr

    (data_dir / "settings.json").write_text(json.dumps({"embedding_model": "no-such-model"}))
    (data_dir / "active-model").unlink(missing_ok=True)
    out = cli("-v", "search", "refund", data_dir=data_dir, check=1)
    assert b"could not load the embedding model ahead" in out.stderr
    assert b"archivist-cli: unknown embedding model 'no-such-model'" in out.stderr


def test_every_line_of_a_long_listing_reaches_a_pipe(library, data_dir, tmp_path):
    for n in range(300):
        write(library / "many" / f"note-{n:03d}.txt", f"Note {n}. {FILLER}")
    cli("add", library, data_dir=data_dir, timeout=900)
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    listing = subprocess.run(f"{sys.executable} -m core.cli files | cat", shell=True, capture_output=True,
                             env=env, timeout=300, cwd=ROOT)
    assert listing.stdout.count(b"note-") == 300
