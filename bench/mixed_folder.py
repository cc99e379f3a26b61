"""A mixed folder (spreadsheets, decks, mailboxes with attachments, Outlook messages, scanned PDFs,
photos, PDFs, Markdown, DOCX, ODT, RTF) indexed through the real app, and retrieval on questions
about values in known places of it.

    python bench/mixed_folder.py [--scale 1] [--per-place 3] [--sets dev,heldout] [--ocr-off-run]

For each set (dev: seed 1, held-out: seed 2; other names, values, text and places) a folder is
generated (bench/mixed_fixtures.py), then a fresh Archivist (real fastembed model, LanceDB on disk,
the real parser pool: one worker process) whose embedding model is already loaded adds it as a
source and syncs: the wall time of add + sync is the ingest time. Each parser task logs its wall and
CPU seconds and the part spent in OCR (bench/parse_timing.py). With --ocr-off-run the dev folder is
indexed again with OCR off (fresh data folder), for the wall-clock difference OCR makes.

Retrieval: ``Archivist.search(question, k=8)``; a hit is the right file and the right place (sheet
and a passage whose rows cover the row, slide, message and attachment and its page, PDF page).
hit@1, hit@5 (in the first five of the eight), MRR over the eight, per kind of place; each question
not answered at rank 1 is printed with the passages ranked above its place.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from common import open_archivist  # noqa: E402
from mixed_fixtures import SIZES, build  # noqa: E402
from parse_timing import TimedParserPool, read_log  # noqa: E402

from core.config import Settings  # noqa: E402

SEEDS = {"dev": 1, "heldout": 2}
K = 8


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ingest(root: Path, work: Path, ocr: bool = True) -> dict:
    """A fresh Archivist adds ``root`` and syncs it; the figures of that, and the open archivist."""
    log = work / f"parse-log-{'ocr' if ocr else 'no-ocr'}.jsonl"
    settings = Settings()
    pool = TimedParserPool(log, timeout_s=settings.parse_timeout_s, memory_mb=settings.parse_memory_mb)
    archivist = open_archivist(work / ("data" if ocr else "data-no-ocr"), parser_pool=pool)
    archivist.settings.ocr = ocr
    archivist.search("warm up the embedding model")
    started, cpu = time.perf_counter(), cpu_seconds()
    archivist.add_source(root)
    finished = archivist.sync()
    seconds, main_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    records = archivist.files()
    return {"archivist": archivist, "seconds": seconds, "main_cpu": main_cpu, "finished": finished,
            "records": {os.path.relpath(r.path, root): r for r in records}, "tasks": read_log(log)}


def report_ingest(folder, run: dict) -> None:
    kinds, records = folder.kinds, run["records"]
    per_kind = defaultdict(lambda: defaultdict(float))
    for rel, kind in kinds.items():
        row = per_kind[kind]
        row["files"] += 1
        row["mb"] += (folder.root / rel).stat().st_size / 2**20
        record = records.get(rel)
        row["passages"] += record.chunks if record else 0
    for task in run["tasks"]:
        row = per_kind[kinds[os.path.relpath(task["path"], folder.root)]]
        for key in ("wall", "cpu", "ocr_wall", "ocr_cpu", "ocr_reads", "ocr_passes"):
            row[key] += task[key]
    parse_wall = sum(t["wall"] for t in run["tasks"])
    ocr_wall = sum(t["ocr_wall"] for t in run["tasks"])
    files, passages = len(kinds), sum(r["passages"] for r in per_kind.values())
    mb = sum(r["mb"] for r in per_kind.values())
    print(f"  {'kind':12} {'files':>5} {'MB':>6} {'passages':>8} {'parse s':>8} {'share':>6} {'CPU s':>6} "
          f"{'OCR s':>6} {'OCR CPU':>7} {'OCR reads (passes)':>18}")
    for kind in SIZES:
        r = per_kind[kind]
        print(f"  {kind:12} {r['files']:5.0f} {r['mb']:6.2f} {r['passages']:8.0f} {r['wall']:8.1f} "
              f"{100 * r['wall'] / parse_wall:5.1f}% {r['cpu']:6.1f} {r['ocr_wall']:6.1f} {r['ocr_cpu']:7.1f} "
              f"{r['ocr_reads']:9.0f} ({r['ocr_passes']:.0f})")
    seconds = run["seconds"]
    worker_cpu = sum(t["cpu"] for t in run["tasks"])
    print(f"  total: {files} files, {mb:.1f} MB, {passages:.0f} passages; add + sync {seconds:.1f} s wall: "
          f"{files / seconds:.2f} files/s, {passages / seconds:.1f} passages/s")
    print(f"  CPU: app process {run['main_cpu']:.1f} s (embedding, store), parser worker {worker_cpu:.1f} s "
          f"in {len(run['tasks'])} tasks (busy {parse_wall:.1f} s wall)")
    print(f"  OCR in the worker: {ocr_wall:.1f} s wall = {100 * ocr_wall / seconds:.0f} % of the ingest's wall time, "
          f"{100 * ocr_wall / parse_wall:.0f} % of parsing; "
          f"{sum(t['ocr_cpu'] for t in run['tasks']):.1f} s CPU, {sum(t['ocr_reads'] for t in run['tasks'])} pages/images")
    bad = {rel: (r.status, r.reason) for rel, r in records.items() if r.status != "indexed"}
    missing = sorted(set(kinds) - set(records))
    if bad or missing:
        print(f"  NOT INDEXED: {bad} {missing}")
    warned = {rel: r.reason for rel, r in records.items() if r.status == "indexed" and r.reason}
    if warned:
        print(f"  notes on indexed files: {len(warned)}, e.g. {list(warned.items())[:3]}")


def evaluate(archivist, folder) -> dict:
    root = folder.root
    per_label: dict[str, list[int | None]] = defaultdict(list)
    misses = []
    for q in folder.questions:
        hits = archivist.search(q.question, k=K).hits
        rank = next((n for n, h in enumerate(hits, 1) if q.matches(h, root)), None)
        per_label[q.label].append(rank)
        if rank != 1:
            misses.append((q, rank, hits))
    return {"per_label": per_label, "misses": misses}


def scores(ranks: list[int | None]) -> tuple[float, float, float]:
    n = len(ranks)
    return (sum(r == 1 for r in ranks) / n, sum(r is not None and r <= 5 for r in ranks) / n,
            statistics.fmean(1 / r if r else 0.0 for r in ranks))


def report_qa(result: dict, root: Path) -> None:
    print(f"  {'place':14} {'n':>3} {'hit@1':>6} {'hit@5':>6} {'MRR':>5}")
    everything = []
    for label, ranks in result["per_label"].items():
        everything += ranks
        h1, h5, mrr = scores(ranks)
        print(f"  {label:14} {len(ranks):3} {h1:6.2f} {h5:6.2f} {mrr:5.2f}")
    h1, h5, mrr = scores(everything)
    print(f"  {'all':14} {len(everything):3} {h1:6.2f} {h5:6.2f} {mrr:5.2f}")
    for q, rank, hits in result["misses"]:  # below rank 1: a miss when not in the first five
        what = "MISS" if rank is None or rank > 5 else "LOW"
        print(f"  {what} ({'rank ' + str(rank) if rank else 'not in the top 8'}) [{q.label}] {q.question}")
        print(f"       expected {q.file} page {q.page} {' > '.join(q.heading)} row {q.row}: {q.sentence or q.value}")
        for n, h in enumerate(hits[:min(rank or 5, 5)], 1):
            print(f"       {n}. {os.path.relpath(h.path, root)} page {h.page} [{h.heading}] "
                  f"{' '.join(h.text.split())[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="files and rows per kind, times the defaults (up to ~1.3: then the distinct text runs out)")
    parser.add_argument("--per-place", type=int, default=3, help="questions per kind of place")
    parser.add_argument("--sets", default="dev,heldout")
    parser.add_argument("--ocr-off-run", action="store_true", help="index the first set again with OCR off")
    parser.add_argument("--keep", action="store_true", help="keep the folders and indexes (~90 MB a set)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}, "
          f"{os.cpu_count()} CPUs; scale {args.scale}, {args.per_place} questions per place", flush=True)
    for n, name in enumerate(args.sets.split(",")):
        work = Path(tempfile.mkdtemp(prefix=f"archivist-mixed-{name}-"))
        started = time.perf_counter()
        try:
            folder = build((work / "docs").resolve(), SEEDS[name], args.scale, args.per_place)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        print(f"\n== {name} set (seed {SEEDS[name]}): folder generated in {time.perf_counter() - started:.0f} s "
              f"at {folder.root}", flush=True)
        run = ingest(folder.root, work)
        try:
            report_ingest(folder, run)
            print(f"  sync: {run['finished'].files_done} files, {run['finished'].chunks_written} passages written, "
                  f"{run['finished'].failed} failed", flush=True)
            report_qa(evaluate(run["archivist"], folder), folder.root)
        finally:
            run["archivist"].close()
        if n == 0 and args.ocr_off_run:
            off = ingest(folder.root, work, ocr=False)
            off["archivist"].close()
            passages = sum(r.chunks for r in off["records"].values())
            print(f"  same folder, OCR off: add + sync {off['seconds']:.1f} s ({passages} passages): OCR added "
                  f"{run['seconds'] - off['seconds']:.1f} s = {100 * (1 - off['seconds'] / run['seconds']):.0f} % "
                  f"of the ingest's wall time", flush=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
