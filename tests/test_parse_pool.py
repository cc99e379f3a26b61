"""ParserPool with real worker processes: hangs, segfaults and memory hogs are contained, the
queue goes on, and nothing is left running afterwards."""

from __future__ import annotations

import os
import time

import psutil
import pytest

from core.parsing import ParseError, ParserPool
from tests.fixtures import bad_files as bf


def _error(future, timeout=60) -> ParseError:
    with pytest.raises(ParseError) as info:
        future.result(timeout=timeout)
    return info.value


def _assert_gone(pids) -> None:
    for pid in pids:
        if psutil.pid_exists(pid):
            try:
                status = psutil.Process(pid).status()
            except psutil.NoSuchProcess:
                continue
            pytest.fail(f"worker {pid} still exists ({status})")
    zombies = [
        c for c in psutil.Process().children(recursive=True) if c.status() == psutil.STATUS_ZOMBIE
    ]
    assert not zombies


def test_parses_a_real_pdf_in_a_worker(tmp_path):
    with ParserPool(workers=1, timeout_s=60) as pool:
        doc = pool.submit(bf.good_pdf(tmp_path)).result(timeout=60)
        assert [s.page for s in doc.sections] == [1, 2, 3, 4]
        err = _error(pool.submit(bf.encrypted_pdf(tmp_path)))  # ParseError crosses processes
        assert (err.status, err.reason) == ("skipped", "encrypted: needs a password")
        doc = pool.submit(bf.mixed_pdf(tmp_path), ocr=False).result(timeout=60)  # kwargs pass
        assert doc.needs_ocr_pages == (2,)


def test_hang_is_killed_at_timeout_and_queue_continues(tmp_path):
    with ParserPool(workers=1, timeout_s=3) as pool:
        pid_before = pool._submit_callable(bf.worker_pid).result(timeout=60)
        start = time.monotonic()
        hang = pool._submit_callable(bf.sleep_forever)
        after = pool.submit(bf.good_pdf(tmp_path))  # queued behind the hang
        err = _error(hang)
        assert (err.status, err.reason) == ("failed", "parser timed out after 3 s")
        assert time.monotonic() - start < 30
        assert len(after.result(timeout=60).sections) == 4
        _assert_gone({pid_before})  # the hung worker was killed and reaped, not left behind


def test_segfault_is_reported_as_crash(tmp_path):
    with ParserPool(workers=1, timeout_s=30) as pool:
        err = _error(pool._submit_callable(bf.segfault))
        assert (err.status, err.reason) == ("failed", "parser crashed (signal 11)")
        assert len(pool.submit(bf.good_pdf(tmp_path)).result(timeout=60).sections) == 4


def test_allocation_beyond_cap_is_out_of_memory():
    with ParserPool(workers=1, timeout_s=60, memory_mb=1024) as pool:
        err = _error(pool._submit_callable(bf.allocate, 3000))
        assert (err.status, err.reason) == ("failed", "parser ran out of memory (cap 1024 MB)")
        assert pool._submit_callable(bf.allocate, 100).result(timeout=60) == 100 * 2**20


def test_workers_are_recycled_after_max_tasks():
    with ParserPool(workers=1, timeout_s=30, max_tasks=2) as pool:
        pids = [pool._submit_callable(bf.worker_pid).result(timeout=60) for _ in range(6)]
    assert len(set(pids)) == 3 and pids[0] == pids[1] != pids[2]
    _assert_gone(set(pids))


def test_a_worker_that_grew_too_big_is_replaced_and_the_task_still_runs():
    with ParserPool(workers=1, timeout_s=60, recycle_mb=300) as pool:
        leaky = pool._submit_callable(bf.hold, 400).result(timeout=60)
        same = pool._submit_callable(bf.worker_pid).result(timeout=60)  # grown: rerun elsewhere
        again = pool._submit_callable(bf.worker_pid).result(timeout=60)
    assert same != leaky and again == same
    _assert_gone({leaky, same})


def test_cancel_kills_running_task(tmp_path):
    with ParserPool(workers=1, timeout_s=120) as pool:
        hang = pool._submit_callable(bf.sleep_forever)
        time.sleep(3)  # let it start
        assert hang.cancel()
        start = time.monotonic()
        assert len(pool.submit(bf.good_pdf(tmp_path)).result(timeout=60).sections) == 4
        assert time.monotonic() - start < 30


def test_no_processes_left_after_close():
    pool = ParserPool(workers=2, timeout_s=30)
    futures = [pool._submit_callable(bf.worker_pid) for _ in range(4)]
    pids = {f.result(timeout=60) for f in futures}
    assert pids and os.getpid() not in pids
    pool.close()
    _assert_gone(pids)
    with pytest.raises(RuntimeError):
        pool.submit("anything.pdf")


def test_close_with_cancel_pending_stops_a_hung_worker_quickly():
    pool = ParserPool(workers=1, timeout_s=600)
    pid = pool._submit_callable(bf.worker_pid).result(timeout=60)
    hang = pool._submit_callable(bf.sleep_forever)
    time.sleep(2)
    start = time.monotonic()
    pool.close(cancel_pending=True)
    assert time.monotonic() - start < 20
    assert hang.done()
    _assert_gone({pid})


def test_parent_rss_stays_flat(tmp_path):
    path = bf.good_pdf(tmp_path)
    me = psutil.Process()
    with ParserPool(workers=1, timeout_s=60, max_tasks=10) as pool:
        for _ in range(5):
            pool.submit(path).result(timeout=60)
        before = me.memory_info().rss
        for _ in range(40):
            pool.submit(path).result(timeout=60)
        grown = me.memory_info().rss - before
    assert grown < 30 * 2**20, f"parent RSS grew by {grown / 2**20:.1f} MB"


def test_the_apps_parser_tasks_get_a_share_of_its_timeout_as_their_time_budget(docs, make_archivist):
    """The app hands the indexer a pool that starts workers on first use: it too tells its timeout,
    or no task got a time budget and a file's scanned pages and photos all had to fit in one timeout."""
    from core.parsing.slices import BUDGET_SHARE
    from helpers import write

    class Recording:
        timeout_s = 8

        def __init__(self):
            self.pool, self.asked = ParserPool(timeout_s=60), []

        def submit(self, path, **kwargs):
            self.asked.append(kwargs.get("time_budget_s"))
            return self.pool.submit(path, **kwargs)

        def close(self):
            self.pool.close()

    write(docs / "note.md", "# Note\n\nA short note.")
    archivist = make_archivist()
    archivist._pool = pool = Recording()
    archivist.add_source(docs)
    assert archivist.sync().failed == 0
    assert pool.asked == [8 * BUDGET_SHARE]
