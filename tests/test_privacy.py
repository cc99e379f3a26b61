"""Private by proof: add, sync, search, ask, summarize and watch, run as a user runs them, never
reach past this machine and write nowhere but the data folder and Archivist's own cache folder.

Every process the CLI starts (parser workers and the engine process too) runs under two guards
that record each name lookup and socket destination and refuse those leaving the machine:
net_guard/sitecustomize.py for Python code, net_guard/netguard.c (LD_PRELOAD, compiled here)
for native code, which is where ONNX Runtime's telemetry lives. HOME, the XDG folders and TMPDIR
point at empty temporary folders, and a proxy is configured, as on many office desktops."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import FACTS, FILLER, make_pdf, snapshot_tree, write
from scans import mixed_pdf, scan
from ollama_env import MODEL

ROOT = Path(__file__).resolve().parent.parent
GUARD = Path(__file__).resolve().parent / "net_guard"
QUESTION = "How long is the refund window for Acme widgets?"
# Switches the product sets for itself: the child processes must get them from Archivist, not from
# this test process (which has imported core, and with it core.privacy).
PRODUCT_SWITCHES = ("ORT_DISABLE_TELEMETRY", "HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK",
                    "NO_PROXY", "no_proxy")
# ONNX Runtime uploads when a process ends and, while it runs, every few seconds (the first time
# about 9 s after loading here): watch runs longer than that, as the window and `watch` do for hours.
WATCH_S = 12


def native_guard(build_dir: Path) -> Path | None:
    """netguard.so built with the C compiler `make test` already needs for llama.cpp (None: no
    compiler, or not Linux; the Python guard still runs)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not sys.platform.startswith("linux") or compiler is None:
        return None
    library = build_dir / "netguard.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", str(library), str(GUARD / "netguard.c"), "-ldl"],
                   check=True, capture_output=True)
    return library


def guarded_env(root: Path, log: Path, native: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k not in PRODUCT_SWITCHES}
    folders = {"HOME": root / "home", "XDG_CACHE_HOME": root / "cache", "XDG_RUNTIME_DIR": root / "runtime",
               "TMPDIR": root / "tmp"}
    for path in folders.values():
        path.mkdir(mode=0o700)
    env.update({k: str(v) for k, v in folders.items()})
    # A proxy for http:// (Ollama's scheme): a request to Ollama that went through it would look this
    # name up. https:// (ONNX Runtime's upload) stays direct, so each leak shows under its own name.
    env.update(HTTP_PROXY="http://proxy.invalid:3128", http_proxy="http://proxy.invalid:3128")
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), str(GUARD)]), ARCHIVIST_NET_LOG=str(log),
               ARCHIVIST_DATA_DIR=str(root / "data"))
    if native is not None:
        env["LD_PRELOAD"] = " ".join(filter(None, [str(native), env.get("LD_PRELOAD")]))
    return env


def read_log(log: Path) -> list[list[str]]:
    """[pid, layer, verdict, call, destination] per line (see net_guard/)."""
    return [line.split(" ", 4) for line in log.read_text(encoding="utf-8").splitlines()]


class Run:
    def __init__(self, root: Path, env: dict, log: Path, native: Path | None):
        self.root, self.env, self.log, self.native = root, env, log, native
        self.failed: list[str] = []

    def cli(self, *args, seconds: float | None = None) -> None:
        """Run a command to its end, or for ``seconds`` and then Ctrl-C; a failure is kept for
        test_every_command_did_its_work (a refused connection may well be what made it fail)."""
        proc = subprocess.Popen([sys.executable, "-m", "core.cli", *map(str, args)], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if seconds is not None:
            time.sleep(seconds)
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=240)
        if proc.returncode != 0:
            self.failed.append(f"{args[0]} (exit {proc.returncode}): {err.decode(errors='replace')[-1500:]}")


@pytest.fixture(scope="module")
def run(tmp_path_factory, server_url):
    root = tmp_path_factory.mktemp("privacy")
    docs = root / "docs"
    make_pdf(docs / "handbook.pdf", [FILLER, FILLER + FACTS[0]], toc=[(1, "Refunds", 2)])
    write(docs / "finance.md", f"# Finance\n\n{FACTS[1]}")
    # A scanned page: OCR (RapidOCR on ONNX Runtime, in a parser worker) runs under the guards too.
    mixed_pdf(docs / "scan.pdf", [scan("The harbour master retires in May.", dpi=150, size=(420, 298))], dpi=150)
    log = root / "net.log"
    native = native_guard(tmp_path_factory.mktemp("guard"))
    guarded = Run(root, guarded_env(root, log, native), log, native)
    guarded.env["OLLAMA_HOST"] = server_url
    guarded.docs_changed = []

    def step(*args, **kwargs):
        before = snapshot_tree(docs)
        guarded.cli(*args, **kwargs)
        if snapshot_tree(docs) != before:
            guarded.docs_changed.append(args[0])

    step("add", docs)
    write(docs / "notes.md", "# Notes\n\nThe warehouse in Leeds closes at 6 pm on Fridays.\n")
    step("sync")
    step("search", "refund window")
    step("search", "harbour master")
    step("ask", "--engine", "ollama", "--model", MODEL, QUESTION)
    step("summarize", "--engine", "embedded", docs / "finance.md")
    step("watch", seconds=WATCH_S)
    return guarded


@pytest.mark.slow
def test_nothing_leaves_the_machine(run):
    lines = read_log(run.log)
    refused = [" ".join(line) for line in lines if line[2] == "deny"]
    assert not refused, "destinations beyond this machine:\n" + "\n".join(refused)

    # The guards were there to see: in every process, children included, and on the way to Ollama.
    started = {line[0]: line[3:] for line in lines if line[1:3] == ["python", "start"]}
    assert len(started) >= 7  # six commands, then parser workers and the engine process
    assert any("spawn_main" in " ".join(argv) for argv in started.values())
    port = run.env["OLLAMA_HOST"].rsplit(":", 1)[1]
    assert any(line[1:4] == ["python", "allow", "connect"] and f", {port})" in line[4] for line in lines)
    if run.native is not None:
        assert set(started) <= {line[0] for line in lines if line[1:3] == ["native", "load"]}
        assert any(line[1:4] == ["native", "allow", "connect"] and line[4].endswith(f":{port}") for line in lines)


@pytest.mark.slow
def test_every_command_did_its_work(run):
    assert not run.failed, "\n".join(run.failed)


@pytest.mark.slow
def test_nothing_is_written_outside_the_data_and_cache_folders(run):
    own_cache = run.root / "cache" / "archivist"
    written = []
    for folder in ("home", "cache", "runtime", "tmp"):
        written += [p for p in snapshot_tree(run.root / folder) if not Path(p).is_relative_to(own_cache)
                    and Path(p) != own_cache]
    assert not written, "written outside the data folder:\n" + "\n".join(sorted(written))
    assert run.docs_changed == []  # the user's folder is only ever read
    assert (run.root / "data" / "indexes").is_dir()  # the data folder is where the work went
    assert (run.root / "data" / "ocr_cache.sqlite").is_file()  # OCR ran, under the guards, and kept its results there


def test_the_guards_see_and_refuse_a_lookup_and_a_connection(tmp_path):
    """Without this, the tests above could pass with a guard that records nothing."""
    log = tmp_path / "net.log"
    native = native_guard(tmp_path)
    env = guarded_env(tmp_path, log, native)
    probe = ("import ctypes, socket\n"
             "for call in (lambda: socket.getaddrinfo('example.invalid', 80),\n"
             "             lambda: socket.socket().connect(('192.0.2.1', 80))):\n"
             "    try: call()\n"
             "    except OSError: pass\n"
             "ctypes.CDLL(None).gethostbyname(b'native.example.invalid')\n")
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, timeout=60)
    refused = {(line[1], line[3], line[4]) for line in read_log(log) if line[2] == "deny"}
    assert {("python", "getaddrinfo", "example.invalid"), ("python", "connect", "('192.0.2.1', 80)")} <= refused
    if native is not None:
        assert ("native", "gethostbyname", "native.example.invalid") in refused


# What each program, or process Archivist starts, imports first; the last is the frozen bundle's
# runtime hook, which build.spec runs before either program's own code.
ENTRIES = ["import core.cli", "import desktop.app", "import core.parsing.pool", "import core.llm.engine_process",
           "import runpy; runpy.run_path('scripts/pyi_rth_privacy.py')"]


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_entry_point_switches_telemetry_off_before_onnxruntime_loads(entry, tmp_path):
    """ONNX Runtime writes its device id on import (pymupdf >= 2 imports it with core.parsing)."""
    assert "runtime_hooks=[\"scripts/pyi_rth_privacy.py\"]" in (ROOT / "build.spec").read_text()
    env = guarded_env(tmp_path, tmp_path / "net.log", None)
    check = f"{entry}\nimport onnxruntime, os\nprint(os.environ['ORT_DISABLE_TELEMETRY'], os.environ['HF_HUB_OFFLINE'])"
    out = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, cwd=ROOT,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "1"]
    written = [p for folder in ("home", "cache", "tmp") for p in snapshot_tree(tmp_path / folder)]
    assert not written
