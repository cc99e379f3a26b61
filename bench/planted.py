"""Where the planted sentences of a generated QA library ended up: the text of every file and page
as a reader sees it, and a check that each planted sentence is on its own file and page only.

Shared by the QA sets that write DOCX, HTML, text and PDF (bench/qa_heldout.py, bench/qa_fresh.py).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import docx
import pymupdf
from lxml import html as lxml_html


def flat(text: str) -> str:
    """Whitespace collapsed, and ligatures (the PDF font writes "ﬁ" for "fi") expanded for comparing."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def texts_under(root: Path) -> dict[tuple[Path, int | None], str]:
    """Flattened text per (file, page) of everything under root (page None for formats without pages)."""
    texts = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if path.suffix == ".pdf":
            with pymupdf.open(str(path)) as doc:
                for i, page in enumerate(doc, 1):
                    texts[(rel, i)] = flat(page.get_text())
        elif path.suffix == ".docx":
            d = docx.Document(str(path))
            texts[(rel, None)] = flat("\n".join([p.text for p in d.paragraphs]
                                                + [c.text for t in d.tables for row in t.rows for c in row.cells]))
        elif path.suffix == ".html":
            texts[(rel, None)] = flat(lxml_html.fromstring(path.read_text(encoding="utf-8")).text_content())
        else:
            texts[(rel, None)] = flat(path.read_text(encoding="utf-8"))
    return texts


def where(sentence: str, texts: dict) -> list[tuple[Path, int | None]]:
    """Every (file, page) whose text holds every part of a planted sentence (a table row's cells)."""
    parts = [flat(p) for p in sentence.split(" | ")]
    return [place for place, text in texts.items() if all(part in text for part in parts)]


def check(root: Path, planted: list[tuple[str, int | None, str, str]]) -> None:
    """Each (file, page, sentence, label) is on its file and page and nowhere else."""
    texts = texts_under(root)
    for file, page, sentence, label in planted:
        found = where(sentence, texts)
        if found != [(Path(file), page)]:
            raise RuntimeError(f"{label!r}: planted sentence found at {found}, expected {file} page {page}")
