"""Embedding speed by batch size, for the two kinds of text Archivist embeds:

- passages, as indexing makes them (the real chunker on distinct documents: the standard
  library's documentation), in document order, as the indexer sends them;
- question-time sentences: the sentences of a question's candidate passages, up to the re-ranking
  budget (core/answer/evidence.py), sorted by length as core/sentence_vectors.py sends them.

Each batch size runs on the same texts in one process, interleaved over ``--reps`` rounds, so a
drifting machine load hits every size alike; CPU time per passage is printed beside wall time.

    python bench/embed_batch_size.py [--passages 192] [--sets 30] [--reps 3] [--sizes 1,2,4,8,16,32]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus import module_texts, paragraphs  # noqa: E402

from core import layout  # noqa: E402
from core.answer.evidence import EMBED_BUDGET_CHARS, MAX_SENTENCE_CHARS, MIN_WORDS  # noqa: E402
from core.answer.sentences import split_sentences  # noqa: E402
from core.chunking import Chunker  # noqa: E402
from core.config import Settings  # noqa: E402
from core.embedding import Embedder  # noqa: E402
from core.parsing.model import Section  # noqa: E402


def passages(embedder: Embedder, n: int) -> list[str]:
    chunker = Chunker(embedder.count_tokens, embedder.token_offsets, embedder.max_tokens, Settings().chunk_overlap)
    out: list[str] = []
    for text in module_texts(limit=80, seed=5):
        out.extend(c.text for c in chunker.chunk_section(Section(text=text, start=0)))
        if len(out) >= n:
            break
    return out[:n]


def sentence_sets(n: int, seed: int = 1) -> list[list[str]]:
    """``n`` question-time batches: sentences of random paragraphs, up to the embedding budget."""
    sentences = []
    for para in paragraphs(module_texts(limit=60, seed=9)):
        for span in split_sentences(para):
            text = " ".join(span.of(para).split())[:MAX_SENTENCE_CHARS]
            if len(text.split()) >= MIN_WORDS:
                sentences.append(text)
    rng = random.Random(seed)
    sets = []
    for _ in range(n):
        chosen, used = [], 0
        for text in rng.sample(sentences, 200):
            if used + len(text) <= EMBED_BUDGET_CHARS:
                chosen.append(text)
                used += len(text)
        sets.append(sorted(chosen, key=len))
    return sets


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=192)
    parser.add_argument("--sets", type=int, default=30)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sizes", default="1,2,4,8,16,32")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    data = Path(tempfile.mkdtemp(prefix="archivist-batch-bench-"))
    embedder = Embedder(Settings().embedding_model, layout.models_dir(data))
    texts = passages(embedder, args.passages)
    sets = sentence_sets(args.sets)
    tokens = statistics.mean(embedder.count_tokens(texts))
    print(f"{len(texts)} passages (mean {tokens:.0f} word pieces); {len(sets)} sentence sets "
          f"(mean {statistics.mean(len(s) for s in sets):.1f} sentences, ≤ {EMBED_BUDGET_CHARS} characters)")
    embedder.embed(["warm up the model"] * 4)

    rate = {size: [] for size in sizes}
    per_cpu = {size: [] for size in sizes}
    set_ms = {size: [] for size in sizes}
    for rep in range(args.reps):
        for size in sizes if rep % 2 == 0 else reversed(sizes):
            embedder.batch_size = size
            cpu, t0 = _cpu(), time.perf_counter()
            embedder.embed(texts)
            wall, used = time.perf_counter() - t0, _cpu() - cpu
            rate[size].append(len(texts) / wall)
            per_cpu[size].append(len(texts) / used)
            for batch in sets:
                t1 = time.perf_counter()
                embedder.embed(batch)
                set_ms[size].append((time.perf_counter() - t1) * 1000)

    print("batch  passages/s  per CPU-s  sentence set p50 / p95 (ms)")
    for size in sizes:
        ms = sorted(set_ms[size])
        print(f"{size:>5}  {statistics.median(rate[size]):>10.1f}  {statistics.median(per_cpu[size]):>9.1f}  "
              f"{statistics.median(ms):>8.0f} / {ms[int(0.95 * (len(ms) - 1))]:.0f}")


if __name__ == "__main__":
    main()
