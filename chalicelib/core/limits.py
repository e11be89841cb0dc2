"""A per-process limit of requests per key in a fixed window, for reads too cheap to count in DynamoDB (a
counter there would double the price of an empty poll). Each warm function enforces it on its own, so one
caller gets at most the limit per function instance it reaches; the point is that no single client can make
a function spin on its behalf."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class WindowLimiter:
    def __init__(self, limit: int, window_seconds: float, monotonic: Callable[[], float],
                 max_keys: int = 50_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self._monotonic = monotonic
        self._max = max_keys
        self._counts: OrderedDict[str, tuple[int, int]] = OrderedDict()  # key -> (window number, hits)

    def take(self, key: str) -> float | None:
        """Count one request; None when it may go ahead, else the seconds until the window ends."""
        now = self._monotonic()
        current = int(now // self.window)
        window, hits = self._counts.get(key, (current, 0))
        if window != current:
            hits = 0
        if hits >= self.limit:
            return (current + 1) * self.window - now
        self._counts[key] = (current, hits + 1)
        self._counts.move_to_end(key)
        while len(self._counts) > self._max:
            self._counts.popitem(last=False)
        return None
