"""What a slide deck (PPTX, ODP) and an office table become as text: shared by their readers so a
slide reads the same whatever program wrote it.

A slide is one locator unit: its title, a blank line, each text box or table as a block (blocks
apart by blank lines), the text of its pictures (a block each, headed "Text in picture:", see
pictures.py), and last a line "Speaker notes:" followed by the notes. ``Section.page`` is
the slide number (1-based, in presentation order); the heading is (title,), or ("Slide N",) when
the slide has no title; a slide hidden from the slide show keeps its place and is marked in the
heading ("Budget (hidden)"), so a citation says it will not be seen when the deck is presented.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .model import Section
from .sections import cut_sections

NOTES_LABEL = "Speaker notes:"
HIDDEN_MARK = " (hidden)"
CELL_SEPARATOR = " · "


@dataclass
class Slide:
    number: int  # 1-based, in presentation order
    title: str = ""
    blocks: list[str] = field(default_factory=list)  # text boxes and tables in reading order
    notes: str = ""
    hidden: bool = False

    def heading(self) -> tuple[str, ...]:
        name = " ".join(self.title.split()) or f"Slide {self.number}"
        return (name + (HIDDEN_MARK if self.hidden else ""),)

    def text(self) -> str:
        parts = [p for p in (clean(self.title), *map(clean, self.blocks)) if p]
        notes = clean(self.notes)
        if notes:
            parts.append(f"{NOTES_LABEL}\n{notes}")
        return "\n\n".join(parts)

    def sections(self) -> list[Section]:
        text = self.text()
        return cut_sections(text, [(0, len(text), self.heading())], page=self.number)


def clean(text: str) -> str:
    """Lines trimmed, runs of blank lines made one (a blank line is what separates blocks)."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def table_text(rows: Iterable[Sequence[str]], header_rows: int = 0) -> str:
    """A table row by row, one line each. With a header row a row reads like a spreadsheet's
    does, "Invoice: 2024-117 · Amount: 1,250.00", so it is found by any of its values and says
    what each value is; without one, the cells are joined by " · "."""
    cells_by_row = [[" ".join(c.split()) for c in row] for row in rows]
    cells_by_row = [row for row in cells_by_row if any(row)]
    if not header_rows or len(cells_by_row) <= header_rows:
        return "\n".join(CELL_SEPARATOR.join(c for c in row if c) for row in cells_by_row)
    headers = [" ".join(parts) for parts in zip(*_padded(cells_by_row[:header_rows]))]
    lines = []
    for row in cells_by_row[header_rows:]:
        pairs = []
        for i, value in enumerate(row):
            if not value:
                continue
            name = headers[i] if i < len(headers) else ""
            pairs.append(f"{name}: {value}" if name and name != value else value)
        lines.append(CELL_SEPARATOR.join(pairs))
    return "\n".join(lines)


def _padded(rows: list[list[str]]) -> list[list[str]]:
    width = max(len(r) for r in rows)
    return [r + [""] * (width - len(r)) for r in rows]


def split_slide(text: str, heading: str) -> tuple[int, int]:
    """Where a slide's title ends and its speaker notes start in its text (as Slide.text() wrote
    it), for a view that sets them apart: (0, …) when it has no title, (…, len) without notes."""
    title = heading[: -len(HIDDEN_MARK)] if heading.endswith(HIDDEN_MARK) else heading
    first = text.split("\n\n", 1)[0]
    notes_first = text.startswith(f"{NOTES_LABEL}\n")
    title_end = len(first) if not notes_first and " ".join(first.split()) == title else 0
    marker = f"\n\n{NOTES_LABEL}\n"
    at = text.rfind(marker)
    if at >= 0:
        return title_end, at + 2
    return title_end, (0 if notes_first else len(text))
