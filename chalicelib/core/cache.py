"""A small per-process cache with a time to live, so a warm function does not read the license on every
request. A revocation or suspension bites within the TTL at the latest (the README says how long)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(self, ttl_seconds: float, monotonic: Callable[[], float], max_entries: int = 10_000,
                 negative_ttl_seconds: float | None = None) -> None:
        self.ttl = ttl_seconds
        # "Not found" is remembered for a shorter time, so that something just created elsewhere shows soon.
        self.negative_ttl = ttl_seconds if negative_ttl_seconds is None else min(negative_ttl_seconds, ttl_seconds)
        self._monotonic = monotonic
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str, load: Callable[[], V]) -> V:
        """The cached value if younger than its TTL, else a fresh one from `load`."""
        now = self._monotonic()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < (self.negative_ttl if hit[1] is None else self.ttl):
            self._entries.move_to_end(key)
            return hit[1]
        value = load()
        self._entries[key] = (now, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return value

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
