"""Memory: peak RSS while syncing a ~1 GB mixed folder (large image-heavy PDFs, photos, notes).

Samples the RSS of Archivist's process and of its parser workers every 50 ms:
    python bench/memory.py [--gb 1.0]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pymupdf

from common import open_archivist
from corpus import ParagraphPool, module_texts, pages_from, paragraphs


def noise_png(side: int, seed: int) -> bytes:
    rng = random.Random(seed)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, side, side), False)
    pix.set_rect(pix.irect, (0, 0, 0))
    samples = bytearray(rng.randbytes(side * side * 3))
    return pymupdf.Pixmap(pymupdf.csRGB, side, side, bytes(samples), False).tobytes("png")


def build(root: Path, target_bytes: int) -> dict:
    rng = random.Random(3)
    pool = ParagraphPool(paragraphs(module_texts(limit=200)), rng)
    image = noise_png(2400, 1)  # ~17 MB, incompressible
    made = {"pdfs": 0, "photos": 0, "notes": 0}
    total = 0
    (root / "notes").mkdir(parents=True)
    for i in range(120):
        (root / "notes" / f"n{i:03}.md").write_text("# Note\n\n" + "\n\n".join(pool.draw() for _ in range(4)))
        made["notes"] += 1
    while total < target_bytes * 0.75:
        doc = pymupdf.open()
        for text in pages_from(pool, 3, rng):
            page = doc.new_page()
            page.insert_textbox(pymupdf.Rect(40, 40, 572, 400), text[:1500], fontsize=8)
            page.insert_image(pymupdf.Rect(40, 420, 572, 800), stream=image)
        path = root / "pdfs" / f"scan-{made['pdfs']:03}.pdf"
        path.parent.mkdir(exist_ok=True)
        doc.save(str(path))
        total += path.stat().st_size
        made["pdfs"] += 1
    while total < target_bytes:
        path = root / "photos" / f"img-{made['photos']:03}.jpg"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(os.urandom(8 * 2**20))
        total += 8 * 2**20
        made["photos"] += 1
    made["bytes"] = total
    return made


class PeakSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.me = psutil.Process()
        self.peak_self = self.peak_total = self.peak_child = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                own = self.me.memory_info().rss
                kids = [c.memory_info().rss for c in self.me.children(recursive=True)]
            except psutil.Error:
                continue
            self.peak_self = max(self.peak_self, own)
            self.peak_child = max([self.peak_child, *kids])
            self.peak_total = max(self.peak_total, own + sum(kids))
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archivist-mem-"))
    made = build(work / "docs", int(args.gb * 2**30))
    archivist = open_archivist(work / "data")
    archivist.add_source(work / "docs")
    sampler = PeakSampler()
    sampler.start()
    started = time.perf_counter()
    result = archivist.sync()
    sampler.stop.set()
    sampler.join()
    mb = 2**20
    print(f"folder: {made['bytes'] / 2**30:.2f} GB ({made['pdfs']} image-heavy PDFs, {made['photos']} photos, "
          f"{made['notes']} notes); sync {time.perf_counter() - started:.0f} s, "
          f"{result.chunks_written} passages, {result.failed} failed")
    print(f"peak RSS: Archivist {sampler.peak_self / mb:.0f} MB, largest parser worker "
          f"{sampler.peak_child / mb:.0f} MB, all processes together {sampler.peak_total / mb:.0f} MB"
          f"  [target <= 1536 MB]")
    archivist.close()


if __name__ == "__main__":
    main()
