"""The index survives what happens to processes and disks.

kill -9 in the middle of a sync, a second writer, a table that is listed but cannot be opened
(lancedb #3127) and a full disk: after each, the index opens, has no duplicates, and a sync
brings it to exactly what a from-scratch index of the same folder would hold.
"""

from __future__ import annotations

import gc
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import lancedb
import pytest

from core.api import Archivist, IndexBusy
from core.config import Settings
from helpers import FACTS, FILLER, bump_mtime, write

ROOT = Path(__file__).resolve().parent.parent
MODEL = "all-MiniLM-L6-v2"


def index_state(archivist):
    """What a user can observe: every file's status and content, and every stored passage."""
    records = {(r.path, r.status, r.chunks, r.content_hash) for r in archivist.files()}
    table = archivist.store.table.search().select(["path", "page", "start", "text"]).limit(None).to_arrow()
    rows = sorted(zip(*(table.column(c).to_pylist() for c in ("path", "page", "start", "text"))))
    return records, rows


def fresh_state(make_archivist, docs, data):
    fresh = make_archivist(data=data)
    fresh.add_source(docs)
    fresh.sync()
    return index_state(fresh)


def check_consistent(archivist):
    """No duplicate chunk ids, no torn document (ordinals 0..n-1), and every file the manifest
    calls searchable has exactly its chunks in the table."""
    table = archivist.store.table.search().select(["id", "doc_id", "ordinal"]).limit(None).to_arrow().to_pylist()
    ids = [row["id"] for row in table]
    assert len(ids) == len(set(ids)), "duplicate chunks"
    ordinals: dict[str, list[int]] = {}
    for row in table:
        ordinals.setdefault(row["doc_id"], []).append(row["ordinal"])
    for doc_id, seen in ordinals.items():
        assert sorted(seen) == list(range(len(seen))), f"document {doc_id} is torn"
    for record in archivist.files():
        if record.status in ("indexed", "needs_ocr") and record.chunks:
            assert len(ordinals.get(record.content_hash, [])) == record.chunks, record


def notes(docs, count, start=0):
    for i in range(start, start + count):
        write(docs / f"d{i % 4}" / f"note{i:02}.md",
              f"# Note {i}\n\nNote {i} is about topic{i} and the number {i * 7}. {FILLER * (1 + i % 3)}\n")


# ------------------------------------------------------------------------ (a) kill -9

WRITER = r"""
import sys
from pathlib import Path
from core import events as ev
from core.api import Archivist
from core.config import Settings
from core.embedding import Embedder

def main():
    data, docs, models = sys.argv[1:4]
    def started(event):
        if isinstance(event, ev.SyncStarted):
            print("syncing", event.files, flush=True)
    archivist = Archivist(Settings(data_dir=Path(data)), embedder=Embedder("all-MiniLM-L6-v2", Path(models)),
                          on_event=started)
    archivist.indexer.flush_seconds = 0  # commit file by file: many commits to land a kill in
    archivist.add_source(docs)
    result = archivist.sync()
    print("done", result.files_done, flush=True)
    archivist.close()

if __name__ == "__main__":
    main()
"""


def start_writer(script, data_dir, docs, models_root):
    return subprocess.Popen(
        [sys.executable, str(script), str(data_dir), str(docs), str(models_root)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: the kill takes its parser workers too
    )


@pytest.mark.slow
def test_kill_9_during_sync_repeatedly(docs, data_dir, tmp_path, models_root, embedder, make_archivist):
    notes(docs, 100)  # enough work that the kills land mid-sync even on a fast machine
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    settings = Settings(data_dir=data_dir)
    rng = random.Random(28)
    killed = 0
    for round_, delay in enumerate([0.2, 1.5, 0.6, 3.0, 0.05]):
        proc = start_writer(script, data_dir, docs, models_root)
        line = proc.stdout.readline()  # "syncing N" once the plan is made and work begins
        assert line.startswith("syncing"), (line, proc.wait())
        if round_ == 0:  # (b) across processes: the running writer holds the index
            with pytest.raises(IndexBusy, match=f"pid {proc.pid}"):
                Archivist(settings, embedder=embedder)
            with Archivist(settings, embedder=embedder, read_only=True) as reader:
                reader.search("topic3")  # reading while another process writes must work
        time.sleep(delay + rng.uniform(0, 0.2))
        if proc.poll() is None:
            killed += 1
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it finished first (a fast machine): that round has nothing to recover from
        proc.wait()
        proc.stdout.close()
        with Archivist(settings, embedder=embedder, read_only=True) as reader:
            check_consistent(reader)  # the table opens and no commit is torn
        # Change the folder between crashes, so replays meet edits, deletes and copies.
        target = docs / f"d{round_ % 4}" / f"note{round_:02}.md"
        write(target, f"# Edited {round_}\n\nEdited note {round_} mentions harbour{round_}. {FILLER}\n")
        bump_mtime(target)
        (docs / f"d{(39 - round_) % 4}" / f"note{39 - round_:02}.md").unlink()
        shutil.copy2(docs / "d1" / "note05.md", docs / f"copy{round_}.md")
    assert killed >= 3, "the kills must land during a sync"

    archivist = make_archivist()
    archivist.sync()
    assert "pending" not in archivist.manifest.status_counts()
    check_consistent(archivist)
    assert index_state(archivist) == fresh_state(make_archivist, docs, tmp_path / "fresh")
    hit = archivist.search("Edited note 3 harbour3").hits[0]
    assert hit.path == str(docs / "d3" / "note03.md")


# ------------------------------------------------------------------------ (b) two writers


def test_second_writer_is_refused_and_a_reader_can_search(docs, data_dir, embedder, make_archivist):
    write(docs / "fact.md", f"# Fact\n\n{FACTS[0]}\n")
    writer = make_archivist()
    writer.add_source(docs)
    writer.sync()
    settings = Settings(data_dir=data_dir)
    with pytest.raises(IndexBusy, match=f"pid {os.getpid()}"):
        Archivist(settings, embedder=embedder)
    with Archivist(settings, embedder=embedder, read_only=True) as reader:
        assert reader.search("refund window").hits[0].path == str(docs / "fact.md")
        with pytest.raises(IndexBusy):
            reader.sync()
    writer.close()
    with Archivist(settings, embedder=embedder) as second:  # the lock goes with its holder
        assert second.sync().files_done == 0


# ------------------------------------------------------------------------ (c) lancedb #3127


@pytest.mark.parametrize("damage", ["versions_dir", "manifest_files"])
def test_listed_but_unopenable_table_is_rebuilt(docs, data_dir, tmp_path, make_archivist, damage):
    notes(docs, 8)
    shutil.copy2(docs / "d0" / "note00.md", docs / "copy.md")
    first = make_archivist()
    first.add_source(docs)
    first.sync()
    before = index_state(first)
    name = first.store.name
    first.close()

    lance_dir = data_dir / "indexes" / MODEL / "lance"
    versions = lance_dir / f"{name}.lance" / "_versions"
    if damage == "versions_dir":
        shutil.rmtree(versions)
    else:
        for manifest in versions.glob("*.manifest"):
            manifest.unlink()
    db = lancedb.connect(str(lance_dir))
    assert name in db.list_tables().tables, "still listed"
    with pytest.raises(ValueError):
        db.open_table(name)

    archivist = make_archivist()  # opens instead of failing every start
    assert archivist.store.count() == 0
    assert archivist.manifest.status_counts() == {"pending": 9}, "the lost passages are re-read"
    result = archivist.sync()
    assert result.files_done == 9 and result.embedded == 0  # vectors come from the cache
    assert index_state(archivist) == before
    check_consistent(archivist)
    assert archivist.search("Note 5 topic5").hits[0].path == str(docs / "d1" / "note05.md")
    assert archivist.sync().files_done == 0


# ------------------------------------------------------------------------ (d) disk full


def fill(mount: Path, leave: int) -> None:
    st = os.statvfs(mount)
    size = max(st.f_bavail * st.f_frsize - leave, 0)
    with open(mount / "filler", "wb") as fh:
        try:
            fh.write(b"\0" * size)
        except OSError:
            pass  # full already


@pytest.mark.slow
def test_disk_full_surfaces_an_error_keeps_the_index_and_recovers(docs, tmp_path, embedder, make_archivist):
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs: {mounted.stderr.strip()}")
    archivist = None
    try:
        settings = Settings(data_dir=mount / "data")
        for i, fact in enumerate(FACTS):
            write(docs / f"fact{i}.md", f"# Fact {i}\n\n{fact}\n")
        archivist = Archivist(settings, embedder=embedder)
        archivist.add_source(docs)
        archivist.sync()
        baseline = archivist.store.count()
        errors = []
        for level, leave in enumerate([0, 16_384, 65_536, 150_000, 400_000]):
            for i in range(12):
                write(docs / f"level{level}" / f"n{i}.md",
                      f"# Level {level} note {i}\n\nLighthouse{level} keeper {i}. {FILLER * 6}\n")
            fill(mount, leave)
            try:
                result = archivist.sync()
            except Exception as exc:  # noqa: BLE001 - the point is which error surfaces
                errors.append(f"{type(exc).__name__}: {exc}")
            else:  # no exception: then nothing may be lost silently
                assert result.failed or archivist.manifest.status_counts().get("indexed") == len(
                    archivist.files()), archivist.manifest.status_counts()
            # The index from before is intact and searchable, by the writer and by a reader.
            assert archivist.store.count() >= baseline
            assert archivist.search(FACTS[0]).hits[0].path == str(docs / "fact0.md")
            with Archivist(settings, embedder=embedder, read_only=True) as reader:
                assert reader.search(FACTS[1]).hits[0].path == str(docs / "fact1.md")
            (mount / "filler").unlink()
            archivist.sync()  # space is back: the same instance catches up
            assert "pending" not in archivist.manifest.status_counts()
            check_consistent(archivist)
        assert errors, "the disk never filled up: the test proved nothing"
        assert all("full" in e or "No space left" in e for e in errors), errors
        archivist.close()
        archivist = Archivist(settings, embedder=embedder)
        assert archivist.sync().files_done == 0
        assert index_state(archivist) == fresh_state(make_archivist, docs, tmp_path / "fresh")
    finally:
        if archivist is not None:
            archivist.close()
        archivist = reader = None
        gc.collect()  # LanceDB keeps index files open until its table objects are gone
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)  # detach it anyway
