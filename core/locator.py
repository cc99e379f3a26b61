"""How a place in a document is named: "p. 3" in a PDF, "slide 3" in a deck, "sheet 2" in a
workbook. One place for every view (CLI, window, the model's prompt, exports), so a new kind of
document names its places the same way everywhere. The heading (a section, a slide's title, a
sheet's name and rows) is shown beside it by each view.
"""

from __future__ import annotations

# What a ``page`` counts in each kind that is not a page (see core/parsing/model.py Section.page).
# An image is one picture without a place inside it (its page is None: nothing is shown), except
# a TIFF's frames, which are the pages of a scan or a fax and read as pages ("p. 2").
UNIT = {"slides": "slide", "sheet": "sheet", "mail": "message"}


def unit(kind: str | None) -> str:
    return UNIT.get(kind or "", "page")


def place(kind: str | None, page: int | None) -> str:
    """The short form: "p. 3", "slide 3", "sheet 2"; "" for a document without pages."""
    if not page:
        return ""
    word = unit(kind)
    return f"p. {page}" if word == "page" else f"{word} {page}"


def place_long(kind: str | None, page: int | None) -> str:
    """The spelt-out form the model reads: "page 3", "slide 3"."""
    return f"{unit(kind)} {page}" if page else ""


def span(kind: str | None, first: int | None, last: int | None) -> str:
    """"pages 3-7", "slides 2-4", "page 3"; "" without pages."""
    if not first:
        return ""
    if first == last or not last:
        return place_long(kind, first)
    return f"{unit(kind)}s {first}-{last}"
