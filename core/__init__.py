"""Archivist core: indexing and retrieval, with no GUI dependency."""

# First, before any library reads the environment: every process that runs Archivist code imports this.
from core import privacy as _privacy  # noqa: F401
from core import lean_imports as _lean_imports  # noqa: E402

_lean_imports.skip_unused_rest_client()
