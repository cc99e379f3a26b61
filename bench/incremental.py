"""Incremental cost: edit one paragraph of a 300-page PDF and count the chunks that get re-embedded.

    python bench/incremental.py [--pages 300]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from common import open_archivist
from core import events as ev
from corpus import module_texts, pages_from, paragraphs, write_pdf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archivist-incr-"))
    rng = random.Random(1)
    pages = pages_from(paragraphs(module_texts(limit=400)), args.pages, rng)
    pdf = work / "docs" / "big.pdf"
    write_pdf(pdf, pages)

    events: list = []
    archivist = open_archivist(work / "data", on_event=events.append)
    archivist.add_source(pdf.parent)
    started = time.perf_counter()
    archivist.sync()
    first_s = time.perf_counter() - started
    chunks = archivist.store.count()

    # Edit one paragraph in the middle of the book.
    middle = args.pages // 2
    paras = pages[middle].split("\n\n")
    paras[len(paras) // 2] = "An edited paragraph: the warranty now lasts five years. " + paras[len(paras) // 2][:200]
    pages[middle] = "\n\n".join(paras)
    write_pdf(pdf, pages)
    os.utime(pdf)
    events.clear()
    started = time.perf_counter()
    archivist.sync()
    edit_s = time.perf_counter() - started
    embedded = sum(e.embedded for e in events if isinstance(e, ev.FileDone))
    # Ranked with and without sentence re-ranking on the same index: the filler text (and so the
    # ranks) changes with the packages installed, so only the same run compares the two.
    ranks = {}
    for rerank in (False, True):
        hits = archivist.search("warranty now lasts five years", sentence_rerank=rerank).hits
        ranks[rerank] = next((n for n, h in enumerate(hits, 1) if "warranty now lasts" in h.text), None)
    archivist.close()
    print(f"{args.pages}-page PDF: {chunks} chunks, first sync {first_s:.1f} s")
    print(f"after editing one paragraph on page {middle + 1}: {embedded} chunks re-embedded, "
          f"re-sync {edit_s:.2f} s; the edited passage is search hit #{ranks[True]} of {len(hits)} "
          f"(#{ranks[False]} ranking passages only)  [target <= 3]")


if __name__ == "__main__":
    main()
