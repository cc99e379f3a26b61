"""Memory: peak RSS while indexing one large text file of distinct real text (Python source).

    python bench/large_file_memory.py [--mb 80] [--embedder stub|real]

``--embedder stub`` (the default) keeps the real tokenizer, chunker, LanceDB table, embedding
cache and parser worker, and replaces only the model's arithmetic with vectors derived from each
passage's hash: 80 MB are ~90k passages, which the real model needs well over half an hour for on
two cores. The model itself adds a fixed ~260 MB (bench/embed_int8_vs_fp32.py); ``--embedder
real`` measures with it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

from common import open_archivist
from corpus import source_text
from memory import PeakSampler

from core import events as ev
from core import layout
from core.config import Settings
from core.embedding import Embedder


class HashEmbedder(Embedder):
    """The real model's tokenizer and dimensions; unit vectors seeded by each text's CRC."""

    def embed(self, texts, *args, **kwargs):
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            v = np.random.default_rng(zlib.crc32(text.encode("utf-8", "surrogatepass"))).standard_normal(self.dim)
            out[i] = v / np.linalg.norm(v)
        return out


def large_file(folder: Path, mb: int) -> Path:
    cached = Path(tempfile.gettempdir()) / f"archivist-bench-source-{mb}mb.txt"
    if not cached.exists():
        cached.write_text(source_text(mb * 2**20), encoding="utf-8")
    folder.mkdir(parents=True)
    target = folder / "big.txt"
    target.symlink_to(cached)
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=80)
    parser.add_argument("--embedder", choices=("stub", "real"), default="stub")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="archivist-bigfile-"))
    path = large_file(work / "docs", args.mb)
    data = work / "data"
    model = Settings().embedding_model
    embedder_class = HashEmbedder if args.embedder == "stub" else Embedder
    embedder = embedder_class(model, layout.models_dir(data), batch_size=Settings().embed_batch_size)
    embedder.embed(["warm up"])
    sampler = PeakSampler()
    file_done = {}

    def on_event(event) -> None:  # the document itself is done; the run's index builds follow
        if isinstance(event, ev.FileDone):
            file_done.update(peak=sampler.peak_self, at=time.perf_counter())

    archivist = open_archivist(data, embedder=embedder, on_event=on_event)
    archivist.add_source(work / "docs")
    before = sampler.me.memory_info().rss
    sampler.start()
    started = time.perf_counter()
    result = archivist.sync()
    sampler.stop.set()
    sampler.join()
    mb = 2**20
    record = archivist.manifest.files()[0]
    print(f"file: {path.stat().st_size / mb:.0f} MB of Python source; status {record.status} {record.reason!r}; "
          f"{result.chunks_written} passages in {time.perf_counter() - started:.0f} s "
          f"({args.embedder} embedder); table rows {archivist.store.count()}")
    print(f"RSS before sync {before / mb:.0f} MB; peak: Archivist {sampler.peak_self / mb:.0f} MB "
          f"({file_done['peak'] / mb:.0f} MB until the file was committed, {file_done['at'] - started:.0f} s; "
          f"the rest is the run's full-text and vector index builds), parser worker {sampler.peak_child / mb:.0f} MB, "
          f"all processes {sampler.peak_total / mb:.0f} MB")
    archivist.close()


if __name__ == "__main__":
    main()
