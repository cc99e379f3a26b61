"""Which passages a search may return, and under which of a content's files each one is shown.

The chunk table keeps one path per content (identical files share passages, shown under the first
of them) in a lossy UTF-8 form (names that are not valid UTF-8 get U+FFFD). The manifest knows
every file exactly, by its bytes, with its content hash, so path and folder filters go through it:

- a file is its content: ``doc_id = <hash>``;
- a mail filter (sender, recipient, dates) is the messages that pass it: ``doc_id`` and ``page``
  (core/mail_filter.py);
- a folder is the passages shown inside it (a prefix range on ``path``) or the contents of its
  files that are shown elsewhere (``doc_id IN …``: only copies, so the list stays short; listing
  every content of a 5,000-file folder doubled the cost of a filtered search at 100k passages).
  When the folder's own name is not exact in the shown form, every content in it is listed.

Each hit is then placed: under the file that matched the filter (the copy inside the folder), else
under its shown path when that is exact, else under the first of its files, with its real bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from lancedb.expr import Expr, col, lit

from core import mail_filter
from core.manifest import SEARCHABLE, Manifest, display_path
from core.search import Filters

NOTHING = col("doc_id").isin([])  # a filter no passage passes


@dataclass
class Scope:
    filters: Filters
    where: Expr | None
    manifest: Manifest
    file: str | None = None  # the one file the filter names, exactly
    folder: bytes | None = None  # the folder the filter names, as bytes ending in a separator
    _placed: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def of(cls, filters: Filters, manifest: Manifest) -> "Scope":
        parts: list[Expr] = []
        file = folder = None
        if filters.path:
            file = os.path.normpath(filters.path)
            record = manifest.get(file)
            searchable = record and record.content_hash and record.status in SEARCHABLE and record.chunks
            parts.append(col("doc_id") == lit(record.content_hash) if searchable else NOTHING)
        if filters.folder:
            name = os.path.normpath(filters.folder).rstrip(os.sep) + os.sep
            folder = os.fsencode(name)
            parts.append(_folder_expression(name, manifest))
        if filters.kinds:
            parts.append(col("kind").isin([lit(k) for k in filters.kinds]))
        if filters.of_mail:  # sender, recipient, dates: the messages that pass (core/mail_filter.py)
            parts.append(mail_filter.where(filters, manifest))
        where = None
        for part in parts:
            where = part if where is None else where & part
        return cls(filters, where, manifest, file, folder)

    def place(self, doc_id: str, shown: str) -> str:
        """The path to show a passage of ``doc_id`` under, given the path the index shows."""
        if self.file is not None:
            return self.file
        if "\ufffd" not in shown and self._inside(shown):
            return shown  # exact, and inside the filter
        key = (doc_id, shown)
        if key not in self._placed:
            holders = [p for p in self.manifest.paths_with_hash(doc_id) if self._inside(p)]
            # The holder the index shows (its real bytes), else the first inside the filter.
            self._placed[key] = next((p for p in holders if display_path(p) == shown),
                                     holders[0] if holders else shown)
        return self._placed[key]

    def _inside(self, path: str) -> bool:
        return self.folder is None or os.fsencode(path).startswith(self.folder)


def _folder_expression(name: str, manifest: Manifest) -> Expr:
    if display_path(name) != name or "\ufffd" in name:
        # Shown paths cannot tell this folder from others that show the same: list its contents.
        contents = manifest.contents_under(name)
        return col("doc_id").isin([lit(h) for h in sorted(contents)]) if contents else NOTHING
    # A prefix match as a range: safe for any character in the name, no LIKE escaping.
    upper = name[:-1] + chr(ord(name[-1]) + 1)
    shown_inside = (col("path") >= lit(name)) & (col("path") < lit(upper))
    copies = manifest.contents_under(name, shared_outside=True)
    return shown_inside | col("doc_id").isin([lit(h) for h in sorted(copies)]) if copies else shown_inside
