"""The index follows the folders exactly: adds, edits, renames, moves, deletes, duplicates, restarts.

Everything here is real: the bundled embedding model, LanceDB on disk, parser processes, PDFs.
"""

import os
import shutil

from core import events as ev
from core.search import Filters
from helpers import FACTS, FILLER, bump_mtime, make_pdf, snapshot_tree, write


def library(docs):
    """A small mixed library whose facts sit on known pages."""
    make_pdf(docs / "handbook.pdf",
             [FILLER * 3, FILLER + FACTS[0], FILLER * 2, FACTS[2] + " " + FILLER],
             toc=[(1, "Introduction", 1), (1, "Refunds", 2), (2, "Security", 4)])
    write(docs / "notes" / "finance.md", f"# Finance\n\n## Invoices\n\n{FILLER}\n\n{FACTS[1]}\n")
    write(docs / "notes" / "office.txt", f"{FILLER}\n\n{FACTS[3]}\n")
    write(docs / "notes" / "clip.mp4", "not indexed: a video")
    return docs


def embedded(events):
    return sum(e.embedded for e in events if isinstance(e, ev.FileDone))


def test_sync_indexes_and_finds_facts_on_the_right_page(docs, make_archivist):
    library(docs)
    before = snapshot_tree(docs)
    events = []
    archivist = make_archivist(events)
    archivist.add_source(docs)
    result = archivist.sync()
    assert result.failed == 0 and result.files_done == 3

    hit = archivist.search("How long is the refund window for Acme widgets?").hits[0]
    assert hit.path == str(docs / "handbook.pdf") and hit.page == 2
    assert "Refunds" in hit.heading
    assert "30 days" in hit.text

    hit = archivist.search("Zephyr packet encryption").hits[0]
    assert (hit.path, hit.page) == (str(docs / "handbook.pdf"), 4)
    assert hit.heading == "Refunds > Security"

    # Exact identifiers must be found by the full-text side.
    hit = archivist.search("INV-2024-0042").hits[0]
    assert hit.path == str(docs / "notes" / "finance.md") and "text" in hit.found_by
    assert hit.heading == "Finance > Invoices"
    source_text = (docs / "notes" / "finance.md").read_text()
    assert source_text[hit.start:hit.end] == hit.text  # offsets point at the exact passage

    clip = archivist.manifest.get(str(docs / "notes" / "clip.mp4"))
    assert clip.status == "skipped" and ".mp4" in clip.reason
    assert snapshot_tree(docs) == before, "Archivist must never write into the user's folders"


def test_resync_is_a_no_op_and_edit_reembeds_only_changed_chunks(docs, make_archivist):
    library(docs)
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    rows_before = archivist.store.count()
    assert archivist.sync().files_done == 0  # nothing changed: nothing read

    long_text = "\n\n".join(f"Paragraph {i}. " + FILLER * 2 for i in range(40))
    target = write(docs / "long.md", long_text)
    archivist.sync()
    events = []
    archivist.on_event = events.append
    write(target, long_text.replace("Paragraph 20. ", "Paragraph 20 now mentions the Lisbon office. "))
    bump_mtime(target)
    archivist.sync()
    assert 1 <= embedded(events) <= 3
    hit = archivist.search("Paragraph 20 Lisbon office").hits[0]
    assert hit.path == str(target) and "Lisbon" in hit.text
    old_texts = [h.text for h in archivist.search("Paragraph 20.", k=20).hits if "Paragraph 20." in h.text]
    assert old_texts == [], "the edited file's old chunks must be gone"
    assert archivist.store.count() > rows_before


def test_rename_move_and_delete_reembed_nothing(docs, make_archivist):
    library(docs)
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    rows = archivist.store.count()
    events = []
    archivist.on_event = events.append

    (docs / "archive").mkdir()
    os.rename(docs / "handbook.pdf", docs / "archive" / "handbook-2024.pdf")
    shutil.move(str(docs / "notes"), str(docs / "moved-notes"))
    archivist.sync()
    assert embedded(events) == 0
    assert archivist.store.count() == rows
    hit = archivist.search("refund window Acme").hits[0]
    assert (hit.path, hit.page) == (str(docs / "archive" / "handbook-2024.pdf"), 2)
    assert archivist.search("INV-2024-0042").hits[0].path == str(docs / "moved-notes" / "finance.md")
    assert archivist.manifest.get(str(docs / "handbook.pdf")) is None

    os.remove(docs / "archive" / "handbook-2024.pdf")
    archivist.sync()
    assert all("handbook" not in h.path for h in archivist.search("refund window Acme", k=20).hits)
    assert archivist.store.count() < rows


def test_duplicates_are_stored_once_and_survive_deleting_one_copy(docs, make_archivist):
    write(docs / "a" / "policy.md", f"# Policy\n\n{FACTS[0]}\n\n{FILLER}")
    shutil.copytree(docs / "a", docs / "b")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    hits = archivist.search("refund window", k=10).hits
    assert len({h.doc_id for h in hits if "30 days" in h.text}) == 1
    copy_b = archivist.manifest.get(str(docs / "b" / "policy.md"))
    assert copy_b.status == "indexed" and "same content" in copy_b.reason

    shutil.rmtree(docs / "a")
    archivist.sync()
    assert archivist.search("refund window").hits[0].path == str(docs / "b" / "policy.md")


def test_interrupted_sync_resumes_after_restart(docs, make_archivist, data_dir):
    for i in range(12):
        write(docs / f"note{i:02}.md", f"# Note {i}\n\nNote number {i} talks about topic{i}. {FILLER}")
    first = make_archivist()
    first.indexer.flush_seconds = 0  # commit file by file, so there is something to resume from
    first.add_source(docs)
    cancel = __import__("threading").Event()
    done = []

    def stop_after_three(event):
        if isinstance(event, ev.FileDone):
            done.append(event.path)
            if len(done) >= 3:
                cancel.set()

    first.on_event = stop_after_three
    result = first.sync(cancel=cancel)
    assert result.cancelled
    first.close()
    pending = [r for r in first.manifest.__class__(data_dir / "indexes" / "all-MiniLM-L6-v2" / "manifest.sqlite")
               .files() if r.status == "pending"]
    assert pending, "unfinished files must be remembered as pending"

    second = make_archivist()
    result = second.sync()
    assert result.files_done == len(pending)
    assert second.manifest.status_counts() == {"indexed": 12}
    ids = second.store.table.search().select(["id"]).limit(None).to_arrow().column("id").to_pylist()
    assert len(ids) == len(set(ids)), "resuming must not duplicate chunks"


def test_filters_and_per_file_diversity(docs, make_archivist):
    library(docs)
    write(docs / "other" / "cats.md", "# Cats\n\n" + "\n\n".join(
        f"Cat fact {i}: the office cat Marmalade likes box number {i}. " + FILLER for i in range(24)))
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()

    # The cat file matches best, but one passage per file while other files are waiting.
    hits = archivist.search("office cat Marmalade", k=4, per_file=1).hits
    assert len({h.doc_id for h in hits}) == 4
    assert hits[0].path == str(docs / "other" / "cats.md")
    # When only one file can fill the slots, it gets them all rather than leaving them empty.
    only_cats = archivist.search("office cat Marmalade box", k=4, per_file=1,
                                 filters=Filters(path=str(docs / "other" / "cats.md"))).hits
    assert len(only_cats) == 4

    only_notes = archivist.search("office cat", filters=Filters(folder=str(docs / "notes"))).hits
    assert only_notes and all(h.path.startswith(str(docs / "notes") + os.sep) for h in only_notes)
    only_pdf = archivist.search("refund", filters=Filters(kinds=("pdf",))).hits
    assert only_pdf and {h.kind for h in only_pdf} == {"pdf"}
    one_file = archivist.search("cat", filters=Filters(path=str(docs / "notes" / "office.txt"))).hits
    assert one_file and {h.path for h in one_file} == {str(docs / "notes" / "office.txt")}


def test_removing_a_source_forgets_its_passages_but_not_its_files(docs, make_archivist):
    library(docs)
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    assert archivist.remove_source(docs)
    assert archivist.store.count() == 0 and archivist.files() == []
    assert (docs / "handbook.pdf").exists()


def test_ignore_rules_hidden_temp_and_archivistignore(docs, make_archivist):
    write(docs / "keep.md", "# Keep\n\nThe keeper of the lighthouse.")
    write(docs / ".hidden.md", "# Hidden\n\nsecret lighthouse")
    write(docs / "draft.md~", "backup lighthouse")
    write(docs / "private" / "diary.md", "# Diary\n\nlighthouse diary")
    write(docs / "logs" / "a.txt", "lighthouse log")
    write(docs / ".archivistignore", "private/\n*.txt\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    assert [os.path.basename(r.path) for r in archivist.files()] == ["keep.md"]


def test_ignore_patterns_from_the_settings_apply_to_every_source(docs, make_archivist):
    write(docs / "keep.md", "# Keep\n\nThe keeper of the lighthouse.")
    write(docs / "drafts" / "old.md", "# Old\n\nlighthouse draft")
    write(docs / "notes.txt", "lighthouse notes")
    archivist = make_archivist(ignore_patterns=["drafts/", "*.txt"])
    archivist.add_source(docs)
    archivist.sync()
    assert [os.path.basename(r.path) for r in archivist.files()] == ["keep.md"]
    archivist.settings.ignore_patterns = []  # rules removed in the app: those files come in
    archivist.sync()
    assert sorted(os.path.basename(r.path) for r in archivist.files()) == ["keep.md", "notes.txt", "old.md"]
    archivist.settings.ignore_patterns = ["*.md"]  # and new rules take files out again
    archivist.sync()
    assert [os.path.basename(r.path) for r in archivist.files()] == ["notes.txt"]
    assert not (docs / ".archivistignore").exists()  # nothing is written into the user's folder


def test_unavailable_source_keeps_its_index(docs, tmp_path, make_archivist):
    library(docs)
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    rows = archivist.store.count()
    moved = tmp_path / "unplugged"
    os.rename(docs, moved)
    events = []
    archivist.on_event = events.append
    archivist.sync()
    assert archivist.store.count() == rows
    assert any(isinstance(e, ev.SourceUnavailable) for e in events)
    assert archivist.status().sources[0]["available"] is False
    os.rename(moved, docs)
    archivist.sync()
    assert archivist.status().sources[0]["available"] is True
    assert archivist.store.count() == rows


def test_nested_sources_are_one_tree(docs, make_archivist):
    library(docs)
    archivist = make_archivist()
    inner = archivist.add_source(docs / "notes")
    archivist.sync()
    assert archivist.add_source(docs) == str(docs)
    assert archivist.sources() == [str(docs)]
    assert archivist.add_source(docs / "notes") == str(docs)  # already covered
    archivist.sync()
    assert {r.source for r in archivist.files()} == {str(docs)}
    assert archivist.manifest.get(str(docs / "notes" / "finance.md")).status == "indexed"
    assert inner == str(docs / "notes")


def test_changing_the_passage_overlap_cuts_every_file_again(docs, make_archivist):
    long_text = "\n\n".join(f"Paragraph {n}. " + FILLER * 3 for n in range(12)) + "\n\n" + FACTS[0]
    write(docs / "long.md", "# Long\n\n" + long_text)
    write(docs / "short.md", "# Short\n\n" + FACTS[1])
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    texts = lambda: sorted(archivist.store.table.to_arrow().column("text").to_pylist())  # noqa: E731
    before = texts()
    result = archivist.set_chunk_overlap(0.0)
    assert result.files_done == 2 and result.failed == 0
    after = texts()
    assert after != before and sum(len(t) for t in after) < sum(len(t) for t in before)  # no repetition
    assert len(after) == sum(r.chunks for r in archivist.files())  # no passage of the old cut is left
    assert {r.status for r in archivist.files()} == {"indexed"}
    assert archivist.search("refund window Acme widgets").hits[0].path.endswith("long.md")
    assert archivist.settings.chunk_overlap == 0.0
