"""Query latency: hybrid search (query embedding + vector + full text + fusion) at 10k and 100k chunks.

Rows are built from real text (the standard library's documentation) and real embeddings: a few
thousand chunks are embedded, and the rest of the vectors are perturbed mixtures of those (exact
values do not change the cost of a scan). Also measures recall@10 of the ANN index against an
exact scan, on the same table.

    python bench/query_latency.py [--sizes 10000 100000] [--queries 100]
    python bench/query_latency.py --sizes 100000 --evidence   # question → evidence card (issue 8)
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from common import open_archivist, percentile, summary
from core.ingest import PreparedDoc
from core.store import ChunkRows
from core.chunking import Chunk
from corpus import passage_paragraphs


def build_rows(archivist, n: int, base_texts: list[str], base_vectors: np.ndarray, rng: random.Random,
               distinct: bool = False) -> ChunkRows:
    """``distinct``: each row's text is its two source paragraphs (cut to a passage's length), so
    rows differ as real passages do; otherwise rows repeat the base texts, which changes nothing
    for a scan but makes most candidates twins of each other (folded into one hit)."""
    nprng = np.random.default_rng(rng.randint(0, 2**31))
    idx = nprng.integers(0, len(base_texts), size=(n, 2))
    vectors = base_vectors[idx[:, 0]] + 0.35 * base_vectors[idx[:, 1]] + nprng.normal(0, 0.02, (n, base_vectors.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = ChunkRows.empty()
    per_doc = 50
    for d in range(0, n, per_doc):
        texts = [_row_text(base_texts, idx[i], distinct) for i in range(d, min(d + per_doc, n))]
        chunks = [Chunk(text, 0, len(text), 1 + i % 30, ("Bench",)) for i, text in enumerate(texts, d)]
        doc = PreparedDoc(f"doc{d:08d}", f"/bench/file{d // per_doc:06d}.pdf", "pdf", chunks)
        doc.hashes = [f"h{i}" for i in range(d, d + len(chunks))]
        doc.vectors = vectors[d:d + len(chunks)].astype(np.float32)
        rows.extend(doc.rows())
    return rows


def _row_text(base_texts: list[str], pair, distinct: bool) -> str:
    if not distinct:
        return base_texts[pair[0]]
    return base_texts[pair[0]][:700] + "\n\n" + base_texts[pair[1]][:400]


def measure(archivist, queries: list[str]) -> list[float]:
    """Hybrid search with passage ranking only (sentence re-ranking is timed by --evidence); every
    question is embedded afresh, as a new question would be."""
    from core.sentence_vectors import sentence_vectors

    times, parts = [], {}
    for q in queries:
        sentence_vectors(archivist.embedder).clear()
        started = time.perf_counter()
        result = archivist.search(q, k=8, sentence_rerank=False)
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


def evidence_latency(archivist, queries: list[str]) -> list[float]:
    """Question → evidence card: hybrid search with sentence re-ranking, then the card. Each question
    starts with an empty sentence cache (its passages' sentences were never embedded before)."""
    from core.answer.evidence import evidence_card
    from core.sentence_vectors import sentence_vectors

    cache = sentence_vectors(archivist.embedder)
    times, parts = [], {"search_ms": [], "sentences_ms": [], "card_ms": [], "cpu_ms": []}
    for q in queries:
        cache.clear()
        cpu = time.process_time()  # both cores' work: on a busy machine, what the wall time would be idle x ~2
        started = time.perf_counter()
        result = archivist.search(q, k=8)
        searched = time.perf_counter()
        evidence_card(q, result.hits, archivist.embedder)
        done = time.perf_counter()
        times.append((done - started) * 1000)
        parts["cpu_ms"].append((time.process_time() - cpu) * 1000)
        parts["search_ms"].append((searched - started) * 1000)
        parts["sentences_ms"].append(result.trace["timings"].get("sentences_ms", 0.0))
        parts["card_ms"].append((done - searched) * 1000)
    print("    parts p50 / p95: " + ", ".join(
        f"{n} {percentile(v, 50):.1f} / {percentile(v, 95):.1f}" for n, v in parts.items()))
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
    parser.add_argument("--evidence", action="store_true",
                        help="also time question → evidence card (search with sentence re-ranking + card); "
                             "rows get distinct texts")
    args = parser.parse_args()
    rng = random.Random(7)
    paras = passage_paragraphs(rng)
    base_texts = paras[: args.base]
    embedder = open_archivist(Path(tempfile.mkdtemp(prefix="archivist-query-"))).embedder
    started = time.perf_counter()
    base_vectors = embedder.embed(base_texts)
    print(f"embedded {len(base_texts)} real chunks in {time.perf_counter() - started:.0f} s")
    queries = [" ".join(rng.choice(paras).split()[:rng.randint(3, 9)]) for _ in range(args.queries)]
    query_vectors = embedder.embed(queries[:30])

    for size in sorted(args.sizes):
        archivist = open_archivist(Path(tempfile.mkdtemp(prefix="archivist-query-")), embedder=embedder)
        rows = build_rows(archivist, size, base_texts, base_vectors, rng, distinct=args.evidence)
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
        if args.evidence:
            print(f"{size:>7} chunks, question → evidence card (ANN index, sentence re-ranking, cold sentence "
                  f"cache): {summary(evidence_latency(archivist, queries))}  [target p95 <= 300 ms at 100k]")
        if args.answer_overhead:
            print(f"{size:>7} chunks, answer overhead before the model is called (retrieval + prompt "
                  f"fitted to an 8k window): {summary(answer_overhead(archivist, queries))}  [target p95 <= 100 ms]")
        archivist.close()


if __name__ == "__main__":
    main()
