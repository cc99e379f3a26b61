"""Freshness: time from writing a small file to its new text being returned by search, while watching.

    python bench/freshness.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import open_archivist, summary
from core.watcher import Watcher


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archivist-fresh-"))
    docs = work / "docs"
    docs.mkdir()
    (docs / "seed.md").write_text("# Seed\n\nA starting document.\n", encoding="utf-8")
    archivist = open_archivist(work / "data")
    archivist.add_source(docs)
    archivist.sync()
    watcher = Watcher(archivist)
    watcher.start()
    latencies = []
    try:
        for i in range(args.rounds):
            word = f"zqx{i:04d}marker"
            note = docs / f"note{i % 5}.md"  # a mix of new files and edits of existing ones
            started = time.perf_counter()
            note.write_text(f"# Note {i}\n\nThe code word for round {i} is {word}.\n", encoding="utf-8")
            while True:
                # Passage ranking only: this polls for the index, not for the ranking of sentences.
                hits = archivist.search(word, k=1, sentence_rerank=False).hits
                if hits and word in hits[0].text:
                    break
                if time.perf_counter() - started > 30:
                    raise SystemExit(f"round {i}: not found after 30 s")
                time.sleep(0.01)
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.2)
    finally:
        watcher.stop()
        archivist.close()
    print(f"debounce {archivist.settings.debounce_s * 1000:.0f} ms")
    print(f"freshness (write → found by search): {summary(latencies)}  [target p95 <= 1500 ms]")


if __name__ == "__main__":
    main()
