"""Adding, removing, syncing and the watcher's rounds run one at a time, each planned and carried
out as one step: a plan made before another step finished would act on a stale picture of the index."""

import threading

import pytest

from core import events as ev
from core.planner import Planner
from helpers import FACTS, write


class _Sink(list):
    """An event sink that can also run a hook on each event."""

    def __init__(self, hook=None):
        super().__init__()
        self.hook = hook

    def append(self, event):
        super().append(event)
        if self.hook is not None:
            self.hook(event)


def test_a_sync_racing_a_removal_never_brings_the_folder_back(docs, make_archivist, monkeypatch):
    for i in range(3):
        write(docs / f"n{i}.md", f"# Note {i}\n\n{FACTS[i]}")
    planned = threading.Event()
    real_plan = Planner.plan

    def plan_and_tell(self, *args, **kwargs):
        result = real_plan(self, *args, **kwargs)
        planned.set()
        return result

    racer: list[threading.Thread] = []

    def on_event(event):
        # The watcher noticing a change in the folder while it is being removed.
        if isinstance(event, ev.FileRemoved) and not racer:
            racer.append(threading.Thread(target=lambda: archivist.sync_paths([str(docs / "n0.md")])))
            racer[0].start()
            planned.wait(2)  # let it plan now, if it can

    archivist = make_archivist(_Sink(on_event))
    archivist.add_source(docs)
    assert archivist.sync().failed == 0
    monkeypatch.setattr(Planner, "plan", plan_and_tell)

    assert archivist.remove_source(docs)
    racer[0].join(60)

    assert archivist.sources() == []
    assert archivist.files() == []
    assert archivist.store.count() == 0, "passages of a removed folder are still searchable"


def test_a_removal_cut_short_is_finished_at_the_next_start(docs, make_archivist, monkeypatch):
    for i in range(2):
        write(docs / f"n{i}.md", f"# Note {i}\n\n{FACTS[i]}")
    archivist = make_archivist()
    archivist.add_source(docs)
    assert archivist.sync().failed == 0

    def power_cut(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(archivist.indexer, "execute", power_cut)
    with pytest.raises(RuntimeError):
        archivist.remove_source(docs)
    assert archivist.sources() == []  # gone for the user at once
    archivist.close()

    reopened = make_archivist()
    assert reopened.sources() == []
    assert reopened.files() == []
    assert reopened.store.count() == 0
