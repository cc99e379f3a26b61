"""CSV and TSV files as one-sheet workbooks: encoding as for any text file (decode.py), the
dialect (delimiter, quoting) sniffed from a sample; a .tsv is tab-separated whatever it holds.

Values are shown as written. A cell counts as typed (for finding the header row) when it reads
as a number, a percentage, an amount or a date. The sheet is named after the file, as a
spreadsheet app names it when it opens one; row numbers count records (a quoted field may span
lines), as the app shows them.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator

from .decode import decode_text
from .sheet_cells import one_line
from .sheet_text import Row

SAMPLE_CHARS = 64 * 1024
_DELIMITERS = ",;\t|"
_TYPED = re.compile(
    r"[-+(]?[$€£¥]?\s?\d[\d.,' ]*%?\)?(?:\s?[A-Z]{3}|\s?[$€£¥])?"  # 1,250.00  12%  €5  (3.50)  20 EUR
    r"|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"  # 2024-06-30, 30/06/2024 14:05
    r"|\d{1,2}:\d{2}(?::\d{2})?|true|false|TRUE|FALSE"
)
csv.field_size_limit(64 * 2**20)  # one huge quoted field must not stop the file


class DelimitedWorkbook:
    def __init__(self, data: bytes, path: str, tab_separated: bool):
        self._text, _encoding = decode_text(data)
        self._name = os.path.splitext(os.path.basename(path))[0] or "Sheet1"
        self._dialect = _dialect(self._text, tab_separated)
        self.label = "CSV file"
        self.title = None

    def sheets(self) -> Iterator[tuple[str, bool, Iterator[Row]]]:
        yield self._name, False, self._rows()

    def _rows(self) -> Iterator[Row]:
        text = self._text.removeprefix("\ufeff")
        reader = csv.reader(io.StringIO(text, newline=""), self._dialect)
        try:
            for number, record in enumerate(reader, start=1):
                yield number, [_cell(value) for value in record]
        except csv.Error:  # a broken quote at the very end: keep what was read
            return

    def close(self) -> None:
        self._text = ""


def _cell(value: str) -> tuple[str, bool]:
    shown = one_line(value)
    return shown, bool(shown) and _TYPED.fullmatch(shown) is not None


def _dialect(text: str, tab_separated: bool) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole records only
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters="\t" if tab_separated else _DELIMITERS)
    except csv.Error:
        return csv.excel_tab if tab_separated else _fallback(sample)
    dialect.doublequote = True  # the sniffer guesses wrong on samples without doubled quotes
    if dialect.delimiter == " ":
        return _fallback(sample)
    return dialect


def _fallback(sample: str) -> type[csv.Dialect]:
    """The sniffer gave up: the most frequent delimiter of the first line, else commas."""
    first = sample.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count)

    class Found(csv.excel):
        pass

    Found.delimiter = delimiter if first.count(delimiter) else ","
    return Found
