"""RapidOCR's recogniser with its MatMuls in int8, made once from the model in RapidOCR's wheel.

Recognition is most of a dense page's OCR time; its MatMuls (the 18,710-class output layer and
the attention) computed in int8 make a page faster at the same error rate (bench/RESULTS.md, "OCR";
quantising the convolutions too made it slower and misread more). ONNX Runtime's own dynamic
quantisation does it in a fraction of a second, so the model is made at first use, not shipped:
in the data folder (models/ocr/, beside the embedding model's files), named by the source model's
sha256 and ONNX Runtime's version, so an upgrade of either makes a new one. It is written to a
temporary name and moved into place (parser workers may build it at the same time: each move is
whole, and both write the same bytes), then its own sha256 beside it: a file that does not match
it (damaged, or left half-written by a crash) is made again. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

TAG = "rec-int8"  # in the engine's id: results read with this model are cached apart from fp32 ones
OPS = ["MatMul"]
BUILDS = 0  # how many models this process has made (a made one is reused: tests count on it)


def sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def int8_path(source: Path, folder: Path) -> Path:
    import onnxruntime

    return folder / f"{source.stem}.{sha256(source)[:16]}.ort{onnxruntime.__version__}.{TAG}.onnx"


def recogniser(source: Path, folder: Path) -> Path:
    """The int8 model made from ``source`` in ``folder``: the one made before when it is sound,
    else made now. Raises whatever quantisation raises (the caller falls back to ``source``)."""
    target = int8_path(source, folder)
    check = target.with_name(target.name + ".sha256")
    if _sound(target, check):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    unique = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
    # Quantisation writes a shape-inferred copy of its input beside the input ("<name>-inferred"):
    # it reads a copy of the source in our folder, never RapidOCR's own (a read-only install, and
    # the same file name for every worker).
    copy, staging = folder / f".{source.stem}.{unique}.src.tmp", folder / f".{target.name}.{unique}.tmp"
    try:
        shutil.copyfile(source, copy)
        _quantise(copy, staging)
        digest = sha256(staging)
        os.replace(staging, target)
        _write_atomically(check, digest)
    finally:
        for leftover in (copy, staging, copy.with_name(f"{copy.stem}-inferred{copy.suffix}")):
            leftover.unlink(missing_ok=True)
    global BUILDS
    BUILDS += 1
    log.info("made the int8 recogniser %s", target.name)
    return target


def _sweep(folder: Path, older_than_s: float = 3600) -> None:
    """Staging files a crashed build left behind (a build takes about a second)."""
    now = time.time()
    for path in folder.glob(".*.tmp"):
        try:
            if now - path.stat().st_mtime > older_than_s:
                path.unlink()
        except OSError:
            pass


def _sound(target: Path, check: Path) -> bool:
    try:
        return check.read_text(encoding="ascii").strip() == sha256(target)
    except (OSError, UnicodeDecodeError):
        return False


def _quantise(source: Path, out: Path) -> None:
    from onnxruntime.quantization import quantize_dynamic

    # Quantisation logs a hint to pre-process the model first (shape inference), which MatMuls
    # alone do not need: it would land in the user's log at each model made.
    root = logging.getLogger()
    root.addFilter(_no_hint)
    try:
        quantize_dynamic(source, out, op_types_to_quantize=OPS)
    finally:
        root.removeFilter(_no_hint)


def _no_hint(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("Please consider to run pre-processing")


def _write_atomically(path: Path, text: str) -> None:
    staging = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        staging.write_text(text, encoding="ascii")
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


_PROCESS_FOLDER: Path | None = None


def process_folder() -> Path:
    """A folder of this process's own, removed at exit: for OCR without a data folder (a library
    call, a benchmark), which then reads as the app does."""
    global _PROCESS_FOLDER
    if _PROCESS_FOLDER is None:
        import atexit
        import tempfile

        _PROCESS_FOLDER = Path(tempfile.mkdtemp(prefix="archivist-ocr-models-"))
        atexit.register(shutil.rmtree, _PROCESS_FOLDER, True)
    return _PROCESS_FOLDER
