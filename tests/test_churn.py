"""After any sequence of file operations, the live index equals a from-scratch index of the folder."""

import os
import random
import shutil
import time

import pytest

from core.watcher import Watcher
from helpers import FACTS, FILLER, make_pdf, wait_for, write

WORDS = "alpha beta gamma delta widget invoice lighthouse harbour ledger".split()


def index_state(archivist):
    records = {(r.path, r.status, r.chunks, r.content_hash) for r in archivist.files()}
    table = archivist.store.table.search().select(["path", "page", "start", "text"]).limit(None).to_arrow()
    rows = sorted(zip(*(table.column(c).to_pylist() for c in ("path", "page", "start", "text"))))
    return records, rows


def random_text(rng):
    return "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60))) + "."
                       for _ in range(rng.randint(1, 6)))


class Churner:
    def __init__(self, root, seed):
        self.root = root
        self.rng = random.Random(seed)
        self.counter = 0

    def files(self):
        return sorted(p for p in self.root.rglob("*") if p.is_file() and not p.name.startswith("."))

    def dirs(self):
        return [self.root] + sorted(p for p in self.root.rglob("*") if p.is_dir())

    def new_name(self, suffix):
        self.counter += 1
        return f"f{self.counter}{suffix}"

    def step(self):
        op = self.rng.choice(["create", "create", "edit", "edit", "rename", "move", "delete", "mkdir",
                              "copy", "atomic", "rmdir"])
        files, dirs = self.files(), self.dirs()
        if op == "create" or not files:
            folder = self.rng.choice(dirs)
            if self.rng.random() < 0.2:
                make_pdf(folder / self.new_name(".pdf"), [random_text(self.rng) for _ in range(3)])
            else:
                write(folder / self.new_name(self.rng.choice([".md", ".txt"])), random_text(self.rng))
        elif op == "edit":
            target = self.rng.choice(files)
            if target.suffix != ".pdf":
                with open(target, "a", encoding="utf-8") as fh:
                    fh.write("\n\n" + random_text(self.rng))
        elif op == "atomic":
            target = self.rng.choice(files)
            if target.suffix != ".pdf":
                tmp = target.with_name(".tmp-" + target.name)
                tmp.write_text(random_text(self.rng), encoding="utf-8")
                os.replace(tmp, target)
        elif op == "rename":
            target = self.rng.choice(files)
            target.rename(target.with_name(self.new_name(target.suffix)))
        elif op == "move":
            target = self.rng.choice(files)
            shutil.move(str(target), str(self.rng.choice(dirs) / self.new_name(target.suffix)))
        elif op == "copy":
            target = self.rng.choice(files)
            shutil.copy2(target, self.rng.choice(dirs) / self.new_name(target.suffix))
        elif op == "delete":
            self.rng.choice(files).unlink()
        elif op == "mkdir":
            (self.rng.choice(dirs) / self.new_name("")).mkdir()
        elif op == "rmdir" and len(dirs) > 1:
            victim = self.rng.choice(dirs[1:])
            if self.rng.random() < 0.5:
                shutil.rmtree(victim)
            else:
                shutil.move(str(victim), str(self.root / self.new_name("")))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_churn_ends_equal_to_a_fresh_index(docs, tmp_path, make_archivist, seed):
    make_pdf(docs / "base.pdf", [FILLER, FACTS[0]])
    live = make_archivist()
    live.add_source(docs)
    live.sync()
    watcher = Watcher(live, debounce_s=0.1)
    watcher.start()
    churner = Churner(docs, seed)
    try:
        for _ in range(80):
            churner.step()
            time.sleep(churner.rng.choice([0, 0, 0.01, 0.05, 0.3]))
        fresh = make_archivist(data=tmp_path / "fresh-data")
        fresh.add_source(docs)
        fresh.sync()
        expected = index_state(fresh)
        # The watcher must get there on its own (no manual sync).
        wait_for(lambda: index_state(live) == expected, timeout=60, interval=0.5)
    finally:
        watcher.stop()
    records, rows = index_state(live)
    assert len(records) == len(churner.files())
    ids = live.store.table.search().select(["id"]).limit(None).to_arrow().column("id").to_pylist()
    assert len(ids) == len(set(ids))
