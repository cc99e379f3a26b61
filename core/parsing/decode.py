"""Bytes → str for text files, and the test that tells a text file from a binary one.

Order: byte-order mark, strict UTF-8, then charset-normalizer's best guess. The decoded string is
the *locator unit* for text formats: Section offsets index into it (a BOM is not part of it;
line endings are kept as they are in the file).
"""

from __future__ import annotations

import codecs
import logging
import re

import charset_normalizer

from .model import ParseError

log = logging.getLogger(__name__)

_BOM_CODECS = (  # UTF-32 first: its LE mark starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 controls other than tab/newlines/form feed/escape (ANSI colours in logs are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.02
BINARY_REASON = "binary content in a text file"


def bom_codec(data: bytes) -> str | None:
    for bom, codec in _BOM_CODECS:
        if data.startswith(bom):
            return codec
    return None


def check_text(text: str) -> str:
    """Refuse decoded text that is really binary (many control characters)."""
    sample = text[:1_000_000]
    if sample and len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        raise ParseError("skipped", BINARY_REASON)
    return text


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name); ParseError("skipped", BINARY_REASON) for binary or undecodable data."""
    codec = bom_codec(data)
    if codec:
        try:
            return check_text(data.decode(codec)), codec
        except UnicodeDecodeError:
            raise ParseError("skipped", BINARY_REASON) from None
    # NUL never occurs in text outside UTF-16/32 (handled above), but in almost every binary.
    if b"\x00" in data:
        raise ParseError("skipped", BINARY_REASON)
    try:
        return check_text(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise ParseError("skipped", BINARY_REASON)
    # Western text in cp1252 often ties with cp1250/cp1257 (same letters for most bytes, but
    # "è" becomes "č"); on a tie, windows-1252 is by far the likelier legacy encoding.
    for m in matches:
        if "cp1252" in m.could_be_from_charset and (m.chaos, m.coherence) == (
            best.chaos,
            best.coherence,
        ):
            log.debug("decoded as cp1252 by sniffing (tie with %s)", best.encoding)
            return check_text(data.decode("cp1252", errors="replace")), "cp1252"
    log.debug("decoded as %s by sniffing", best.encoding)
    return check_text(str(best)), best.encoding
