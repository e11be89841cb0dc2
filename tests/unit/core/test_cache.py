from __future__ import annotations

from chalicelib.core.cache import TtlCache


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_cached_value_is_served_until_its_ttl_then_loaded_again() -> None:
    ticker, loads = Ticker(), []
    cache: TtlCache[int] = TtlCache(60, ticker)

    def load() -> int:
        loads.append(1)
        return len(loads)

    assert cache.get("k", load) == 1
    ticker.now = 59.9
    assert cache.get("k", load) == 1
    ticker.now = 60.0
    assert cache.get("k", load) == 2
    assert len(loads) == 2


def test_not_found_is_remembered_for_the_shorter_negative_ttl() -> None:
    ticker = Ticker()
    cache: TtlCache[str | None] = TtlCache(60, ticker, negative_ttl_seconds=10)
    assert cache.get("unknown", lambda: None) is None
    ticker.now = 9.9
    assert cache.get("unknown", lambda: "found") is None
    ticker.now = 10
    assert cache.get("unknown", lambda: "found") == "found"
    ticker.now = 69.9  # found values keep the full TTL
    assert cache.get("unknown", lambda: "changed") == "found"


def test_the_cache_stays_within_its_size_dropping_the_least_recently_used() -> None:
    cache: TtlCache[str] = TtlCache(60, Ticker(), max_entries=2)
    cache.get("a", lambda: "a")
    cache.get("b", lambda: "b")
    cache.get("a", lambda: "reloaded")   # touch a
    cache.get("c", lambda: "c")          # evicts b
    assert cache.get("a", lambda: "reloaded") == "a"
    assert cache.get("b", lambda: "b2") == "b2"


def test_a_window_limiter_counts_per_key_and_opens_again_with_the_next_window() -> None:
    from chalicelib.core.limits import WindowLimiter

    now = [120.0]
    limiter = WindowLimiter(2, 60, lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [None, None]
    assert limiter.take("a") == 60.0 and limiter.take("b") is None
    now[0] = 179.5
    assert limiter.take("a") == 0.5
    now[0] = 180.0
    assert limiter.take("a") is None
