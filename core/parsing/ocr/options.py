"""How a parse should OCR: which engine, where results are cached, and whose pages they are."""

from __future__ import annotations

from dataclasses import dataclass

AUTO = "auto"


@dataclass(frozen=True)
class OcrOptions:
    """Picklable: it travels to the parser workers with each task."""

    engine: str = AUTO  # "auto" (the measured default), "rapidocr" or "tesseract"
    data_dir: str | None = None  # results are kept in the data folder (cache.py); None: not kept
    owner: str | None = None  # content hash of the file being read: the cache keeps what indexed files use
    # The preview, parsing a file again to show it: only what the indexer read, from the cache (by
    # any engine); a picture it did not read is not read now either, so the text, and the index's
    # offsets into it, come out the same.
    cached_only: bool = False


def as_options(ocr: bool | OcrOptions | None) -> OcrOptions | None:
    """``parse_file(ocr=…)`` takes True (OCR with the defaults), False/None (no OCR) or OcrOptions."""
    if isinstance(ocr, OcrOptions):
        return ocr
    return OcrOptions() if ocr else None


def from_settings(settings, owner: str | None = None) -> OcrOptions | None:
    """What the user's settings (core.config.Settings) ask for; None when OCR is off."""
    if not settings.ocr:
        return None
    return OcrOptions(engine=settings.ocr_engine, data_dir=str(settings.data_dir), owner=owner)
