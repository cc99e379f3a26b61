"""Another process reading the index (a CLI search while the window indexes; the window when
another process writes) sees the writer's commits, survives its compaction and never destroys data."""

import os
from datetime import timedelta

import pytest

from core.api import Archivist
from core.config import Settings
from helpers import FACTS, synced, wait_for, write


def _reader(data_dir, embedder):
    return Archivist(Settings(data_dir=data_dir), embedder=embedder, read_only=True)


def _files(root):
    return {os.path.join(d, f) for d, _, names in os.walk(root) for f in names}


def test_a_reader_sees_new_commits_within_a_second(docs, data_dir, embedder, make_archivist):
    write(docs / "a.md", f"# A\n\n{FACTS[0]}")
    writer = synced(make_archivist, docs)
    reader = _reader(data_dir, embedder)
    try:
        assert reader.search(FACTS[0]).hits
        write(docs / "b.md", f"# B\n\n{FACTS[2]}")
        writer.sync()
        wait_for(lambda: any(h.path.endswith("b.md") for h in reader.search("Zephyr protocol").hits), timeout=1.5)
    finally:
        reader.close()


def test_a_reader_survives_the_writer_compacting_and_dropping_old_versions(docs, data_dir, embedder,
                                                                          make_archivist):
    write(docs / "a.md", f"# A\n\n{FACTS[0]}")
    writer = synced(make_archivist, docs)
    reader = _reader(data_dir, embedder)
    try:
        assert reader.search(FACTS[0]).hits  # the reader has read the table at this version
        for i in range(1, 4):
            write(docs / f"n{i}.md", f"# N{i}\n\n{FACTS[i]}")
            writer.sync()
        with pytest.warns(UserWarning, match="removes every version"):  # what we test: it does
            writer.store.table.optimize(cleanup_older_than=timedelta(0), delete_unverified=True)
        hits = reader.search(FACTS[0]).hits
        assert hits and hits[0].path == str(docs / "a.md")
    finally:
        reader.close()


def test_a_reader_never_drops_a_table_it_cannot_open(docs, data_dir, embedder, make_archivist):
    write(docs / "a.md", f"# A\n\n{FACTS[0]}")
    writer = synced(make_archivist, docs)
    lance_dir = writer.index.directory / "lance"
    (versions,) = lance_dir.glob("*.lance/_versions")
    hidden = versions.with_name("_versions.away")
    versions.rename(hidden)  # listed but unopenable, as after an interrupted create (lancedb #3127)
    before = _files(lance_dir)
    try:
        reader = _reader(data_dir, embedder)
        reader.close()
    except Exception as exc:  # a clear error is fine; losing the index is not
        assert "index" in str(exc).lower()
    assert _files(lance_dir) >= before, "a read-only process deleted index files"
