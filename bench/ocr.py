"""OCR: character error rate on generated scans, pages per second, and one scanned page indexed end to end.

    python bench/ocr.py [--pages 3] [--engines rapidocr,tesseract] [--budget 3000000] [--no-index]
    python bench/ocr.py --engines rapidocr:fp32,rapidocr:int8 --no-index   # the two recognisers compared
    python bench/ocr.py --engines rapidocr:nocrop,rapidocr --no-index       # margins read or not
    python bench/ocr.py --pages 1 --engines rapidocr --page-chars 1000      # a letter's worth of text a page

Scans are made from real, distinct text: English paragraphs from the Python standard library's
docstrings, Spanish sentences from the system's Spanish message catalogs (/usr/share/locale/es);
each page is rendered by MuPDF at 150 or 300 dpi (clean; turned 90/180/270; skewed 2° with noise
and blur), put in a PDF as an image-only page and read the way Archivist reads it (rendered within
the pixel budget, turned upright, lines in reading order). CER = edit distance / reference length,
whitespace runs counted as one space. An engine is "rapidocr" with options after a colon joined by
"+" ("det960": detection at most 960 px a side, "detfull": the whole page; "fp32" / "int8": the
recogniser as shipped / its MatMuls in int8, see core/parsing/ocr/quantized.py; "nocrop": the
whole page read, margins included, see rapid.ink_area), or "tesseract"
(needs TESSDATA_PREFIX or an installed tesseract). Engines read each page in turn, so a busy machine
slows them alike; with two, their CER and times are compared page by page. Times are wall and CPU
seconds of this process (the machine is shared).
"""

from __future__ import annotations

import argparse
import gettext
import glob
import importlib
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pymupdf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from common import open_archivist  # noqa: E402
from scans import A4, add_scan_page, edit_distance, scan, text_page  # noqa: E402

from core.parsing.ocr import pixels  # noqa: E402
from core.parsing.ocr.orient import read_upright  # noqa: E402
from core.parsing.ocr.reading import arrange  # noqa: E402

PAGE_CHARS = 2200  # about two thirds of an A4 page of 11 pt text
STDLIB = ["json", "textwrap", "argparse", "collections", "pathlib", "logging", "subprocess", "unittest", "csv",
          "datetime", "decimal", "fractions", "heapq", "bisect", "functools", "itertools", "contextlib",
          "dataclasses", "enum", "inspect", "pickle", "shutil", "tempfile", "threading", "random", "statistics",
          "string", "difflib", "calendar", "zipfile", "tarfile", "sqlite3", "email.message", "http.client",
          "urllib.parse", "asyncio.tasks", "concurrent.futures._base", "typing", "weakref", "codecs"]
CONDITIONS = [  # (name, language, dpi, scan options)
    ("clean 300 dpi", "en", 300, {}), ("clean 150 dpi", "en", 150, {}),
    ("clean 300 dpi", "es", 300, {}), ("clean 150 dpi", "es", 150, {}),
    ("turned 90° 300 dpi", "en", 300, {"turn": 90}), ("turned 180° 300 dpi", "en", 300, {"turn": 180}),
    ("turned 270° 300 dpi", "en", 300, {"turn": 270}),
    ("skew 2° + noise 300 dpi", "en", 300, {"skew": 2, "noise": 20}),
    ("skew 2° + noise 150 dpi", "en", 150, {"skew": 2, "noise": 20}),
    ("skew 2° + noise 300 dpi", "es", 300, {"skew": 2, "noise": 20}),
    ("small print 8 pt 300 dpi", "en", 300, {"fontsize": 8}),
    ("small print 6 pt + noise 300 dpi", "en", 300, {"fontsize": 6, "noise": 15}),
]


def _printable(text: str) -> bool:
    return all(ord(c) < 256 for c in text)  # what Helvetica (WinAnsi) renders as written


def _docstrings(module) -> list[str]:
    found = [module.__doc__]
    for value in vars(module).values():
        if getattr(value, "__module__", None) == module.__name__ and callable(value):
            found.append(value.__doc__)
            if isinstance(value, type):
                found += [getattr(member, "__doc__", None) for member in vars(value).values() if callable(member)]
    return [d for d in found if isinstance(d, str)]


def english_paragraphs(modules: list[str] = STDLIB, min_words: int = 25) -> list[str]:
    found = []
    for name in modules:
        for doc in _docstrings(importlib.import_module(name)):
            for block in re.split(r"\n\s*\n", doc):
                if ">>>" in block or re.search(r"^\s{4,}\S", block, re.M) or re.search(r"^\s*[-*+] ", block, re.M):
                    continue
                block = re.sub(r":\w+:`~?([^`]*)`", r"\1", block).replace("``", "")
                words = block.split()
                letters = sum(c.isalpha() for c in block)
                if len(words) >= min_words and letters > 0.7 * len("".join(words)) and _printable(block):
                    found.append(" ".join(words))
    return list(dict.fromkeys(found))


def spanish_paragraphs() -> list[str]:
    sentences = set()
    for path in sorted(glob.glob("/usr/share/locale/es/LC_MESSAGES/*.mo")):
        try:
            with open(path, "rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog
        except (OSError, ValueError):
            continue
        for value in catalog.values():
            if isinstance(value, str):
                value = " ".join(value.split())
                if (len(value.split()) >= 7 and value[-1] in ".?!" and re.search(r"[áéíóúñ]", value)
                        and (value[0].isupper() or value[0] == "¿") and not re.search(r"(^| )-", value)
                        and not re.search(r"[%{}<>\\_=|@$`*\[\]#]", value) and _printable(value)):
                    sentences.add(value)
    ordered = sorted(sentences)
    random.Random(0).shuffle(ordered)  # not page after page of sentences starting with "A"
    return [" ".join(ordered[i:i + 5]) for i in range(0, len(ordered) - 4, 5)]


def pages_of(paragraphs: list[str], count: int, chars: int = PAGE_CHARS) -> list[str]:
    pages, current = [], []
    for paragraph in paragraphs:
        current.append(paragraph)
        if sum(map(len, current)) >= chars:
            pages.append("\n\n".join(current))
            current = []
            if len(pages) == count:
                break
    return pages


def make_engine(spec: str, models_dir: Path):
    """``spec``: an engine name and options after a colon, joined by "+": "rapidocr:det960+fp32"."""
    name, _, option = spec.partition(":")
    options = set(filter(None, option.split("+")))
    if name == "rapidocr":
        from core.parsing.ocr.rapid import DET_SIDE, REC_INT8, RapidEngine

        det = [o for o in options if o.startswith("det")]
        det_side = DET_SIDE if not det else None if det[0] == "detfull" else int(det[0][3:])
        int8 = "int8" in options or (REC_INT8 and "fp32" not in options)
        return RapidEngine(det_side=det_side, models_dir=models_dir, int8=int8, crop="nocrop" not in options)
    from core.parsing.ocr.tesseract import TesseractEngine

    return TesseractEngine()


def scanned_page_pixels(rgb, dpi):
    """The scan as an image-only PDF page, rendered the way the parser renders it."""
    with pymupdf.open() as doc:
        page = add_scan_page(doc, rgb, dpi)
        return pixels.page_pixels(page)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(engines: dict, texts: dict[str, list[str]]) -> dict[str, dict]:
    """Every page read by each engine in turn (page by page, the order alternating), so a busy
    machine slows them alike; per engine: CER per condition, each page's CER, wall and CPU seconds."""
    found = {spec: {"rows": [], "pages": [], "seconds": [], "cpu": []} for spec in engines}
    for name, language, dpi, options in CONDITIONS:
        tally = {spec: [0, 0, 0] for spec in engines}  # edits, characters, turned right
        for i, text in enumerate(texts[language]):
            rgb = scanned_page_pixels(scan(text, dpi=dpi, seed=i, **options), dpi)
            reference = " ".join(text.split())
            order = list(engines.items())
            for spec, engine in order if i % 2 == 0 else order[::-1]:
                started, used = time.perf_counter(), cpu_seconds()
                result = read_upright(engine, rgb)
                read = arrange(result).text
                found[spec]["seconds"].append(time.perf_counter() - started)
                found[spec]["cpu"].append(cpu_seconds() - used)
                edits = edit_distance(reference, " ".join(read.split()))
                found[spec]["pages"].append((name, language, i, edits / len(reference)))
                tally[spec][0] += edits
                tally[spec][1] += len(reference)
                tally[spec][2] += result.rotation == (360 - options.get("turn", 0)) % 360
        for spec, (edits, chars, turned_right) in tally.items():
            found[spec]["rows"].append((name, language, edits / chars, turned_right, len(texts[language])))
            print(f"  {spec:24} {name:32} {language}  CER {100 * edits / chars:5.2f} %  "
                  f"upright {turned_right}/{len(texts[language])}", flush=True)
    return found


def compare(found: dict[str, dict]) -> None:
    """Two engines side by side: CER per condition, pages one reads worse, and their times' ratio."""
    (a, first), (b, second) = list(found.items())[:2]
    print(f"\n{b} against {a}")
    for (name, language, cer_a, *_), (_, _, cer_b, *_) in zip(first["rows"], second["rows"]):
        print(f"  {name:32} {language}  CER {100 * cer_a:5.2f} % -> {100 * cer_b:5.2f} % ({100 * (cer_b - cer_a):+.2f} points)")
    worse = [(p, q[3]) for p, q in zip(first["pages"], second["pages"]) if q[3] > p[3]]
    better = sum(q[3] < p[3] for p, q in zip(first["pages"], second["pages"]))
    print(f"  pages read worse {len(worse)}, better {better}, alike {len(first['pages']) - len(worse) - better}")
    for (name, language, i, cer_a), cer_b in worse:
        print(f"    {name} {language} page {i}: {100 * cer_a:.2f} % -> {100 * cer_b:.2f} %")
    for what in ("seconds", "cpu"):
        ratios = [y / x for x, y in zip(first[what], second[what]) if x > 0]
        print(f"  {what:7} median {statistics.median(first[what]):.2f} s -> {statistics.median(second[what]):.2f} s; "
              f"page by page ratio median {statistics.median(ratios):.3f}, "
              f"sum ratio {sum(second[what]) / sum(first[what]):.3f}")


def index_scans(texts: list[str], engine_setting: str) -> tuple[float, float, float]:
    """Seconds to sync a folder holding one scanned A4 page at 300 dpi: cold (a new app: the parser
    worker, OCR and embedding models load), then warm (another such page added, the worker still
    running); then a 10-page scanned PDF added (the parser's default timeout is 120 s)."""
    folder = Path(tempfile.mkdtemp(prefix="archivist-ocr-docs-"))
    archivist = open_archivist()
    archivist.settings.ocr_engine = engine_setting
    times = []
    try:
        archivist.search("warm up the embedding model")
        archivist.add_source(folder)
        assert len(texts) >= 12, "12 distinct pages of text are needed (a page read before comes from the cache)"
        for name, pages in (("one.pdf", texts[:1]), ("two.pdf", texts[1:2]), ("ten.pdf", texts[2:12])):
            with pymupdf.open() as doc:
                for n, text in enumerate(pages):
                    add_scan_page(doc, scan(text, dpi=300, seed=n), 300)
                doc.save(str(folder / name))
            started = time.perf_counter()
            result = archivist.sync()
            times.append(time.perf_counter() - started)
            record = archivist.manifest.get(str(folder / name))
            assert result.failed == 0 and record.status == "indexed", record
    finally:
        archivist.close()
    return times[0], times[1], times[2]


def compare_engines(specs: list[str], models_dir: Path, texts: dict[str, list[str]]) -> None:
    engines = {}
    for spec in specs:
        try:
            started = time.perf_counter()
            engine = make_engine(spec, models_dir)
            loaded = time.perf_counter() - started
        except Exception as exc:  # noqa: BLE001 - an engine that is not installed is reported, not fatal
            print(f"{spec}: not available ({exc})")
            continue
        print(f"{spec} ({engine.id}), loaded in {loaded:.2f} s")
        engines[spec] = engine
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    found = measure(engines, texts)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for spec, figures in found.items():
        seconds, cpu = figures["seconds"], figures["cpu"]
        print(f"{spec}: pages per second {1 / statistics.fmean(seconds):.2f}; a page: median "
              f"{statistics.median(seconds):.2f} s wall, {statistics.median(cpu):.2f} s CPU "
              f"(turned pages, read two or three times, included)")
    if len(found) >= 2:
        compare(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=3, help="pages per condition and language")
    parser.add_argument("--engines", default="rapidocr,tesseract")
    parser.add_argument("--budget", type=int, default=pixels.MAX_PIXELS, help="pixels OCR reads of a page")
    parser.add_argument("--no-index", action="store_true", help="skip the end-to-end index timing")
    parser.add_argument("--page-chars", type=int, default=PAGE_CHARS,
                        help="characters of text a page is filled to (paragraphs are kept whole)")
    args = parser.parse_args()
    pixels.MAX_PIXELS = args.budget
    texts = {"en": pages_of(english_paragraphs(), args.pages, args.page_chars),
             "es": pages_of(spanish_paragraphs(), args.pages, args.page_chars)}
    for language, pages in texts.items():
        assert len(pages) == args.pages, f"not enough {language} text on this machine"
        with pymupdf.open() as doc:
            for page in pages:
                text_page(doc, page, size=A4)  # raises if a page does not fit
    print(f"{args.pages} pages per condition, {statistics.fmean(len(p) for p in texts['en']):.0f} chars per "
          f"English page, budget {args.budget / 1e6:.1f} MP")
    with tempfile.TemporaryDirectory(prefix="archivist-ocr-bench-models-") as models_dir:
        compare_engines(args.engines.split(","), Path(models_dir), texts)
    if not args.no_index:
        setting = args.engines.split(",")[0].partition(":")[0]
        distinct = (pages_of(english_paragraphs(), 99, args.page_chars)
                    + pages_of(spanish_paragraphs(), 99, args.page_chars))
        cold, warm, ten = index_scans(distinct, setting)
        print(f"index one scanned A4 page end to end ({setting}; {len(distinct[0])} and {len(distinct[1])} "
              f"characters): cold {cold:.2f} s, warm {warm:.2f} s; "
              f"a 10-page scanned PDF {ten:.1f} s ({10 / ten:.2f} pages/s)")


if __name__ == "__main__":
    main()
