"""The chunk store's one-commit writes, on a real LanceDB table."""

import numpy as np

from core.store import ChunkRows, ChunkStore


def rows_for(doc_id, texts, path="/docs/a.md"):
    rows = ChunkRows.empty()
    for i, text in enumerate(texts):
        values = dict(id=f"{doc_id}:{i}", doc_id=doc_id, path=path, kind="markdown", page=0, heading="",
                      start=0, end=len(text), ordinal=i, text=text, text_hash=str(hash(text)),
                      vector=np.random.default_rng(i).random(8).astype(np.float32))
        for key, value in values.items():
            rows.columns[key].append(value)
    return rows


def table_rows(store):
    t = store.table.search().select(["id", "text"]).limit(None).to_arrow()
    return dict(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))


def test_replace_insert_and_drop_in_one_commit(tmp_path):
    store = ChunkStore(tmp_path, "m", 8)
    store.apply(rows_for("old", ["a", "b", "c"]))
    version = store.table.version
    store.apply(rows_for("new", ["a2", "b2"]), drop_docs=["old"])
    assert store.table.version == version + 1
    assert table_rows(store) == {"new:0": "a2", "new:1": "b2"}


def test_applying_the_same_batch_twice_changes_nothing(tmp_path):
    store = ChunkStore(tmp_path, "m", 8)
    store.apply(rows_for("doc", ["a", "b"]))
    store.apply(rows_for("doc", ["a", "b"]))
    assert table_rows(store) == {"doc:0": "a", "doc:1": "b"}


def test_rewriting_a_document_updates_rows_and_drops_leftovers(tmp_path):
    """Same content read again with a different result (e.g. OCR now available)."""
    store = ChunkStore(tmp_path, "m", 8)
    store.apply(rows_for("doc", ["p1", "p2", "p3", "p4"]))
    store.apply(rows_for("other", ["x"]))
    store.apply(rows_for("doc", ["p1 with OCR", "p2 with OCR"]), rewrite_docs=["doc"])
    assert table_rows(store) == {"doc:0": "p1 with OCR", "doc:1": "p2 with OCR", "other:0": "x"}


def test_repoint_keeps_rows_and_handles_quotes_in_one_commit(tmp_path):
    store = ChunkStore(tmp_path, "m", 8)
    store.apply(rows_for("doc", ["a", "b"]))
    store.apply(rows_for("two", ["c"]))
    store.apply(rows_for("kept", ["d"]))
    before = store.table.version
    store.repoint({"doc": ("/docs/it's \"new\".md", "markdown"), "two": ("/docs/caf\udce9 END'.txt", "text")})
    assert store.table.version == before + 1
    assert store.doc_paths() == {"doc": "/docs/it's \"new\".md", "two": "/docs/caf\ufffd END'.txt",
                                 "kept": store.doc_paths(["kept"])["kept"]}
    assert table_rows(store) == {"doc:0": "a", "doc:1": "b", "two:0": "c", "kept:0": "d"}


def test_short_lived_writers_still_reach_the_optimization_cadence(tmp_path):
    """Each CLI run opens the store, writes a little and exits: the commits of all of them count
    towards the next optimization (old versions dropped, indexes folded), not only this process's."""
    optimized = []
    for run in range(6):
        store = ChunkStore(tmp_path, "m", 8)
        store.apply(rows_for(f"doc{run}", [f"text {run}"]))
        optimized.append(store.maybe_optimize(every=5))
    assert optimized[:4] == [False, False, False, True]  # as soon as 5 commits piled up across runs
    assert table_rows(ChunkStore(tmp_path, "m", 8))["doc5:0"] == "text 5"
