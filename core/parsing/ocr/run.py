"""OCR of one page's pixels, through the cache: what the parsers and the preview call."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import numpy as np

from .cache import cache_in
from .engine import OcrResult, choose
from .options import OcrOptions
from .orient import read_upright, result_ids
from .pixels import pixels_hash
from .reading import PageReading, arrange

log = logging.getLogger(__name__)


Pixels = np.ndarray | Callable[[], np.ndarray]


def read_pixels(rgb: Pixels, options: OcrOptions, any_engine: bool = False, key: str | None = None) -> OcrResult:
    """What the chosen engine reads on ``rgb``, from the cache when it was read before. With
    ``any_engine`` a result of another engine is good too (the preview: the index may have been
    built with it); with ``options.cached_only``, only a cached result is (none: no lines).
    ``key`` is the cache's key when it is not the pixels' hash (a picture inside a document is
    known by its bytes: pictures.py); ``rgb`` may then be a function, called only when the pixels
    are to be read, so a cached picture is never decoded. Raises OcrUnavailable or OcrFailed."""
    key = key or pixels_hash(rgb)
    cache = cache_in(options.data_dir)
    if cache is not None and (any_engine or options.cached_only):
        found = _cached(cache, key, None, options.owner)
        if found is not None:
            return found
    if options.cached_only:  # not read when indexed (OCR off, out of time) or no longer kept: no text
        return OcrResult(0, 0, 0, ())
    engine = choose(options.engine, options.data_dir)
    for engine_id in result_ids(engine) if cache is not None else ():
        found = _cached(cache, key, engine_id, options.owner)
        if found is not None:
            return found
    result = read_upright(engine, rgb() if callable(rgb) else rgb)
    if cache is not None:
        try:
            cache.put(key, result, options.owner)
        except sqlite3.Error as exc:
            log.warning("could not keep an OCR result: %s", exc)
    return result


def read_text(rgb: Pixels, options: OcrOptions, any_engine: bool = False, key: str | None = None) -> PageReading:
    return arrange(read_pixels(rgb, options, any_engine, key))


def _cached(cache, key: str, engine: str | None, owner: str | None) -> OcrResult | None:
    try:
        return cache.get(key, engine, owner)
    except sqlite3.Error as exc:
        log.warning("could not read the OCR cache: %s", exc)
        return None
