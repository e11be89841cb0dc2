"""Runs that finish at scale: a run whose invocation runs short of time stops between two accounts with a cursor,
and continues after it (another invocation of its function on AWS, this process elsewhere), so that every
account due that day is processed that day, once."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from chalicelib.billing import jobs
from chalicelib.billing.items import INVOICE_PREFIX
from tests.integration.billing.conftest import shanghai

DAY = date(2026, 6, 15)


class Spent:
    """A budget that is always used up: each invocation does one piece of work, then hands on."""

    def exhausted(self) -> bool:
        return True


class Pieces:
    """A budget used up after ``n`` pieces of work."""

    def __init__(self, n: int) -> None:
        self.left = n + 1

    def exhausted(self) -> bool:
        self.left -= 1
        return self.left <= 0


class Invocation:
    """A Lambda context: the function's name and a budget that is used up after ``pieces`` checks."""

    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:kefu-test-BillingRun-x"
    aws_request_id = "test"

    def __init__(self, pieces: int) -> None:
        self.function_name = "billing-run"
        self.left = pieces + 1

    def get_remaining_time_in_millis(self) -> int:
        self.left -= 1
        return 300_000 if self.left > 0 else 0


class Queued:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def invoke_async(self, function_name: str, event: dict[str, Any]) -> None:
        self.events.append((function_name, event))


def mine(report: dict[str, Any], licensees: set[str]) -> list[dict[str, Any]]:
    return [i for i in report["invoices"] if i["licensee"] in licensees]


def test_a_run_short_of_time_with_no_function_to_invoke_continues_in_this_process(services, billed) -> None:
    merchants = {billed().licensee_id for _ in range(3)}
    report = jobs.run("billing", {"time": shanghai(DAY).isoformat()}, services, budget=Spent())
    assert report["invocations"] == 2 and "cursor" not in report
    assert Counter(i["licensee"] for i in mine(report, merchants)) == {m: 1 for m in merchants}


def test_on_aws_a_run_short_of_time_invokes_its_own_function_with_the_cursor_until_done(services, billed) -> None:
    from app import billing_run

    merchants = {billed().licensee_id for _ in range(4)}
    queued = Queued()
    services.__dict__["invoker"] = queued  # the Lambda adapter, as the services would make it
    event = {"time": shanghai(DAY).isoformat()}
    first = billing_run(event, Invocation(pieces=1))
    assert "cursor" in first and queued.events and queued.events[0][0] == "billing-run"
    assert queued.events[0][1]["time"] == event["time"] and queued.events[0][1]["cursor"] == first["cursor"]
    reports, invocations = [first], 1
    while queued.events:
        _, continued = queued.events.pop(0)
        reports.append(billing_run(continued, Invocation(pieces=2)))
        invocations += 1
    invoiced = [i for r in reports for i in mine(r, merchants)]
    assert Counter(i["licensee"] for i in invoiced) == {m: 1 for m in merchants}
    assert invocations > 2 and "cursor" not in reports[-1]
    numbers = sorted(int(i["number"].removeprefix(INVOICE_PREFIX)) for i in invoiced)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # the run's own numbers, no gap
    assert all(not services.billing.store.account(m).next_due <= DAY for m in merchants)


def test_an_account_that_fails_is_not_retried_by_the_continuation_of_the_same_run(services, billed,
                                                                                  monkeypatch) -> None:
    merchants = [billed().licensee_id for _ in range(3)]
    real = services.billing.billing_run._bill
    tried: list[str] = []

    def failing(account, *args, **kwargs):  # type: ignore[no-untyped-def]
        tried.append(account.licensee_id)
        if account.licensee_id == merchants[0]:
            raise RuntimeError("this account cannot be billed today")
        return real(account, *args, **kwargs)

    monkeypatch.setattr(services.billing.billing_run, "_bill", failing)
    report = jobs.run("billing", {"time": shanghai(DAY).isoformat()}, services, budget=Spent())
    assert tried.count(merchants[0]) == 1
    assert {e["licensee"] for e in report["errors"]} >= {merchants[0]}
    assert {i["licensee"] for i in mine(report, set(merchants))} == set(merchants[1:])


def test_the_overdue_and_renewal_runs_continue_after_their_cursor_and_do_the_same_work(services, billed) -> None:
    merchants = [billed().licensee_id for _ in range(3)]
    services.billing.run_billing(shanghai(DAY))
    late = shanghai(DAY + timedelta(days=50))  # the invoices are past due and past the grace
    whole = [m for m in services.billing.run_overdue(late, dry_run=True).suspended if m in merchants]
    pieces: list[str] = []
    cursor: str | None = None
    for _ in range(1000):
        part = services.billing.run_overdue(late, dry_run=True, budget=Pieces(10), cursor=cursor)
        pieces += [m for m in part.suspended if m in merchants]
        cursor = part.cursor
        if cursor is None:
            break
    assert pieces == whole == sorted(merchants)
    reminded = shanghai(date(2026, 11, 2))  # 60 days before the agreements end
    parts: list[int] = []
    cursor = None
    for _ in range(1000):
        report = services.billing.run_renewals(reminded, dry_run=True, budget=Pieces(2), cursor=cursor)
        parts.append(report.notices)
        cursor = report.cursor
        if cursor is None:
            break
    assert len(parts) > 1 and sum(parts) == services.billing.run_renewals(reminded, dry_run=True).notices


def test_local_mode_s_stand_in_for_the_lambda_context_never_invokes_a_function(services, billed) -> None:
    from chalicelib.core.observability import LocalContext

    merchants = {billed().licensee_id for _ in range(2)}
    queued = Queued()
    report = jobs.run("billing", {"time": shanghai(DAY).isoformat()}, services, LocalContext("billing-run"),
                      budget=Spent(), invoker=queued)
    assert queued.events == [] and report["invocations"] == 2
    assert {i["licensee"] for i in mine(report, merchants)} == merchants
