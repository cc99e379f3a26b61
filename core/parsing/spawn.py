"""A "spawn" start method for parser workers that skips re-importing the app's main module.

Plain spawn re-runs the parent's ``__main__`` imports in every worker (for the desktop app: Qt,
LanceDB, ONNX Runtime), about 2 s of CPU per worker, taken from embedding while a sync runs.
Workers only need ``core.parsing``, which the pickled task names itself. Elsewhere than POSIX
the standard spawn context is used.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import threading

try:
    from multiprocessing import popen_spawn_posix, spawn
except ImportError:  # Windows
    popen_spawn_posix = None

_patch_lock = threading.Lock()


def _lean_preparation_data(original):
    def prepare(name):
        data = original(name)
        data.pop("init_main_from_name", None)
        data.pop("init_main_from_path", None)
        return data

    return prepare


if popen_spawn_posix is not None:

    class _LeanPopen(popen_spawn_posix.Popen):
        def _launch(self, process_obj):
            # popen_spawn_posix looks this function up at call time; swap it for this launch only.
            with _patch_lock:
                original = spawn.get_preparation_data
                spawn.get_preparation_data = _lean_preparation_data(original)
                try:
                    super()._launch(process_obj)
                finally:
                    spawn.get_preparation_data = original

    class _LeanProcess(multiprocessing.context.SpawnProcess):
        @staticmethod
        def _Popen(process_obj):
            return _LeanPopen(process_obj)

    class _LeanContext(multiprocessing.context.SpawnContext):
        Process = _LeanProcess


def parser_context() -> multiprocessing.context.BaseContext:
    if popen_spawn_posix is None:
        return multiprocessing.get_context("spawn")
    return _LeanContext()
