"""The index heals at start from a crash between its two stores (SQLite manifest, LanceDB table):
whatever was cut short, the next start leaves it as if the step had finished."""

import os
import shutil

from core.manifest import display_path
from helpers import FACTS, synced, write


def _docs_with_facts(docs, n):
    return [write(docs / f"n{i}.md", f"# Note {i}\n\n{FACTS[i]}") for i in range(n)]


def test_passages_of_a_file_deleted_just_before_a_crash_are_dropped_at_start(docs, make_archivist):
    first, second = _docs_with_facts(docs, 2)
    archivist = synced(make_archivist, docs)
    gone = archivist.manifest.get(str(first)).content_hash
    # The crash: the manifest forgot the file, the chunk table was not collected yet.
    with archivist.manifest.transaction() as db:
        archivist.manifest.delete(db, str(first))
    os.remove(first)
    archivist.close()

    reopened = make_archivist()
    assert gone not in reopened.store.doc_ids()
    assert all(h.path != str(first) for h in reopened.search(FACTS[0], k=10).hits)
    assert reopened.search(FACTS[1]).hits[0].path == str(second)


def test_a_rename_cut_short_before_its_passages_moved_shows_the_new_name_at_start(docs, make_archivist):
    (old,) = _docs_with_facts(docs, 1)
    archivist = synced(make_archivist, docs)
    record = archivist.manifest.get(str(old))
    new = docs / "renamed.md"
    os.rename(old, new)
    # The crash: the manifest knows the new name, the passages still carry the old one.
    with archivist.manifest.transaction() as db:
        archivist.manifest.delete(db, str(old))
        archivist.manifest.upsert(db, record.__class__(**{**record.__dict__, "path": str(new)}))
    archivist.close()

    reopened = make_archivist()
    assert reopened.store.doc_paths([record.content_hash]) == {record.content_hash: display_path(str(new))}
    assert reopened.search(FACTS[0]).hits[0].path == str(new)


def test_a_folder_move_repoints_its_files_in_one_commit(docs, make_archivist):
    sub = docs / "projects"
    sub.mkdir()
    for i in range(20):
        write(sub / f"p{i:02}.md", f"# Project {i}\n\nProject {i} is about {FACTS[i % len(FACTS)]}")
    archivist = synced(make_archivist, docs)
    before = archivist.store.table.version

    shutil.move(str(sub), str(docs / "moved"))
    archivist.sync()

    assert archivist.store.table.version - before <= 2, "one commit per moved file"
    shown = set(archivist.store.doc_paths(archivist.store.doc_ids()).values())
    assert shown == {str(docs / "moved" / f"p{i:02}.md") for i in range(20)}
