"""Query latency: hybrid search (query embedding + vector + full text + fusion) at 10k and 100k chunks.

Rows are built from real text (the standard library's documentation) and real embeddings: a few
thousand chunks are embedded, and the rest of the vectors are perturbed mixtures of those (exact
values do not change the cost of a scan). Also measures recall@10 of the ANN index against an
exact scan, on the same table.

    python bench/query_latency.py [--sizes 10000 100000] [--queries 100]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from common import open_archivist, summary
from core.ingest import PreparedDoc
from core.store import ChunkRows
from core.chunking import Chunk
from corpus import module_texts, paragraphs


def build_rows(archivist, n: int, base_texts: list[str], base_vectors: np.ndarray, rng: random.Random) -> ChunkRows:
    nprng = np.random.default_rng(rng.randint(0, 2**31))
    idx = nprng.integers(0, len(base_texts), size=(n, 2))
    vectors = base_vectors[idx[:, 0]] + 0.35 * base_vectors[idx[:, 1]] + nprng.normal(0, 0.02, (n, base_vectors.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = ChunkRows.empty()
    per_doc = 50
    for d in range(0, n, per_doc):
        chunks = [Chunk(base_texts[idx[i, 0]], 0, len(base_texts[idx[i, 0]]), 1 + i % 30, ("Bench",))
                  for i in range(d, min(d + per_doc, n))]
        doc = PreparedDoc(f"doc{d:08d}", f"/bench/file{d // per_doc:06d}.pdf", "pdf", chunks)
        doc.hashes = [f"h{i}" for i in range(d, d + len(chunks))]
        doc.vectors = vectors[d:d + len(chunks)].astype(np.float32)
        rows.extend(doc.rows())
    return rows


def measure(archivist, queries: list[str]) -> list[float]:
    times, parts = [], {}
    for q in queries:
        started = time.perf_counter()
        result = archivist.search(q, k=8)
        times.append((time.perf_counter() - started) * 1000)
        for name, ms in result.trace["timings"].items():
            parts.setdefault(name, []).append(ms)
    print("    median parts: " + ", ".join(f"{n} {sorted(v)[len(v) // 2]:.1f}" for n, v in parts.items()))
    return times


def answer_overhead(archivist, queries: list[str]) -> list[float]:
    """Time from the question to the moment the prompt is ready for the model (the Retrieved event)."""
    from core.answer.pipeline import ask
    from core.llm.embedded_engine import EmbeddedEngine

    engine = EmbeddedEngine(n_ctx=8192)
    engine.count_tokens("warm up the tokenizer")
    times = []
    for q in queries:
        started = time.perf_counter()
        events = ask(archivist, engine, q, k=8)
        next(events)  # Retrieved: search done, sources numbered and fitted
        times.append((time.perf_counter() - started) * 1000)
        events.close()
    engine.close()
    return times


def recall_at_10(archivist, query_vectors: np.ndarray) -> float:
    table = archivist.store.table
    total = 0.0
    for v in query_vectors:
        ann = {r["id"] for r in archivist.store.vector_query(v).select(["id", "_distance"]).limit(10).to_list()}
        exact = {r["id"] for r in table.search(v).distance_type("cosine").bypass_vector_index()
                 .select(["id", "_distance"]).limit(10).to_list()}
        total += len(ann & exact) / 10
    return total / len(query_vectors)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--base", type=int, default=1500, help="how many chunks really get embedded")
    parser.add_argument("--answer-overhead", action="store_true",
                        help="also time retrieval + prompt building before an answer")
    args = parser.parse_args()
    rng = random.Random(7)
    paras = [p for p in paragraphs(module_texts(limit=400)) if 200 < len(p) < 1200]
    rng.shuffle(paras)
    base_texts = paras[: args.base]
    embedder = open_archivist(Path(tempfile.mkdtemp(prefix="archivist-query-"))).embedder
    started = time.perf_counter()
    base_vectors = embedder.embed(base_texts)
    print(f"embedded {len(base_texts)} real chunks in {time.perf_counter() - started:.0f} s")
    queries = [" ".join(rng.choice(paras).split()[:rng.randint(3, 9)]) for _ in range(args.queries)]
    query_vectors = embedder.embed(queries[:30])

    for size in sorted(args.sizes):
        archivist = open_archivist(Path(tempfile.mkdtemp(prefix="archivist-query-")), embedder=embedder)
        rows = build_rows(archivist, size, base_texts, base_vectors, rng)
        archivist.store.table.add(rows.to_arrow(archivist.store.dim))
        archivist.store.ensure_fts_index()
        archivist.store.table.optimize()  # full-text index covers every row, as after a sync
        archivist.search("warm up", k=8)
        print(f"{size:>7} chunks, exact vector scan: {summary(measure(archivist, queries))}")
        started = time.perf_counter()
        archivist.store.ensure_vector_index(min_rows=0)
        print(f"{size:>7} chunks, ANN index ({archivist.store.vector_index_kind}) built in "
              f"{time.perf_counter() - started:.1f} s")
        archivist.search("warm up", k=8)
        print(f"{size:>7} chunks, with ANN index:     {summary(measure(archivist, queries))}"
              f"  [target p95 <= 50 ms at 100k]")
        print(f"{size:>7} chunks, ANN recall@10 vs exact: {recall_at_10(archivist, query_vectors):.3f}")
        if args.answer_overhead:
            print(f"{size:>7} chunks, answer overhead before the model is called (retrieval + prompt "
                  f"fitted to an 8k window): {summary(answer_overhead(archivist, queries))}  [target p95 <= 100 ms]")
        archivist.close()


if __name__ == "__main__":
    main()
