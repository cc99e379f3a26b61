"""Responsiveness: the longest stall of the window's event loop while 1,000 files index and an answer
streams (the built-in engine, in this process). A 5 ms timer ticks on the GUI thread; a stall is how
late a tick comes. Target: the longest stall <= 100 ms."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OLLAMA_HOST", "http://127.0.0.1:9")  # the built-in engine answers
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

TICK_MS = 5


class StallMeter:
    def __init__(self):
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self.times: list[float] = []
        self.last = time.perf_counter()
        self.timer = QTimer(interval=TICK_MS, timeout=self._tick)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last) * 1000 - TICK_MS)
        self.times.append(now)
        self.last = now

    def stop(self) -> None:
        self.timer.stop()


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from common import percentile
    from core.config import Settings
    from demo_library import write_library
    from desktop.answer_backend import AnswerBackend
    from desktop.index_backend import IndexBackend
    from desktop.main_window import MainWindow
    from desktop.tasks import Tasks

    work = Path(tempfile.mkdtemp(prefix="archivist-gui-bench-"))
    docs = write_library(work / "docs", extra_notes=args.files - 7)  # 7 fixed documents
    app = QApplication(sys.argv[:1])
    tasks = Tasks()
    index = IndexBackend(tasks, Settings(data_dir=work / "data"))
    answers = AnswerBackend(tasks, index)
    window = MainWindow(index, answers, QSettings(str(work / "desktop.ini"), QSettings.Format.IniFormat))
    window.resize(1300, 820)
    window.show()
    meter = StallMeter()
    marks: dict[str, float] = {}
    answers.choose_engine("embedded", "")

    def opened(_status):
        marks["start"] = time.perf_counter()
        meter.start()
        window.add_paths([str(docs)])

    def progress(p):
        if "asked" not in marks and p.files_done >= p.files_total // 5:  # ask while most is still to index
            marks["asked"] = time.perf_counter()
            window.composer.set_text("How long is the refund window for Acme widgets?")
            window.composer.submit()

    def synced(finished):
        if finished.files_done >= args.files // 2:
            marks["indexed"] = time.perf_counter()
            finish_when_done()

    def answered(result):
        marks["answered"] = time.perf_counter()
        marks["tokens"] = len(result["text"])
        finish_when_done()

    def finish_when_done():
        if "indexed" in marks and "answered" in marks:
            meter.stop()
            app.quit()

    index.opened.connect(opened)
    index.sync_progress.connect(progress)
    index.sync_finished.connect(synced)
    answers.answer_finished.connect(answered)
    index.open()
    app.exec()
    index.stop_work()
    tasks.shutdown()
    answers.close()
    index.close()

    import psutil

    rss_mb = psutil.Process().memory_info().rss / 2**20
    gaps = meter.gaps
    if os.environ.get("STALL_DEBUG"):
        for g, t in zip(gaps, meter.times):
            if g > 30:
                print(f"stall {g:.0f} ms at {t - marks['start']:.2f} s (asked at {marks['asked'] - marks['start']:.2f})")
    overlap = min(marks["indexed"], marks["answered"]) - marks["asked"]
    result = {"files": args.files, "ticks": len(gaps), "longest_stall_ms": round(max(gaps), 1),
              "p99_stall_ms": round(percentile(gaps, 99), 1), "stalls_over_50ms": sum(g > 50 for g in gaps),
              "indexing_s": round(marks["indexed"] - marks["start"], 1),
              "answer_s": round(marks["answered"] - marks["asked"], 1),
              "answer_while_indexing_s": round(max(0.0, overlap), 1), "rss_mb_at_end": round(rss_mb)}
    print(json.dumps(result) if args.json else
          f"{args.files} files indexed in {result['indexing_s']} s; an answer streamed for {result['answer_s']} s "
          f"({result['answer_while_indexing_s']} s of it while indexing)\n"
          f"event-loop stalls: longest {result['longest_stall_ms']} ms, p99 {result['p99_stall_ms']} ms, "
          f"{result['stalls_over_50ms']} over 50 ms in {result['ticks']} ticks (target: longest <= 100 ms); "
          f"app memory at the end {result['rss_mb_at_end']} MB")
    return result


if __name__ == "__main__":
    main()
