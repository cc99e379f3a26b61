"""CLI search latency, as a user sees it: wall time of `archivist-cli search` processes, cold (no
Archivist running) and with `archivist-cli watch` running on the same data folder.

The folder is real text (the standard library's documentation) as Markdown files and PDFs, indexed
once by `archivist-cli add`. Every search asks a different question (each is embedded afresh).
"Cold" means no running instance; the operating system's file cache is warm after the first run,
as it is for anyone who searches twice. Besides wall time, each search's CPU time (user + system,
all its threads) is shown: on a machine shared with other work, wall time swings with the load
(printed too), CPU time much less.

    python bench/cli_latency.py [--files 60] [--runs 20] [--root DIR] [--work DIR]

``--root`` runs another checkout's CLI (e.g. an exported older commit), to compare; ``--work``
keeps the folder and its index there, so a second run (of either checkout) searches the same index.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import percentile  # noqa: E402
from corpus import module_texts, paragraphs, write_pdf  # noqa: E402

HERE_ROOT = Path(__file__).resolve().parent.parent


def build_folder(folder: Path, files: int) -> list[str]:
    """``files`` documents (a quarter of them PDFs); returns the paragraphs to draw questions from."""
    texts = module_texts(limit=files)
    for n, text in enumerate(texts):
        if n % 4 == 3:
            pages = [text[i:i + 2500] for i in range(0, min(len(text), 25_000), 2500)]
            write_pdf(folder / f"doc{n:03d}.pdf", pages)
        else:
            (folder / f"doc{n:03d}.md").write_text(text[:60_000], encoding="utf-8")
    return paragraphs(texts)


def questions(paras: list[str], n: int, seed: int = 1) -> list[str]:
    """The first words of prose paragraphs (not pydoc's headers, paths or signatures)."""
    prose = [p for p in paras if p[0].isupper() and not any(c in p[:80] for c in "/=[_()")]
    picked = random.Random(seed).sample(prose, n)
    return [" ".join(p.split()[:8]) for p in picked]


class Cli:
    def __init__(self, root: Path, data_dir: Path):
        self.root = root
        self.env = dict(os.environ, ARCHIVIST_DATA_DIR=str(data_dir), PYTHONPATH=str(root))

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "core.cli", *args]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run(self.command(*args), capture_output=True, env=self.env, cwd=self.root, timeout=600)
        if check and out.returncode not in (0, 4):
            raise RuntimeError(f"{args}: exit {out.returncode}: {out.stderr.decode(errors='replace')}")
        return out

    def timed_searches(self, queries: list[str]) -> tuple[list[float], list[float], list[float]]:
        """Milliseconds of each search: wall and CPU of the CLI process, and the search itself
        (its trace: embedding, retrieval, sentence re-ranking) wherever it ran."""
        wall, cpu, search = [], [], []
        for query in queries:
            before = _children_cpu()
            t0 = time.perf_counter()
            out = self.run("search", "--json", query)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((_children_cpu() - before) * 1000)
            search.append(json.loads(out.stdout)["trace"]["timings"]["total_ms"])
        return wall, cpu, search

    def served_by(self, query: str) -> str:
        trace = json.loads(self.run("search", "--json", query).stdout)["trace"]
        return trace.get("served_by", "this process")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_for_instance(cli: Cli, watch: subprocess.Popen, timeout: float = 300) -> None:
    """Until the watcher's first sync is done and (where supported) it answers searches."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if watch.poll() is not None:
            raise RuntimeError(f"watch exited: {watch.stderr.read().decode(errors='replace')}")
        if cli.served_by("ready") != "this process" or _watch_said_ready(watch):
            return
        time.sleep(0.5)
    raise RuntimeError("the watcher did not become ready")


_said: list[bytes] = []


def _watch_said_ready(watch: subprocess.Popen) -> bool:
    os.set_blocking(watch.stderr.fileno(), False)
    chunk = watch.stderr.read() or b""
    _said.append(chunk)
    return b"Ctrl-C to stop" in b"".join(_said)


def report(name: str, times: tuple[list[float], list[float], list[float]]) -> None:
    wall, cpu, search = (sorted(t) for t in times)
    print(f"{name}: wall p50 {percentile(wall, 50) / 1000:.3f} s, p95 {percentile(wall, 95) / 1000:.3f} s "
          f"(n={len(wall)}; load average {os.getloadavg()[0]:.1f})\n"
          f"    CPU of the CLI process p50 {percentile(cpu, 50) / 1000:.3f} s, p95 {percentile(cpu, 95) / 1000:.3f} s; "
          f"the search itself p50 {percentile(search, 50) / 1000:.3f} s, p95 {percentile(search, 95) / 1000:.3f} s",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--root", type=Path, default=HERE_ROOT, help="the checkout whose CLI is measured")
    parser.add_argument("--work", type=Path, help="keep (or reuse) the folder and its index here")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="archivist-cli-bench-"))
    folder, data_dir = work / "docs", work / "data"
    cli = Cli(args.root.resolve(), data_dir)
    if folder.exists():
        paras = paragraphs(module_texts(limit=args.files))
    else:
        folder.mkdir(parents=True)
        paras = build_folder(folder, args.files)
        t0 = time.perf_counter()
        cli.run("add", str(folder))
        print(f"indexed in {time.perf_counter() - t0:.0f} s", flush=True)
    status = json.loads(cli.run("status", "--json").stdout)
    print(f"{sum(status['counts'].values())} files, {status['chunks']} passages; code: {cli.root}", flush=True)

    asked = questions(paras, 2 * args.runs + 1)
    cli.run("search", asked[-1])  # the OS file cache holds the libraries from here on
    report("cold (no instance running)", cli.timed_searches(asked[:args.runs]))

    watch = subprocess.Popen(cli.command("watch"), env=cli.env, cwd=cli.root,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_instance(cli, watch)
        served = cli.served_by(asked[0])
        report("with watch running", cli.timed_searches(asked[args.runs:2 * args.runs]))
        print(f"  (searches served by: {served})")
    finally:
        watch.terminate()
        watch.wait(timeout=60)


if __name__ == "__main__":
    main()
