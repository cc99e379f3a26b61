"""The one facade the CLI, the desktop app and the tests use: ``Archivist``.

One process at a time may write an index (a lock file in the data dir); others open it read-only
and can still search. Each embedding model has its own index directory, so a model change
builds a new index beside the old one and switches over only when it is complete.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import filelock

from core import events as ev
from core.config import Settings
from core.embedding import Embedder
from core.ignore import IgnoreRules
from core.index import Index
from core.mail_filter import with_messages
from core.manifest import FileRecord
from core.planner import Plan, Planner
from core.scope import Scope
from core.search import Filters, Hit, SearchResult
from core import layout

log = logging.getLogger(__name__)


class IndexBusy(RuntimeError):
    """Another Archivist process is writing this index."""


class SourceError(ValueError):
    """A folder or file that cannot be added as a source."""


@dataclass(frozen=True)
class Status:
    data_dir: str
    model: str
    dim: int
    sources: list[dict]
    counts: dict[str, int]
    chunks: int
    read_only: bool


class Archivist:
    def __init__(self, settings: Settings | None = None, *, data_dir: Path | None = None,
                 embedder: Embedder | None = None, parser_pool=None,
                 on_event: ev.EventSink = ev.ignore_event, read_only: bool = False):
        self.settings = settings or Settings.load(data_dir)
        self.data_dir = Path(self.settings.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.on_event = on_event
        self.read_only = read_only
        self._lock = None if read_only else _acquire_writer_lock(self.data_dir)
        self._pool = parser_pool
        self._pool_lock = threading.Lock()
        self._switch_lock = threading.Lock()
        # Plan and carry out as one step: add, remove, sync and the watcher's rounds never
        # interleave (a plan made while another step runs acts on a stale picture of the index).
        self._writer = threading.RLock()
        self.watcher = None
        active = layout.active_model(self.data_dir, self.settings.embedding_model)
        embedder = embedder or self._embedder(active)
        self.index = Index(self.data_dir, self.settings, embedder, _LazyPool(self), self._emit, read_only)
        if not read_only:
            layout.set_active_model(self.data_dir, embedder.name)
            self.index.reconcile()
            self.index.reread_older_readers()
            for source in self.manifest.sources_being_removed():  # cut short by a crash
                self._finish_removal(source)

    def _embedder(self, model: str) -> Embedder:
        return Embedder(model, layout.models_dir(self.data_dir), batch_size=self.settings.embed_batch_size)

    # The parts of the index in use (they change together when the model changes).
    embedder = property(lambda self: self.index.embedder)
    manifest = property(lambda self: self.index.manifest)
    store = property(lambda self: self.index.store)
    indexer = property(lambda self: self.index.indexer)
    searcher = property(lambda self: self.index.searcher)
    ingestor = property(lambda self: self.index.ingestor)

    @property
    def pending_model(self) -> str | None:
        """A model chosen in the settings whose index is not built yet (see ``switch_model``)."""
        chosen = self.settings.embedding_model
        return chosen if chosen != self.embedder.name else None

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        self.stop_watching()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self.index.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> "Archivist":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _emit(self, event: ev.Event) -> None:
        try:
            self.on_event(event)
        except Exception:  # a broken listener must never stop indexing
            log.exception("event listener failed on %r", event)

    def parser_pool(self):
        with self._pool_lock:
            if self._pool is None:
                from core.parsing.pool import ParserPool

                self._pool = ParserPool(timeout_s=self.settings.parse_timeout_s,
                                        memory_mb=self.settings.parse_memory_mb)
            return self._pool

    # -- sources --------------------------------------------------------------------------------

    def add_source(self, path: str | os.PathLike) -> str:
        """Watch a folder or file from now on (when watching); the next sync indexes it."""
        self._require_writer()
        source = os.path.abspath(os.path.expanduser(os.fspath(path)))
        if not os.path.exists(source):
            raise SourceError(f"{source} does not exist")
        if not (os.path.isdir(source) or os.path.isfile(source)):
            raise SourceError(f"{source} is neither a folder nor a file")
        data = os.path.abspath(self.data_dir)
        if source == data or source.startswith(data + os.sep):
            raise SourceError(f"{source} is inside Archivist's own data folder")
        with self._writer:
            existing = self.sources()
            covering = next((s for s in existing if _inside(source, s)), None)
            if covering is not None:
                return covering  # already watched as part of a larger source
            self.manifest.add_source(source)
            for inner in (s for s in existing if _inside(s, source)):
                self.manifest.absorb_source(inner, into=source)  # one watch for the whole tree
                if self.watcher is not None:
                    self.watcher.unwatch(inner)
        if self.watcher is not None:
            self.watcher.watch(source)  # before the caller's sync: no change can fall between
        return source

    def remove_source(self, path: str | os.PathLike) -> bool:
        """Stop watching a source and drop its files from the index (the files stay on disk)."""
        self._require_writer()
        source = os.path.abspath(os.path.expanduser(os.fspath(path)))
        if source not in {r["path"] for r in self.manifest.sources(include_removing=True)}:
            return False
        self.manifest.mark_removing(source)  # hidden from sources() now: nothing plans for it again
        if self.watcher is not None:
            self.watcher.unwatch(source)
        self._finish_removal(source)
        return True

    def _finish_removal(self, source: str) -> None:
        with self._writer:
            self.indexer.execute(Plan(delete=[r.path for r in self.manifest.files(source=source)]))
            self.manifest.remove_source(source)

    def sources(self) -> list[str]:
        return [r["path"] for r in self.manifest.sources()]

    # -- indexing -------------------------------------------------------------------------------

    def rules(self) -> IgnoreRules:
        return IgnoreRules(self.sources(), exclude=[str(self.data_dir)], patterns=self.settings.ignore_patterns)

    def planner(self, index: Index | None = None) -> Planner:
        return Planner((index or self.index).manifest, self.extensions(), self.settings.follow_symlinks)

    def extensions(self) -> set[str]:
        from core.parsing import SUPPORTED_EXTENSIONS

        chosen = self.settings.extensions or list(SUPPORTED_EXTENSIONS)
        return {e.lower().lstrip(".") for e in chosen}

    def plan(self, retry: bool = False, index: Index | None = None) -> Plan:
        """Compare every source with the manifest (a catch-up scan; reads no file contents)."""
        index = index or self.index
        plan, rules, planner = Plan(), self.rules(), self.planner(index)
        for source in self.sources():
            if not os.path.exists(source):
                self._source_missing(source, plan, index)
                continue
            index.manifest.set_source_available(source, True)
            plan.merge(planner.plan(source, source, rules, retry=retry))
        return plan

    def _source_missing(self, source: str, plan: Plan, index: Index | None = None) -> None:
        """Keep a vanished source's index for a grace period: it may be an unplugged disk."""
        manifest = (index or self.index).manifest
        manifest.set_source_available(source, False)
        row = next(r for r in manifest.sources() if r["path"] == source)
        missing_for = time.time() - (row["unavailable_since"] or time.time())
        if missing_for > self.settings.unavailable_grace_s:
            plan.delete.extend(r.path for r in manifest.files(source=source))
            reason = f"missing for {missing_for / 86400:.0f} days; its passages were removed"
        else:
            reason = "not found (unplugged, unmounted or renamed?); its passages are kept for now"
        self._emit(ev.SourceUnavailable(source, reason))

    def switch_model(self, model: str, cancel: threading.Event | None = None) -> bool:
        """Index everything again with another embedding model, beside the current index (which
        keeps answering meanwhile), then switch to it in one step. Returns False if cancelled;
        calling it again resumes where it stopped. Vectors of two models are never mixed."""
        self._require_writer()
        if model == self.embedder.name:
            return True
        new = Index(self.data_dir, self.settings, self._embedder(model), _LazyPool(self), self._emit)
        try:
            new.reread_older_readers()  # a build resumed from an older version reads those files again
            wanted = set(self.sources())
            for source in wanted - {r["path"] for r in new.manifest.sources()}:
                new.manifest.add_source(source)
            for source in {r["path"] for r in new.manifest.sources()} - wanted:
                new.manifest.remove_source(source)
            self._emit(ev.RebuildStarted(self.embedder.name, model))
            result = new.indexer.execute(self.plan(index=new), cancel)
        except BaseException:
            new.close()
            raise
        if result.cancelled:
            new.close()
            return False
        with self._writer, self._switch_lock:
            old, self.index = self.index, new
            layout.set_active_model(self.data_dir, model)
            self.settings.embedding_model = model
            self.settings.save()
        self.sync(cancel)  # what changed on disk while the new index was being built
        old.close()
        shutil.rmtree(old.directory, ignore_errors=True)
        self._emit(ev.ModelSwitched(old.embedder.name, model))
        return True

    def set_chunk_overlap(self, overlap: float, cancel: threading.Event | None = None) -> ev.SyncFinished:
        """Change how much each passage repeats of the previous one, and index everything again
        with it, in place (searches keep working; an interrupted run resumes at the next sync)."""
        self._require_writer()
        if not 0.0 <= overlap <= 0.5:
            raise ValueError("the overlap is a share of a passage, between 0 and 0.5")
        with self._writer:
            self.settings.chunk_overlap = overlap
            self.settings.save()
            self.index.rechunk(self.settings)
            return self.sync(cancel)

    def sync(self, cancel: threading.Event | None = None, retry: bool = False) -> ev.SyncFinished:
        self._require_writer()
        with self._writer:
            finished = self.indexer.execute(self.plan(retry=retry), cancel)
            self.index.maybe_prune_cache()
            return finished

    def sync_paths(self, paths: list[str], cancel: threading.Event | None = None, retry: bool = False,
                   shallow: list[str] = ()) -> ev.SyncFinished | None:
        """Bring specific paths (files or folders, present or gone) in step: the watcher's entry.
        Folders in ``shallow`` are checked for the files directly in them only (their listing
        changed; a folder inside them that changed sends its own event). ``retry`` also re-reads
        those that failed or needed OCR (a user's "Retry")."""
        self._require_writer()
        deep = _outermost(paths)
        shallow = [d for d in dict.fromkeys(map(os.path.normpath, shallow)) if not any(_inside(d, p) for p in deep)]
        with self._writer:
            rules, planner = self.rules(), self.planner()
            plan = Plan()
            for path, recursive in [(p, True) for p in deep] + [(d, False) for d in shallow]:
                source = rules.root_of(path)
                if source is None:
                    continue
                if not os.path.exists(source):
                    self._source_missing(source, plan)
                    continue
                plan.merge(planner.plan(path, source, rules, retry=retry, recursive=recursive))
            if not plan:
                return None
            finished = self.indexer.execute(plan, cancel)
            self.index.maybe_prune_cache()
            return finished

    # -- watching -------------------------------------------------------------------------------

    def start_watching(self, **options):
        """Keep the index in step with the sources from now on (a background thread); sources
        added or removed later are watched or dropped with them. Returns the Watcher."""
        from core.watcher import Watcher

        self._require_writer()
        if self.watcher is None:
            self.watcher = Watcher(self, **options)
            self.watcher.start()
        return self.watcher

    def stop_watching(self) -> None:
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()

    # -- reading --------------------------------------------------------------------------------

    def _reading(self):
        """The current index, kept open until the caller is done (a model switch waits for it)."""
        with self._switch_lock:
            return self.index.in_use()

    def search(self, query: str, k: int = 8, filters: Filters = Filters(), per_file: int = 3,
               sentence_rerank: bool = True) -> SearchResult:
        """Filters see every file exactly and hits are shown under the file that matched (core/scope.py)."""
        with self._reading() as index:  # one index for the whole search, kept open until it is done
            result = index.searcher.search(query, k=k, scope=Scope.of(filters, index.manifest), per_file=per_file,
                                           sentence_rerank=sentence_rerank)
            return with_messages(result, index.manifest)  # mail hits: who sent them, to whom, when

    def passages(self, path: str) -> list[Hit]:
        """Every indexed passage of one file in reading order; [] when it is not indexed."""
        with self._reading() as index:
            record = index.manifest.get(os.path.normpath(os.path.abspath(path)))
            if record is None or record.status != "indexed" or not record.content_hash:
                return []
            return [Hit(r["doc_id"], record.path, r["kind"], r["page"] or None, r["heading"] or "", r["start"],
                        r["end"], r["text"], 0.0) for r in index.store.document_rows(record.content_hash)]

    def files(self, status: str | None = None, source: str | None = None) -> list[FileRecord]:
        with self._reading() as index:
            return index.manifest.files(source=source, status=status)

    def status(self) -> Status:
        with self._reading() as index:
            manifest, counts = index.manifest, index.manifest.files_per_source()
            sources = [{"path": r["path"], "available": bool(r["available"]), "files": counts.get(r["path"], 0)}
                       for r in manifest.sources()]
            return Status(str(self.data_dir), index.embedder.name, index.embedder.dim, sources,
                          manifest.status_counts(), index.store.count(), self.read_only)

    def _require_writer(self) -> None:
        if self.read_only:
            raise IndexBusy("this index is open read-only (another Archivist process is writing it)")


class _LazyPool:
    """Starts parser processes only when a file actually needs parsing."""

    def __init__(self, archivist: Archivist):
        self._archivist = archivist

    def submit(self, path: str, **kwargs):
        return self._archivist.parser_pool().submit(path, **kwargs)

    @property
    def timeout_s(self) -> float | None:
        """The parser's task timeout: slices.py gives each task a share of it as its time budget
        for OCR (without it, a file's scanned pages or photos all had to fit in one timeout)."""
        return getattr(self._archivist.parser_pool(), "timeout_s", None)


def _acquire_writer_lock(data_dir: Path) -> filelock.BaseFileLock:
    lock = filelock.FileLock(str(data_dir / "writer.lock"))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        owner = (data_dir / "writer.pid").read_text().strip() if (data_dir / "writer.pid").exists() else "?"
        raise IndexBusy(f"another Archivist process (pid {owner}) is indexing {data_dir}") from None
    (data_dir / "writer.pid").write_text(str(os.getpid()))
    return lock


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _outermost(paths: list[str]) -> list[str]:
    """Drop paths inside other listed folders: planning a folder covers what is in it."""
    ordered = sorted({os.path.normpath(p) for p in paths}, key=len)
    kept: list[str] = []
    for path in ordered:
        if not any(path.startswith(k.rstrip(os.sep) + os.sep) for k in kept):
            kept.append(path)
    return kept
