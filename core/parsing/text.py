"""Sections for decoded text: Markdown, reStructuredText, plain text and source code.

Offsets index the decoded string (see decode.py); every Section satisfies
``text == decoded[start : start + len(text)]``. A section runs from its heading line up to the
next heading, so its first line is the heading itself.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from .model import ParsedDocument
from .sections import cut_sections, heading_spans, line_starts

# CommonMark, so "#" lines inside fenced code are not mistaken for headings.
_MD = MarkdownIt("commonmark")
_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?:(.*?)\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL
)
_FM_TITLE = re.compile(r"^title:[ \t]*(.+?)\s*$", re.MULTILINE)
_RST_ADORNMENT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def parse_plain(text: str, kind: str = "text") -> ParsedDocument:
    return ParsedDocument(kind=kind, sections=cut_sections(text, [(0, len(text), ())]))


def parse_markdown(text: str) -> ParsedDocument:
    body_start, title = 0, None
    fm = _FRONT_MATTER.match(text)
    if fm:  # YAML front matter is metadata, not prose; markdown-it would read it as a heading
        body_start = fm.end()
        m = _FM_TITLE.search(fm.group(1) or "")
        title = m.group(1).strip("'\"") if m else None
    body = text[body_start:]
    starts = line_starts(body)
    tokens = _MD.parse(body)
    heads = []
    for i, tok in enumerate(tokens):
        # Top level only: a "#" line inside a list or quote is content, not document structure.
        if tok.type == "heading_open" and tok.level == 0 and tok.map:
            inline = tokens[i + 1]
            name = (
                "".join(
                    c.content for c in (inline.children or []) if c.type in ("text", "code_inline")
                ).strip()
                or inline.content.strip()
            )
            heads.append((body_start + starts[tok.map[0]], int(tok.tag[1]), name))
    if title is None:
        title = next((name for _, level, name in heads if level == 1 and name), None)
    sections = cut_sections(text, heading_spans(heads, body_start, len(text)))
    return ParsedDocument(kind="markdown", sections=sections, title=title)


def _adornment(line: str) -> str | None:
    s = line.rstrip()
    if len(s) >= 2 and s[0] in _RST_ADORNMENT and s == s[0] * len(s):
        return s[0]
    return None


def _rst_heads(text: str) -> list[tuple[int, int, str]]:
    """Section titles by underline (and optional overline); levels by order of first use."""
    starts = line_starts(text)
    lines = [text[a:b].rstrip("\r\n") for a, b in zip(starts, starts[1:] + [len(text)])]
    styles: list[tuple[str, bool]] = []
    heads = []
    i, n, prev_blank = 0, len(lines), True
    while i < n:
        line = lines[i]
        ch = _adornment(line)
        style = title = None
        if ch and prev_blank and i + 2 < n:
            mid, under = lines[i + 1], lines[i + 2]
            if (
                mid.strip()
                and not _adornment(mid)
                and _adornment(under) == ch
                and len(under.rstrip()) == len(line.rstrip()) >= len(mid.strip())
            ):
                style, title, consumed = (ch, True), mid.strip(), 3
        if style is None and prev_blank and i + 1 < n and line.strip() and not ch:
            under_ch = _adornment(lines[i + 1])
            if (
                under_ch
                and not line[0].isspace()
                and len(lines[i + 1].rstrip()) >= len(line.rstrip())
            ):
                style, title, consumed = (under_ch, False), line.strip(), 2
        if style is None:
            prev_blank = not line.strip()
            i += 1
            continue
        if style not in styles:
            styles.append(style)
        heads.append((starts[i], styles.index(style) + 1, title))
        i += consumed
        prev_blank = True  # a title may directly follow another title's underline
    return heads


def parse_rst(text: str) -> ParsedDocument:
    heads = _rst_heads(text)
    sections = cut_sections(text, heading_spans(heads, 0, len(text)))
    return ParsedDocument(kind="rst", sections=sections, title=heads[0][2] if heads else None)


def parse_text_kind(text: str, kind: str) -> ParsedDocument:
    if kind == "markdown":
        return parse_markdown(text)
    if kind == "rst":
        return parse_rst(text)
    return parse_plain(text, kind)
