"""Archivist core: indexing and retrieval, with no GUI dependency."""
