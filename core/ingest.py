"""Turn parsed documents into rows for the index: chunk, reuse cached vectors, embed the rest.

Chunks from many small files are embedded together, sorted by length, so batches stay full
and padding stays small: this is where indexing spends nearly all of its time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.chunking import Chunk, Chunker
from core.embed_cache import EmbeddingCache, text_hash
from core.embedding import Embedder
from core.manifest import display_path
from core.parsing.model import Envelope
from core.store import ChunkRows


@dataclass
class PreparedDoc:
    """One document's chunks on their way into the index."""

    doc_id: str
    path: str
    kind: str
    chunks: list[Chunk]
    hashes: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = None
    embedded: int = 0  # how many chunks needed the model
    first_ordinal: int = 0  # a later part of a document committed in parts (core.parts)
    envelopes: tuple[Envelope, ...] = ()  # mail: recorded with the document's last part (core/mail_filter.py)

    def rows(self) -> ChunkRows:
        rows = ChunkRows.empty()
        c = rows.columns
        for i, chunk in enumerate(self.chunks, start=self.first_ordinal):
            c["id"].append(f"{self.doc_id}:{i}")
            c["doc_id"].append(self.doc_id)
            c["path"].append(display_path(self.path))  # Arrow strings must be valid UTF-8
            c["kind"].append(self.kind)
            c["page"].append(chunk.page or 0)
            c["heading"].append(" > ".join(chunk.heading))
            c["start"].append(chunk.start)
            c["end"].append(chunk.end)
            c["ordinal"].append(i)
            c["text"].append(chunk.text)
            c["text_hash"].append(self.hashes[i - self.first_ordinal])
        c["vector"] = list(self.vectors) if self.vectors is not None else []
        return rows


class Ingestor:
    def __init__(self, embedder: Embedder, chunker: Chunker, cache: EmbeddingCache):
        self.embedder = embedder
        self.chunker = chunker
        self.cache = cache

    def embed_all(self, docs: list[PreparedDoc]) -> int:
        """Fill in every doc's vectors; returns how many chunks were embedded by the model."""
        for doc in docs:
            doc.hashes = [text_hash(c.text) for c in doc.chunks]
        wanted = [h for doc in docs for h in doc.hashes]
        known = self.cache.get_many(wanted)
        missing: dict[str, str] = {}
        for doc in docs:
            for h, chunk in zip(doc.hashes, doc.chunks):
                if h not in known and h not in missing:
                    missing[h] = chunk.text
        if missing:
            # Similar lengths in a batch mean little padding, i.e. less wasted compute.
            order = sorted(missing, key=lambda h: len(missing[h]))
            vectors = self.embedder.embed([missing[h] for h in order], background=True)
            fresh = dict(zip(order, vectors))
            self.cache.put_many(fresh)
            known.update(fresh)
        reused = [h for h in wanted if h not in missing]
        if reused:
            self.cache.touch(reused)
        counted: set[str] = set()
        for doc in docs:
            doc.vectors = (
                np.stack([known[h] for h in doc.hashes]) if doc.hashes else np.zeros((0, self.embedder.dim))
            )
            doc.embedded = sum(1 for h in doc.hashes if h in missing and h not in counted)
            counted.update(doc.hashes)
        return len(missing)
