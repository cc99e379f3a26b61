"""Shared bench plumbing: an Archivist on a throwaway data dir, timing helpers."""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.api import Archivist  # noqa: E402
from core.config import Settings  # noqa: E402


def open_archivist(data_dir: Path | None = None, **kwargs) -> Archivist:
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="archivist-bench-"))
    return Archivist(Settings(data_dir=data_dir), **kwargs)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50):.1f} ms, p95 {percentile(values, 95):.1f} ms, "
            f"mean {statistics.fmean(values):.1f} ms (n={len(values)})")
