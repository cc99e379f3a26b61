"""Question latency while a large document is being embedded, with the real model.

    python bench/query_during_indexing.py [--mb 11] [--seconds 60]

One text file of distinct Python source (~1,800 passages per MB, so 11 MB is ~20k passages) is
synced in a thread. Once the model has started on it, a question is embedded every 0.5 s for
``--seconds`` (each waits for the previous), and its latency is recorded, together with a full
hybrid search. Then the sync is cancelled.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from pathlib import Path

from common import open_archivist, percentile
from corpus import source_text

QUESTIONS = [
    "how do I parse command line arguments", "read a CSV file with a header row",
    "compress a file with gzip", "start a subprocess and capture its output",
    "format a date as ISO 8601", "what does the garbage collector do with reference cycles",
    "send an email over SMTP with TLS", "create a temporary directory that is removed afterwards",
    "how are decimal numbers rounded", "walk a directory tree recursively",
    "match a regular expression across several lines", "parse an XML document into a tree",
    "serialize an object to JSON", "run coroutines concurrently with a timeout",
    "compute the SHA-256 hash of a file", "lock a resource shared between threads",
    "open a socket and listen for connections", "unit test with mock objects",
    "read configuration from an INI file", "log messages to a rotating file",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=11)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archivist-qdi-"))
    (work / "docs").mkdir()
    (work / "docs" / "big.txt").write_text(source_text(int(args.mb * 2**20)), encoding="utf-8")
    archivist = open_archivist(work / "data")
    embedder = archivist.embedder
    embedder.embed_query("warm up the model")
    archivist.add_source(work / "docs")

    bulk_started = threading.Event()
    own_embed = embedder.embed

    def spy(texts, *a, **kw):  # notices when indexing reaches the model
        texts = list(texts)
        if len(texts) > 1 and threading.current_thread().name != "questions":
            bulk_started.set()
        return own_embed(texts, *a, **kw)

    embedder.embed = spy
    cancel = threading.Event()
    outcome = {}
    syncing = threading.Thread(target=lambda: outcome.setdefault("sync", archivist.sync(cancel)), name="sync")
    started = time.perf_counter()
    syncing.start()
    if not bulk_started.wait(timeout=600):
        raise SystemExit("indexing never reached the model")
    print(f"indexing reached the model after {time.perf_counter() - started:.1f} s")
    embed_ms, search_ms = [], []

    def ask() -> None:
        deadline = time.perf_counter() + args.seconds
        for question in itertools.cycle(QUESTIONS):
            if time.perf_counter() >= deadline or not syncing.is_alive():
                return
            t0 = time.perf_counter()
            embedder.embed_query(question)
            embed_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            archivist.search(question, k=5)
            search_ms.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.5)

    asking = threading.Thread(target=ask, name="questions")
    asking.start()
    asking.join()
    still_indexing = syncing.is_alive()
    cancel.set()
    syncing.join()
    result = outcome["sync"]
    print(f"{len(embed_ms)} questions while indexing (sync still running at the end: {still_indexing}); "
          f"sync: {result.chunks_written} passages written, cancelled={result.cancelled}, "
          f"{time.perf_counter() - started:.0f} s in all")
    for name, values in (("query embedding", embed_ms), ("whole search", search_ms)):
        print(f"{name}: p50 {percentile(values, 50):.0f} ms, p95 {percentile(values, 95):.0f} ms, "
              f"max {max(values):.0f} ms")
    archivist.close()


if __name__ == "__main__":
    main()
