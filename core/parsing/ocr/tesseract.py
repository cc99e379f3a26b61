"""Tesseract, where it is installed: MuPDF links Tesseract itself and only needs its language data
(from TESSDATA_PREFIX or an installed ``tesseract``). It gives no confidence, so a line's
confidence is the share of its words that look like words (what orient.py compares)."""

from __future__ import annotations

import functools
import glob
import logging
import os
import re
import shutil
import subprocess

import numpy as np
import pymupdf

from .engine import Line, OcrFailed, OcrUnavailable, Word

log = logging.getLogger(__name__)

_WORDLIKE = re.compile(r"[\W_]*[^\W_]+(?:[-'’.,/:][^\W_]+)*[\W_]*")


@functools.lru_cache(maxsize=1)
def tesseract() -> tuple[str, str] | None:
    """(tessdata dir, languages) when Tesseract can run, else None."""
    candidates = [os.environ.get("TESSDATA_PREFIX", "")]
    exe = shutil.which("tesseract")
    if exe:
        try:
            out = subprocess.run(
                [exe, "--list-langs"], capture_output=True, text=True, timeout=10, check=False
            )
            m = re.search(r'languages in "([^"]+)"', out.stdout + out.stderr)
            if m:
                candidates.append(m.group(1))
        except (OSError, subprocess.SubprocessError) as exc:
            log.info("tesseract found but not usable: %s", exc)
    for folder in filter(None, candidates):
        langs = sorted(os.path.basename(p).split(".")[0]
                       for p in glob.glob(os.path.join(glob.escape(folder), "*.traineddata")))
        langs = [lang for lang in langs if lang != "osd"]
        if langs:
            # English first when present; the other languages installed are read alongside
            chosen = (["eng"] if "eng" in langs else []) + [lang for lang in langs if lang != "eng"][:2]
            return folder, "+".join(chosen)
    return None


class TesseractEngine:
    def __init__(self):
        found = tesseract()
        if found is None:
            raise OcrUnavailable("Tesseract's language data is not installed")
        self._folder, self._languages = found
        self.id = f"tesseract (MuPDF {pymupdf.VersionFitz}) {self._languages}"

    def read(self, rgb: np.ndarray) -> list[Line]:
        height, width = rgb.shape[:2]
        pix = pymupdf.Pixmap(pymupdf.csRGB, width, height, np.ascontiguousarray(rgb).tobytes(), False)
        pix.set_dpi(72, 72)  # one point per pixel: the words' boxes come back in pixels
        try:
            pdf = pix.pdfocr_tobytes(language=self._languages, tessdata=self._folder)
            with pymupdf.open("pdf", pdf) as doc:
                words = doc[0].get_text("words", sort=False)
        except (RuntimeError, ValueError) as exc:
            raise OcrFailed(str(exc)) from exc
        by_line: dict[tuple[int, int], list[Word]] = {}
        for x0, y0, x1, y1, text, block, line, _ in words:
            by_line.setdefault((block, line), []).append(Word(text, (x0, y0, x1, y1)))
        lines = []
        for pieces in by_line.values():
            text = " ".join(w.text for w in pieces)
            box = (min(w.box[0] for w in pieces), min(w.box[1] for w in pieces),
                   max(w.box[2] for w in pieces), max(w.box[3] for w in pieces))
            wordlike = sum(bool(_WORDLIKE.fullmatch(w.text)) for w in pieces) / len(pieces)
            lines.append(Line(text, box, wordlike, tuple(pieces)))
        return lines
