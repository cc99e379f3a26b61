"""Live watching with a real watchdog observer on a temp folder."""

import errno
import os
import shutil
import time

import pytest
from watchdog.observers import Observer

from core import events as ev
from core.watcher import Watcher
from helpers import FACTS, FILLER, make_pdf, wait_for, write


def top_path(archivist, query):
    hits = archivist.search(query).hits
    return hits[0].path if hits else None


@pytest.fixture
def watching(docs, make_archivist):
    started = []

    def start(events=None, **kwargs):
        archivist = make_archivist(events)
        archivist.add_source(docs)
        archivist.sync()
        watcher = Watcher(archivist, debounce_s=0.2, **kwargs)
        watcher.start()
        started.append(watcher)
        return archivist, watcher

    yield start
    for watcher in started:
        watcher.stop()


def test_create_edit_rename_move_delete_propagate(docs, watching):
    archivist, _ = watching()
    note = write(docs / "note.md", f"# Note\n\n{FACTS[3]}")
    wait_for(lambda: top_path(archivist, "office cat Marmalade") == str(note))

    write(note, f"# Note\n\n{FACTS[4]}")
    wait_for(lambda: "Lisbon" in archivist.search("board meeting Lisbon").hits[0].text)
    assert all("Marmalade" not in h.text for h in archivist.search("office cat Marmalade", k=20).hits)

    renamed = docs / "renamed.md"
    os.rename(note, renamed)
    wait_for(lambda: top_path(archivist, "board meeting Lisbon") == str(renamed))

    (docs / "sub").mkdir()
    moved = docs / "sub" / "renamed.md"
    shutil.move(str(renamed), str(moved))
    wait_for(lambda: top_path(archivist, "board meeting Lisbon") == str(moved))

    os.remove(moved)
    wait_for(lambda: archivist.store.count() == 0)
    assert archivist.files() == []


def test_atomic_save_counts_as_one_modification(docs, watching):
    target = write(docs / "doc.md", f"# Doc\n\n{FACTS[0]}")
    events = []
    archivist, _ = watching(events)
    events.clear()
    # What editors do: write a temp file next to the target, then rename it over the target.
    tmp = docs / ".goutputstream-ABC123"
    tmp.write_text(f"# Doc\n\n{FACTS[2]}", encoding="utf-8")
    os.replace(tmp, target)
    backup = write(docs / "doc.md~", "old copy")
    wait_for(lambda: "Zephyr" in archivist.search("Zephyr protocol").hits[0].text)
    time.sleep(0.6)
    done = [e for e in events if isinstance(e, ev.FileDone)]
    assert [e.path for e in done] == [str(target)]
    assert not [e for e in events if isinstance(e, ev.FileRemoved)]
    assert archivist.manifest.get(str(backup)) is None


def test_folder_moved_in_and_out_and_deleted(docs, tmp_path, watching):
    outside = tmp_path / "outside"
    make_pdf(outside / "manual.pdf", [FILLER, FACTS[2]])
    archivist, _ = watching()
    shutil.move(str(outside), str(docs / "manuals"))
    wait_for(lambda: top_path(archivist, "Zephyr protocol packets") == str(docs / "manuals" / "manual.pdf"))
    assert archivist.search("Zephyr protocol packets").hits[0].page == 2

    shutil.move(str(docs / "manuals"), str(tmp_path / "gone"))
    wait_for(lambda: archivist.store.count() == 0)


def test_burst_of_files_is_coalesced(docs, watching):
    events = []
    archivist, _ = watching(events)
    for i in range(60):
        write(docs / f"burst{i:02}.txt", f"Burst file {i} mentions code word burst{i}x.")
    wait_for(lambda: archivist.manifest.status_counts().get("indexed") == 60, timeout=60)
    syncs = [e for e in events if isinstance(e, ev.SyncStarted) and e.files]
    assert len(syncs) < 20, "events should be batched, not one sync per event"
    assert top_path(archivist, "burst37x") == str(docs / "burst37.txt")


def test_polling_mode_picks_up_changes(docs, watching):
    events = []
    archivist, watcher = watching(events, poll=True, poll_interval_s=0.5)
    assert watcher.modes[str(docs)] == "polling"
    note = write(docs / "polled.md", f"# Polled\n\n{FACTS[1]}")
    wait_for(lambda: top_path(archivist, "INV-2024-0042") == str(note))


def test_falls_back_to_polling_when_the_watch_limit_is_reached(docs, watching):
    class ExhaustedObserver(Observer):
        def schedule(self, *args, **kwargs):
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    events = []
    archivist, watcher = watching(events, observer_factory=ExhaustedObserver, poll_interval_s=0.5)
    assert watcher.modes[str(docs)] == "polling"
    mode = next(e for e in events if isinstance(e, ev.WatchMode))
    assert mode.mode == "polling" and "limit" in mode.reason
    note = write(docs / "late.md", f"# Late\n\n{FACTS[0]}")
    wait_for(lambda: top_path(archivist, "refund window Acme") == str(note))


def test_periodic_reconcile_catches_lost_events(docs, watching):
    archivist, watcher = watching(rescan_interval_s=1.0)
    watcher.pause()  # events are still collected but held; the change below must still land
    for observer in watcher._observers.values():
        observer.unschedule_all()  # simulate an overflowed queue: the events are simply lost
    watcher.resume()
    note = write(docs / "silent.md", f"# Silent\n\n{FACTS[4]}")
    wait_for(lambda: top_path(archivist, "board meeting Lisbon") == str(note), timeout=15)


def test_archivistignore_change_applies_to_existing_files(docs, watching):
    write(docs / "drafts" / "draft.md", "# Draft\n\nA draft about lighthouses.")
    archivist, _ = watching()
    assert archivist.manifest.get(str(docs / "drafts" / "draft.md"))
    write(docs / ".archivistignore", "drafts/\n")
    wait_for(lambda: archivist.manifest.get(str(docs / "drafts" / "draft.md")) is None)


def test_one_save_at_the_top_of_a_large_source_looks_at_that_file_only(docs, watching, monkeypatch):
    import core.planner

    sub = docs / "archive"
    sub.mkdir()
    for i in range(300):  # a large tree below the top folder (kept cheap: not indexable)
        (sub / f"blob{i:03}.bin").write_bytes(b"x" * (i + 1))
    archivist, _ = watching()
    scanned: list[str] = []
    real_scan = core.planner.scan

    def counting_scan(*args, **kwargs):
        for entry in real_scan(*args, **kwargs):
            scanned.append(entry.path)
            yield entry

    monkeypatch.setattr(core.planner, "scan", counting_scan)
    note = write(docs / "note.md", f"# Note\n\n{FACTS[3]}")
    wait_for(lambda: top_path(archivist, "office cat Marmalade") == str(note))
    time.sleep(1.0)  # any further round the save caused

    assert not [p for p in scanned if "archive" in p], f"{len(scanned)} files looked at for one save"
