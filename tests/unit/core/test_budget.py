"""How long an invocation may still work: Lambda's context keeps a reserve for the hand-over."""

from __future__ import annotations

from chalicelib.core.budget import DEFAULT_RESERVE_MS, Deadline


class Context:
    def __init__(self, left_ms: int) -> None:
        self.left_ms = left_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.left_ms


def test_a_lambda_invocation_stops_starting_work_when_less_than_its_reserve_is_left() -> None:
    context = Context(300_000)
    deadline = Deadline.of_context(context)
    assert deadline is not None and deadline.reserve_ms == DEFAULT_RESERVE_MS and not deadline.exhausted()
    context.left_ms = DEFAULT_RESERVE_MS - 1
    assert deadline.exhausted()


def test_a_short_invocation_keeps_a_tenth_of_its_time_instead() -> None:
    deadline = Deadline.of_context(Context(15_000))
    assert deadline is not None and deadline.reserve_ms == 1_500


def test_a_caller_without_a_lambda_context_has_no_deadline() -> None:
    assert Deadline.of_context(None) is None
    assert Deadline.of_context(object()) is None
