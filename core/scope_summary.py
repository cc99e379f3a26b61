"""A narrowed search in words a user reads: "Mail from anna · since 1 Mar 2024 · in Projects".

Shown beside the question box, in "Why these sources?" and in the refusal when a narrowed search
found nothing, so "not found" is never read as "in none of my documents". A saved answer keeps its
filters in its trace as JSON (dates as text), so they are read back from there too (``from_trace``).
"""

from __future__ import annotations

import os
from datetime import date, datetime

from core.search import Filters

SEPARATOR = " · "
# Document kinds (core/parsing/formats.py) by the names users know them by.
KIND_NAMES = {
    "pdf": "PDF", "docx": "Word documents", "odt": "OpenDocument text", "rtf": "RTF documents",
    "sheet": "Spreadsheets", "slides": "Slides", "mail": "Mail", "image": "Images and scans",
    "markdown": "Markdown", "text": "Plain text", "rst": "reStructuredText", "html": "Web pages",
    "code": "Code", "epub": "EPUB e-books", "mobi": "Mobi e-books", "fb2": "FB2 e-books", "xps": "XPS documents",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAIL = "mail"


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)


def day_text(when: date) -> str:
    """1 Mar 2024 (English month names whatever the locale: the app speaks English); a moment
    keeps its time, in UTC as the filter reads it."""
    text = f"{when.day} {MONTHS[when.month - 1]} {when.year}"
    if isinstance(when, datetime) and (when.hour, when.minute, when.second) != (0, 0, 0):
        text += f" {when:%H:%M} UTC"
    return text


def summary(filters: Filters, full_paths: bool = False) -> str:
    """"" when nothing is narrowed. Folders and files by name (``full_paths``: by their whole path)."""
    parts = []
    if filters.of_mail:
        parts.append("Mail" + (f" from {filters.sender}" if filters.sender else "")
                     + (f" to {filters.recipient}" if filters.recipient else ""))
        if filters.after:
            parts.append(f"since {day_text(filters.after)}")
        if filters.before:
            parts.append(f"until {day_text(filters.before)}")
    # Mail filters pass mail only: "Mail, PDF" beside "Mail from anna" would promise PDFs.
    if filters.kinds and not (filters.of_mail and MAIL in filters.kinds):
        parts.append(", ".join(kind_name(k) for k in filters.kinds))
    for place in (filters.folder, filters.path):
        if place:
            parts.append(f"in {place if full_paths else os.path.basename(place.rstrip(os.sep)) or place}")
    return SEPARATOR.join(parts)


def from_trace(saved: dict | None) -> Filters:
    """The filters a trace recorded (core/search.py keeps the fields that were set), whether fresh
    (dates as dates) or read back from the history (dates as ISO text)."""
    saved = saved or {}
    return Filters(folder=saved.get("folder"), path=saved.get("path"), kinds=tuple(saved.get("kinds") or ()),
                   sender=saved.get("sender"), recipient=saved.get("recipient"),
                   after=_when(saved.get("after")), before=_when(saved.get("before")))


def _when(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = str(value)
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return None  # not a date we wrote: say nothing rather than something wrong
