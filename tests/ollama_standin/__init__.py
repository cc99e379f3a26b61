"""A stand-in for the Ollama server, for tests: Ollama's HTTP API on llama.cpp.

start_standin() runs it in a subprocess, so that killing it mid-stream is as
abrupt as a real server dying (kill -9: no FIN from a polite shutdown path).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

_TESTS_DIR = Path(__file__).resolve().parent.parent


class StandinHandle:
    def __init__(self, proc: subprocess.Popen, port: int, models_dir: Path, log_path: Path):
        self.process, self.port = proc, port
        self.models_dir, self.log_path = models_dir, log_path
        self.url = f"http://127.0.0.1:{port}"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown (SIGTERM), then SIGKILL if it hangs."""
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL: simulates the server dying (crash, OOM killer)."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_standin(tmp_path, port: int = 0, registry_dir=None, num_ctx: int | None = None,
                  timeout: float = 60.0, extra_env: dict | None = None) -> StandinHandle:
    """Start the stand-in in a subprocess; returns once GET / answers."""
    tmp = Path(tmp_path)
    models_dir = tmp / "ollama-models"
    models_dir.mkdir(parents=True, exist_ok=True)
    port_file, log_path = tmp / f"standin-{os.getpid()}-{time.monotonic_ns()}.port", tmp / "standin.log"
    cmd = [sys.executable, "-m", "ollama_standin", "--host", "127.0.0.1", "--port", str(port),
           "--models-dir", str(models_dir), "--port-file", str(port_file)]
    if registry_dir is not None:
        cmd += ["--registry-dir", str(registry_dir)]
    if num_ctx:
        cmd += ["--num-ctx", str(num_ctx)]
    env = dict(os.environ, **(extra_env or {}))
    # Run it as the top-level package `ollama_standin`, so a foreign `tests`
    # package elsewhere on sys.path cannot shadow ours.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_TESTS_DIR), env.get("PYTHONPATH")]))
    log = open(log_path, "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    deadline = time.monotonic() + timeout
    try:
        while not port_file.exists():
            _check(proc, log_path, deadline)
            time.sleep(0.05)
        handle = StandinHandle(proc, int(port_file.read_text()), models_dir, log_path)
        while True:
            try:
                with urllib.request.urlopen(handle.url + "/", timeout=2) as r:
                    if r.status == 200:
                        return handle
            except OSError:
                pass
            _check(proc, log_path, deadline)
            time.sleep(0.05)
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        raise


def _check(proc: subprocess.Popen, log_path: Path, deadline: float) -> None:
    if proc.poll() is not None:
        raise RuntimeError(f"ollama stand-in exited with {proc.returncode}:\n"
                           + log_path.read_text(errors="replace")[-4000:])
    if time.monotonic() > deadline:
        raise TimeoutError("ollama stand-in did not answer GET / in time:\n"
                           + log_path.read_text(errors="replace")[-4000:])
