"""Where the Ollama-API tests find their server: the stand-in (default) or a real Ollama.

Set ARCHIVIST_TEST_OLLAMA_HOST (and ARCHIVIST_TEST_OLLAMA_MODEL) to run them against a real Ollama;
tests marked ``standin_only`` are then skipped.
"""

import os

REAL_HOST = os.environ.get("ARCHIVIST_TEST_OLLAMA_HOST")
MODEL = os.environ.get("ARCHIVIST_TEST_OLLAMA_MODEL", "smollm2:135m")
PULLABLE = "archivist-registry/tiny:v1"  # only in the stand-in's local registry


def serve_ollama_api(tmp_path_factory, registry_dir):
    """Yield the URL of a real Ollama (if configured) or of a fresh stand-in server."""
    if REAL_HOST:
        yield REAL_HOST.rstrip("/")
        return
    from ollama_standin import start_standin

    handle = start_standin(tmp_path_factory.mktemp("standin"), registry_dir=registry_dir)
    try:
        yield handle.url
    finally:
        handle.stop()
