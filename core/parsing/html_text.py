"""Visible text of an HTML page, with h1–h6 as the heading path.

The locator unit is the *extracted visible text* this module builds (block elements become line
breaks, runs of whitespace collapse to one space outside <pre>); Section offsets index into it,
not into the HTML source. Decoding: byte-order mark, then the declared charset (<meta charset>,
http-equiv, XML declaration), then sniffing (bs4's UnicodeDammit, which uses charset-normalizer).
Parsing uses lxml's C parser and an iterative walk, so a 20 MB page takes seconds, not minutes.
"""

from __future__ import annotations

import re

from bs4.dammit import UnicodeDammit
from lxml import etree, html

from .decode import BINARY_REASON, check_text
from .model import ParsedDocument, ParseError
from .sections import cut_sections, heading_spans

_SKIP = frozenset({"script", "style", "noscript", "template", "head", "iframe", "object"})
# fmt: off
_PARAGRAPH = frozenset((
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "table", "ul", "ol", "dl",
    "figure", "section", "article", "aside", "header", "footer", "nav", "main", "form",
    "fieldset", "details", "hr",
))
_LINE = frozenset((
    "div", "li", "dt", "dd", "tr", "br", "caption", "figcaption", "summary", "address",
    "legend", "option",
))
# fmt: on
_CELL = frozenset({"td", "th"})
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_WS = re.compile(r"\s+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Browsers read these labels as windows-1252 (WHATWG Encoding); Python's latin-1 would not.
_AS_CP1252 = {"iso-8859-1", "latin-1", "latin1", "ascii", "us-ascii", "iso8859-1"}


def decode_html(data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError("skipped", BINARY_REASON)
    dammit = UnicodeDammit(data, is_html=True)
    text = dammit.unicode_markup
    if text is None:
        raise ParseError("skipped", BINARY_REASON)
    if (dammit.original_encoding or "").lower() in _AS_CP1252:
        text = data.decode("cp1252", errors="replace")
    return check_text(text)


class _TextBuilder:
    """Appends text while tracking the offset, collapsing whitespace like a browser would."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.last = "\n"  # last character emitted; start as if after a break
        self.pending = ""  # line break(s) owed before the next text

    def add(self, text: str, pre: bool = False) -> None:
        if not pre:
            text = _WS.sub(" ", text)
            if self.pending or self.last in "\n\t ":
                text = text.lstrip(" ")
        if not text:
            return
        if self.pending:
            self._emit(self.pending)
            self.pending = ""
        self._emit(text)

    def brk(self, newlines: str) -> None:
        if self.length and len(newlines) > len(self.pending):
            self.pending = newlines

    def cell(self) -> None:
        if not self.pending and self.last not in "\n\t":
            self._emit("\t")

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)
        self.last = text[-1]


def _heading_text(el) -> str:
    return _WS.sub(" ", el.text_content()).strip()


def parse_html(data: bytes) -> ParsedDocument:
    source = _XML_DECL.sub("", decode_html(data), count=1)  # lxml refuses str with a declaration
    parser = html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True, no_network=True)
    try:
        root = html.document_fromstring(source, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        if not source.strip():
            raise ParseError("skipped", "no text content") from None
        raise ParseError("failed", f"unparseable HTML: {exc}") from None

    title_el = root.find(".//title")
    title = _WS.sub(" ", title_el.text_content()).strip() if title_el is not None else None

    out = _TextBuilder()
    heads: list[tuple[int, int, str]] = []
    pre_depth = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP:
                walker.skip_subtree()
                continue
            if tag in _PARAGRAPH:
                out.brk("\n\n")
            elif tag in _LINE:
                out.brk("\n")
            elif tag in _CELL:
                out.cell()
            if tag in _HEADINGS:
                name = _heading_text(el)
                if name:  # offset where the heading's text will land, after any pending break
                    heads.append((out.length + len(out.pending), _HEADINGS[tag], name))
            if tag in ("pre", "textarea"):
                pre_depth += 1
            if el.text:
                out.add(el.text, pre=pre_depth > 0)
        else:
            if tag in ("pre", "textarea"):
                pre_depth -= 1
            if tag in _PARAGRAPH:
                out.brk("\n\n")
            elif tag in _LINE:
                out.brk("\n")
            if el.tail:
                out.add(el.tail, pre=pre_depth > 0)

    text = "".join(out.parts)
    if not title:
        title = next((name for _, level, name in heads if level == 1), None)
    sections = cut_sections(text, heading_spans(heads, 0, len(text)))
    return ParsedDocument(kind="html", sections=sections, title=title or None)
