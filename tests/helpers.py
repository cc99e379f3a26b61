"""Small builders shared by the tests: real files with known text in known places."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pymupdf


def make_pdf(path: Path, pages: list[str], toc: list[tuple[int, str, int]] | None = None) -> Path:
    """A real PDF whose page N (1-based) holds pages[N-1]; toc entries are (level, title, page)."""
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        if text:
            spare = page.insert_textbox(pymupdf.Rect(50, 50, 550, 800), text, fontsize=10)
            assert spare >= 0, "text does not fit on one page"  # pymupdf would write nothing
    if toc:
        doc.set_toc([list(t) for t in toc])
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    doc.close()
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_named(folder: Path | str, name: bytes, text: str) -> str:
    """A file whose name is raw bytes (maybe not valid UTF-8) under ``folder``, made through the bytes
    API as a user's system would; returns its path as Python sees it (``os.fsdecode``)."""
    path = os.path.join(os.fsencode(folder), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(text.encode("utf-8"))
    return os.fsdecode(path)


def bump_mtime(path: Path) -> None:
    """Make sure a rewrite is visible to size/mtime checks even on coarse-mtime filesystems."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s: {predicate}")


def snapshot_tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under root with (size, mtime): proof that Archivist wrote nothing there."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            result[p] = (st.st_size, st.st_mtime_ns)
    return result


def synced(make_archivist, folder):
    """An Archivist that has indexed ``folder`` without failures."""
    archivist = make_archivist()
    archivist.add_source(folder)
    assert archivist.sync().failed == 0
    return archivist


def add_folder_and_ask(window, qtbot, folder, question: str, model: str) -> dict:
    """Add ``folder`` in the window, wait for its sync, ask ``question`` through ``model``; the
    ``answer_finished`` result."""
    # The first sync to finish may be the catch-up one started when the index opened: wait for ours.
    with qtbot.waitSignal(window.index.sync_finished, timeout=120_000, check_params_cb=lambda f: f.files_done):
        window.add_paths([str(folder)])
    window.answers.choose_engine("ollama", model)
    window.composer.set_text(question)
    with qtbot.waitSignal(window.answers.answer_finished, timeout=180_000) as finished:
        window.composer.submit()
    return finished.args[0]


FACTS = [
    "The refund window for Acme widgets is 30 days from delivery.",
    "Invoice INV-2024-0042 was issued to Globex Corporation for 1,250 euros.",
    "The Zephyr protocol encrypts every packet with a rotating session key.",
    "Our office cat, Marmalade, sleeps on the server rack every afternoon.",
    "The quarterly board meeting takes place in the Lisbon office.",
]

FILLER = (
    "This paragraph is ordinary filler text about project management, schedules and the "
    "general state of affairs in the company. It mentions nothing in particular. "
)
