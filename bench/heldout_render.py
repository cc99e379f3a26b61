"""Rendering for bench/qa_heldout.py: documents given as blocks become DOCX, HTML, Markdown, text and
typeset PDFs. A block's text may be a key of SENTENCES, which stands for its planted sentence.
"""

from __future__ import annotations

import html
import random
from pathlib import Path

import docx
import pymupdf

from corpus import ParagraphPool

SENTENCES: dict[str, str] = {}  # key → planted sentence; bench/qa_heldout.py fills it


def _t(text: str) -> str:
    return SENTENCES.get(text, text)



class Filler:
    def __init__(self, pool: ParagraphPool):
        self.pool = pool

    def expand(self, blocks: list, min_chars: int = 0) -> list:
        """("fill", n) → n filler paragraphs (marked "fill" so a page can drop them to fit); then more
        at the end until the blocks hold ``min_chars`` characters (a PDF page drops what does not fit)."""
        out = []
        for kind, value in blocks:
            if kind == "fill":
                out += [("fill", self.pool.draw()) for _ in range(value)]
            else:
                out.append((kind, value))
        size = sum(len(_t(v)) if isinstance(v, str) else sum(len(_t(x)) for x in v) for _, v in out)
        while size < min_chars:
            out.append(("fill", self.pool.draw()))
            size += len(out[-1][1])
        return out


def _rows(rows: list[str]) -> list[list[str]]:
    return [[c.strip() for c in _t(row).split(" | ")] for row in rows]


def _to_html(blocks: list) -> str:
    out = []
    for kind, value in blocks:
        e = html.escape
        if kind in ("h1", "h2"):
            out.append(f"<{kind}>{e(_t(value))}</{kind}>")
        elif kind in ("p", "fill"):
            out.append(f"<p>{e(_t(value))}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{e(_t(v))}</li>" for v in value) + "</ul>")
        elif kind == "lines":
            out.append("<p>" + "<br>".join(e(_t(v)) for v in value) + "</p>")
        elif kind == "leaders":
            lines = [f"{label} {'.' * max(3, 34 - len(label))} {amount}" for label, amount in _rows(value)]
            out.append("<pre>" + "\n".join(e(line) for line in lines) + "</pre>")
        elif kind == "table":
            rows = _rows(value)
            head = "<tr>" + "".join(f"<th>{e(c)}</th>" for c in rows[0]) + "</tr>"
            body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
            out.append(f"<table>{head}{body}</table>")
    return "\n".join(out)


PAGE_CHARS = 4500  # filler drawn per PDF page; what does not fit is dropped, so pages end up full
_PDF_CSS = ("body {font-family: sans-serif; font-size: 9pt;} h1 {font-size: 15pt;} h2 {font-size: 11pt;} "
            "pre {font-family: monospace; font-size: 8.5pt;} td, th {border: 1px solid #888; padding: 2px;}")


def _fit(page, rect: pymupdf.Rect, blocks: list) -> None:
    """Write blocks into rect; drop filler paragraphs from the end until the rest fits."""
    blocks = list(blocks)
    while True:
        spare, _ = page.insert_htmlbox(rect, _to_html(blocks), css=_PDF_CSS, scale_low=1)
        if spare >= 0:
            return
        fills = [i for i, (kind, _) in enumerate(blocks) if kind == "fill"]
        if not fills:
            raise RuntimeError(f"planted text does not fit on a page: {blocks[:2]}")
        del blocks[fills[-1]]


def write_pdf(path: Path, pages: list, columns: bool = False) -> None:
    doc = pymupdf.open()
    for spec in pages:
        page = doc.new_page()  # A4-ish default (595 × 842)
        if not columns:
            _fit(page, pymupdf.Rect(50, 50, 545, 792), spec)
            continue
        top, left, right = spec
        y = 50
        if top:
            with pymupdf.open() as scratch:  # measure the full-width part, then put the columns below it
                spare, _ = scratch.new_page().insert_htmlbox(pymupdf.Rect(50, 50, 545, 400), _to_html(top),
                                                             css=_PDF_CSS, scale_low=1)
            if spare < 0:
                raise RuntimeError("datasheet header too long")
            _fit(page, pymupdf.Rect(50, 50, 545, 400), top)
            y = 50 + (350 - spare) + 12
        _fit(page, pymupdf.Rect(50, y, 290, 792), left)
        _fit(page, pymupdf.Rect(305, y, 545, 792), right)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.set_metadata({"title": path.stem.replace("-", " ")})
    doc.save(str(path))
    doc.close()


def write_docx(path: Path, blocks: list) -> None:
    d = docx.Document()
    for kind, value in blocks:
        if kind == "h1":
            d.add_heading(_t(value), level=1)
        elif kind == "h2":
            d.add_heading(_t(value), level=2)
        elif kind in ("p", "fill"):
            d.add_paragraph(_t(value))
        elif kind == "ul":
            for item in value:
                d.add_paragraph(_t(item), style="List Bullet")
        elif kind == "table":
            rows = _rows(value)
            table = d.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))


def write_html(path: Path, title: str, blocks: list) -> None:
    page = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>body {{font-family: sans-serif; max-width: 50em}}</style></head>\n<body>\n"
            f"<nav><a href=\"/\">Home</a> &rsaquo; <a href=\"../\">{html.escape(path.parent.name)}</a></nav>\n"
            f"<main>\n{_to_html(blocks)}\n</main>\n<footer>Page generated 2024-09-30</footer>\n</body>\n</html>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


def write_text(path: Path, blocks: list, markdown: bool) -> None:
    out = []
    for kind, value in blocks:
        if kind in ("h1", "h2"):
            out.append(("# " if kind == "h1" else "## ") + _t(value) if markdown else _t(value))
        elif kind in ("p", "fill"):
            out.append(_t(value))
        elif kind == "ul":
            out.append("\n".join(("- " if markdown else "* ") + _t(v) for v in value))
        elif kind in ("lines", "table"):
            out.append("\n".join(_t(v) for v in value))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(out) + "\n", encoding="utf-8")


def filler_documents(root: Path, texts: list[tuple[str, list[str]]], rng: random.Random) -> dict:
    """Documents made of one source each, in every format: a manual page as a PDF, a licence as a DOCX."""
    plan = ["pdf"] * 4 + ["docx"] * 3 + ["html"] * 4 + ["md"] * 10 + ["txt"] * 6
    longest = sorted(texts, key=lambda t: -len(t[1]))[:4]  # the PDFs get the longest texts
    texts = longest + [t for t in texts if t not in longest]
    folders = {"pdf": "reference", "docx": "legal", "html": "wiki", "md": "notes/reading", "txt": "notes/misc"}
    counts = {k: 0 for k in folders}
    for fmt, (name, paras) in zip(plan, texts):
        title = name.replace("-", " ").capitalize()
        path = root / folders[fmt] / f"{name}.{fmt}"
        if fmt == "pdf":
            chunks, size = [[]], 0
            for p in paras:
                if size > PAGE_CHARS * 0.8:
                    if len(chunks) == 10:
                        break
                    chunks.append([])
                    size = 0
                chunks[-1].append(p)
                size += len(p)
            write_pdf(path, [[("h2", f"{title}, part {n}")] + [("fill", p) for p in chunk]
                              for n, chunk in enumerate(chunks, 1)])
        else:
            blocks = [("h1", title)] + [("fill", p) for p in paras[:rng.randint(4, 12)]]
            if fmt == "docx":
                write_docx(path, blocks)
            elif fmt == "html":
                write_html(path, title, blocks)
            else:
                write_text(path, blocks, markdown=fmt == "md")
        counts[fmt] += 1
    return counts
