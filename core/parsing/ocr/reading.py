"""A page's text from OCR lines: reading order, lines and paragraphs from the boxes' geometry,
and each character's box (for the preview to highlight a passage on the scanned page).

Columns of prose are read one after the other; anything else that sits side by side (a receipt's
items and prices, a table's cells, a form's labels and values) is read row by row, which keeps a
value beside what it is for. Blank space taller than a line break starts a paragraph, and so does
an indented first line.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .engine import Box, Line, OcrResult
from .orient import to_original

PARAGRAPH_GAP = 0.6  # blank space between lines, in line heights, that ends a paragraph
COLUMN_GAP = 1.0  # a vertical gutter at least this wide (in line heights) may separate columns
PROSE_WORDS = 4  # a column is prose when its lines average this many words
INDENT = 1.5  # a line starting this far (in line heights) right of its block's edge starts a paragraph


@dataclass(frozen=True)
class PageReading:
    """The page's text, and per character its box (fractions of the image as given; None for the
    spaces and breaks put between words, lines and paragraphs) and its visual line's number."""

    text: str
    boxes: list[Box | None]
    lines: list[int]


@dataclass(frozen=True)
class _Piece:
    line: Line
    box: Box  # in the upright image, in pixels (so heights and widths compare)
    height: float  # of its text: its words' boxes, which a slight skew inflates less than the line's

    @property
    def middle(self) -> float:
        return (self.box[1] + self.box[3]) / 2


def _piece(line: Line, width: float, height: float) -> _Piece:
    box = _scaled(line.box, width, height)
    words = [(w.box[3] - w.box[1]) * height for w in line.words]
    return _Piece(line, box, statistics.median(words) if words else box[3] - box[1])


def arrange(result: OcrResult) -> PageReading:
    upright_w, upright_h = ((result.height, result.width) if result.rotation in (90, 270)
                            else (result.width, result.height))
    pieces = [_piece(line, upright_w, upright_h) for line in result.lines if line.text.strip()]
    if not pieces:
        return PageReading("", [], [])
    unit = statistics.median(p.height for p in pieces) or 1.0
    text: list[str] = []
    boxes: list[Box | None] = []
    line_numbers: list[int] = []
    row_no = 0

    def put(chars: str, box_list: list[Box | None]) -> None:
        text.append(chars)
        boxes.extend(box_list)
        line_numbers.extend([row_no] * len(chars))

    for p_index, paragraph in enumerate(p for block in _blocks(pieces, unit) for p in _paragraphs(block, unit)):
        if p_index:
            put("\n\n", [None, None])
        for r_index, row in enumerate(paragraph):
            row_no += 1
            if r_index:
                put("\n", [None])
            for i_index, piece in enumerate(row):
                if i_index:
                    put(" ", [None])
                put(piece.line.text, [None if b is None else to_original(_scaled(b, 1 / upright_w, 1 / upright_h),
                                                                          result.rotation)
                                      for b in _char_boxes(piece, upright_w, upright_h)])
    return PageReading("".join(text), boxes, line_numbers)


def _scaled(box: Box, sx: float, sy: float) -> Box:
    return box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy


def _split(pieces: list[_Piece], axis: int, min_gap: float) -> list[list[_Piece]]:
    """Groups separated by a gap of at least ``min_gap`` along ``axis`` (0: x, 1: y) that no
    piece spans."""
    ordered = sorted(pieces, key=lambda p: p.box[axis])
    groups, end = [[ordered[0]]], ordered[0].box[axis + 2]
    for piece in ordered[1:]:
        if piece.box[axis] - end >= min_gap:
            groups.append([])
        groups[-1].append(piece)
        end = max(end, piece.box[axis + 2])
    return groups


def _is_prose(group: list[_Piece]) -> bool:
    return len(group) >= 2 and sum(len(p.line.text.split()) for p in group) / len(group) >= PROSE_WORDS


def _blocks(pieces: list[_Piece], unit: float) -> list[list[_Piece]]:
    """Recursive XY cut: columns of prose left to right, else bands at paragraph gaps top to bottom."""
    if len(pieces) > 1:
        columns = _split(pieces, 0, COLUMN_GAP * unit)
        if len(columns) > 1 and all(map(_is_prose, columns)):
            return [b for column in columns for b in _blocks(column, unit)]
        bands = _split(pieces, 1, PARAGRAPH_GAP * unit)
        if len(bands) > 1:
            return [b for band in bands for b in _blocks(band, unit)]
    return [pieces]


def _rows(block: list[_Piece], unit: float) -> list[list[_Piece]]:
    """Pieces on the same visual line (middles within half a line of each other), left to right."""
    rows: list[list[_Piece]] = []
    for piece in sorted(block, key=lambda p: p.middle):
        if rows and abs(piece.middle - statistics.fmean(p.middle for p in rows[-1])) <= 0.5 * unit:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    return [sorted(row, key=lambda p: p.box[0]) for row in rows]


def _paragraphs(block: list[_Piece], unit: float) -> list[list[list[_Piece]]]:
    rows = _rows(block, unit)
    left = min(p.box[0] for p in block)
    paragraphs = [[rows[0]]]
    for previous, row in zip(rows, rows[1:]):
        indented = row[0].box[0] - left >= INDENT * unit and previous[0].box[0] - left < INDENT * unit
        if indented and len(rows) > 2:
            paragraphs.append([])
        paragraphs[-1].append(row)
    return paragraphs


def _char_boxes(piece: _Piece, width: float, height: float) -> list[Box | None]:
    """Each character of the line's text gets its word's box cut in equal slices; characters no
    word box covers get a slice of the line's box by their position; spaces get none. In the
    upright image's pixels."""
    text = piece.line.text
    boxes: list[Box | None] = [None] * len(text)
    at = 0
    for word in piece.line.words:
        found = text.find(word.text, at)
        if found >= 0:
            _slices(boxes, found, word.text, _scaled(word.box, width, height))
            at = found + len(word.text)
    x0, y0, x1, y1 = piece.box
    step = (x1 - x0) / max(len(text), 1)
    for i, char in enumerate(text):
        if boxes[i] is None and not char.isspace():
            boxes[i] = (x0 + i * step, y0, x0 + (i + 1) * step, y1)
    return [None if c.isspace() else b for c, b in zip(text, boxes)]


def _slices(boxes: list[Box | None], start: int, word: str, box: Box) -> None:
    x0, y0, x1, y1 = box
    step = (x1 - x0) / max(len(word), 1)
    for i in range(len(word)):
        boxes[start + i] = (x0 + i * step, y0, x0 + (i + 1) * step, y1)
