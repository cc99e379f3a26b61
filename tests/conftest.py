import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# The built-in engine answers with SmolLM2 in tests (fast, always installed), whatever larger
# built-in models this machine has; tests that want another name it.
os.environ["ARCHIVIST_BUILTIN_MODEL"] = "smollm2-135m"

from ollama_env import PULLABLE, REAL_HOST, serve_ollama_api  # noqa: E402


@pytest.fixture(scope="session")
def models_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(models_root):
    """The real bundled embedding model, loaded once for the whole run."""
    from core.embedding import Embedder

    return Embedder("all-MiniLM-L6-v2", models_root)  # the default batch size, as the app runs it


@pytest.fixture
def data_dir(tmp_path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def docs(tmp_path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    return d


@pytest.fixture
def make_archivist(data_dir, embedder):
    """Open Archivist on a temp data dir with the real model, LanceDB and parser processes."""
    from core.api import Archivist
    from core.config import Settings

    opened = []

    def factory(events=None, data=None, **settings_overrides):
        settings = Settings(data_dir=data or data_dir, **settings_overrides)
        sink = events.append if events is not None else (lambda e: None)
        archivist = Archivist(settings, embedder=embedder, on_event=sink)
        opened.append(archivist)
        return archivist

    yield factory
    for archivist in opened:
        archivist.close()


# -- the Ollama-API server shared by the engine and stand-in tests (one per session) -------------

@pytest.fixture(autouse=True)
def _skip_standin_only(request):
    if REAL_HOST and request.node.get_closest_marker("standin_only"):
        pytest.skip("needs the stand-in (ARCHIVIST_TEST_OLLAMA_HOST is set)")


@pytest.fixture(scope="session")
def registry_dir(tmp_path_factory):
    """A local 'registry' for /api/pull: one name mapped to the SmolLM2 GGUF."""
    from ollama_standin.store import smollm2_gguf

    d = tmp_path_factory.mktemp("registry")
    (d / "registry.json").write_text(json.dumps({PULLABLE: {"gguf": smollm2_gguf()}}))
    return d


@pytest.fixture(scope="session")
def server_url(tmp_path_factory, registry_dir):
    yield from serve_ollama_api(tmp_path_factory, registry_dir)
