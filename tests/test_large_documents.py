"""Huge files neither stall questions nor grow memory: a question waits for one embedding batch,
a document with many passages is committed in bounded parts (and a crash mid-document leaves no
orphan), and a long PDF reports its pages and can be cancelled within seconds.

Real parts throughout: the bundled model, LanceDB on disk, parser processes, real PDFs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest

from core import events as ev
from core import parts
from core.chunking import Chunk
from core.embed_cache import EmbeddingCache
from core.ingest import Ingestor, PreparedDoc
from core.parsing import ParserPool, slices
from core.store import ChunkStore
from helpers import FACTS, FILLER, bump_mtime, make_pdf, many_page_pdf, write
from test_durability import ROOT, check_consistent, fresh_state, index_state

WORDS = ("harbour lantern orchard meadow copper violet granite willow saffron ember quarry "
         "tidewater falcon juniper ledger compass thistle marble cinder walnut").split()


def long_text(paragraphs: int, tag: str) -> str:
    """Distinct paragraphs (so no passage comes from the embedding cache), one fact in each."""
    out = []
    for i in range(paragraphs):
        words = " ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(60))
        out.append(f"Paragraph {i} of the {tag} ledger: crate {tag}-{i} weighs {i * 13 + 7} kilograms. {words}.")
    return "\n\n".join(out) + "\n"


def doc_ids(archivist) -> set[str]:
    return archivist.store.doc_ids()


# ------------------------------------------------------------------------ questions during indexing


def test_a_question_waits_for_one_batch_not_for_the_whole_document(embedder, tmp_path):
    """The indexer embeds through Ingestor.embed_all; a question asked meanwhile gets the model
    after the batch in progress, not after all of the document's passages."""
    cache = EmbeddingCache(tmp_path / "cache.sqlite", embedder.name, embedder.dim)
    ingestor = Ingestor(embedder, chunker=None, cache=cache)
    passages = [f"Passage {i} about {WORDS[i % len(WORDS)]} and {WORDS[(i * 3) % len(WORDS)]}. " + FILLER * 4
                for i in range(256)]  # ~10 s of embedding
    embedder.embed_query("warm up")
    doc = PreparedDoc("d", "big.txt", "text", [Chunk(p, 0, len(p), None, ()) for p in passages])
    finished = {}

    def index() -> None:
        ingestor.embed_all([doc])
        finished["at"] = time.monotonic()

    indexing = threading.Thread(target=index)
    started = time.monotonic()
    indexing.start()
    time.sleep(1.0)  # well into the document
    asked = time.monotonic()
    embedder.embed_query("How heavy is crate 7?")
    answered = time.monotonic()
    indexing.join()
    cache.close()
    assert finished["at"] - answered > 1.0, "the question waited for the whole document"
    assert answered - asked < (finished["at"] - started) / 4  # about one batch, not the rest
    assert len(doc.vectors) == len(passages)


# ------------------------------------------------------------------------ commits in bounded parts


class Recorder(list):
    """An event sink that also lets a test act on each event as it happens (on the core's thread)."""

    def __init__(self, on_event=None):
        super().__init__()
        self.on_event = on_event

    def append(self, event) -> None:
        super().append(event)
        if self.on_event:
            self.on_event(event)


def test_a_large_document_is_committed_in_bounded_parts(docs, tmp_path, make_archivist, monkeypatch):
    monkeypatch.setattr(parts, "PART_CHUNKS", 8)
    embedded_at_once, written_at_once = [], []
    real_embed_all, real_apply = Ingestor.embed_all, ChunkStore.apply

    def embed_all(self, docs_):
        embedded_at_once.append(sum(len(d.chunks) for d in docs_))
        return real_embed_all(self, docs_)

    def apply(self, rows, *args, **kwargs):
        written_at_once.append(len(rows))
        return real_apply(self, rows, *args, **kwargs)

    monkeypatch.setattr(Ingestor, "embed_all", embed_all)
    monkeypatch.setattr(ChunkStore, "apply", apply)
    big = write(docs / "ledger.txt", long_text(60, "old"))
    events = Recorder()
    archivist = make_archivist(events)
    archivist.add_source(docs)
    archivist.sync()
    record = archivist.manifest.get(str(big))
    assert record.status == "indexed" and record.chunks > 3 * 8
    assert max(embedded_at_once) <= 8 and max(written_at_once) <= 8, "a part is at most PART_CHUNKS passages"
    done = [e.done for e in events if isinstance(e, ev.FileProgress)]
    assert done == list(range(8, record.chunks, 8))
    check_consistent(archivist)
    assert archivist.search("crate old-0 weight").hits[0].text.startswith("Paragraph 0 ")
    assert "crate old-59 weighs" in archivist.search("crate old-59 weight").hits[0].text
    monkeypatch.setattr(parts, "PART_CHUNKS", 100_000)  # the same folder indexed in one commit
    assert index_state(archivist) == fresh_state(make_archivist, docs, tmp_path / "whole")
    monkeypatch.setattr(parts, "PART_CHUNKS", 8)

    # New content for the file: the old passages stay searchable until the final commit.
    old_hash = record.content_hash
    seen = []

    def during_part(event):
        if isinstance(event, ev.FileProgress):
            seen.append((archivist.manifest.get(str(big)).content_hash, parts.unfinished_doc(archivist.manifest),
                     doc_ids(archivist)))

    events.on_event = during_part
    write(big, long_text(50, "new"))
    bump_mtime(big)
    archivist.sync()
    new = archivist.manifest.get(str(big))
    assert seen and all(pending == old_hash and old_hash in stored and unfinished == new.content_hash
                        and new.content_hash in stored for pending, unfinished, stored in seen)
    assert doc_ids(archivist) == {new.content_hash}
    check_consistent(archivist)
    assert not any("the old ledger" in hit.text for hit in archivist.search("crate old-3 weight", k=20).hits)


WRITER = r"""
import sys, time
from pathlib import Path
from core import events as ev, parts
from core.api import Archivist
from core.config import Settings
from core.embedding import Embedder

parts.PART_CHUNKS = 8
data, docs, models = sys.argv[1:4]

def on_event(event):
    if isinstance(event, ev.FileProgress) and event.done >= 16:
        print("parts written", flush=True)
        time.sleep(60)  # the test kills this process here, between two parts

archivist = Archivist(Settings(data_dir=Path(data)), embedder=Embedder("all-MiniLM-L6-v2", Path(models)),
                      on_event=on_event)
archivist.add_source(docs)
archivist.sync()
print("finished", flush=True)
"""


def crash_mid_document(script, data_dir, docs, models_root) -> None:
    proc = subprocess.Popen([sys.executable, str(script), str(data_dir), str(docs), str(models_root)],
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "parts written"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()


@pytest.mark.slow
def test_a_crash_between_parts_leaves_no_orphan(docs, data_dir, tmp_path, models_root, make_archivist, monkeypatch):
    monkeypatch.setattr(parts, "PART_CHUNKS", 8)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    big = write(docs / "ledger.txt", long_text(8, "first"))  # small: one commit
    write(docs / "other.md", f"# Other\n\n{FACTS[0]}\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    first = archivist.manifest.get(str(big)).content_hash
    archivist.close()

    # kill -9 between two parts of the file's new content; then the same content is redone.
    write(big, long_text(60, "second"))
    bump_mtime(big)
    crash_mid_document(script, data_dir, docs, models_root)
    archivist = make_archivist()
    record = archivist.manifest.get(str(big))
    assert (record.status, record.content_hash) == ("pending", first)  # its old content is what it holds
    unfinished = parts.unfinished_doc(archivist.manifest)
    assert unfinished is not None and first in doc_ids(archivist)
    assert unfinished not in doc_ids(archivist)  # the parts no file holds went at start (reconcile)
    assert "crate first-2" in archivist.search("crate first-2 weight").hits[0].text  # the old content still answers
    redo = archivist.sync()
    record = archivist.manifest.get(str(big))
    assert (record.status, record.content_hash) == ("indexed", unfinished)
    assert redo.embedded <= record.chunks - 16  # the parts written before the crash come from the cache
    check_consistent(archivist)
    assert index_state(archivist) == fresh_state(make_archivist, docs, tmp_path / "fresh1")
    archivist.close()

    # kill -9 again mid-document, then the file changes before the redo: the parts of the content
    # that never got recorded must not stay behind.
    write(big, long_text(60, "third"))
    bump_mtime(big)
    crash_mid_document(script, data_dir, docs, models_root)
    write(big, long_text(5, "fourth"))
    bump_mtime(big)
    archivist = make_archivist()
    archivist.sync()
    assert "pending" not in archivist.manifest.status_counts()
    assert doc_ids(archivist) == {r.content_hash for r in archivist.files()}
    check_consistent(archivist)
    assert index_state(archivist) == fresh_state(make_archivist, docs, tmp_path / "fresh2")
    assert parts.unfinished_doc(archivist.manifest) is None


def test_cancelling_between_parts_drops_them_and_leaves_the_file_pending(docs, make_archivist, monkeypatch):
    monkeypatch.setattr(parts, "PART_CHUNKS", 8)
    big = write(docs / "ledger.txt", long_text(60, "cancelled"))
    cancel = threading.Event()
    archivist = make_archivist(Recorder(lambda event: isinstance(event, ev.FileProgress) and cancel.set()))
    archivist.add_source(docs)
    result = archivist.sync(cancel)
    assert result.cancelled and result.chunks_written == 0
    assert archivist.manifest.get(str(big)).status == "pending"
    assert archivist.store.count() == 0 and parts.unfinished_doc(archivist.manifest) is None
    assert archivist.sync().files_done == 1  # the next run does it
    check_consistent(archivist)


# ------------------------------------------------------------------------ long PDFs


def test_a_long_pdf_reports_its_pages_and_is_indexed_whole(docs, make_archivist):
    pages = [f"Page {n} of the long manual. " + FILLER for n in range(1, 121)]
    pages[116] += " " + FACTS[2]
    pdf = make_pdf(docs / "manual.pdf", pages, toc=[(1, "Start", 1), (1, "Security", 117)])
    events = []
    archivist = make_archivist(events)
    archivist.add_source(docs)
    assert archivist.sync().failed == 0
    progress = [(e.done, e.total, e.unit) for e in events if isinstance(e, ev.FileProgress)]
    assert progress == [(50, 120, "pages"), (100, 120, "pages"), (120, 120, "pages")]
    record = archivist.manifest.get(str(pdf))
    assert (record.status, record.pages) == ("indexed", 120)
    hit = archivist.search("Zephyr protocol packet encryption").hits[0]
    assert (hit.path, hit.page, hit.heading) == (str(pdf), 117, "Security")


def long_epub(path, chapters: int) -> str:
    """An EPUB that MuPDF lays out to well over 50 pages."""
    import zipfile

    body = "".join(f"<p>{long_text(1, f'ch{{n}}-{i}')}</p>" for i in range(40))
    items = "".join(f'<item id="c{n}" href="c{n}.xhtml" media-type="application/xhtml+xml"/>' for n in range(chapters))
    spine = "".join(f'<itemref idref="c{n}"/>' for n in range(chapters))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" xmlns='
                    '"urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="content.opf" '
                    'media-type="application/oebps-package+xml"/></rootfiles></container>')
        zf.writestr("content.opf", '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="2.0" '
                    'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Ledgers'
                    '</dc:title><dc:identifier id="id">x1</dc:identifier><dc:language>en</dc:language></metadata>'
                    f"<manifest>{items}</manifest><spine>{spine}</spine></package>")
        for n in range(chapters):
            zf.writestr(f"c{n}.xhtml", '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/'
                        f'xhtml"><head><title>C{n}</title></head><body><h1>Chapter {n}</h1>'
                        f"{body.replace('{n}', str(n))}</body></html>")
    return str(path)


def test_windows_of_pages_add_up_to_the_whole_document(tmp_path):
    """A PDF is read 50 pages a task; a reflowable EPUB (laid out anew by every task) in two
    tasks; either way the result is what one task reading the whole file gives."""
    pdf = str(make_pdf(tmp_path / "manual.pdf", [f"Page {n}. {FILLER}" for n in range(1, 121)],
                       toc=[(1, "Start", 1), (1, "End", 101)]))
    book = long_epub(tmp_path / "ledgers.epub", chapters=12)

    class Windows:
        def __init__(self, pool):
            self.pool, self.asked = pool, []

        def submit(self, path, **kwargs):
            self.asked.append(kwargs["page_range"])
            return self.pool.submit(path, **kwargs)

    with ParserPool() as pool:
        for path in (pdf, book):
            windows, progress = Windows(pool), []
            doc = slices.parse_in_slices(windows, path, threading.Event(), lambda *p: progress.append(p))
            whole = pool.submit(path).result()
            assert doc == whole
            count = whole.page_count
            assert count > 2 * slices.SLICE_PAGES and progress[-1] == (count, count)
            if path == pdf:
                assert windows.asked == [(1, 50), (51, 100), (101, 120)]
            else:
                assert windows.asked == [(1, 50), (51, count)]


def test_a_10000_page_pdf_can_be_cancelled_within_seconds(docs, make_archivist, monkeypatch):
    monkeypatch.setattr(slices, "SLICE_PAGES", 500)  # a window takes seconds: the cancel lands inside one
    pdf = many_page_pdf(docs / "huge.pdf", 10_000, FILLER * 30)  # ~30 s to read whole here
    cancel = threading.Event()
    cancelled = {}

    def cancel_now():
        cancelled["workers"] = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
        cancelled["at"] = time.monotonic()
        cancel.set()

    def on_event(event):
        if isinstance(event, ev.FileProgress) and "workers" not in cancelled:
            cancelled["workers"] = []
            threading.Timer(0.3, cancel_now).start()  # while the next window is being read

    events = Recorder(on_event)
    archivist = make_archivist(events)
    archivist.add_source(docs)
    before = {p.pid for p in psutil.Process().children(recursive=True)}  # parser workers start later
    result = archivist.sync(cancel)
    took = time.monotonic() - cancelled["at"]
    assert result.cancelled and took < 5.0, f"cancelling took {took:.1f} s"
    progress = [(e.done, e.total, e.unit) for e in events if isinstance(e, ev.FileProgress)]
    assert progress == [(500, 10_000, "pages")]
    record = archivist.manifest.get(str(pdf))
    assert record.status == "pending"  # read again by the next sync
    assert archivist.store.count() == 0
    time.sleep(1.0)
    assert cancelled["workers"] and not all(p.is_running() for p in cancelled["workers"]), \
        "the parsing worker must be stopped"


def test_the_command_line_shows_a_large_files_own_progress(capsys):
    from core.cli_commands import Reporter

    reporter = Reporter(json_mode=False)
    reporter.on_event(ev.SyncStarted(1, 3_000_000))
    reporter.on_event(ev.FileProgress("/docs/huge.pdf", 1200, 10_000, "pages"))
    reporter.on_event(ev.FileProgress("/docs/big.txt", 4096, None, "passages"))
    reporter.on_event(ev.SyncFinished(1, 0, 0, 0, 0, 1.0))
    shown = capsys.readouterr().err
    assert "huge.pdf: page 1,200 of 10,000" in shown and "big.txt: 4,096 passages indexed so far" in shown
