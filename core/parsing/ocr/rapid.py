"""RapidOCR: PP-OCR text detection and recognition (ONNX models inside its wheel) on ONNX Runtime.

The models are given by path, so RapidOCR never looks for them elsewhere or downloads anything
(it would fetch a model it cannot find); the recognition model carries its own character list.
Its per-line angle classifier is off: orient.py turns whole pages instead, which keeps the
reading order and the boxes right on a page scanned upside down.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

import numpy as np

from . import quantized
from .engine import Box, Line, OcrFailed, OcrUnavailable, Word

log = logging.getLogger(__name__)

MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx", "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
# The pixel budget (pixels.py) already bounds the image; RapidOCR's own cap (2000 px a side) would
# shrink a long receipt's text below what its recogniser reads.
MAX_SIDE = 4096
# Text lines are found on the page scaled to this longest side: detection costs as many pixels as
# it sees, and finds 8 pt print at this size as well as on the whole page (bench/ocr.py); the
# lines are then read from the page at full size.
DET_SIDE = 1280
# Lines recognised together: each batch's output holds a score for each of the 18,710 characters the
# model knows at each step of each line (~110 MB for 6 long lines); 2 at a time keeps a worker's peak
# ~230 MB lower at the same speed (measured).
REC_BATCH = 2
# The recogniser's MatMuls in int8 (quantized.py): faster at the same error rate (bench/RESULTS.md).
REC_INT8 = True
INK = 160  # a pixel darker than this (in its darkest channel) may be print; paper and noise are lighter
# RapidOCR pads an image wider than 8:1 or under 30 px high with black bands before detection
# (its Global.width_height_ratio and min_height). A whole page is never padded, so a cut-out is kept
# within these proportions, with the page's own paper around a lone line, to be detected as the page is.
WIDEST, LOWEST = 8, 32


class RapidEngine:
    def __init__(self, det_side: int | None = DET_SIDE, models_dir: Path | None = None, int8: bool = REC_INT8,
                 crop: bool = True):
        """``det_side``: the longest side detection runs at (None: the image as it is). ``int8``:
        recognise with the int8 recogniser, kept in ``models_dir`` (None: a folder of this process's
        own, removed at exit), or with the fp32 one when it cannot be made or loaded. ``crop``: read
        only the part of a page that has ink (measured against reading all of it: bench/ocr.py)."""
        self.det_side = det_side
        try:
            import rapidocr
            from rapidocr import RapidOCR
        except ImportError as exc:  # a broken install: say so, the other engine may still run
            raise OcrUnavailable(f"RapidOCR cannot be loaded ({exc})") from exc
        folder = Path(rapidocr.__file__).parent / "models"
        missing = [name for name in MODELS.values() if not (folder / name).is_file()]
        if missing:
            raise OcrUnavailable(f"RapidOCR's models are missing ({', '.join(missing)})")
        _no_spinning()
        params = {f"{part}.model_path": str(folder / name) for part, name in MODELS.items()}
        params.update({"Global.log_level": "error", "Global.use_cls": False, "Global.max_side_len": MAX_SIDE,
                       "Rec.rec_batch_num": REC_BATCH})
        if det_side:
            params.update({"Det.limit_type": "max", "Det.limit_side_len": det_side})
        version = getattr(rapidocr, "__version__", None) or _dist_version()
        self.id = f"rapidocr {version} PP-OCRv6 small" + (f" det{det_side}" if det_side else "")
        self.reads_as: tuple[str, ...] = ()
        self._ocr = _int8_ocr(RapidOCR, params, folder / MODELS["Rec"], models_dir) if int8 else None
        if self._ocr is not None:
            self.reads_as = (self.id,)  # the fp32 recogniser's results (orient.result_ids)
            self.id += f" {quantized.TAG}"
        else:
            try:
                self._ocr = RapidOCR(params=params)
            except Exception as exc:  # noqa: BLE001 - whatever the library raises, OCR is not available
                raise OcrUnavailable(f"RapidOCR cannot start ({type(exc).__name__}: {exc})") from exc
        # Reads only the inked part of a page; its readings of pages with their margins are as
        # good (bench/RESULTS.md), so those are taken from the cache.
        self._cuts = bool(det_side and crop and callable(getattr(self._ocr, "_load_det_model", None)))
        if self._cuts:
            self.reads_as += (self.id,)
            self.id += " ink"

    def read(self, rgb: np.ndarray) -> list[Line]:
        top, left = 0, 0
        detector = self._detector()
        if detector is not None:
            detector.limit_side_len = self.det_side
            if (area := ink_area(rgb)) is not None:
                # Only the part of the page that has ink is read, at the scale the whole page would
                # be detected at: a page's margins cost detection time and hold no text.
                top, bottom, left, right = area
                share = max(bottom - top, right - left) / max(rgb.shape[:2])
                detector.limit_side_len = max(32, round(self.det_side * share))
                rgb = rgb[top:bottom, left:right]
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # RapidOCR takes arrays in OpenCV's order
        try:
            out = self._ocr(bgr, return_word_box=True)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - ONNX Runtime and OpenCV errors alike
            raise OcrFailed(f"{type(exc).__name__}: {exc}") from exc
        finally:
            _give_back_memory()
        if getattr(out, "boxes", None) is None or not out.txts:
            return []
        words = out.word_results if len(out.word_results or ()) == len(out.txts) else [()] * len(out.txts)
        lines = []
        for polygon, text, score, line_words in zip(out.boxes, out.txts, out.scores, words):
            pieces = tuple(Word(str(w[0]), _bounds(w[2], top, left)) for w in line_words
                           if w[2] is not None and str(w[0]).strip())
            lines.append(Line(str(text), _bounds(polygon, top, left), float(score), pieces))
        return lines

    def _detector(self):
        """RapidOCR's text detector, whose scale is set page by page; None without a scale to keep
        (detection of the image as it is) or in a RapidOCR that does not have one to set."""
        if not self._cuts:
            return None
        detector = self._ocr._load_det_model()
        return detector if hasattr(detector, "limit_side_len") else None


def _int8_ocr(make, params: dict, source: Path, models_dir: Path | None):
    """RapidOCR with the int8 recogniser, or None (logged) when it cannot be made or loaded: OCR
    then runs with the fp32 one, slower but never absent."""
    try:
        rec = quantized.recogniser(source, models_dir or quantized.process_folder())
        ocr = make(params={**params, "Rec.model_path": str(rec)})
        # RapidOCR loads each model at its first use: a model that does not load must fail here,
        # where the fp32 one can take over, not on every page.
        load = getattr(ocr, "_load_rec_model", None)
        if callable(load):
            load()
        else:  # another RapidOCR: at least check the model loads
            import onnxruntime

            onnxruntime.InferenceSession(str(rec), providers=["CPUExecutionProvider"])
        return ocr
    except Exception as exc:  # noqa: BLE001 - a disk, ONNX or quantisation failure alike
        log.warning("the int8 text recogniser is not available (%s: %s): using the fp32 one", type(exc).__name__, exc)
        return None


def _give_back_memory() -> None:
    """A page's arrays are freed, but glibc keeps the pages: ~400 MB stay resident after each page,
    which would make the parser worker look too big and be replaced (with the models reloaded)
    before the next file. Trimming returns all but ~140 MB (measured)."""
    global _TRIM
    if _TRIM is None:
        try:
            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM = None


def _no_spinning() -> None:
    """ONNX Runtime's worker threads spin while waiting for work: on two cores shared with the
    embedding model and the window, that burns the CPU the other thread needs (measured: 1.5× the
    CPU time for the same page). RapidOCR builds its sessions' options in one place; ours add the
    switch there. Without that place (another RapidOCR), sessions keep ONNX Runtime's default."""
    try:
        from rapidocr.inference_engine.onnxruntime.main import OrtInferSession
    except ImportError:
        return
    build = OrtInferSession.__dict__.get("_init_sess_opts")
    if not isinstance(build, staticmethod) or getattr(build.__func__, "no_spinning", False):
        return

    def options(cfg):
        made = build.__func__(cfg)
        made.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return made

    options.no_spinning = True
    OrtInferSession._init_sess_opts = staticmethod(options)


def _bounds(points, top: int = 0, left: int = 0) -> Box:
    xs, ys = [float(p[0]) + left for p in points], [float(p[1]) + top for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def ink_area(rgb: np.ndarray, step: int = 4) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the part of the image that has ink, with a margin; None when
    that is most of it (nothing to save) or there is no ink. Looked for in blocks of ``step`` pixels
    a side, a block dark when any pixel in it is (a sample of every ``step``-th pixel misses a thin
    stroke: the last digit of a line was cut off); a row or column of blocks counts when two of its
    blocks are dark, so a speck of scanner noise does not."""
    height, width = rgb.shape[:2]
    rows_in, cols_in = height // step, width // step
    if not rows_in or not cols_in:
        return None
    dark = rgb[:rows_in * step, :cols_in * step].min(axis=2) < INK
    dark = dark.reshape(rows_in, step, cols_in, step).any(axis=(1, 3))
    rows, cols = np.flatnonzero(dark.sum(axis=1) >= 2), np.flatnonzero(dark.sum(axis=0) >= 2)
    if not rows.size or not cols.size:
        return None
    pad = max(16, round(0.01 * max(height, width)))
    top, bottom = max(0, rows[0] * step - pad), min(height, (rows[-1] + 1) * step + pad)
    left, right = max(0, cols[0] * step - pad), min(width, (cols[-1] + 1) * step + pad)
    top, bottom = _tall_enough(top, bottom, right - left, height)
    if (bottom - top) * (right - left) > 0.9 * height * width:
        return None
    return int(top), int(bottom), int(left), int(right)


def _tall_enough(top: int, bottom: int, width: int, height: int) -> tuple[int, int]:
    """``top``, ``bottom`` widened evenly (within the page) to the height RapidOCR detects without
    letterboxing a cut-out ``width`` wide."""
    need = min(height, max(LOWEST, -(-width // WIDEST) + 1))
    if bottom - top >= need:
        return top, bottom
    top = max(0, min(top - (need - (bottom - top)) // 2, height - need))
    return top, top + need


def _dist_version() -> str:
    from importlib.metadata import version

    return version("rapidocr")
