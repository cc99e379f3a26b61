"""What a mail filter (--from, --to, --after, --before) costs: resolving it in the manifest's
envelopes and searching with the clause on doc_id and page it becomes (core/mail_filter.py).

An index of other files (--files x 5 passages) plus a mailbox of 3,000 messages (2 passages each:
body and an attachment) and 300 single-message .eml files; one sender in six wrote the mailbox's
messages (every sixth one: 500 scattered message numbers), dates run through 2024 in file order.
Passage texts are real (the standard library's documentation), vectors mixtures of real
embeddings, as in bench/filter_cost.py.

    python bench/mail_filter_cost.py [--files 20000] [--messages 3000] [--queries 40]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from common import open_archivist, summary
from core.chunking import Chunk
from core.ingest import PreparedDoc
from core.manifest import FileRecord
from core.parsing.model import Envelope
from core.scope import Scope
from core.search import Filters
from core.store import ChunkRows
from corpus import passage_paragraphs

ROOT = "/bench"
SENDERS = ["Ana Silva <ana@example.org>", "Bo Lind <bo@example.org>", "Carla Rossi <carla@example.net>",
           "Dan Berg <dan@example.com>", "Erik Holm <erik@example.com>", "Fay Ng <fay@example.net>"]
YEAR_START = datetime(2024, 1, 1, tzinfo=timezone.utc)


class Builder:
    def __init__(self, archivist, texts: list[str], vectors: np.ndarray, rng: random.Random):
        self.archivist, self.texts, self.vectors = archivist, texts, vectors
        self.nprng = np.random.default_rng(rng.randint(0, 2**31))
        self.rows, self.records, self.envelopes = ChunkRows.empty(), [], {}

    def document(self, doc_id: str, path: str, kind: str, pages: list[int | None]) -> None:
        picks = self.nprng.integers(0, len(self.texts), size=(len(pages), 2))
        mixed = self.vectors[picks[:, 0]] + 0.35 * self.vectors[picks[:, 1]]
        mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
        chunks = [Chunk(self.texts[a][:700] + "\n\n" + self.texts[b][:400], 0, 1000, page, ("Bench",))
                  for (a, b), page in zip(picks, pages)]
        doc = PreparedDoc(doc_id, path, kind, chunks)
        doc.hashes = [f"{doc_id}-{i}" for i in range(len(chunks))]
        doc.vectors = mixed.astype(np.float32)
        self.rows.extend(doc.rows())
        self.records.append(FileRecord(path=path, source=ROOT, size=1, mtime_ns=1, content_hash=doc_id,
                                       status="indexed", reason="", kind=kind, chunks=len(chunks), pages=None,
                                       attempts=0, retry_after=None, updated_at=time.time()))

    def commit(self) -> None:
        archivist = self.archivist
        archivist.store.table.add(self.rows.to_arrow(archivist.store.dim))
        with archivist.manifest.transaction() as db:
            for record in self.records:
                archivist.manifest.upsert(db, record)
            for doc_id, envelopes in self.envelopes.items():
                archivist.manifest.put_envelopes(db, doc_id, envelopes)
        archivist.store.ensure_fts_index()
        archivist.store.ensure_vector_index(min_rows=0)
        archivist.store.table.optimize()


def sent(i: int, n: int) -> int:
    return int((YEAR_START + timedelta(days=365 * i / n)).timestamp())


def build(builder: Builder, files: int, messages: int, emls: int) -> None:
    for d in range(files):
        builder.document(f"hash{d:08d}", f"{ROOT}/notes/file{d:06d}.md", "markdown", [None] * 5)
    pages = [p for p in range(1, messages + 1) for _ in range(2)]  # body and attachment
    builder.document("mailbox", f"{ROOT}/mail/inbox.mbox", "mail", pages)
    builder.envelopes["mailbox"] = [Envelope(p, SENDERS[(p - 1) % 6], SENDERS[p % 6], sent(p, messages))
                                    for p in range(1, messages + 1)]
    for e in range(emls):
        doc_id = f"eml{e:06d}"
        builder.document(doc_id, f"{ROOT}/mail/m{e:05d}.eml", "mail", [1])
        builder.envelopes[doc_id] = [Envelope(1, SENDERS[e % 6], SENDERS[(e + 1) % 6], sent(e, emls))]
    builder.commit()


def measure(archivist, queries: list[str], filters: Filters) -> tuple[list[float], list[float], int, int]:
    searches, scopes, hits = [], [], 0
    clause = Scope.of(filters, archivist.manifest).where
    for q in queries:
        started = time.perf_counter()
        Scope.of(filters, archivist.manifest)
        scopes.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        hits += len(archivist.search(q, k=8, filters=filters, sentence_rerank=False).hits)
        searches.append((time.perf_counter() - started) * 1000)
    return searches, scopes, hits, len(clause.to_sql()) if clause is not None else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--emls", type=int, default=300)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--base", type=int, default=600, help="how many passages really get embedded")
    args = parser.parse_args()
    rng = random.Random(11)
    paras = passage_paragraphs(rng)
    archivist = open_archivist(Path(tempfile.mkdtemp(prefix="archivist-mail-filters-")))
    texts = paras[: args.base]
    build(Builder(archivist, texts, archivist.embedder.embed(texts), rng), args.files, args.messages, args.emls)
    queries = [" ".join(rng.choice(paras).split()[:rng.randint(3, 9)]) for _ in range(args.queries)]
    archivist.search("warm up", k=8)
    half = date(2024, 1, 1) + timedelta(days=round(365 * 500 / args.messages) - 1)
    cases = {
        "no filter": Filters(),
        "--type mail (the kind column, for comparison)": Filters(kinds=("mail",)),
        "--from carla (every 6th message: 500 scattered, 50 .eml)": Filters(sender="carla"),
        f"--after 2024-01-01 --before {half} (the first ~500 messages, 50 .eml)": Filters(after=date(2024, 1, 1),
                                                                                          before=half),
        "--to example (every message: 3,000 in the mailbox, 300 .eml)": Filters(recipient="example"),
        "--from carla --folder .../mail": Filters(sender="carla", folder=f"{ROOT}/mail"),
    }
    print(f"{archivist.store.count()} passages: {args.files} files x 5, a mailbox of {args.messages} messages "
          f"x 2, {args.emls} .eml")
    for name, filters in cases.items():
        searches, scopes, hits, size = measure(archivist, queries, filters)
        print(f"{name}: search {summary(searches)}; of which resolving the filter {summary(scopes)}; "
              f"clause {size:,} chars; {hits / len(queries):.1f} hits per query")
    archivist.close()


if __name__ == "__main__":
    main()
