"""Full garbage collections wait until the window is idle (they stalled it while indexing)."""

import gc

from desktop.idle_gc import NO_AUTOMATIC_FULL_COLLECTIONS, IdleCollector


def test_full_collections_run_only_when_idle(qtbot):
    before = gc.get_threshold()
    busy = [True]
    try:
        collector = IdleCollector(lambda: busy[0])
        assert gc.get_threshold()[2] == NO_AUTOMATIC_FULL_COLLECTIONS
        assert gc.get_threshold()[:2] == before[:2]  # young generations as usual
        full_runs = gc.get_stats()[2]["collections"]
        assert not collector.collect_if_idle() and gc.get_stats()[2]["collections"] == full_runs
        busy[0] = False
        assert collector.collect_if_idle() and gc.get_stats()[2]["collections"] > full_runs
    finally:
        gc.set_threshold(*before)
