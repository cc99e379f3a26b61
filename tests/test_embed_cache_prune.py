"""The embedding cache does not grow for ever: syncing (the CLI's alone too) drops, once a day,
the vectors nothing needs any more, and keeps those that make edits and returning files cheap."""

import os
import sqlite3

import numpy as np

from core import layout
from core.embed_cache import text_hash
from helpers import FACTS, synced, write

MONTHS_AGO = 90 * 86400


def _hashes(archivist, path):
    record = archivist.manifest.get(str(path))
    return {text_hash(r["text"]) for r in archivist.store.document_rows(record.content_hash)}


def test_syncing_prunes_the_cache_of_what_nothing_needs(docs, data_dir, make_archivist):
    kept, gone, recent = (write(docs / f"{name}.md", f"# {name}\n\n{FACTS[i]}")
                          for i, name in enumerate(["kept", "gone", "recent"]))
    archivist = synced(make_archivist, docs)
    hashes = {p.stem: _hashes(archivist, p) for p in (kept, gone, recent)}
    os.remove(gone)
    os.remove(recent)
    archivist.sync()
    with sqlite3.connect(layout.cache_path(data_dir)) as db:
        # Months pass for everything but what "recent" held; a model used long ago left vectors.
        db.execute("UPDATE vectors SET used_at = used_at - ?", (MONTHS_AGO,))
        db.executemany("UPDATE vectors SET used_at = used_at + ? WHERE hash = ?",
                       [(MONTHS_AGO, h) for h in hashes["recent"]])
        db.execute("INSERT INTO vectors VALUES ('retired-model', 'h', ?, 0)", (np.zeros(8, np.float32).tobytes(),))
        db.execute("UPDATE meta SET value = '0' WHERE key = 'pruned_at'")  # a day has passed too

    archivist.sync()

    with sqlite3.connect(layout.cache_path(data_dir)) as db:
        cached = {h for (h,) in db.execute("SELECT hash FROM vectors WHERE model = ?", (archivist.embedder.name,))}
        models = {m for (m,) in db.execute("SELECT DISTINCT model FROM vectors")}
    assert hashes["kept"] <= cached, "vectors of indexed passages are needed for cheap edits"
    assert hashes["recent"] <= cached, "a file deleted recently may come back"
    assert not (hashes["gone"] - hashes["kept"]) & cached, "vectors of long-gone text are still cached"
    assert models == {archivist.embedder.name}
