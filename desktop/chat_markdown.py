"""Render an answer's Markdown into a QTextDocument that can neither run nor open anything.

Answers quote the user's documents, which may hold HTML, links and images written by anyone.
Markdown is parsed with raw HTML disabled (tags show as literal text), then every link the text
brought is turned back into plain text and every image into its alt text. The only links left are
the ones added here: the citation markers "[n]", as ``cite:n``.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QUrl
from PySide6.QtGui import (QColor, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument, QTextFormat,
                           QTextTable)

CITE_SCHEME = "cite"
LINE_HEIGHT_PERCENT = 125  # Qt's single spacing is tight for paragraphs of prose
CODE_MARGIN_PX = 6  # around code blocks and tables
PROPORTIONAL = QTextBlockFormat.LineHeightTypes.ProportionalHeight.value
# GitHub dialect for tables and strikethrough; NoHTML makes every tag literal text.
MARKDOWN_FEATURES = (QTextDocument.MarkdownFeature.MarkdownDialectGitHub
                     | QTextDocument.MarkdownFeature.MarkdownNoHTML)

# The same marker shapes core/answer/citations.py recognises: "[2]", "[1, 3]", "[2][4]".
_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_NUMBER = re.compile(r"\d{1,3}")


class SafeDocument(QTextDocument):
    """A document that never loads a resource: images are already gone, and should one slip
    through, no file is read and nothing is fetched."""

    def loadResource(self, kind, name):  # noqa: N802 - Qt override
        return None


def render_markdown(document: QTextDocument, text: str, cited: dict[int, str] | None = None,
                    link_color: QColor | None = None, code_background: QColor | None = None) -> None:
    """Replace the document's content with ``text``; markers whose number is in ``cited`` become
    ``cite:n`` links, with the mapped string as their tooltip."""
    document.setUndoRedoEnabled(False)
    document.setMarkdown(text, MARKDOWN_FEATURES)
    _neutralise(document)
    _tidy_blocks(document, code_background)
    if cited:
        _link_citations(document, cited, link_color)


def citation_number(url: QUrl) -> int | None:
    if url.scheme() != CITE_SCHEME:
        return None
    try:
        return int(url.path())
    except ValueError:
        return None


def _neutralise(document: QTextDocument) -> None:
    """Links become their text, images their alt text."""
    replacements: list[tuple[int, int, str]] = []
    cursor = QTextCursor(document)
    block = document.begin()
    while block.isValid():
        for span in block.textFormats():
            start = block.position() + span.start
            if span.format.isImageFormat():
                alt = str(span.format.property(QTextFormat.Property.ImageAltText) or "").strip()
                replacements.append((start, span.length, alt or "[image]"))
            elif span.format.isAnchor() or span.format.anchorHref():
                cursor.setPosition(start)
                cursor.setPosition(start + span.length, QTextCursor.MoveMode.KeepAnchor)
                cursor.setCharFormat(_without_link(span.format))
        block = block.next()
    for start, length, alt in reversed(replacements):
        cursor.setPosition(start)
        cursor.setPosition(start + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(alt, QTextCharFormat())


def _tidy_blocks(document: QTextDocument, code_background: QColor | None) -> None:
    """Airier prose; code wraps (a long line would widen the bubble past the window) on a tint;
    table cells lose the paragraph margins Qt gives the first header cell, which misalign it."""
    _drop_empty_first_cell_lines(document)
    code_blocks = set()
    block = document.begin()
    while block.isValid():
        if block.blockFormat().nonBreakableLines():
            code_blocks.add(block.blockNumber())
        block = block.next()
    cursor = QTextCursor(document)
    block = document.begin()
    while block.isValid():
        block_format = block.blockFormat()
        number = block.blockNumber()
        cursor.setPosition(block.position())
        if number in code_blocks:
            block_format.setNonBreakableLines(False)
            if code_background is not None:
                block_format.setBackground(code_background)
            # Space around the whole block only: margins inside it would split the tint.
            block_format.setTopMargin(0 if number - 1 in code_blocks else CODE_MARGIN_PX)
            block_format.setBottomMargin(0 if number + 1 in code_blocks else CODE_MARGIN_PX)
        else:  # code keeps single spacing, so its tinted lines join up
            block_format.setLineHeight(LINE_HEIGHT_PERCENT, PROPORTIONAL)
        if cursor.currentTable() is not None:
            block_format.setTopMargin(0)
            block_format.setBottomMargin(0)
        cursor.setBlockFormat(block_format)
        block = block.next()
    for frame in document.rootFrame().childFrames():
        if isinstance(frame, QTextTable):  # a block's margin next to a table is ignored; the table's is not
            table_format = frame.format()
            table_format.setTopMargin(CODE_MARGIN_PX)
            table_format.setBottomMargin(CODE_MARGIN_PX)
            frame.setFormat(table_format)


def _drop_empty_first_cell_lines(document: QTextDocument) -> None:
    """After a code block, Qt's importer starts the next table's first cell with an empty line."""
    cursor = QTextCursor(document)
    block = document.begin()
    while block.isValid():
        following = block.next()
        if not block.text() and following.isValid():
            cursor.setPosition(block.position())
            table = cursor.currentTable()
            if table is not None and table.cellAt(block.position()) == table.cellAt(following.position()):
                cursor.setPosition(following.position(), QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
                block = document.findBlock(cursor.position())
                continue
        block = following


def _without_link(char_format: QTextCharFormat) -> QTextCharFormat:
    plain = QTextCharFormat(char_format)
    plain.setAnchor(False)
    for prop in (QTextFormat.Property.AnchorHref, QTextFormat.Property.AnchorName,
                 QTextFormat.Property.ForegroundBrush, QTextFormat.Property.TextToolTip,
                 QTextFormat.Property.TextUnderlineStyle, QTextFormat.Property.FontUnderline):
        plain.clearProperty(prop)
    return plain


def _link_citations(document: QTextDocument, cited: dict[int, str], link_color: QColor | None) -> None:
    cursor = QTextCursor(document)
    block = document.begin()
    while block.isValid():
        for marker in _MARKER.finditer(block.text()):
            for number in _NUMBER.finditer(marker.group(0)):
                n = int(number.group(0))
                if n not in cited:
                    continue
                start = block.position() + marker.start() + number.start()
                cursor.setPosition(start)
                cursor.setPosition(start + len(number.group(0)), QTextCursor.MoveMode.KeepAnchor)
                cursor.mergeCharFormat(_citation_format(n, cited[n], link_color))
        block = block.next()


def _citation_format(n: int, tooltip: str, link_color: QColor | None) -> QTextCharFormat:
    char_format = QTextCharFormat()
    char_format.setAnchor(True)
    char_format.setAnchorHref(f"{CITE_SCHEME}:{n}")
    char_format.setToolTip(tooltip)
    char_format.setFontWeight(600)
    if link_color is not None:
        char_format.setForeground(link_color)
    return char_format
