"""The parser workers' memory cap is a cap on growth: when the worker's address space cannot be read,
no cap is set, rather than an absolute one below what the worker already maps (issue 9, item 8)."""

import builtins
import resource

import psutil
import pytest

from core.parsing import pool


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: seen.append((which, limits)))
    monkeypatch.setattr(pool.os, "nice", lambda n: 0)  # never renice the test process
    return seen


def test_the_cap_is_growth_over_what_the_worker_maps(calls):
    pool._init_worker(768)
    [(which, (soft, hard))] = calls
    assert which == resource.RLIMIT_AS and soft == hard
    assert soft - psutil.Process().memory_info().vms == pytest.approx(768 * 2**20, abs=64 * 2**20)


def test_without_psutil_the_kernel_count_is_used(calls, monkeypatch):
    monkeypatch.setattr(psutil, "Process", lambda *a: (_ for _ in ()).throw(psutil.AccessDenied()))
    pool._init_worker(768)
    [(_, (soft, _))] = calls
    assert soft > 768 * 2**20 + 50 * 2**20  # the worker's own mappings are counted


def test_an_unreadable_address_space_sets_no_cap(calls, monkeypatch):
    real_open = builtins.open
    monkeypatch.setattr(psutil, "Process", lambda *a: (_ for _ in ()).throw(psutil.AccessDenied()))
    monkeypatch.setattr(builtins, "open", lambda path, *a, **k: (_ for _ in ()).throw(PermissionError(path))
                        if str(path).startswith("/proc/self") else real_open(path, *a, **k))
    pool._init_worker(768)
    assert calls == []
