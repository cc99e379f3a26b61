"""The real parser pool, with each task saying where its time went: the parse's wall and CPU seconds in
the worker, and the part of them spent in OCR (OcrPages.read: rendering a scanned page or taking an
image's pixels, recognition, reading order; for PDF pages, images and images attached to mail alike).
One JSON line per task goes to a log file the bench reads afterwards."""

from __future__ import annotations

import json
import time

from core.parsing.pool import ParserPool

_ocr = {"wall": 0.0, "cpu": 0.0, "reads": 0, "passes": 0}  # this task's OCR, in this worker


def _timed(read):
    def timed_read(self, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return read(self, *args, **kwargs)
        finally:
            _ocr["wall"] += time.perf_counter() - wall
            _ocr["cpu"] += time.process_time() - cpu
            _ocr["reads"] += 1

    timed_read.timed = True
    return timed_read


def _counted(read):
    """The engine's own reads: an image read unsurely is read again turned (ocr/orient.py)."""
    def counted_read(self, *args, **kwargs):
        _ocr["passes"] += 1
        return read(self, *args, **kwargs)

    counted_read.timed = True
    return counted_read


def _instrument() -> None:
    from core.parsing import ocr_pages
    from core.parsing.ocr import rapid, tesseract

    if not getattr(ocr_pages.OcrPages.read, "timed", False):
        ocr_pages.OcrPages.read = _timed(ocr_pages.OcrPages.read)
        rapid.RapidEngine.read = _counted(rapid.RapidEngine.read)
        tesseract.TesseractEngine.read = _counted(tesseract.TesseractEngine.read)


def timed_parse(path: str, log_path: str, **kwargs):
    """Runs in the worker in place of parse_file (same arguments, same result)."""
    from core.parsing.parse import parse_file

    _instrument()
    _ocr.update(wall=0.0, cpu=0.0, reads=0, passes=0)
    wall, cpu = time.perf_counter(), time.process_time()  # process time: every thread of the worker
    try:
        return parse_file(path, **kwargs)
    finally:
        record = {"path": path, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "ocr_wall": _ocr["wall"], "ocr_cpu": _ocr["cpu"], "ocr_reads": _ocr["reads"], "ocr_passes": _ocr["passes"]}
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


class TimedParserPool(ParserPool):
    def __init__(self, log_path, **kwargs):
        super().__init__(**kwargs)
        self.log_path = str(log_path)

    def submit(self, path: str, **kwargs):
        return self._submit_callable(timed_parse, path, self.log_path, **kwargs)


def read_log(log_path) -> list[dict]:
    try:
        with open(log_path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except FileNotFoundError:
        return []
