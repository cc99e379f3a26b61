"""Text of a Rich Text Format file (.rtf), read by striprtf (BSD-3-Clause, pure Python).

striprtf follows the file's code page (\\ansicpg, the fonts' \\fcharset) for \\'xx escapes and
reads \\uN Unicode escapes with their fallback characters skipped; headers, footers, comments,
pictures and other destinations are left out. Its table cells come out as "|"-separated lines.
The text is then read like a plain text file (one Section per run of text, offsets into it).
"""

from __future__ import annotations

import re

from striprtf.striprtf import rtf_to_text

from .model import ParsedDocument, ParseError
from .text import parse_plain


# Pictures and embedded objects are hex digits in lines without spaces, megabytes of them, which
# striprtf would read a character at a time (about 1 s per MB here) only to drop them. Text never
# runs this long without a space, so these runs go before it reads the file.
_BINARY_HEX = re.compile(rb"[0-9a-fA-F\r\n]{512,}")


def parse_rtf(data: bytes) -> ParsedDocument:
    # RTF is 7-bit by its spec; Latin-1 keeps any stray 8-bit byte as one character.
    source = _BINARY_HEX.sub(b"", data).decode("latin-1")
    try:
        text = rtf_to_text(source, errors="replace")
    except (ValueError, OverflowError, LookupError, IndexError) as exc:  # e.g. \u99999999999
        raise ParseError("failed", f"unreadable RTF: {type(exc).__name__}: {exc}") from None
    # Characters beyond the BMP arrive as two \uN halves of a UTF-16 surrogate pair: join them
    # (a lone half becomes U+FFFD; it could not be stored as UTF-8).
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return parse_plain(text.replace("\r\n", "\n").replace("\r", "\n"), kind="rtf")
