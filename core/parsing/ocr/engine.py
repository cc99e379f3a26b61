"""The OCR engine interface and which engine reads a page.

An engine turns an RGB image (numpy, height × width × 3, uint8) into lines of words, each word
with its box in the image's pixels and each line with a confidence. Which engine is used by
default was decided by measurement (bench/ocr.py, bench/RESULTS.md "OCR"): RapidOCR reads clean
scans as well as Tesseract, noisy ones with half its errors, and pages scanned sideways or upside
down, which Tesseract (no confidence through MuPDF) does not; and it needs nothing installed beside
Archivist. The setting ``ocr_engine`` overrides it.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .options import AUTO

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
RAPIDOCR, TESSERACT = "rapidocr", "tesseract"
ENGINES = (RAPIDOCR, TESSERACT)
MEASURED_DEFAULT = RAPIDOCR  # bench/RESULTS.md, "OCR"


@dataclass(frozen=True)
class Word:
    text: str
    box: Box


@dataclass(frozen=True)
class Line:
    """A line as read: its text, box and confidence, and the boxes of the words in it (each word
    a piece of ``text``, in order; there may be none when the engine gives no word boxes)."""

    text: str
    box: Box
    confidence: float  # 0…1, as the engine rates its reading
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class OcrResult:
    """What OCR read on one image. ``rotation`` is how far (degrees clockwise) the image was
    turned to read it upright; the lines' boxes are fractions of that upright image."""

    width: int  # of the image as given, before turning
    height: int
    rotation: int
    lines: tuple[Line, ...]
    engine: str = ""  # the engine id that read it


class OcrEngine(Protocol):
    id: str  # name, version and settings: what the cache keys a result by

    def read(self, rgb: np.ndarray) -> list[Line]:
        """Lines with word boxes in ``rgb``'s pixels, in the engine's own order."""


class OcrUnavailable(Exception):
    """No engine can run here (the reason says why)."""


class OcrFailed(Exception):
    """The engine ran and failed on this image."""


def engine(name: str, data_dir: str | None = None) -> OcrEngine:
    """``data_dir``: where models made at first use are kept (None: a folder of the process's own)."""
    return _engine(name, data_dir)  # engine(name) and engine(name, None) are one engine


@functools.lru_cache(maxsize=None)  # one per process: loading the models takes a second
def _engine(name: str, data_dir: str | None) -> OcrEngine:
    if name == RAPIDOCR:
        from core.layout import ocr_models_dir

        from .rapid import RapidEngine

        return RapidEngine(models_dir=ocr_models_dir(Path(data_dir)) if data_dir else None)
    if name == TESSERACT:
        from .tesseract import TesseractEngine

        return TesseractEngine()
    raise OcrUnavailable(f"unknown OCR engine {name!r} (known: {', '.join(ENGINES)})")


def choose(setting: str = AUTO, data_dir: str | None = None) -> OcrEngine:
    """The engine the setting names, else the measured default, else any that runs here."""
    wanted = [setting] if setting in ENGINES else []
    if setting not in ENGINES and setting != AUTO:
        log.warning("unknown OCR engine %r in the settings: using the default", setting)
    order = wanted + [MEASURED_DEFAULT] + [e for e in ENGINES if e != MEASURED_DEFAULT]
    reasons = []
    for name in dict.fromkeys(order):
        try:
            return engine(name, data_dir)
        except OcrUnavailable as exc:
            if name == setting:
                log.warning("OCR engine %s is not available (%s): using another", name, exc)
            reasons.append(f"{name}: {exc}")
    raise OcrUnavailable("; ".join(reasons))
