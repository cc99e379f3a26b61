"""Changing the embedding model builds a new index beside the old one and switches in one step."""

import threading
import time

import numpy as np

from core import events as ev, layout
from core.api import Archivist
from core.config import Settings
from helpers import FACTS, FILLER, make_pdf, write

NEW_MODEL = "all-MiniLM-L6-v2-int8"  # the same network, int8 weights: a real second model


def library(docs, n_notes=6):
    make_pdf(docs / "handbook.pdf", [FILLER, FILLER + FACTS[0]])
    for i in range(n_notes):
        write(docs / f"note{i}.md", f"# Note {i}\n\nNote {i} is about topic number {i}. {FILLER}")
    write(docs / "finance.md", f"# Finance\n\n{FACTS[1]}")


def test_switch_builds_beside_the_old_index_and_swaps(docs, data_dir, make_archivist):
    library(docs)
    events = []
    archivist = make_archivist(events)
    archivist.add_source(docs)
    archivist.sync()
    old_dir = archivist.index.directory
    during = []

    def search_while_rebuilding(event):
        events.append(event)
        if isinstance(event, ev.FileDone) and not during:
            hits = archivist.search("refund window Acme").hits
            during.append((archivist.embedder.name, hits[0].path if hits else None))

    archivist.on_event = search_while_rebuilding
    assert archivist.switch_model(NEW_MODEL)

    # While the new index was built, searches were answered by the old one, correctly.
    assert during == [("all-MiniLM-L6-v2", str(docs / "handbook.pdf"))]
    assert archivist.embedder.name == NEW_MODEL
    assert layout.active_model(data_dir, "?") == NEW_MODEL
    assert Settings.load(data_dir).embedding_model == NEW_MODEL
    assert not old_dir.exists()
    assert any(isinstance(e, ev.ModelSwitched) for e in events)
    hit = archivist.search("refund window Acme").hits[0]
    assert (hit.path, hit.page) == (str(docs / "handbook.pdf"), 2)
    assert archivist.search("INV-2024-0042").hits[0].path == str(docs / "finance.md")
    archivist.close()

    # A later start opens the new index, with its own vectors (384-d, int8 model).
    reopened = Archivist(Settings.load(data_dir))
    assert reopened.embedder.name == NEW_MODEL
    assert reopened.search("INV-2024-0042").hits[0].path == str(docs / "finance.md")
    reopened.close()


def test_cancelled_switch_keeps_the_old_index_and_resumes(docs, data_dir, make_archivist, monkeypatch):
    monkeypatch.setattr("core.indexer.FLUSH_SECONDS", 0)  # commit file by file: something to resume
    library(docs, n_notes=12)
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    cancel = threading.Event()
    seen = []

    def cancel_after_two(event):
        if isinstance(event, ev.FileDone):
            seen.append(event)
            if len(seen) == 2:
                cancel.set()

    archivist.on_event = cancel_after_two
    assert not archivist.switch_model(NEW_MODEL, cancel=cancel)
    assert archivist.embedder.name == "all-MiniLM-L6-v2"
    assert layout.active_model(data_dir, "?") == "all-MiniLM-L6-v2"
    assert archivist.search("refund window Acme").hits[0].path == str(docs / "handbook.pdf")

    resumed = []
    archivist.on_event = resumed.append
    assert archivist.switch_model(NEW_MODEL)
    done = [e for e in resumed if isinstance(e, ev.FileDone)]
    assert 0 < len(done) < 14, "the second attempt continues, it does not start over"
    assert archivist.manifest.status_counts() == {"indexed": 14}


class ProjectedEmbedder:
    """A stand-in model of another dimension (8): the real model's vectors, projected."""

    def __init__(self, real):
        self.real = real
        self.name, self.dim, self.max_tokens = "projected-8", 8, real.max_tokens
        self.count_tokens, self.token_offsets = real.count_tokens, real.token_offsets
        self.projection = np.random.default_rng(0).normal(size=(real.dim, 8)).astype(np.float32)

    def embed(self, texts, background=False):
        v = self.real.embed(texts, background=background) @ self.projection
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed_query(self, text):
        return self.embed([text])[0]


def test_another_dimension_gets_its_own_table_never_mixed(docs, data_dir, embedder, make_archivist):
    library(docs)
    first = make_archivist()
    first.add_source(docs)
    first.sync()
    first.close()
    other = Archivist(Settings(data_dir=data_dir), embedder=ProjectedEmbedder(embedder))
    try:
        assert other.store.dim == 8 and other.store.count() == 0  # a fresh index, not the 384-d one
        other.add_source(docs)
        other.sync()
        assert other.search("INV-2024-0042").hits[0].path == str(docs / "finance.md")
    finally:
        other.close()


def test_a_switch_never_pulls_the_index_from_under_a_running_search(docs, make_archivist):
    library(docs, n_notes=2)
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    old = archivist.index
    entered, release, outcome = threading.Event(), threading.Event(), []
    real_search = old.searcher.search

    def slow_search(*args, **kwargs):
        entered.set()
        release.wait(60)
        return real_search(*args, **kwargs)

    old.searcher.search = slow_search

    def search():
        try:
            outcome.append(archivist.search("refund window Acme").hits[0].path)
        except Exception as exc:  # noqa: BLE001 - what the test looks for
            outcome.append(exc)

    searching = threading.Thread(target=search)
    searching.start()
    assert entered.wait(30)
    switching = threading.Thread(target=lambda: archivist.switch_model(NEW_MODEL))
    switching.start()
    deadline = time.monotonic() + 120
    while archivist.embedder.name != NEW_MODEL and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # time to drop the old index, if it was going to
    assert old.directory.exists(), "the old index was deleted during a search"

    release.set()
    searching.join(60)
    switching.join(120)
    assert outcome == [str(docs / "handbook.pdf")]
    assert not old.directory.exists()
