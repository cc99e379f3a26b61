"""How long indexing has left, from bytes read over time (no Qt: testable with a fake clock)."""

from __future__ import annotations

import math
from typing import Callable


class EtaEstimate:
    """Time left from bytes read over time. The rate is the average since the run started for its
    first HALF_LIFE_S seconds, then a moving average in which the last HALF_LIFE_S seconds weigh
    half: one large or slow file moves the estimate a little, a lasting change of speed fully."""

    HALF_LIFE_S = 20.0

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._start = self._last = None  # (time, bytes done) at the first and at the latest report
        self._rate: float | None = None  # bytes per second

    def update(self, bytes_done: int, bytes_total: int) -> float | None:
        """Seconds left, or None while there is nothing to go on yet."""
        now = self._clock()
        if self._last is None or bytes_done < self._last[1]:  # the first report of a run
            self._start = self._last = (now, bytes_done)
            self._rate = None
        elif now > self._last[0]:
            if self._rate is None or now - self._start[0] <= self.HALF_LIFE_S:
                self._rate = (bytes_done - self._start[1]) / (now - self._start[0])
            else:
                elapsed = now - self._last[0]
                weight = 1 - 0.5 ** (elapsed / self.HALF_LIFE_S)
                self._rate += weight * ((bytes_done - self._last[1]) / elapsed - self._rate)
            self._last = (now, bytes_done)
        if not self._rate or self._rate <= 0:
            return None
        return max(bytes_total - bytes_done, 0) / self._rate


def time_left_text(seconds: float | None) -> str:
    if seconds is None:
        return "estimating time left…"
    if seconds < 60:
        return "less than a minute left"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h left" if hours >= 10 or not minutes else f"about {hours} h {minutes} min left"


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
