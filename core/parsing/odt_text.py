"""Text of an OpenDocument text (.odt, .ott), read as a stream (see odf.py).

Like docx_text.py: the locator unit is the text built here, blocks joined by blank lines (a
paragraph; a list, one item a line; a table, one row a line); headings (text:h with their outline
level) build the heading path of what follows them; a footnote follows its paragraph; then each
distinct header and footer (styles.xml) as a section headed ("Header",) or ("Footer",). Tables of
contents and indexes are left out (they repeat the headings), so are comments and the deleted
text that tracked changes keep. A chart's title and data (odf_chart.py), then the text OCR reads in a picture, follow the
block holding them (pictures.py); pictures in headers and footers (letterhead logos) are not read.
"""

from __future__ import annotations

from typing import BinaryIO

import zipfile

from .model import ParsedDocument, ParseError
from .odf import H, block_lines, block_of, forget, inline_text, meta_title, open_package, pictures_text, q, stream
from .odf_chart import charts_text
from .pictures import PictureReader
from .sections import cut_sections, heading_spans

LABEL = "ODT"
# Where blocks are: the body, and sections and the like that only group blocks.
_CONTAINERS = frozenset(map(q, ("office:text", "text:section", "text:index-body")))
_SKIPPED = frozenset(map(q, (
    "text:table-of-content", "text:alphabetical-index", "text:illustration-index",
    "text:table-index", "text:object-index", "text:user-index", "text:bibliography",
    "text:tracked-changes", "text:sequence-decls", "text:variable-decls",
    "text:user-field-decls", "office:forms",
)))
_BODY = q("office:text")
_PAGE_FURNITURE = {q(f"style:{part}{side}"): part.capitalize()
                   for part in ("header", "footer") for side in ("", "-left", "-first")}


def parse_odt(fh: BinaryIO, pictures: PictureReader | None = None) -> ParsedDocument:
    with open_package(fh, LABEL) as zf:
        title = meta_title(zf)
        parts: list[str] = []
        heads: list[tuple[int, int, str]] = []
        pos = 0
        in_body = skipping = 0
        for event, el, ancestors in stream(zf, LABEL):
            if event == "start":
                in_body += el.tag == _BODY
                skipping += el.tag in _SKIPPED and in_body > 0
                continue
            if el.tag in _SKIPPED and in_body:
                skipping -= 1
                forget(el, ancestors)
                continue
            if not in_body or skipping or not ancestors or ancestors[-1].tag not in _CONTAINERS:
                in_body -= el.tag == _BODY
                continue
            notes: list[str] = []
            lines = [inline_text(el, notes)] if el.tag == H else block_of(el, notes)
            text = "\n".join(line for line in lines if line).strip()
            level = _level(el.get(q("text:outline-level"))) if el.tag == H else 0
            shown = [*charts_text(el, zf), *(pictures_text(el, zf, pictures) if pictures else [])]
            forget(el, ancestors)
            if level and text:
                heads.append((pos, level, " ".join(text.split())))
            for block in [t for t in (text, *shown, *notes) if t.strip()]:
                parts.append(block)
                pos += len(block) + 2
        spans = heading_spans(heads, 0, max(pos - 2, 0))
        for label, text in _headers_footers(zf):
            spans.append((pos, pos + len(text), (label,)))
            parts.append(text)
            pos += len(text) + 2
    full = "\n\n".join(parts)
    if title is None:
        title = next((t for _, level, t in heads if level == 1), None)
    return ParsedDocument(kind="odt", sections=cut_sections(full, spans), title=title,
                          **(pictures.fields() if pictures else {}))


def _headers_footers(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """("Header" | "Footer", text) of the page styles, each distinct text once."""
    found: dict[str, str] = {}
    try:
        for event, el, _ancestors in stream(zf, LABEL, "styles.xml"):
            if event == "end" and el.tag in _PAGE_FURNITURE:
                text = "\n".join(block_lines(el))
                if text:
                    found.setdefault(text, _PAGE_FURNITURE[el.tag])
    except (KeyError, ParseError):  # a missing or broken styles.xml must not lose the body
        pass
    return [(label, text) for text, label in found.items()]


def _level(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), 10)
    except ValueError:
        return 1
