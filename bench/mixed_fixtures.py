"""The mixed folder of bench/mixed_folder.py: spreadsheets, decks, mailboxes with attachments, Outlook
messages, scanned PDFs and photos, and ordinary PDFs, Markdown, DOCX, ODT and RTF, all from distinct
real text (mixed_text.py), with known facts in known places (mixed_facts.py).

The writers are the tests' own (tests/fixtures/*, tests/scans.py); this module decides what goes
where. ``build`` checks every place not read by OCR against the parsed file, so a question never
points at a place that does not hold its answer.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from xml.sax.saxutils import escape

import docx
import pymupdf
from PIL import Image

from corpus import write_pdf
from fixtures import office_files as of
from mixed_facts import Entities, FactBank, Question
from mixed_text import Prose, Rows
from scans import save_image, scan, text_page

# Files per kind at --scale 1; every kind has at least one file whatever the scale.
SIZES = {"xlsx": 3, "ods": 2, "csv": 3, "pptx": 4, "odp": 2, "mbox": 3, "msg": 3, "eml": 2,
         "scanned pdf": 3, "photo": 3, "pdf": 6, "markdown": 16, "docx": 4, "odt": 3, "rtf": 3}
OCR_LABELS = ("scanned page", "photo", "mbox › photo")  # places whose text only OCR reads
NEAR_MISS = 0.4  # share of facts with a near miss (same statement about something else) elsewhere


@dataclass
class Folder:
    root: Path
    kinds: dict[str, str]  # relative path → kind (SIZES' keys)
    questions: list[Question]


class Builder:
    def __init__(self, root: Path, seed: int, scale: float, per_place: int):
        self.root, self.scale, self.per_place = root, scale, per_place
        self.rng = random.Random(seed)
        self.entities = Entities(self.rng)
        self.bank = FactBank(self.entities)
        self.prose = Prose(self.rng)
        self.rows = Rows(self.entities)
        self.kinds: dict[str, str] = {}
        self.questions: list[Question] = []
        self.near: list[str] = []  # near-miss sentences waiting for a filler document

    def count(self, kind: str) -> int:
        return max(1, round(SIZES[kind] * self.scale))

    def sized(self, n: int) -> int:
        return max(2, round(n * self.scale))

    def path(self, rel: str, kind: str) -> Path:
        self.kinds[rel] = kind
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def spots(self, n_files: int, per_file: int, count: int | None = None) -> list[tuple[int, int]]:
        """(file, place in file) for this kind's facts: distinct places, spread over the files."""
        every = [(f, p) for f in range(n_files) for p in range(per_file)]
        return self.rng.sample(every, min(count or self.per_place, len(every)))

    def fact(self, label: str, rel: str, page: int | None = None, heading: tuple[str, ...] = ()) -> str:
        fact, template = self.bank.fact()
        if self.rng.random() < NEAR_MISS:
            self.near.append(self.bank.near_miss(template))
        self.questions.append(Question(label, fact.question, fact.value, rel, page, heading, sentence=fact.sentence))
        return fact.sentence

    def with_sentence(self, paras: list[str], sentence: str | None) -> list[str]:
        """The sentence told in the middle of a paragraph near the top (a page cut to fit keeps it)."""
        if not sentence:
            return paras
        words = paras[0].split(". ")
        at = self.rng.randint(0, len(words) - 1)
        paras = paras[:]
        paras[0] = ". ".join(words[:at] + [sentence.rstrip(".")] + words[at:]) if len(words) > 1 else f"{sentence} {paras[0]}"
        return paras

    def take_near(self) -> str | None:
        return self.near.pop() if self.near else None


# -- scans and photos -------------------------------------------------------------------------------

PHOTO_SIZE = (460, 330)  # points: a note or a receipt


def photo_text(b: Builder, sentence: str | None) -> str:
    filler = b.prose.sentences(2, max_chars=120)
    return "\n".join(([sentence] if sentence else []) + filler)


def photo_pixels(text: str, seed: int, noisy: bool = True):
    """A photo of a note (noisy, a little askew) or, not noisy, a screenshot of one."""
    return scan(text, dpi=200, size=PHOTO_SIZE, noise=8 if noisy else 0, skew=1.0 if noisy else 0, seed=seed)


def jpeg_bytes(rgb) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=85)
    return out.getvalue()


def scanned_pdfs(b: Builder) -> None:
    """Odd files: a typed page, a scanned page, a typed page; even ones: two scanned pages."""
    n = b.count("scanned pdf")
    layouts = [["typed", "scan", "typed"] if i % 2 == 0 else ["scan", "scan"] for i in range(n)]
    scan_pages = [(f, p) for f in range(n) for p, what in enumerate(layouts[f]) if what == "scan"]
    facts = set(b.rng.sample(scan_pages, min(b.per_place, len(scan_pages))))
    for f in range(n):
        rel = f"scans/scanned-letter-{f + 1:02}.pdf"
        dpi, noise = [(300, 0), (200, 10), (150, 0)][f % 3]
        pages = []
        for p, what in enumerate(layouts[f]):
            if what == "typed":
                pages.append("\n\n".join(b.with_sentence(b.prose.text(1500), b.take_near())))
                continue
            sentence = b.fact("scanned page", rel, page=p + 1) if (f, p) in facts else None
            text = "\n\n".join(b.with_sentence(b.prose.text(900), sentence))
            pages.append(scan(text, dpi=dpi, noise=noise, seed=f * 10 + p))
        scanned_pdf(b.path(rel, "scanned pdf"), pages, dpi)


def scanned_pdf(path: Path, pages: list, dpi: int) -> None:
    """Typed pages (str) and scans (pixels), the scans stored as JPEG like a scanner's."""
    with pymupdf.open() as doc:
        for page in pages:
            if isinstance(page, str):
                text_page(doc, page)
                continue
            height, width = page.shape[:2]
            doc.new_page(width=width * 72 / dpi, height=height * 72 / dpi).insert_image(
                pymupdf.Rect(0, 0, width * 72 / dpi, height * 72 / dpi), stream=jpeg_bytes(page))
        doc.save(str(path), deflate=True)


def photos(b: Builder) -> None:
    n = b.count("photo")
    facts = {f for f, _ in b.spots(n, 1)}
    for f in range(n):
        suffix = ".jpg" if f % 2 == 0 else ".png"
        rel = f"photos/IMG_{4100 + 7 * f}{suffix}"
        sentence = b.fact("photo", rel) if f in facts else None
        rgb = photo_pixels(photo_text(b, sentence), seed=f, noisy=suffix == ".jpg")
        save_image(rgb, b.path(rel, "photo"), **({"quality": 85} if suffix == ".jpg" else {}))


# -- documents --------------------------------------------------------------------------------------

def pdfs(b: Builder) -> None:
    n, pages = b.count("pdf"), 5
    facts = set(b.spots(n, pages))
    for f in range(n):
        rel = f"reports/report-{f + 1:02}.pdf"
        texts = []
        for p in range(pages):
            sentence = b.fact("pdf page", rel, page=p + 1) if (f, p) in facts else b.take_near()
            texts.append("\n\n".join(b.with_sentence(b.prose.text(1700), sentence)))
        write_pdf(b.path(rel, "pdf"), texts)


def notes(b: Builder) -> None:
    n = b.count("markdown")
    facts = {f for f, _ in b.spots(n, 1)}
    for f in range(n):
        rel = f"notes/note-{f + 1:03}.md"
        sentence = b.fact("markdown", rel) if f in facts else b.take_near()
        paras = b.with_sentence(b.prose.text(b.rng.randint(600, 2000)), sentence)
        b.path(rel, "markdown").write_text(f"# Note {f + 1}\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")


def word_files(b: Builder) -> None:
    """DOCX, ODT and RTF: a few headed sections each; a fact in one section's paragraph."""
    for kind, write in (("docx", _docx), ("odt", _odt), ("rtf", _rtf)):
        n = b.count(kind)
        facts = {f for f, _ in b.spots(n, 1)}
        for f in range(n):
            rel = f"documents/{kind}-document-{f + 1:02}.{kind}"
            sentence = b.fact(kind, rel) if f in facts else b.take_near()
            sections = [(f"Part {s + 1}", b.prose.text(700)) for s in range(3)]
            at = b.rng.randrange(3)
            sections[at] = (sections[at][0], b.with_sentence(sections[at][1], sentence))
            write(b.path(rel, kind), sections)


def _docx(path: Path, sections) -> None:
    document = docx.Document()
    for title, paras in sections:
        document.add_heading(title, level=1)
        for para in paras:
            document.add_paragraph(para)
    document.save(path)


def _odt(path: Path, sections) -> None:
    body = "".join(f'<text:h text:outline-level="1">{escape(title)}</text:h>'
                   + "".join(f"<text:p>{escape(p)}</text:p>" for p in paras) for title, paras in sections)
    of.odf_package(path, "text", body)


def _rtf(path: Path, sections) -> None:
    def rtf(text: str) -> str:
        text = text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
        return "".join(c if ord(c) < 128 else f"\\u{ord(c)}?" for c in text)

    body = "".join(f"{{\\b {rtf(title)}\\b0}}\\par " + "".join(f"{rtf(p)}\\par " for p in paras)
                   for title, paras in sections)
    path.write_text(f"{{\\rtf1\\ansi\\ansicpg1252\\deff0{{\\fonttbl{{\\f0 Times New Roman;}}}}\\uc1\\pard {body}}}",
                    encoding="ascii")


# -- the folder -------------------------------------------------------------------------------------

def build(root: Path, seed: int, scale: float = 1.0, per_place: int = 3) -> Folder:
    from mixed_mail import mailboxes
    from mixed_office import decks, sheets

    b = Builder(root, seed, scale, per_place)
    for part in (sheets, decks, mailboxes, scanned_pdfs, photos, word_files, pdfs, notes):
        part(b)
    check(root, b.questions)
    return Folder(root, b.kinds, b.questions)


def check(root: Path, questions: list[Question]) -> None:
    """Each place not read by OCR holds its sentence (or its row's key), as the parser reads it."""
    from core.parsing.parse import parse_file

    parsed: dict[str, list] = {}
    for q in questions:
        if q.label in OCR_LABELS:
            continue
        if q.file not in parsed:
            parsed[q.file] = parse_file(str(root / q.file), ocr=False).sections
        places = [SimpleNamespace(path=str(root / q.file), page=s.page, heading=" > ".join(s.heading))
                  for s in parsed[q.file] if " ".join(q.sentence.split()) in " ".join(s.text.split())]
        if not any(q.matches(place, root) for place in places):
            raise RuntimeError(f"{q.file}: {q.sentence!r} is not where the question expects it "
                               f"(page {q.page}, heading {q.heading}, row {q.row}); found at "
                               f"{[(p.page, p.heading) for p in places]}")
