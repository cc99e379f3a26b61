"""User settings, saved as JSON in the data folder (where that folder is: core/data_location.py)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from core.data_location import default_data_dir

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"


@dataclass
class Settings:
    """User-tunable behaviour. Saved as JSON in the data dir; unknown keys are ignored."""

    data_dir: Path = field(default_factory=default_data_dir)
    # None means "every extension the parsers know" (core.parsing.SUPPORTED_EXTENSIONS).
    extensions: list[str] | None = None
    ignore_patterns: list[str] = field(default_factory=list)  # gitignore syntax, for every source
    embedding_model: str = "all-MiniLM-L6-v2"
    # One text per model run: no padding, and a working set that stays in the CPU's caches. Faster
    # here than any batch, for passages (1.2x batch 8) and question-time sentences (bench/embed_batch_size.py).
    embed_batch_size: int = 1
    chunk_overlap: float = 0.15  # share of the model's max sequence repeated from the previous chunk
    max_file_mb: int = 256
    parse_timeout_s: int = 120
    parse_memory_mb: int = 2048
    ocr: bool = True  # read scanned pages and images (core/parsing/ocr/)
    ocr_engine: str = "auto"  # "auto" (the measured default), "rapidocr" or "tesseract" (where installed)
    follow_symlinks: bool = True
    debounce_s: float = 0.3
    poll_interval_s: float = 5.0
    rescan_interval_s: float = 600.0  # reconcile scan while watching: catches dropped events
    unavailable_grace_s: float = 7 * 24 * 3600  # keep an unplugged folder's index this long
    # How strongly the house style's adapter is applied (llama.cpp's LoRA scale): 0 answers as the
    # plain model, 1 as trained, up to 2 to exaggerate it (core/style/apply.py checks the range).
    style_strength: float = 1.0

    @property
    def settings_path(self) -> Path:
        return self.data_dir / SETTINGS_FILE

    @classmethod
    def load(cls, data_dir: Path | None = None) -> "Settings":
        data_dir = Path(data_dir) if data_dir else default_data_dir()
        settings = cls(data_dir=data_dir)
        path = settings.settings_path
        if path.exists():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("ignoring unreadable settings file %s: %s", path, exc)
                saved = {}
            known = {f.name for f in fields(cls)} - {"data_dir"}
            for key, value in saved.items():
                if key in known:
                    setattr(settings, key, value)
        return settings

    def save(self) -> None:
        """Only what differs from the defaults: a better default reaches everyone who did not choose."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        defaults = asdict(Settings(data_dir=self.data_dir))
        values = {k: v for k, v in asdict(self).items() if k != "data_dir" and v != defaults[k]}
        tmp = self.settings_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(values, indent=2), encoding="utf-8")
        os.replace(tmp, self.settings_path)
