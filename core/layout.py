"""Where things live inside the data dir.

    data_dir/
      settings.json
      active-model            which index answers searches
      models/<model>/         embedding model files assembled from their packages
      models/ocr/             OCR models made from RapidOCR's (the int8 recogniser): core/parsing/ocr/quantized.py
      indexes/<model>/        manifest.sqlite + lance/ (one self-contained index per model)
      embed_cache.sqlite      vectors by (model, chunk-text hash)
      ocr_cache.sqlite        OCR results by (page pixels' hash, engine): core/parsing/ocr/cache.py
      conversations.sqlite    chat history: questions, answers, their citations and traces
      feedback.sqlite         ratings and corrected answers (training data for the house style)
      styles/v<N>/            trained house styles: adapter.gguf + manifest.json (core/style/registry.py)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ACTIVE_MODEL_FILE = "active-model"


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name)


def models_dir(data_dir: Path) -> Path:
    return data_dir / "models"


def ocr_models_dir(data_dir: Path) -> Path:
    return models_dir(data_dir) / "ocr"


def index_dir(data_dir: Path, model: str) -> Path:
    return data_dir / "indexes" / slug(model)


def cache_path(data_dir: Path) -> Path:
    return data_dir / "embed_cache.sqlite"


def conversations_path(data_dir: Path) -> Path:
    return data_dir / "conversations.sqlite"


def feedback_path(data_dir: Path) -> Path:
    return data_dir / "feedback.sqlite"


def styles_dir(data_dir: Path) -> Path:
    return data_dir / "styles"


def active_model(data_dir: Path, default: str) -> str:
    """The model whose index is complete and in use (it may differ from the chosen one mid-rebuild)."""
    try:
        name = (data_dir / ACTIVE_MODEL_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return default
    return name or default


def set_active_model(data_dir: Path, model: str) -> None:
    """Switch indexes atomically: readers see the old name or the new one, never a mix."""
    tmp = data_dir / (ACTIVE_MODEL_FILE + ".tmp")
    tmp.write_text(model, encoding="utf-8")
    os.replace(tmp, data_dir / ACTIVE_MODEL_FILE)
