"""Carry out a plan: read, parse, chunk, embed and commit files, and forget deleted ones.

Each file moves through ``pending`` → committed in the chunk store → recorded in the
manifest. A crash at any point leaves files ``pending``, redone on the next start: a file's chunks
go into LanceDB in one commit (a very large file's in parts, see core.parts), with the removal of
the chunks its previous content had, and committing the same document twice is a no-op.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import chain, islice

from core import events as ev
from core import parts
from core.ingest import Ingestor, PreparedDoc
from core.manifest import FAILED, INDEXED, NEEDS_OCR, PENDING, SKIPPED, FileRecord, Manifest, display_path
from core.parsing.model import NEEDS_OCR as NO_TEXT_LAYER, ParsedDocument, ParseError
from core.parsing.ocr.options import from_settings
from core.parsing.slices import ParseCancelled, parse_in_slices
from core.planner import Plan, extension_of, unsupported_reason
from core.progress import ProgressMeter
from core.reasons import ocr_needed, status_of
from core.scanner import Entry, file_hash, restat
from core.store import ChunkRows, ChunkStore

log = logging.getLogger(__name__)

EMBED_GROUP_CHUNKS = 256  # embed once this many chunks are waiting (keeps batches full)
FLUSH_CHUNKS = 2048  # commit at least this often …
FLUSH_SECONDS = 2.0  # … or this often, so progress survives a crash and search sees new files
PREFETCH = 4  # files read and parsed ahead of the embedder
MAX_SUPERSEDED = 3  # a file changing under us is re-read at most this many times per run
MAX_ATTEMPTS = 5  # a passing failure (locked, access denied) is retried after 2, 4, 8, 16 minutes


@dataclass
class _Work:
    entry: Entry
    source: str
    record: FileRecord | None
    content_hash: str | None = None
    outcome: str = ""  # unchanged | link | parsed | error | vanished | superseded | cancelled
    parsed: ParsedDocument | None = None
    error: ParseError | None = None


class Indexer:
    def __init__(self, manifest: Manifest, store: ChunkStore, ingestor: Ingestor, parser_pool, settings,
                 on_event: ev.EventSink = ev.ignore_event):
        self.manifest = manifest
        self.store = store
        self.ingestor = ingestor
        self.pool = parser_pool
        self.settings = settings
        self.emit = on_event
        self.lock = threading.Lock()  # one plan at a time: this is the index's single writer
        self.flush_seconds = FLUSH_SECONDS

    # -- entry point --------------------------------------------------------------------------

    def execute(self, plan: Plan, cancel: threading.Event | None = None) -> ev.SyncFinished:
        cancel = cancel or threading.Event()
        with self.lock:
            return _Run(self, plan, cancel).run()


class _Run:
    """One execution of a plan; holds the batch state between flushes."""

    def __init__(self, indexer: Indexer, plan: Plan, cancel: threading.Event):
        self.ix = indexer
        self.plan = plan
        self.cancel = cancel
        self.meter = ProgressMeter(len(plan.check), sum(e.size for e, _ in plan.check))
        self.waiting: list[tuple[_Work, PreparedDoc]] = []  # parsed, not yet embedded
        self.ready: list[tuple[_Work, PreparedDoc | None, FileRecord]] = []  # embedded or final
        self.new_docs: dict[str, int] = {}  # doc_id → chunk count, created during this run
        self.touched_hashes: set[str] = set()  # old contents that may now be unreferenced
        self.last_flush = time.monotonic()
        self.chunks_written = self.embedded = self.failed = 0
        self.interrupted = False

    def run(self) -> ev.SyncFinished:
        started = time.monotonic()
        by_source: dict[str, list[int]] = {}
        for entry, source in self.plan.check:
            totals = by_source.setdefault(source, [0, 0])
            totals[0] += 1
            totals[1] += entry.size
        parts.drop_unfinished(self.ix.manifest, self.ix.store)  # parts of a document a crash cut short
        self._record_unindexable()
        self._mark_pending()  # before SyncStarted: a listener sees every planned file as pending
        self.ix.emit(ev.SyncStarted(len(self.plan.check), self.meter.bytes_total, by_source))
        works = [_Work(e, s, self.ix.manifest.get(e.path)) for e, s in self.plan.check]
        retries: dict[str, int] = {}
        while works and not self.interrupted:
            superseded = self._process(works)
            works = []
            for work in superseded:
                retries[work.entry.path] = retries.get(work.entry.path, 0) + 1
                if retries[work.entry.path] <= MAX_SUPERSEDED:
                    works.append(_Work(restat(work.entry), work.source, work.record))
        self._embed_waiting()
        self._flush()
        removed = 0 if self.interrupted else self._apply_deletions()
        self._collect_garbage()
        self.ix.store.ensure_fts_index()
        self.ix.store.maybe_optimize()
        finished = ev.SyncFinished(
            files_done=self.meter.files_done, removed=removed, chunks_written=self.chunks_written,
            embedded=self.embedded, failed=self.failed, seconds=time.monotonic() - started,
            cancelled=self.interrupted,
        )
        self.ix.emit(finished)
        return finished

    # -- bookkeeping before the real work -------------------------------------------------------

    def _record_unindexable(self) -> None:
        now = time.time()
        with self.ix.manifest.transaction() as db:
            for entry, source in self.plan.unsupported:
                self._put(db, _record(entry, source, SKIPPED, unsupported_reason(entry.path), now))
            for entry, source in self.plan.unreadable:
                self._put(db, _record(entry, source, FAILED, entry.error or "unreadable", now))
        self.failed += len(self.plan.unreadable)  # dangling links, unlistable folders: failures too
        for entry, _ in self.plan.unsupported + self.plan.unreadable:
            record = self.ix.manifest.get(entry.path)
            self.ix.emit(ev.FileDone(entry.path, record.status, record.reason, 0, 0, record.source, record.size))

    def _put(self, db, record: FileRecord) -> None:
        old = self.ix.manifest.get(record.path)
        if old and old.content_hash and old.content_hash != record.content_hash:
            self.touched_hashes.add(old.content_hash)
        self.ix.manifest.upsert(db, record)

    def _mark_pending(self) -> None:
        """Note every file to be (re)indexed first, so an interrupted run resumes where it was."""
        now = time.time()
        with self.ix.manifest.transaction() as db:
            for entry, source in self.plan.check:
                old = self.ix.manifest.get(entry.path)
                record = _record(entry, source, PENDING, "waiting to be indexed", now)
                if old is not None:
                    record = replace(record, content_hash=old.content_hash, attempts=old.attempts)
                self.ix.manifest.upsert(db, record)

    # -- the pipeline ---------------------------------------------------------------------------

    def _process(self, works: list[_Work]) -> list[_Work]:
        superseded: list[_Work] = []
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="archivist-read") as readers:
            futures: list[Future] = []
            next_index = 0
            for i in range(len(works)):
                while next_index < len(works) and next_index < i + PREFETCH:
                    futures.append(readers.submit(self._prepare, works[next_index]))
                    next_index += 1
                if self.cancel.is_set():
                    self.interrupted = True  # files were left: this plan is not complete
                    for future in futures[i:]:
                        future.cancel()
                    break
                work = futures[i].result()
                if work.outcome == "superseded":
                    superseded.append(work)
                elif work.outcome != "cancelled":
                    self._accept(work)
                overdue = time.monotonic() - self.last_flush >= self.ix.flush_seconds
                if overdue or sum(len(d.chunks) for _, d in self.waiting) >= EMBED_GROUP_CHUNKS:
                    self._embed_waiting()
                if overdue or sum(len(p.chunks) for _, p, _ in self.ready if p) >= FLUSH_CHUNKS:
                    self._flush()
        return superseded

    def _prepare(self, work: _Work) -> _Work:
        """Runs on a reader thread: hash the file and parse it if its content is new."""
        path = work.entry.path
        try:
            work.content_hash = file_hash(path)
        except FileNotFoundError:
            work.outcome = "vanished"
            return work
        except OSError as exc:
            reason = "access denied" if isinstance(exc, PermissionError) else f"cannot read: {exc.strerror}"
            work.outcome, work.error = "error", ParseError(FAILED, reason, retry=True)
            return work
        old = work.record
        forced = work.entry.path in self.plan.forced
        if old and old.content_hash == work.content_hash and old.status in (INDEXED, SKIPPED, FAILED) and not forced:
            # Same bytes as last time: a parse would give the same result (a corrupt file stays
            # corrupt), so only the stat changes. Indexed content must still be in the store.
            if old.status != INDEXED or self._doc_exists(work.content_hash):
                work.outcome = "unchanged"
                return work
        if self._doc_exists(work.content_hash):
            work.outcome = "link"
            return work
        try:
            work.parsed = parse_in_slices(self.ix.pool, path, self.cancel,
                                          lambda done, total: self.ix.emit(ev.FileProgress(path, done, total, "pages")),
                                          ocr=from_settings(self.ix.settings, owner=work.content_hash) or False,
                                          max_bytes=self.ix.settings.max_file_mb * 2**20)
            work.outcome = "parsed"
        except ParseError as exc:
            work.outcome, work.error = ("vanished", exc) if exc.details.get("vanished") else ("error", exc)
        except ParseCancelled:
            self.interrupted, work.outcome = True, "cancelled"  # left pending for the next run
            return work
        if work.outcome in ("parsed", "error") and restat(work.entry) != work.entry:
            work.outcome = "superseded"  # changed while we read it: read it again
        return work

    def _doc_exists(self, content_hash: str) -> bool:
        return content_hash in self.new_docs or bool(self.ix.manifest.paths_with_hash(content_hash))

    def _accept(self, work: _Work) -> None:
        now = time.time()
        entry, old = work.entry, work.record
        base = _record(entry, work.source, INDEXED, "", now, work.content_hash)
        if work.outcome == "parsed" and work.content_hash in self.new_docs:
            work.outcome = "link"  # a copy of a file read moments ago (both were read ahead)
        if work.outcome == "vanished":
            self.plan.delete.append(entry.path)
            self.meter.file_done(entry.size)
            return
        if work.outcome == "unchanged":
            self._finish(work, None, replace(old, size=entry.size, mtime_ns=entry.mtime_ns, updated_at=now))
        elif work.outcome == "link":
            self.touched_hashes.add(work.content_hash)  # its shown path may need to change
            chunks = self.new_docs.get(work.content_hash)
            if chunks is None:
                twin = self.ix.manifest.get(self.ix.manifest.paths_with_hash(work.content_hash)[0])
                chunks, kind, pages = twin.chunks, twin.kind, twin.pages
                reason = f"same content as {twin.path}" if twin.path != entry.path else ""
            else:
                kind, pages, reason = extension_of(entry.path), None, "same content as another file"
            self._finish(work, None, replace(base, chunks=chunks, kind=kind, pages=pages, reason=reason))
        elif work.outcome == "error":
            error = work.error
            same_content = old is not None and old.content_hash == work.content_hash
            attempts = (old.attempts if same_content else 0) + 1  # new content: a new problem
            retry_after = now + 60 * 2**attempts if error.retry and attempts < MAX_ATTEMPTS else None
            self.failed += error.status == FAILED
            status, reason, pages = error.status, error.reason, base.pages
            if error.retry and retry_after is None:
                reason += f" (tried {attempts} times; read again when it changes, or on Retry / sync --retry)"
            unread = tuple(error.details.get("needs_ocr_pages", ())), error.details.get("needs_ocr_pictures", 0)
            if error.reason == NO_TEXT_LAYER and any(unread):
                # A scan (or a document of pictures): no text. Flag it like a partly scanned PDF, so
                # the user sees it and sync(retry=True) reads it again once OCR is installed.
                pages = error.details.get("page_count")
                status, reason = NEEDS_OCR, ocr_needed(unread[0], pages, error.details.get("warnings", []), unread[1])
            self._finish(work, None, replace(base, status=status, reason=reason, pages=pages,
                                             attempts=attempts, retry_after=retry_after))
        else:
            self._accept_parsed(work, base)

    def _accept_parsed(self, work: _Work, base: FileRecord) -> None:
        doc, work.parsed = work.parsed, None  # its passages keep what they need: the run keeps no texts
        chunks = self.ix.ingestor.chunker.iter_chunks(doc)
        head = list(islice(chunks, parts.PART_CHUNKS + 1))
        prepared = PreparedDoc(work.content_hash, work.entry.path, doc.kind, head, envelopes=doc.envelopes)
        if len(head) > parts.PART_CHUNKS:  # too large for one commit: all but its last part go now
            self._embed_waiting()
            self._flush()
            writer = parts.PartWriter(self.ix.manifest, self.ix.store, self.ix.ingestor, self.ix.emit)
            prepared = writer.write_leading(prepared, chain(head, chunks), self.cancel)
            self.chunks_written, self.embedded = self.chunks_written + writer.written, self.embedded + writer.embedded
            if prepared is None:
                self.interrupted = True  # cancelled: the file stays pending
                return
        total = prepared.first_ordinal + len(prepared.chunks)
        status, reason = status_of(doc, bool(total))
        record = replace(base, status=status, reason=reason, kind=doc.kind, pages=doc.page_count, chunks=total)
        if not total:
            self._finish(work, None, record)
            return
        self.new_docs[work.content_hash] = total
        self.waiting.append((work, prepared))
        self.ready.append((work, prepared, record))

    def _finish(self, work: _Work, prepared: PreparedDoc | None, record: FileRecord) -> None:
        self.ready.append((work, prepared, record))

    def _embed_waiting(self) -> None:
        if self.waiting:
            self.embedded += self.ix.ingestor.embed_all([d for _, d in self.waiting])
            self.waiting.clear()

    def _flushable(self) -> list[tuple[_Work, PreparedDoc | None, FileRecord]]:
        """Items whose chunks (or, for a link, whose twin's chunks) are embedded."""
        waiting = {d.doc_id for _, d in self.waiting}
        return [item for item in self.ready if item[2].content_hash not in waiting]

    def _flush(self) -> None:
        """Commit every embedded document and its manifest record (chunks first, then records)."""
        batch = self._flushable()
        if not batch:
            return
        taken = {id(item) for item in batch}
        self.ready = [item for item in self.ready if id(item) not in taken]
        rows = ChunkRows.empty()
        replaced: set[str] = set()
        for work, prepared, record in batch:
            if prepared is not None:
                rows.extend(prepared.rows())
            old = work.record
            if old and old.content_hash and old.content_hash != record.content_hash:
                replaced.add(old.content_hash)
        leaving = {w.entry.path for w, _, _ in batch}
        drops = [h for h in replaced if h not in self.new_docs and not self._referenced_elsewhere(h, leaving)]
        # Same content read again (a retry, e.g. once OCR is installed): its rows are rewritten
        # and rows it no longer has go, in the same commit.
        reread = [p.doc_id for w, p, _ in batch
                  if p and not p.first_ordinal and w.record and w.record.content_hash == p.doc_id]
        self.ix.store.apply(rows, drop_docs=drops, rewrite_docs=reread)
        with self.ix.manifest.transaction() as db:
            for _, prepared, record in batch:
                if prepared is not None:  # a mail file's messages, in step with its passages
                    self.ix.manifest.put_envelopes(db, prepared.doc_id, prepared.envelopes)
                self.ix.manifest.upsert(db, record)
            self.ix.manifest.forget_envelopes(db, drops)
        self.touched_hashes |= replaced
        self.chunks_written += len(rows)
        self.last_flush = time.monotonic()
        for work, prepared, record in batch:
            self.meter.file_done(work.entry.size)
            self.ix.emit(ev.FileDone(record.path, record.status, record.reason, record.chunks,
                                     prepared.embedded if prepared else 0, record.source, record.size))
        self.ix.emit(self.meter.progress(self.chunks_written))

    def _referenced_elsewhere(self, content_hash: str, leaving: set[str]) -> bool:
        """Does any file other than those being rewritten still hold this content?"""
        rows = self.ix.manifest.files_with_hash(content_hash)
        return any(r.path not in leaving for r in rows)

    # -- after the pipeline ---------------------------------------------------------------------

    def _apply_deletions(self) -> int:
        gone = [p for p in dict.fromkeys(self.plan.delete) if self.ix.manifest.get(p)]
        if not gone:
            return 0
        with self.ix.manifest.transaction() as db:
            for path in gone:
                record = self.ix.manifest.get(path)
                if record.content_hash:
                    self.touched_hashes.add(record.content_hash)
                self.ix.manifest.delete(db, path)
        for path in gone:
            self.ix.emit(ev.FileRemoved(path))
        return len(gone)

    def _collect_garbage(self) -> None:
        """Drop documents no file refers to any more; re-point those whose shown path went away."""
        candidates = self.touched_hashes
        if not candidates:
            return
        stored = self.ix.store.doc_paths(candidates)
        drops, moved = [], {}
        for doc_id, shown_path in stored.items():
            holders = self.ix.manifest.paths_with_hash(doc_id)
            if not holders:
                if not self.ix.manifest.files_with_hash(doc_id):  # pending files may still want it
                    drops.append(doc_id)
            elif shown_path != display_path(holders[0]):
                # Shown under the first of its paths, as a fresh index would: the result of a
                # sync never depends on the order in which things happened.
                holder = self.ix.manifest.get(holders[0])
                moved[doc_id] = (holder.path, holder.kind)
        if moved:
            self.ix.store.repoint(moved)
        if drops:
            self.ix.store.apply(ChunkRows.empty(), drop_docs=drops)
            with self.ix.manifest.transaction() as db:
                self.ix.manifest.forget_envelopes(db, drops)


def _record(entry: Entry, source: str, status: str, reason: str, now: float,
            content_hash: str | None = None) -> FileRecord:
    return FileRecord(path=entry.path, source=source, size=entry.size, mtime_ns=entry.mtime_ns,
                      content_hash=content_hash, status=status, reason=reason,
                      kind=extension_of(entry.path), chunks=0, pages=None, attempts=0,
                      retry_after=None, updated_at=now)
