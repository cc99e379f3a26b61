"""A sheet's rows as lines of text that keep their column headers, cut into Sections.

Each non-empty row becomes one line: "Invoice: 2024-117 · Amount: 1,250.00 · Due: 30 June", its
empty cells left out. The header row is the first row of mostly short, distinct text labels that
is at least half as wide as the table and has rows below it; rows above it (a title) and the
header itself are lines of their values. A sheet without one names columns by letter
("A: … · B: …"). The sheet's text is all its lines joined by "\\n": Section offsets index it.

A Section is a run of consecutive rows that fits one passage of the embedding model, so a hit
names the rows it came from: heading (sheet name, "rows 5–9"), page = the sheet's number.
Some row ends are content-defined cuts, so an edit only changes the Sections around it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .model import Section

Cells = list[tuple[str, bool]]  # (shown text, typed: a number/date/boolean rather than text)
Row = tuple[int, Cells]  # 1-based row number as the spreadsheet app shows it, cells from column A

LOOKAHEAD_ROWS = 12  # non-empty rows looked at to find the header
MAX_LABEL_CHARS = 60
# A Section is cut at about this many word pieces (estimated, see _tokens): well under the
# 254 of the bundled model's passages, so a Section is one passage and never split.
SECTION_TOKENS = 180
SECTION_ROWS = 10  # a hit should point at a few rows, not a page of them
_ANCHOR_MODULUS = 4
_WORDISH = re.compile(r"\w+|[^\w\s]")
SEPARATOR = " · "


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class SheetText:
    """Lines of one sheet. ``labels`` name the columns (the header's text or None per column)."""

    rows: Iterable[Row]
    header_row: int | None = None
    labels: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rows = iter(self.rows)
        self._ahead: list[Row] = []
        for number, cells in self._rows:
            if any(text for text, _ in cells):
                self._ahead.append((number, cells))
                if len(self._ahead) >= LOOKAHEAD_ROWS:
                    break
        at = _header_index(self._ahead)
        if at is not None:
            self.header_row = self._ahead[at][0]
            self.labels = [text or None for text, _ in self._ahead[at][1]]

    def label(self, column: int) -> str:
        known = self.labels[column] if column < len(self.labels) else None
        return known or column_letter(column)

    def lines(self) -> Iterator[tuple[int, Cells, str]]:
        """(row number, cells, line) for every non-empty row."""
        def all_rows():
            yield from self._ahead
            yield from self._rows
        for number, cells in all_rows():
            shown = [text for text, _ in cells]
            if not any(shown):
                continue
            if self.header_row is None or number > self.header_row:
                line = SEPARATOR.join(f"{self.label(i)}: {t}" for i, t in enumerate(shown) if t)
            else:  # the header itself, or a title above it
                line = SEPARATOR.join(t for t in shown if t)
            yield number, cells, line


def _header_index(rows: list[Row]) -> int | None:
    if len(rows) < 2:
        return None
    widest = max(sum(1 for text, _ in cells if text) for _, cells in rows)
    for i, (_, cells) in enumerate(rows[:-1]):
        filled = [(text, typed) for text, typed in cells if text]
        if 2 * len(filled) < widest:
            continue  # a title or a note above the table
        texts = [text for text, typed in filled if not typed]
        if 2 * len(texts) < len(filled) + 1 or len(set(texts)) < len(texts):
            return None  # the first full row is data (numbers, repeats): there is no header
        if any(len(t) > MAX_LABEL_CHARS for t in texts):
            return None
        return i if _looks_like_data(cells, rows[i + 1:]) else None
    return None


def _looks_like_data(header: Cells, below: list[Row]) -> bool:
    """Rows under a header hold values of another kind than its labels (numbers, dates) in the
    labelled columns; in an all-text table, other values than the labels, longer on average."""
    labels = [text for text, _ in header]
    labelled = [(text, typed) for _, cells in below for column, (text, typed) in enumerate(cells)
                if text and column < len(labels) and labels[column]]
    if any(typed for _, typed in labelled):
        return True
    repeated = any(text == labels[column] for _, cells in below for column, (text, _) in enumerate(cells)
                   if text and column < len(labels))
    return not repeated and _text_header_shape(labels, below)


def _text_header_shape(labels: list[str], below: list[Row]) -> bool:
    """For an all-text table: labels are shorter than the values under them, on average."""
    label_lengths = [len(t) for t in labels if t]
    value_lengths = [len(t) for _, cells in below for t, _ in cells if t]
    if not label_lengths or not value_lengths:
        return False
    return sum(label_lengths) / len(label_lengths) <= sum(value_lengths) / len(value_lengths)


def estimate_tokens(line: str) -> int:
    """Word pieces of ``line`` for an English-vocabulary model, on the safe side: numbers and
    codes split into many pieces, letters outside ASCII into about one each."""
    beyond_ascii = len(line.encode("utf-8", "surrogatepass")) - len(line)  # ≥ the letters past ASCII
    by_words = 1.35 * len(_WORDISH.findall(line))
    by_chars = (len(line) - beyond_ascii) / 2 + 0.9 * beyond_ascii
    return int(max(by_words, by_chars)) + 1


def rows_heading(first: int, last: int) -> str:
    return f"row {first}" if first == last else f"rows {first}–{last}"


def sheet_heading(name: str, hidden: bool) -> str:
    # A hidden sheet is indexed (lookup tables, old data) and says so, or the user would not
    # find it when opening the file.
    return f"{name} (hidden)" if hidden else name


def sheet_sections(name: str, number: int, hidden: bool, lines: Iterable[tuple[int, Cells, str]]) -> Iterator[Section]:
    """Sections of consecutive row lines; offsets index the sheet's lines joined by "\\n"."""
    title = sheet_heading(name, hidden)
    group: list[tuple[int, str]] = []
    group_start = position = tokens = 0

    def cut() -> Section:
        text = "\n".join(line for _, line in group)
        return Section(text, group_start, number, (title, rows_heading(group[0][0], group[-1][0])))

    for row_number, _cells, line in lines:
        cost = estimate_tokens(line)
        if group and (tokens + cost > SECTION_TOKENS or len(group) >= SECTION_ROWS):
            yield cut()
            group, tokens = [], 0
        if not group:
            group_start = position
        group.append((row_number, line))
        tokens += cost
        position += len(line) + 1
        # Decided by the row's own text, so an edit elsewhere cannot move this cut.
        if 2 * tokens >= SECTION_TOKENS and zlib.crc32(line.encode("utf-8", "surrogatepass")) % _ANCHOR_MODULUS == 0:
            yield cut()
            group, tokens = [], 0
    if group:
        yield cut()
