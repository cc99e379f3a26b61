"""What keeping the index true costs, at 100k passages of real text (issue 9).

- searches by a read-only process (which checks for the writer's commits on every read) against the
  writer's own, alternating in one run (the machine is noisy: compare within a run);
- the reconcile every writer runs at start (the chunk table's documents and shown paths against the
  manifest);
- re-pointing the documents of a moved folder (one commit for all of them).

    python bench/index_integrity.py [--size 100000] [--queries 60] [--moved 1000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from common import open_archivist, summary
from core.api import Archivist
from corpus import passage_paragraphs
from query_latency import build_rows


def timed_searches(archivist: Archivist, queries: list[str]) -> list[float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        archivist.search(query, k=8, sentence_rerank=False)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--moved", type=int, default=1000, help="documents in the moved folder")
    args = parser.parse_args()
    rng = random.Random(11)
    paras = passage_paragraphs(rng)
    data = Path(tempfile.mkdtemp(prefix="archivist-integrity-"))
    writer = open_archivist(data)
    base = paras[:1500]
    rows = build_rows(writer, args.size, base, writer.embedder.embed(base), rng, distinct=True)
    writer.store.table.add(rows.to_arrow(writer.store.dim))
    writer.store.ensure_fts_index()
    writer.store.ensure_vector_index(min_rows=0)
    writer.store.table.optimize()
    reader = Archivist(writer.settings, embedder=writer.embedder, read_only=True)
    queries = [" ".join(rng.choice(paras).split()[:rng.randint(3, 9)]) for _ in range(args.queries)]
    for who in (writer, reader):
        who.search("warm up", k=8, sentence_rerank=False)
    own, checked = [], []
    for i in range(0, len(queries), 10):  # alternate in blocks: both see the same load
        own += timed_searches(writer, queries[i:i + 10])
        checked += timed_searches(reader, queries[i:i + 10])
    print(f"{args.size} passages, hybrid search without sentence re-ranking:")
    print(f"  writer (no version check):            {summary(own)}")
    print(f"  reader (checks for commits each read): {summary(checked)}")

    started = time.perf_counter()
    shown = writer.store.doc_paths()  # what the reconcile at start reads of the table
    scan_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    writer.index.reconcile()  # the manifest here is empty: every document is an orphan, dropped
    print(f"  the reconcile at start: reading every document's shown path {scan_ms:.0f} ms ({len(shown)} "
          f"documents); with all of them orphans to drop {(time.perf_counter() - started) * 1000:.0f} ms")

    writer.store.table.add(rows.to_arrow(writer.store.dim))  # the reconcile dropped them all
    moved = {doc: (path.replace("/bench/", "/bench/moved/"), "pdf")
             for doc, path in list(writer.store.doc_paths().items())[:args.moved]}
    version, started = writer.store.table.version, time.perf_counter()
    writer.store.repoint(moved)
    print(f"  re-pointing a moved folder of {len(moved)} documents: {time.perf_counter() - started:.2f} s, "
          f"{writer.store.table.version - version} commit(s)")
    reader.close()
    writer.close()


if __name__ == "__main__":
    main()
