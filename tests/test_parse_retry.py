"""A file that failed for a passing reason (access denied, a read error) is parsed again later, a
few times, and then left alone until it changes or the user asks: never re-hashed on every sync."""

import concurrent.futures
from dataclasses import replace

import core.indexer
from core.manifest import FAILED, INDEXED
from core.parsing.model import ParseError
from helpers import FACTS, write


class FlakyPool:
    """Fails the first ``failures`` parses as a locked file would, then parses for real."""

    def __init__(self, real, failures: int):
        self.real, self.failures, self.calls = real, failures, 0

    def submit(self, path, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            future = concurrent.futures.Future()
            future.set_exception(ParseError(FAILED, "access denied", retry=True))
            return future
        return self.real.submit(path, **kwargs)

    def close(self):
        self.real.close()


def _flaky(make_archivist, failures):
    archivist = make_archivist()
    pool = FlakyPool(archivist.parser_pool(), failures)
    archivist._pool = pool
    return archivist, pool


def _make_retry_due(archivist, path):
    record = archivist.manifest.get(path)
    assert record.retry_after is not None
    with archivist.manifest.transaction() as db:
        archivist.manifest.upsert(db, replace(record, retry_after=record.retry_after - 10**6))


def test_a_passing_failure_is_parsed_again_when_its_retry_is_due(docs, make_archivist):
    note = str(write(docs / "note.md", f"# Note\n\n{FACTS[0]}"))
    archivist, pool = _flaky(make_archivist, failures=1)
    archivist.add_source(docs)
    archivist.sync()
    assert archivist.manifest.get(note).status == FAILED

    _make_retry_due(archivist, note)
    archivist.sync()

    assert pool.calls == 2
    assert archivist.manifest.get(note).status == INDEXED
    assert archivist.search(FACTS[0]).hits[0].path == note


def test_retries_stop_after_a_few_attempts_and_the_file_is_no_longer_read(docs, make_archivist, monkeypatch):
    note = str(write(docs / "note.md", f"# Note\n\n{FACTS[0]}"))
    archivist, pool = _flaky(make_archivist, failures=10**6)
    archivist.add_source(docs)
    archivist.sync()
    for _ in range(10):
        if archivist.manifest.get(note).retry_after is None:
            break
        _make_retry_due(archivist, note)
        archivist.sync()
    record = archivist.manifest.get(note)
    assert record.retry_after is None, "retried forever"
    assert record.attempts <= 5
    assert "Retry" in record.reason

    hashed = []
    real_hash = core.indexer.file_hash
    monkeypatch.setattr(core.indexer, "file_hash", lambda path: hashed.append(path) or real_hash(path))
    archivist.sync()
    assert hashed == []

    archivist.sync(retry=True)  # the user's Retry still reads it
    assert pool.calls == record.attempts + 1
