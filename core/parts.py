"""Index a very large document in bounded parts, so memory does not grow with one file.

A document of more than PART_CHUNKS passages is cut, embedded and committed a part at a time
while its file stays ``pending`` in the manifest (with its old content hash); the last part goes
into the indexer's usual final commit, with the file's record and the removal of the passages
of the content it replaced. Meanwhile the parts already committed are searchable.

Until that final commit the parts belong to no file, so the manifest journals the document
(meta ``unfinished_doc``) before its first part is written. The first part also rewrites the
document, dropping whatever an interrupted earlier attempt left under the same content hash.
A cancel drops the parts at once; after a crash, the next run drops them before doing anything
else, unless a file holds that content by then. Anything else that drops unreferenced documents
must do so only while holding the indexer's lock (the single writer), never between parts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from itertools import islice

from core import events as ev
from core.chunking import Chunk
from core.ingest import Ingestor, PreparedDoc
from core.manifest import Manifest
from core.store import ChunkRows, ChunkStore

PART_CHUNKS = 2048  # passages per commit: a ~1 MB text or a ~700-page PDF still goes in one
EMBED_CHUNKS = 128  # passages per embedding call, between which a cancel is noticed
JOURNAL_KEY = "unfinished_doc"


def unfinished_doc(manifest: Manifest) -> str | None:
    """The document being written in parts (or left by a crash while it was), if any."""
    return manifest.get_meta(JOURNAL_KEY) or None


def drop_unfinished(manifest: Manifest, store: ChunkStore) -> None:
    """At the start of a run: drop the parts of a document whose final commit never came."""
    doc_id = unfinished_doc(manifest)
    if doc_id is None:
        return
    if not manifest.paths_with_hash(doc_id):
        store.apply(ChunkRows.empty(), drop_docs=[doc_id])
    manifest.set_meta(JOURNAL_KEY, "")


class PartWriter:
    """Commits all parts of one document but the last, counting what it wrote."""

    def __init__(self, manifest: Manifest, store: ChunkStore, ingestor: Ingestor, emit: ev.EventSink):
        self.manifest, self.store, self.ingestor, self.emit = manifest, store, ingestor, emit
        self.written = self.embedded = 0

    def write_leading(self, doc: PreparedDoc, chunks: Iterator[Chunk],
                      cancel: threading.Event) -> PreparedDoc | None:
        """``chunks`` are all of ``doc``'s passages (``doc.chunks`` is ignored). Returns the last
        part, not yet embedded, or None when cancelled (what was written is dropped again)."""
        self.manifest.set_meta(JOURNAL_KEY, doc.doc_id)
        part = list(islice(chunks, PART_CHUNKS))
        following = list(islice(chunks, PART_CHUNKS))
        while following:
            rows = self._embed(doc, part, cancel)
            if rows is None:
                self.store.apply(ChunkRows.empty(), drop_docs=[doc.doc_id])
                self.manifest.set_meta(JOURNAL_KEY, "")
                self.written = 0
                return None
            self.store.apply(rows, rewrite_docs=[] if self.written else [doc.doc_id])
            self.written += len(part)
            self.emit(ev.FileProgress(doc.path, self.written, None, "passages"))
            part, following = following, list(islice(chunks, PART_CHUNKS))
        return PreparedDoc(doc.doc_id, doc.path, doc.kind, part, first_ordinal=self.written,
                           envelopes=doc.envelopes)

    def _embed(self, doc: PreparedDoc, part: list[Chunk], cancel: threading.Event) -> ChunkRows | None:
        rows = ChunkRows.empty()
        for i in range(0, len(part), EMBED_CHUNKS):
            if cancel.is_set():
                return None
            piece = PreparedDoc(doc.doc_id, doc.path, doc.kind, part[i:i + EMBED_CHUNKS],
                                first_ordinal=self.written + i)
            self.embedded += self.ingestor.embed_all([piece])
            rows.extend(piece.rows())
        return rows
