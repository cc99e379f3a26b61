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


def many_page_pdf(path: Path, n_pages: int, body: str) -> Path:
    """A PDF of ``n_pages`` pages that all draw ``body`` (one shared content stream, so even
    10,000 pages are written in a moment), each with its own "Page N" line. Written by hand:
    pymupdf needs milliseconds per page to make one."""
    def text_ops(lines: list[str], top: int) -> bytes:
        escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
        return (f"BT /F1 9 Tf 11 TL 40 {top} Td " + " ".join(f"({s}) '" for s in escaped) + " ET").encode("latin-1")

    words = body.split()
    lines = [" ".join(words[i:i + 14]) for i in range(0, len(words), 14)]
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]

    def stream(data: bytes) -> bytes:
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    objects.append(stream(text_ops(lines, 780)))  # object 4: the shared body
    kids = []
    for n in range(1, n_pages + 1):
        own = len(objects) + 1
        objects.append(stream(text_ops([f"Page {n}"], 30)))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [4 0 R %d 0 R]"
                       b" /Resources << /Font << /F1 3 0 R >> >> >>" % own)
        kids.append(b"%d 0 R" % (own + 1))
    objects[1] = b"<< /Type /Pages /Count %d /Kids [" % n_pages + b" ".join(kids) + b"] >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path
