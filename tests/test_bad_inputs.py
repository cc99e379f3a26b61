"""Hostile and odd files end to end: one folder of good and bad files, one real ``sync()``.

Every good file must be indexed and findable on the right page; every bad one must get its own
status and a reason a user can act on, without stopping the batch. Real parts only: the bundled model, LanceDB, parser processes.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from core import events as ev
from core.search import Filters
from helpers import FACTS, FILLER, make_pdf, write
from tests.fixtures import bad_files as bf

ROOT = Path(__file__).resolve().parent.parent

# name in the folder → (status, a piece of the reason)
BAD = {
    "secret.pdf": ("skipped", "encrypted"),
    "truncated.pdf": ("failed", "unparseable PDF"),
    "header_only.pdf": ("failed", "unparseable PDF"),
    "scan.pdf": ("skipped", "no text layer, and OCR found no legible text"),  # pictures without words
    "empty.md": ("skipped", "empty file"),
    "notes.txt": ("skipped", "binary content"),
    "report.docx": ("skipped", "unsupported legacy Office format"),
    "bomb.docx": ("failed", "(limit 512 MB): possible zip bomb"),
    "bomb.txt.gz": ("skipped", "too large when decompressed (limit 1 MB)"),
    "big.txt": ("skipped", "too large (2 MB, limit 1 MB)"),
    "dangling.md": ("failed", "dangling link"),
    "sky.png": ("skipped", "no text found in image"),
    "cut.jpg": ("failed", "unreadable image"),
}
# name → (status, a piece of the reason); their text is searched below
GOOD = {
    "handbook.pdf": ("indexed", ""),
    "finance.md": ("indexed", ""),
    "rich.docx": ("indexed", ""),
    "owner_only.pdf": ("indexed", ""),
    "broken_xref.pdf": ("indexed", "repaired a damaged file structure"),
    "mixed.pdf": ("indexed", "OCR found no legible text on page 2"),
    os.fsdecode(b"caf\xe9-r\xe9sum\xe9.md"): ("indexed", ""),
    'it\'s a "quoted" name; $(echo).md': ("indexed", ""),
    "a/inside.md": ("indexed", ""),
    "dup1.md": ("indexed", ""),
    "copies/dup2.md": ("indexed", "same content"),
}


def build(docs: Path, scratch: Path, builder, *args) -> str:
    """Run a bad_files builder in its own scratch folder (some leave helper files there) and move
    its result into ``docs``; returns the new path (with surrogate escapes for byte names)."""
    work = scratch / builder.__name__
    work.mkdir(parents=True)
    made = builder(work, *args)
    dest = os.path.join(str(docs), os.path.basename(made))
    os.rename(made, dest)
    return dest


def library(docs: Path, scratch: Path) -> None:
    for builder in (bf.encrypted_pdf, bf.owner_only_pdf, bf.truncated_pdf, bf.header_only_pdf,
                    bf.broken_xref_pdf, bf.image_only_pdf, bf.mixed_pdf, bf.zero_byte, bf.binary_named_txt,
                    bf.ole2_renamed, bf.zip_bomb_docx, bf.gzip_bomb, bf.non_utf8_name, bf.quoted_name,
                    bf.rich_docx):
        build(docs, scratch, builder)
    make_pdf(docs / "handbook.pdf", [FILLER * 2, FILLER + FACTS[0], FILLER])
    write(docs / "finance.md", f"# Finance\n\n{FILLER}\n\n{FACTS[1]}\n")
    write(docs / "big.txt", "word " * (2 * 2**20 // 5 + 10))  # 2 MB, over max_file_mb=1
    Image.new("RGB", (400, 300), (120, 160, 210)).save(docs / "sky.png")  # a photo without words
    whole = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(whole, "JPEG")
    (docs / "cut.jpg").write_bytes(whole.getvalue()[:300])  # a download cut short
    write(docs / "a" / "inside.md", f"# Inside\n\n{FACTS[3]}\n")
    os.symlink("..", docs / "a" / "b")  # a loop: a/b/a/b/…
    os.symlink(docs / "nowhere.md", docs / "dangling.md")
    write(docs / "dup1.md", f"# Zephyr\n\n{FACTS[2]}\n")
    (docs / "copies").mkdir()
    shutil.copy2(docs / "dup1.md", docs / "copies" / "dup2.md")


def top_hit(archivist, query, **filters):
    hits = archivist.search(query, filters=Filters(**filters)).hits
    assert hits, f"nothing found for {query!r} {filters}"
    return hits[0]


@pytest.mark.slow
def test_one_sync_gives_every_file_its_status(docs, tmp_path, make_archivist):
    library(docs, tmp_path / "scratch")
    events = []
    archivist = make_archivist(events, max_file_mb=1)
    archivist.add_source(docs)
    result = archivist.sync()

    records = {os.path.relpath(r.path, docs): r for r in archivist.files()}
    assert set(records) == set(BAD) | set(GOOD), "each real file once; nothing through the a/b loop"
    for name, (status, reason) in (BAD | GOOD).items():
        record = records[name]
        assert (record.status, reason in record.reason) == (status, True), (name, record)
        if status != "indexed":
            assert record.reason.strip(), f"{name}: a bad file needs a reason"
        if status in ("skipped", "failed"):
            assert record.chunks == 0 and record.content_hash not in archivist.store.doc_ids()
    assert result.failed == sum(1 for r in records.values() if r.status == "failed")
    assert result.files_done == len(records) - 1  # all but the dangling link, which is never read
    done = {os.path.relpath(e.path, docs) for e in events if isinstance(e, ev.FileDone)}
    assert done == set(records)

    # Good files: each fact on its file and page.
    hit = top_hit(archivist, "How long is the refund window for Acme widgets?")
    assert (hit.path, hit.page) == (str(docs / "handbook.pdf"), 2) and "30 days" in hit.text
    assert top_hit(archivist, "INV-2024-0042").path == str(docs / "finance.md")
    assert top_hit(archivist, "Marmalade the office cat").path == str(docs / "a" / "inside.md")
    assert top_hit(archivist, "Costs fell by four percent").path == str(docs / "rich.docx")
    for name in ("owner_only.pdf", "broken_xref.pdf"):
        hit = top_hit(archivist, "seville oranges and sugar ratios", path=str(docs / name))
        assert hit.page == 2 and "seville oranges" in hit.text
    # A partly scanned PDF: its text pages are searchable, its picture page (no words) is noted.
    mixed = archivist.search("page", k=10, filters=Filters(path=str(docs / "mixed.pdf"))).hits
    assert {h.page for h in mixed} == {1, 3}
    assert "Charlie page" in top_hit(archivist, "second chapter about storage jars",
                                     path=str(docs / "mixed.pdf")).text

    # Odd names: the real (non-UTF-8) path comes back, and quotes survive a path filter.
    cafe = os.path.join(str(docs), os.fsdecode(b"caf\xe9-r\xe9sum\xe9.md"))
    hit = top_hit(archivist, "Ordered espresso twice")
    assert hit.path == cafe and os.path.exists(hit.path)
    quoted = str(docs / 'it\'s a "quoted" name; $(echo).md')
    hits = archivist.search("Names with quotes must parse", filters=Filters(path=quoted)).hits
    assert hits and {h.path for h in hits} == {quoted}

    # Exact duplicates: both paths recorded, one set of chunks.
    one, two = records["dup1.md"], records["copies/dup2.md"]
    assert one.content_hash == two.content_hash and one.chunks == two.chunks >= 1
    table = archivist.store.table.search().select(["doc_id", "text"]).limit(None).to_arrow().to_pylist()
    assert sum(1 for row in table if row["doc_id"] == one.content_hash) == one.chunks
    assert all(row["text"].strip() for row in table), "no empty or whitespace chunks"
    zephyr = archivist.search(FACTS[2], k=10).hits
    assert len({h.doc_id for h in zephyr if "Zephyr" in h.text}) == 1


def test_failed_files_are_not_reread_until_they_change(docs, tmp_path, make_archivist):
    scratch = tmp_path / "scratch"
    truncated = build(docs, scratch, bf.truncated_pdf)
    for builder in (bf.header_only_pdf, bf.encrypted_pdf, bf.zero_byte, bf.binary_named_txt):
        build(docs, scratch, builder)
    os.symlink(docs / "target.md", docs / "dangling.md")
    write(docs / "good.md", f"# Good\n\n{FACTS[4]}\n")
    events = []
    archivist = make_archivist(events)
    archivist.add_source(docs)
    archivist.sync()
    counts = archivist.manifest.status_counts()
    assert counts == {"failed": 3, "skipped": 3, "indexed": 1}

    events.clear()
    again = archivist.sync()
    assert again.files_done == 0 and again.failed == 0
    assert not [e for e in events if isinstance(e, ev.FileDone)], "nothing may be read again"
    assert archivist.manifest.status_counts() == counts

    # Fix two of them: only those are read, and they are indexed now.
    fixed = Path(bf.good_pdf(scratch, "fixed.pdf"))
    os.replace(fixed, truncated)
    write(docs / "target.md", f"# Target\n\n{FACTS[3]}\n")
    events.clear()
    result = archivist.sync()
    read = sorted(os.path.basename(e.path) for e in events if isinstance(e, ev.FileDone))
    assert read == ["dangling.md", "target.md", "truncated.pdf"]
    assert result.files_done == 3
    assert archivist.manifest.get(truncated).status == "indexed"
    assert archivist.manifest.get(str(docs / "dangling.md")).status == "indexed"
    assert top_hit(archivist, "seville oranges", path=truncated).page == 2


def test_file_vanishing_between_scan_and_read(docs, make_archivist):
    write(docs / "keep.md", f"# Keep\n\n{FACTS[0]}\n")
    gone = write(docs / "gone.md", f"# Gone\n\n{FACTS[1]}\n")
    started = []

    def delete_when_started(event):
        if isinstance(event, ev.SyncStarted):
            started.append(event.files)
            gone.unlink()

    archivist = make_archivist()
    archivist.on_event = delete_when_started
    archivist.add_source(docs)
    result = archivist.sync()
    assert started == [2], "both files were planned before one vanished"
    assert result.failed == 0
    assert archivist.manifest.get(str(gone)) is None
    assert [os.path.basename(r.path) for r in archivist.files()] == ["keep.md"]
    assert all(h.path != str(gone) for h in archivist.search(FACTS[1], k=10).hits)

    # The same, with the file deleted between plan() and execute().
    archivist.on_event = lambda event: None
    later = write(docs / "later.md", f"# Later\n\n{FACTS[2]}\n")
    plan = archivist.plan()
    assert [e.path for e, _ in plan.check] == [str(later)]
    later.unlink()
    archivist.indexer.execute(plan)
    assert archivist.manifest.get(str(later)) is None
    assert archivist.manifest.status_counts() == {"indexed": 1}
    assert archivist.store.doc_ids() == {archivist.manifest.get(str(docs / "keep.md")).content_hash}


UNREADABLE_RUN = r"""
import json, os, sys
from pathlib import Path
from core.api import Archivist
from core.config import Settings
from core.embedding import Embedder

def main():
    data, docs, models, locked = sys.argv[1:5]
    try:
        open(locked, "rb").close()
        print(json.dumps({"denied": False}))
        return
    except PermissionError:
        pass
    archivist = Archivist(Settings(data_dir=Path(data)), embedder=Embedder("all-MiniLM-L6-v2", Path(models)))
    archivist.add_source(docs)
    first, second = archivist.sync(), archivist.sync()
    files = {os.path.basename(r.path): [r.status, r.reason, r.retry_after] for r in archivist.files()}
    hits = [h.path for h in archivist.search("refund window Acme").hits]
    archivist.close()
    print(json.dumps({"denied": True, "first": first.files_done, "second": second.files_done,
                      "failed": first.failed, "files": files, "hits": hits}))

if __name__ == "__main__":
    main()
"""


def _drop_file_access_override():
    """In the child before exec: root loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (from the
    bounding set, so the exec'd Python and its parser workers never get them back), and then
    obeys file modes like any user. setuid(nobody) cannot work here: the interpreter lives
    under /root, which only root may enter."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="capability drop is Linux-only")
def test_unreadable_file_is_access_denied_without_a_retry_loop(docs, data_dir, tmp_path, models_root):
    locked = bf.unreadable(docs)  # chmod 000
    write(docs / "good.md", f"# Good\n\n{FACTS[0]}\n")
    script = tmp_path / "unreadable_run.py"
    script.write_text(UNREADABLE_RUN)
    as_root = os.geteuid() == 0
    try:
        run = subprocess.run(
            [sys.executable, str(script), str(data_dir), str(docs), str(models_root), locked],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
            timeout=300, preexec_fn=_drop_file_access_override if as_root else None,
        )
    finally:
        os.chmod(locked, 0o600)  # let pytest clean up
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    if not out["denied"]:
        pytest.skip("could not drop the right to read any file (no CAP_SETPCAP?)")
    status, reason, retry_after = out["files"]["locked.md"]
    assert (status, reason) == ("failed", "access denied")
    assert retry_after is not None, "access denied is retried later, with backoff"
    assert out["files"]["good.md"][0] == "indexed" and out["hits"][0] == str(docs / "good.md")
    assert (out["first"], out["failed"], out["second"]) == (2, 1, 0), "no tight retry loop"
