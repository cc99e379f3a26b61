"""Where Archivist keeps its data: ${ARCHIVIST_DATA_DIR}, else the folder chosen in the window, else
the platform's data folder (never inside the user's folders).

Apart from core/config.py: the command line needs only this before handing a search to a running
Archivist, and every millisecond of its start is one the user waits.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "ARCHIVIST_DATA_DIR"


def location_file() -> Path:
    """Where the desktop's "data location" choice is remembered (outside the data folder itself)."""
    return Path(platformdirs.user_config_dir("archivist", appauthor=False)) / "data-location"


def default_data_dir() -> Path:
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    try:
        chosen = location_file().read_text(encoding="utf-8").strip()
    except OSError:
        chosen = ""
    return Path(chosen) if chosen else Path(platformdirs.user_data_dir("archivist", appauthor=False))


def choose_data_dir(path: Path | None) -> None:
    """Use ``path`` for the data from the next start (None: the platform's default again)."""
    target = location_file()
    if path is None:
        target.unlink(missing_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(str(Path(path).expanduser().resolve()), encoding="utf-8")
