"""Real English text for benchmarks, without a network: the standard library's own documentation."""

from __future__ import annotations

import io
import pydoc
import random
import sys
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pymupdf

# Standard-library modules only: the filler must not change when a package is installed (a bench
# run before and after `pip install pyinstaller` read two different libraries) nor with the folder
# the bench is started from (the project's own modules would put the benches' known answers into it).
MODULES = sorted(name for name in sys.stdlib_module_names if not name.startswith("_"))


def module_texts(limit: int = 400, seed: int = 0) -> list[str]:
    """Plain-text pydoc pages of stdlib modules (each a few KB to a few hundred KB)."""
    rng = random.Random(seed)
    names = sorted(set(MODULES))
    rng.shuffle(names)
    texts: list[str] = []
    for name in names:
        if len(texts) >= limit:
            break
        if name in {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo"}:
            continue
        try:
            with warnings.catch_warnings(), redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                module = __import__(name)
                text = pydoc.render_doc(module, renderer=pydoc.plaintext)
        except BaseException:
            continue
        if len(text) > 2000:
            texts.append(text)
    return texts


def passage_paragraphs(rng: random.Random) -> list[str]:
    """Paragraphs of about a passage's length (200-1,200 characters), in ``rng``'s order."""
    paras = [p for p in paragraphs(module_texts(limit=400)) if 200 < len(p) < 1200]
    rng.shuffle(paras)
    return paras


def paragraphs(texts: list[str]) -> list[str]:
    # pydoc indents and wraps; flatten each paragraph so it reads (and lays out) as prose.
    # (Very long "paragraphs" are pydoc's member tables; they make repetitive, unreal text.)
    flat = (" ".join(p.split()) for t in texts for p in t.split("\n\n"))
    return list(dict.fromkeys(p for p in flat if 40 < len(p) < 4000))


def write_pdf(path: Path, page_texts: list[str]) -> None:
    doc = pymupdf.open()
    for text in page_texts:
        page = doc.new_page()
        # insert_textbox writes nothing when the text overflows: shorten until it fits.
        while text and page.insert_textbox(pymupdf.Rect(40, 40, 572, 800), text, fontsize=8) < 0:
            text = text[: int(len(text) * 0.85)]
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    doc.close()


class ParagraphPool:
    """Paragraphs drawn without replacement, so that chunks are (nearly) all distinct."""

    def __init__(self, paras: list[str], rng: random.Random):
        self.paras, self.rng, self.pool = paras, rng, []

    def draw(self) -> str:
        if not self.pool:
            self.pool = self.paras[:]
            self.rng.shuffle(self.pool)
        return self.pool.pop()


def pages_from(paras: list[str] | ParagraphPool, n_pages: int, rng: random.Random,
               chars_per_page: int = 2500) -> list[str]:
    pool = paras if isinstance(paras, ParagraphPool) else ParagraphPool(paras, rng)
    pages = []
    for _ in range(n_pages):
        page, size = [], 0
        while size < chars_per_page:
            p = pool.draw()
            page.append(p)
            size += len(p)
        pages.append("\n\n".join(page)[: chars_per_page + 500])
    return pages


def build_mixed_library(root: Path, n_pdfs: int = 20, pages_per_pdf: int = 10, n_md: int = 60,
                        seed: int = 0) -> dict:
    rng = random.Random(seed)
    pool = ParagraphPool(paragraphs(module_texts(limit=400, seed=seed)), rng)
    pages = 0
    for i in range(n_pdfs):
        write_pdf(root / "pdf" / f"manual-{i:03}.pdf", pages_from(pool, pages_per_pdf, rng))
        pages += pages_per_pdf
    (root / "notes").mkdir(parents=True, exist_ok=True)
    for i in range(n_md):
        body = "\n\n".join(pool.draw() for _ in range(rng.randint(3, 12)))
        (root / "notes" / f"note-{i:03}.md").write_text(f"# Note {i}\n\n{body}\n", encoding="utf-8")
    return {"pdfs": n_pdfs, "pdf_pages": pages, "markdown": n_md}


def source_text(target_bytes: int) -> str:
    """About ``target_bytes`` of distinct real text: Python source files, each once (a repeated
    file would be served from the embedding cache and flatter the figures). The standard library
    first, then the packages installed beside Archivist (the stdlib alone holds ~30 MB)."""
    import hashlib
    import sysconfig

    parts, size, seen = [], 0, set()
    for root in (Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])):
        for path in sorted(root.rglob("*.py")):
            if root.name != "site-packages" and "site-packages" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
            if digest in seen or not text.strip():
                continue
            seen.add(digest)
            parts.append(f"\n\n# ---- {path.relative_to(root)} ----\n\n{text}")
            size += len(parts[-1].encode())
            if size >= target_bytes:
                return "".join(parts)
    raise SystemExit(f"only {size / 2**20:.0f} MB of distinct Python source here")
