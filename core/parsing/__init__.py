"""Document parsing: files → located Sections (page, heading path, offsets) or a ParseError.

``parse_file`` runs in the calling process; ``ParserPool`` runs it in worker processes with a
timeout, a memory cap and worker recycling, and is what the indexer should use.

The parsers' libraries (PyMuPDF alone takes seconds to import) load on first use, so what only
needs the data model (``core.parsing.model``), as a search does, does not pay for them.
"""

from importlib import import_module

_WHERE = {
    "SUPPORTED_EXTENSIONS": ".formats",
    "ParsedDocument": ".model",
    "ParseError": ".model",
    "Section": ".model",
    "DEFAULT_MAX_BYTES": ".parse",
    "parse_file": ".parse",
    "ParserPool": ".pool",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
