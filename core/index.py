"""One embedding model's complete index: its manifest, chunk table and the parts that fill and read it.

Indexes of different models live side by side (core.layout), which is what lets a model change
build a new index while the old one keeps answering, then switch in one step.
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import contextmanager
from pathlib import Path

from core import layout
from core.chunking import Chunker
from core.config import Settings
from core.embed_cache import EmbeddingCache
from core.embedding import Embedder
from core.indexer import Indexer
from core.ingest import Ingestor
from core.manifest import NEEDS_OCR, Manifest, display_path
from core.parsing.formats import OCR_READER_VERSION, READER_VERSIONS
from core.search import Searcher
from core.store import ChunkRows, ChunkStore

log = logging.getLogger(__name__)

CACHE_PRUNE_EVERY_S = 24 * 3600  # by whichever process syncs (the CLI alone too)
CACHE_KEEP_UNUSED_S = 30 * 24 * 3600  # vectors of passages no longer indexed, in case they return


class Index:
    def __init__(self, data_dir: Path, settings: Settings, embedder: Embedder, parser_pool, emit,
                 read_only: bool = False):
        self.data_dir = data_dir
        self.embedder = embedder
        self.directory = layout.index_dir(data_dir, embedder.name)
        self.manifest = Manifest(self.directory / "manifest.sqlite")
        self.store = ChunkStore(self.directory / "lance", embedder.name, embedder.dim, read_only)
        self.cache = EmbeddingCache(layout.cache_path(data_dir), embedder.name, embedder.dim)
        self.ingestor = self._ingestor(settings)
        self.searcher = Searcher(self.store, embedder)
        self.indexer = Indexer(self.manifest, self.store, self.ingestor, parser_pool, settings, emit)
        self._users = 0  # reads running on this index: it is not closed under them
        self._idle = threading.Condition()

    @contextmanager
    def in_use(self):
        with self._idle:
            self._users += 1
        try:
            yield self
        finally:
            with self._idle:
                self._users -= 1
                self._idle.notify_all()

    def _ingestor(self, settings: Settings) -> Ingestor:
        chunker = Chunker(self.embedder.count_tokens, self.embedder.token_offsets, self.embedder.max_tokens,
                          settings.chunk_overlap)
        return Ingestor(self.embedder, chunker, self.cache)

    def rechunk(self, settings: Settings) -> int:
        """Cut passages with new settings from now on, and mark every searchable file to be read
        again (the next sync rewrites each document's passages in one commit). Returns the count."""
        with self.indexer.lock:  # not while a plan is running with the old chunker
            self.ingestor = self.indexer.ingestor = self._ingestor(settings)
        return self.manifest.requeue(self.manifest.referenced_hashes(), "waiting to be cut into passages again")

    def reread_older_readers(self) -> int:
        """Files whose kind's reader improved since they were indexed (``READER_VERSIONS``) are read
        again by the next sync; returns how many."""
        try:
            indexed_with = json.loads(self.manifest.get_meta("reader_versions") or "{}")
        except ValueError:
            indexed_with = {}
        outdated = [kind for kind, version in READER_VERSIONS.items() if indexed_with.get(kind, 1) < version]
        n = 0
        if outdated:
            n = self.manifest.requeue(self.manifest.referenced_hashes(outdated),
                                      "waiting to be read again: Archivist reads this kind of file better now")
            if n:
                log.info("%d files will be read again by a newer reader (%s)", n, ", ".join(sorted(outdated)))
        if indexed_with != dict(READER_VERSIONS):
            self.manifest.set_meta("reader_versions", json.dumps(dict(READER_VERSIONS), sort_keys=True))
        return n + self._reread_for_ocr()

    def _reread_for_ocr(self) -> int:
        """Files with pages no OCR read (it was not there, or failed) are read again once OCR improves."""
        if self.manifest.get_meta("ocr_reader") == str(OCR_READER_VERSION):
            return 0
        waiting = {r.content_hash for r in self.manifest.files(status=NEEDS_OCR) if r.content_hash}
        n = self.manifest.requeue(waiting, "waiting to be read again: Archivist reads scanned pages now") if waiting else 0
        self.manifest.set_meta("ocr_reader", str(OCR_READER_VERSION))
        return n

    def reconcile(self) -> None:
        """Bring the chunk table in step with the manifest after a crash between the two (or a
        damaged table): passages no file holds are dropped, files whose passages are missing are
        read again by the next sync, and passages shown under a path the manifest no longer has
        (a rename cut short) are shown under the right one; mail envelopes no file's content has
        are dropped. Run by the writer at start."""
        holders = self.manifest.first_holders()
        try:
            shown = self.store.doc_paths()
        except (OSError, RuntimeError) as exc:  # e.g. data files gone: searches will say so
            log.warning("cannot read the chunk table to check it: %s", exc)
            return
        lost = holders.keys() - shown.keys()  # e.g. the table was recreated empty (lancedb #3127)
        if lost:
            n = self.manifest.requeue(lost, "passages missing from the index; waiting to be read again")
            log.warning("%d files' passages are missing from the index; they will be indexed again", n)
        orphans = shown.keys() - self.manifest.known_hashes()
        if orphans:
            log.warning("dropping the passages of %d documents no file holds any more", len(orphans))
            self.store.apply(ChunkRows.empty(), drop_docs=sorted(orphans))
        if self.manifest.forget_orphan_envelopes():  # a crash between the chunk drop and this
            log.info("dropped the mail envelopes of contents no file holds any more")
        moved = {d: holder for d, holder in holders.items() if d in shown and shown[d] != display_path(holder[0])}
        if moved:
            log.info("showing %d documents under their current path", len(moved))
            self.store.repoint(moved)

    def maybe_prune_cache(self) -> int:
        """Once a day, forget cached vectors nothing needs (see ``EmbeddingCache.prune``)."""
        if not self.cache.prune_due(CACHE_PRUNE_EVERY_S):
            return 0
        try:
            dead = [m for m in self.cache.models() if not layout.index_dir(self.data_dir, m).exists()]
            dropped = self.cache.prune(CACHE_KEEP_UNUSED_S, self.store.text_hashes(), dead)
        except Exception:  # noqa: BLE001 - tidying must never fail a sync
            log.exception("pruning the embedding cache failed")
            return 0
        if dropped:
            log.info("embedding cache: dropped %d vectors nothing needs", dropped)
        self._prune_ocr_cache()
        return dropped

    def _prune_ocr_cache(self) -> None:
        """The OCR results of pages no file holds any more, unused for as long (core/parsing/ocr/cache.py)."""
        from core.parsing.ocr.cache import cache_in

        try:
            cache = cache_in(str(self.data_dir))
            if cache is not None and cache.prune_due(CACHE_PRUNE_EVERY_S):
                dropped = cache.prune(CACHE_KEEP_UNUSED_S, self.manifest.known_hashes())
                if dropped:
                    log.info("OCR cache: dropped %d pages no file holds", dropped)
        except Exception:  # noqa: BLE001 - tidying must never fail a sync
            log.exception("pruning the OCR cache failed")

    def close(self, wait_s: float = 120.0) -> None:
        """Close once the reads running on this index have finished (at most ``wait_s``)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._users == 0, timeout=wait_s):
                log.warning("closing an index while %d reads still run on it", self._users)
        self.manifest.close()
        self.cache.close()
