"""What a --folder or --file filter costs, now that filters go through the manifest (core/scope.py).

An index of 20,000 files x 5 passages (100k, ANN index as after a sync) in four folders of 5,000,
with a manifest that knows every file: 1 % of the files of folder f1 have an identical copy in f0
(shown under the copy, so the f1 filter lists their contents by doc_id), and the fourth folder's
name is not valid UTF-8 (its filter lists all 5,000 contents, which is also what listing every
content of any folder would cost). Passage texts are real (the standard library's documentation),
vectors are mixtures of real embeddings, as in bench/query_latency.py.

    python bench/filter_cost.py [--files 20000] [--queries 60]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from common import open_archivist, summary
from core.chunking import Chunk
from core.ingest import PreparedDoc
from core.manifest import FileRecord
from core.scope import Scope
from core.search import Filters
from core.store import ChunkRows
from corpus import passage_paragraphs

PER_FILE = 5
ROOT = "/bench"
FOLDERS = ["f0", "f1", "f2", os.fsdecode(b"r\xe9sum\xe9s")]


def build(archivist, n_files: int, texts: list[str], vectors: np.ndarray, rng: random.Random) -> None:
    nprng = np.random.default_rng(rng.randint(0, 2**31))
    rows, records = ChunkRows.empty(), []
    for d in range(n_files):
        path = f"{ROOT}/{FOLDERS[d % 4]}/file{d:06d}.md"
        picks = nprng.integers(0, len(texts), size=(PER_FILE, 2))
        mixed = vectors[picks[:, 0]] + 0.35 * vectors[picks[:, 1]] + nprng.normal(0, 0.02, (PER_FILE, vectors.shape[1]))
        mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
        chunk_texts = [texts[a][:700] + "\n\n" + texts[b][:400] for a, b in picks]
        doc = PreparedDoc(f"hash{d:08d}", path, "markdown",
                          [Chunk(t, 0, len(t), None, ("Bench",)) for t in chunk_texts])
        doc.hashes = [f"t{d}-{i}" for i in range(PER_FILE)]
        doc.vectors = mixed.astype(np.float32)
        copy = d % 400 == 1  # 1 % of f1 (d % 4 == 1) has a copy in f0, which sorts first: shown there
        if copy:
            doc.path = f"{ROOT}/f0/copy-of-{d:06d}.md"
            records.append(_record(doc.path, doc.doc_id))
        rows.extend(doc.rows())
        records.append(_record(path, doc.doc_id))
    archivist.store.table.add(rows.to_arrow(archivist.store.dim))
    with archivist.manifest.transaction() as db:
        for record in records:
            archivist.manifest.upsert(db, record)
    archivist.store.ensure_fts_index()
    archivist.store.ensure_vector_index(min_rows=0)
    archivist.store.table.optimize()


def _record(path: str, content_hash: str) -> FileRecord:
    return FileRecord(path=path, source=ROOT, size=1, mtime_ns=1, content_hash=content_hash, status="indexed",
                      reason="", kind="markdown", chunks=PER_FILE, pages=None, attempts=0, retry_after=None,
                      updated_at=time.time())


def measure(archivist, queries: list[str], filters: Filters) -> tuple[list[float], list[float], int]:
    searches, scopes, hits = [], [], 0
    for q in queries:
        started = time.perf_counter()
        Scope.of(filters, archivist.manifest)
        scopes.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        result = archivist.search(q, k=8, filters=filters, sentence_rerank=False)
        searches.append((time.perf_counter() - started) * 1000)
        hits += len(result.hits)
    return searches, scopes, hits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--base", type=int, default=1500, help="how many passages really get embedded")
    args = parser.parse_args()
    rng = random.Random(7)
    paras = passage_paragraphs(rng)
    archivist = open_archivist(Path(tempfile.mkdtemp(prefix="archivist-filters-")))
    texts = paras[: args.base]
    vectors = archivist.embedder.embed(texts)
    build(archivist, args.files, texts, vectors, rng)
    queries = [" ".join(rng.choice(paras).split()[:rng.randint(3, 9)]) for _ in range(args.queries)]
    archivist.search("warm up", k=8)
    cases = {
        "no filter": Filters(),
        "--folder f1 (prefix + its copies by doc_id)": Filters(folder=f"{ROOT}/f1"),
        f"--folder {FOLDERS[3]!a} (all {args.files // 4} contents by doc_id)": Filters(folder=f"{ROOT}/{FOLDERS[3]}"),
        "--file (its content by doc_id)": Filters(path=f"{ROOT}/f2/file000002.md"),
    }
    print(f"{archivist.store.count()} passages, {args.files} files, "
          f"{len(archivist.manifest.contents_under(f'{ROOT}/f1', shared_outside=True))} copies listed for f1")
    for name, filters in cases.items():
        searches, scopes, hits = measure(archivist, queries, filters)
        print(f"{name}: search {summary(searches)}; of which resolving the filter {summary(scopes)}; "
              f"{hits / len(queries):.1f} hits per query")
    archivist.close()


if __name__ == "__main__":
    main()
