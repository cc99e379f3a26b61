"""Document parsing: files → located Sections (page, heading path, offsets) or a ParseError.

``parse_file`` runs in the calling process; ``ParserPool`` runs it in worker processes with a
timeout, a memory cap and worker recycling, and is what the indexer should use.
"""

from .formats import SUPPORTED_EXTENSIONS
from .model import ParsedDocument, ParseError, Section
from .parse import DEFAULT_MAX_BYTES, parse_file
from .pool import ParserPool

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_EXTENSIONS",
    "ParseError",
    "ParsedDocument",
    "ParserPool",
    "Section",
    "parse_file",
]
