import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def models_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(models_root):
    """The real bundled embedding model, loaded once for the whole run."""
    from core.embedding import Embedder

    return Embedder("all-MiniLM-L6-v2", models_root, batch_size=32)


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
