"""Pages scanned sideways or upside down: turn the page until it reads.

Engine-neutral: a page read upright gives wide line boxes read with confidence; one on its side
gives tall boxes, and one upside down gives low confidence. Only such a page is read again, turned
a quarter either way or a half, and the best reading is kept; an upright page (nearly all) is read
once, a poor scan or a page upside down twice, a page on its side at most three times.
"""

from __future__ import annotations

import numpy as np

from .engine import Box, Line, OcrEngine, OcrResult, Word

CONFIDENT = 0.9  # a page read at least this surely is upright (one upside down read 0.7 here)
TALL = 1.5  # a line box this much taller than wide is text on its side
MIN_CHARS = 3  # lines shorter than this say little about the page's orientation
VERSION = 1  # of the turning below: a result is cached under the engine's id and this (result_id)


def result_id(engine: OcrEngine) -> str:
    return f"{engine.id}; upright v{VERSION}"


def result_ids(engine: OcrEngine) -> list[str]:
    """The ids of the cached results this engine takes as its own: its own, then those of the
    engines it names in ``reads_as`` (the int8 recogniser takes the fp32 one's readings of the same
    pages: they are as good, and a file indexed before keeps its text)."""
    return [result_id(engine)] + [f"{other}; upright v{VERSION}" for other in getattr(engine, "reads_as", ())]


def turned(rgb: np.ndarray, degrees: int) -> np.ndarray:
    """The image turned ``degrees`` clockwise."""
    return np.ascontiguousarray(np.rot90(rgb, k=-(degrees // 90) % 4))


def read_upright(engine: OcrEngine, rgb: np.ndarray) -> OcrResult:
    height, width = rgb.shape[:2]
    lines = engine.read(rgb)
    best = (_score(lines), 0, lines)
    if lines and not _upright(lines):
        # Tall boxes: the text is on its side (a quarter turn one way or the other); wide boxes
        # read unsurely: upside down, or just a poor scan (then the upright reading stays best).
        for degrees in (90, 270) if _sideways(lines) else (180,):
            lines = engine.read(turned(rgb, degrees))
            if _score(lines) > best[0]:
                best = (_score(lines), degrees, lines)
            if lines and _upright(lines):
                break
    _, degrees, lines = best
    size = (height, width) if degrees in (90, 270) else (width, height)
    lines = [line for line in lines if _plausible(line, size[1])]
    return OcrResult(width, height, degrees, tuple(_fractions(line, *size) for line in lines), result_id(engine))


def _plausible(line: Line, height: int) -> bool:
    """Not a shape read as a letter: the edge of a picture taken for a "一" or an "I" is a line
    box as tall as much of the page, which no line of text is (a sign's big letters are at most
    a third of the photo; a lone character, a sixth)."""
    tall = line.box[3] - line.box[1]
    return tall <= height / 3 and (len(line.text.strip()) > 2 or tall <= height / 6)


def _telling(lines: list[Line]) -> list[Line]:
    return [line for line in lines if len(line.text.strip()) >= MIN_CHARS] or lines


def _is_tall(line: Line) -> bool:
    x0, y0, x1, y1 = line.box
    return y1 - y0 > TALL * (x1 - x0)


def _sideways(lines: list[Line]) -> bool:
    telling = _telling(lines)
    return sum(map(_is_tall, telling)) > len(telling) / 2


def _confidence(lines: list[Line]) -> float:
    weights = [len(line.text) for line in lines]
    return sum(w * line.confidence for w, line in zip(weights, lines)) / max(sum(weights), 1)


def _upright(lines: list[Line]) -> bool:
    telling = _telling(lines)
    return not _sideways(telling) and _confidence(telling) >= CONFIDENT


def _score(lines: list[Line]) -> float:
    """How much was read, and how surely, in lines lying the right way."""
    return sum(len(line.text.replace(" ", "")) * line.confidence for line in lines if not _is_tall(line))


def _fractions(line: Line, width: int, height: int) -> Line:
    def scale(box: Box) -> Box:
        return box[0] / width, box[1] / height, box[2] / width, box[3] / height

    return Line(line.text, scale(line.box), line.confidence, tuple(Word(w.text, scale(w.box)) for w in line.words))


def to_original(box: Box, degrees: int) -> Box:
    """A box in fractions of the upright image → fractions of the image as given (turned
    ``degrees`` clockwise to be upright)."""
    u0, v0, u1, v1 = box
    if degrees == 90:
        return v0, 1 - u1, v1, 1 - u0
    if degrees == 180:
        return 1 - u1, 1 - v1, 1 - u0, 1 - v0
    if degrees == 270:
        return 1 - v1, u0, 1 - v0, u1
    return box
