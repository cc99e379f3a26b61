"""archivist-cli answered by a running Archivist (core/ipc): what it prints is what it prints when it
opens the index itself, and whenever no instance can answer, it opens the index itself."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core import events as ev
from core.cli import read_command_line
from core.ipc import channel
from core.ipc.client import ask_instance
from core.ipc.server import InstanceServer
from helpers import FACTS, FILLER, make_pdf, wait_for, write

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, data_dir, cwd=None, timeout=300):
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "core.cli", *map(str, args)], capture_output=True, env=env,
                          cwd=cwd or ROOT, timeout=timeout)


@pytest.fixture
def library(docs):
    make_pdf(docs / "handbook.pdf", [FILLER, FILLER + FACTS[0]], toc=[(1, "Refunds", 2)])
    write(docs / "finance.md", f"# Finance\n\n{FACTS[1]}")
    write(docs / "notes" / "office.txt", f"{FILLER}\n\n{FACTS[3]}")
    (docs / os.fsdecode(b"caf\xe9-board.txt")).write_text(FACTS[4])
    return docs


@pytest.fixture
def served(make_archivist, library):
    """An indexed library, open in this process, answering the CLI on its socket."""
    archivist = make_archivist()
    archivist.add_source(library)
    assert archivist.sync().failed == 0
    server = InstanceServer(archivist, "test instance")
    assert server.start()
    yield server
    server.close()


# The commands a user runs, and where from (relative --folder and --file are the user's).
RUNS = [
    (("search", "How long is the refund window?"), None),
    (("search", "--json", "How long is the refund window?"), None),
    (("search", "-k", "2", "--per-file", "1", "--json", "office cat"), None),
    (("search", "--folder", "notes", "office cat Marmalade"), "library"),
    (("search", "--file", "finance.md", "--json", "invoice"), "library"),
    (("search", "board meeting Lisbon"), None),  # the answer is in a file whose name is not UTF-8
    (("search", "--type", "docx", "refund"), None),  # nothing found: exit 4
    (("status",), None),
    (("status", "--json"), None),
    (("files", "--json"), None),
]


def _comparable(args, stdout: bytes):
    """Search JSON without what differs between any two runs (timings) or says who answered."""
    if "--json" not in args or args[0] != "search":
        return stdout
    result = json.loads(stdout)
    result["trace"].pop("timings")
    result["trace"].pop("served_by", None)
    return result


def test_watch_answers_the_cli_with_exactly_what_it_prints_itself(library, data_dir):
    assert cli("add", library, data_dir=data_dir).returncode == 0
    where = {None: None, "library": library}
    alone = [cli(*args, data_dir=data_dir, cwd=where[cwd]) for args, cwd in RUNS]
    assert [out.returncode for out in alone] == [0, 0, 0, 0, 0, 0, 4, 0, 0, 0]
    assert b"caf\xe9-board.txt" in alone[5].stdout  # the real bytes of the name, both ways

    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    watch = subprocess.Popen([sys.executable, "-m", "core.cli", "watch"], env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: ask_instance(data_dir, ["status"], str(ROOT)), timeout=120, interval=0.2)
        via = [cli("-v", *args, data_dir=data_dir, cwd=where[cwd]) for args, cwd in RUNS]
        pid = watch.pid
    finally:
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, err.decode(errors="replace")
    for (args, _), direct, answered in zip(RUNS, alone, via):
        assert f"answered by archivist-cli watch (pid {pid})".encode() in answered.stderr, args
        assert answered.returncode == direct.returncode, args
        assert _comparable(args, answered.stdout) == _comparable(args, direct.stdout), args
    trace = json.loads(via[1].stdout)["trace"]
    assert trace["served_by"] == f"archivist-cli watch (pid {pid})"
    assert not channel.socket_path(data_dir).exists()  # removed when watch ended


def test_a_socket_left_by_a_crash_is_passed_over_at_once_and_removed(library, data_dir):
    assert cli("add", library, data_dir=data_dir).returncode == 0
    expected = cli("search", "office cat", data_dir=data_dir)
    path = channel.socket_path(data_dir)

    def leave_a_dead_socket():
        channel.make_private_dir(path.parent)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(str(path))  # bound, never listening, closed: what a killed instance leaves

    leave_a_dead_socket()
    start = time.perf_counter()
    assert ask_instance(data_dir, ["search", "office cat"], str(ROOT)) is None
    assert time.perf_counter() - start < 0.5
    assert not path.exists()

    leave_a_dead_socket()
    out = cli("-v", "search", "office cat", data_dir=data_dir)
    assert (out.returncode, out.stdout) == (0, expected.stdout)
    assert b"answered by" not in out.stderr and not path.exists()


def test_only_this_user_may_use_the_socket(served, data_dir, tmp_path):
    path = served.path
    assert stat.S_IMODE(os.lstat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    assert ask_instance(data_dir, ["status"], str(tmp_path)) is not None
    assert served.served == 1

    os.chmod(path.parent, 0o755)  # a folder others may enter: a socket there is not trusted
    try:
        assert ask_instance(data_dir, ["status"], str(tmp_path)) is None
    finally:
        os.chmod(path.parent, 0o700)
    assert served.served == 1

    if os.getuid() != 0 or not hasattr(socket, "SO_PEERCRED"):
        return
    # Another user who could reach the socket (as root can arrange) is refused on sight (SO_PEERCRED).
    os.chmod(path.parent, 0o711)
    os.chmod(path, 0o666)
    try:
        outcome = _ask_as_user_nobody(path)
    finally:
        os.chmod(path.parent, 0o700)
        os.chmod(path, 0o600)
    assert outcome == "connected, no answer"
    assert served.served == 1


def _ask_as_user_nobody(path: Path) -> str:
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            # Entered before dropping root: the test's own folders above it are 0700, and a socket
            # is then reached by its name alone (no /proc, which a non-dumpable process may not read).
            os.chdir(path.parent)
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(path.name)
                code = 0
                # Refused on sight, the request may meet a closed socket (EPIPE) or be thrown away
                # unread (ECONNRESET): either way, no answer.
                sock.sendall(b'{"v": 1, "argv": ["status"], "cwd": "/", "data_dir": "/"}\n')
                code = 0 if sock.recv(1000) == b"" else 1
        except OSError:
            code = 2 if code == 3 else code
        finally:
            os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return {0: "connected, no answer", 1: "answered", 2: "could not connect"}.get(code, f"exit {code}")


def test_commands_that_change_the_index_are_never_run_by_the_instance(served, data_dir, tmp_path):
    other = write(tmp_path / "elsewhere" / "new.md", FACTS[2]).parent
    assert ask_instance(data_dir, ["add", str(other)], str(tmp_path)) is None
    assert ask_instance(data_dir, ["remove", str(other)], str(tmp_path)) is None
    assert ask_instance(data_dir, ["search", "--no-such-option", "x"], str(tmp_path)) is None  # a newer CLI's
    assert str(other) not in served.archivist.sources() and served.served == 0

    for line in (b"not json\n", b'{"v": 99, "argv": ["status"], "cwd": "/", "data_dir": "/"}\n',
                 b'{"v": 1, "argv": "status", "cwd": "/", "data_dir": "/"}\n'):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(served.path))
            sock.sendall(line)
            reply = json.loads(sock.makefile("rb").readline())
        assert reply["v"] == channel.PROTOCOL and reply["ok"] is False, line
    assert served.served == 0


def test_the_instance_answers_only_for_its_own_data_folder(served, data_dir, tmp_path):
    other = tmp_path / "other-data"
    other.mkdir()
    # The command line's shortcut reads only the exact "--data-dir"; argparse also takes "--data".
    assert ask_instance(data_dir, ["--data", str(other), "search", "refund"], str(tmp_path)) is None
    assert ask_instance(data_dir, ["search", "--data-d", str(other), "refund"], str(tmp_path)) is None
    assert served.served == 0
    named = ["search", "--data-dir", os.path.relpath(data_dir, tmp_path), "refund"]  # relative to the client
    assert ask_instance(data_dir, named, str(tmp_path)) is not None and served.served == 1


def test_the_command_line_is_read_only_as_far_as_the_shortcut_needs():
    assert read_command_line(["search", "q"]) == ("search", None)
    assert read_command_line(["-v", "--data-dir", "/d", "--json", "status"]) == ("status", "/d")
    assert read_command_line(["--data-dir=/a", "files", "--data-dir", "/b"]) == ("files", "/b")
    assert read_command_line(["search", "--", "--data-dir", "/x"]) == ("search", None)
    assert read_command_line(["search", "-h"]) == (None, None)
    assert read_command_line(["--json"]) == (None, None)


def test_a_command_failing_in_the_instance_is_run_by_the_cli_itself(served, data_dir, tmp_path):
    def broken(*args, **kwargs):
        raise RuntimeError("the index went away")

    served.archivist.search = broken
    assert ask_instance(data_dir, ["search", "refund"], str(tmp_path)) is None
    assert served.served == 0


def test_a_search_while_indexing_is_answered_by_the_instance(make_archivist, library, data_dir):
    events = []
    archivist = make_archivist(events=events)
    archivist.add_source(library)
    assert archivist.sync().failed == 0
    for n in range(150):
        write(library / "bulk" / f"note{n:03d}.md", f"# Note {n}\n\n" + FILLER * 12 + f"\n\nNote number {n}.")
    server = InstanceServer(archivist, "test instance")
    server.start()
    syncing = threading.Thread(target=archivist.sync)
    try:
        events.clear()
        syncing.start()
        wait_for(lambda: any(isinstance(e, ev.FileDone) for e in events), timeout=120)
        out = cli("search", "--json", "Who sleeps on the server rack?", data_dir=data_dir)
        finished_before_the_answer = any(isinstance(e, ev.SyncFinished) for e in events)
    finally:
        syncing.join(timeout=600)
        server.close()
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["trace"]["served_by"].startswith("test instance")
    assert Path(result["hits"][0]["path"]).name == "office.txt"
    assert not finished_before_the_answer  # it was answered while files were being indexed
    assert any(isinstance(e, ev.SyncFinished) and e.files_done == 150 for e in events)


HEAVY_FOR_SEARCH = {"pymupdf", "docx", "bs4", "lxml", "pebble", "watchdog", "markdown_it",
                    "pandas", "torch", "transformers"}  # pandas: 0.45 s, pulled in by pyarrow when installed
HEAVY_FOR_A_CLIENT = HEAVY_FOR_SEARCH | {"lancedb", "pyarrow", "numpy", "fastembed", "onnxruntime", "tokenizers"}
# What a command line answered by an instance has no use for: the full parser and commands, settings.
SLOW_FOR_A_CLIENT = {"argparse", "dataclasses", "core.cli_commands", "core.config", "core.events", "sqlite3"}


def _imported_by_search(data_dir) -> set[str]:
    code = ("import sys\nfrom core import cli\ncode = cli.main(['search', 'office cat'])\n"
            "print(sorted(sys.modules), file=sys.stderr)\nsys.exit(code)\n")
    env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, errors="replace", env=env,
                         timeout=300)
    assert out.returncode == 0 and "office.txt" in out.stdout, out.stderr
    modules = set(eval(out.stderr.strip().splitlines()[-1]))
    return modules | {m.split(".")[0] for m in modules}


def test_a_search_loads_only_what_it_needs(served, data_dir):
    client = _imported_by_search(data_dir)  # answered by the instance
    assert not client & HEAVY_FOR_A_CLIENT and not client & SLOW_FOR_A_CLIENT
    served.close()
    alone = _imported_by_search(data_dir)
    assert {"lancedb", "fastembed"} <= alone and not alone & HEAVY_FOR_SEARCH


def test_a_data_folder_with_a_long_path_gets_its_socket_elsewhere(make_archivist, library, tmp_path):
    data = tmp_path / ("a-very-long-folder-name-" * 4) / "data"
    data.mkdir(parents=True)
    archivist = make_archivist(data=data)
    archivist.add_source(library)
    archivist.sync()
    server = InstanceServer(archivist, "test instance")
    assert server.start()
    try:
        assert not server.path.is_relative_to(data) and len(os.fsencode(server.path)) <= channel.MAX_ADDRESS
        reply = ask_instance(data, ["search", "refund window"], str(tmp_path))
    finally:
        server.close()
    assert reply is not None and "handbook.pdf" in reply.stdout
    assert not server.path.exists()
