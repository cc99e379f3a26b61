"""Adding and removing folders in the window while it watches them."""

import collections
import time

from core import events as ev
from helpers import FACTS, FILLER, wait_for, write


def _record_events(window):
    archivist = window.index.archivist
    seen: list = []
    forward = archivist.on_event

    def record(event):
        seen.append(event)
        forward(event)

    archivist.on_event = record
    return seen


def test_adding_a_folder_reads_each_file_once(window, qtbot, docs):
    for i in range(24):  # enough that the first sync outlasts the watcher's debounce
        write(docs / f"note{i:02}.md", f"# Note {i}\n\n{FACTS[i % len(FACTS)]} {FILLER}")
    seen = _record_events(window)

    window.add_paths([str(docs)])
    qtbot.waitUntil(lambda: sum(isinstance(e, ev.FileDone) for e in seen) >= 24, timeout=120_000)
    qtbot.wait(2000)  # the watcher's debounce and one more round, if it was going to do one

    done = collections.Counter(e.path for e in seen if isinstance(e, ev.FileDone))
    assert len(done) == 24
    assert set(done.values()) == {1}, f"files read more than once: {[p for p, n in done.items() if n > 1]}"


def test_removing_a_watched_folder_stops_watching_it(window, qtbot, docs):
    write(docs / "note.md", f"# Note\n\n{FACTS[0]}")
    with qtbot.waitSignal(window.index.sync_finished, timeout=120_000):
        window.add_paths([str(docs)])
    watcher = window.index.watcher
    wait_for(lambda: str(docs) in watcher.modes)

    window.index.remove_source(str(docs))
    wait_for(lambda: window.index.archivist.sources() == [])
    time.sleep(6)  # the watcher checks its sources every 5 s
    write(docs / "later.md", f"# Later\n\n{FACTS[1]}")
    time.sleep(1.0)

    assert str(docs) not in watcher.modes
    assert window.index.archivist.files() == []
    assert window.index.archivist.store.count() == 0
