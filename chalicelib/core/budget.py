"""How long an invocation may still work. A long run (billing, overdue, renewals) asks between two pieces of
work and, when the time left is short, stops and hands on a cursor to be continued from."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

# Enough for one more account and the hand-over to the next invocation.
DEFAULT_RESERVE_MS = 20_000


class Budget(Protocol):
    def exhausted(self) -> bool:
        """True when no new piece of work should be started."""
        ...


class Deadline:
    """Time left as a function of milliseconds remaining: Lambda's context, or any clock (tests, benchmarks)."""

    def __init__(self, remaining_ms: Callable[[], int], reserve_ms: int = DEFAULT_RESERVE_MS) -> None:
        self.remaining_ms = remaining_ms
        self.reserve_ms = reserve_ms

    @classmethod
    def of_context(cls, context: Any, reserve_ms: int = DEFAULT_RESERVE_MS) -> Deadline | None:
        """The deadline of a Lambda invocation, keeping ``reserve_ms`` or a tenth of the invocation, whichever is
        less; None for a caller that has no context (the local scheduler, `./kefu jobs run`)."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if not callable(remaining):
            return None
        return cls(remaining, min(reserve_ms, remaining() // 10))

    @classmethod
    def after_seconds(cls, seconds: float, reserve_ms: int = 0) -> Deadline:
        """A budget of ``seconds`` from now, on the monotonic clock."""
        end = time.monotonic() + seconds
        return cls(lambda: int((end - time.monotonic()) * 1000), reserve_ms)

    def exhausted(self) -> bool:
        return self.remaining_ms() < self.reserve_ms
