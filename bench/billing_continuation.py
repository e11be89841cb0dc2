"""Billing that finishes at scale: 10,000 accounts due on one day, billed by the scheduled function under a short
simulated time budget per invocation. Each invocation stops when its budget runs short and continues itself with
a cursor, as on AWS (the asynchronous self-invocation is queued here and run in turn, each with a fresh budget).
Shows every due account invoiced once, invoice numbers gapless, and how many invocations it took."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bench.billing import RUN_DAY, NullMailer, seed
from bench.harness import BenchEnv, Figure

DUE = 10_000
BUDGET_SECONDS = 15.0  # instead of Lambda's 300 s: a run that must continue several times (it keeps a tenth)


class Invocation:
    """What Lambda gives a function: its name and the time left of a budget of its own."""

    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:kefu-bench-BillingRun-x"
    aws_request_id = "bench"

    def __init__(self, function_name: str, seconds: float) -> None:
        self.function_name = function_name
        self._end = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._end - time.monotonic()) * 1000)


class QueuedInvocations:
    """Stands in for the Lambda adapter: an asynchronous invocation is queued, to be run after this one ends."""

    def __init__(self) -> None:
        self.queued: list[tuple[str, dict[str, Any]]] = []

    def invoke_async(self, function_name: str, event: dict[str, Any]) -> None:
        self.queued.append((function_name, event))


def run(env: BenchEnv) -> list[Figure]:
    from app import billing_run
    from chalicelib.core.clock import FixedClock

    built = env.build(FixedClock(datetime(2026, 6, 1, 4, 0, tzinfo=UTC)))
    seed(DUE, DUE)
    built.billing.mailer = NullMailer()
    invoker = QueuedInvocations()
    built.__dict__["invoker"] = invoker  # the services' Lambda adapter, replaced before first use
    invoker.queued.append(("billing-run", {"time": "2026-05-31T16:05:00Z"}))  # 00:05 on 1 June in Shanghai
    invocations, looked_at, issued_in_reports = 0, 0, 0
    started = time.perf_counter()
    with env.capacity() as used:
        while invoker.queued:
            name, event = invoker.queued.pop(0)
            report = billing_run(event, Invocation(name, BUDGET_SECONDS))
            invocations += 1
            looked_at += report["looked_at"]
            issued_in_reports += len(report["invoices"])
            assert not report["errors"], report["errors"][:3]
    elapsed = time.perf_counter() - started - used.pricing_seconds
    invoices = built.billing.invoices()
    per_licensee = Counter(i.licensee_id for i in invoices)
    numbers = sorted(int(i.number.removeprefix("INV-")) for i in invoices)
    all_once = len(per_licensee) == DUE and set(per_licensee.values()) == {1}
    gapless = numbers == list(range(1, len(numbers) + 1))
    due_left = sum(1 for _ in built.billing.store.due_accounts(RUN_DAY))
    return [
        Figure("due accounts (all due on one day)", DUE, "accounts"),
        Figure("accounts invoiced exactly once", sum(1 for n in per_licensee.values() if n == 1), "accounts",
               f"{DUE}", all_once and issued_in_reports == DUE and looked_at == DUE,
               note=f"{issued_in_reports} invoices in the runs' reports, {looked_at} accounts looked at"),
        Figure("invoice numbers gapless from INV-000001", 1 if gapless else 0, "yes=1", "1", gapless,
               note=f"last INV-{numbers[-1]:06d}" if numbers else "none"),
        Figure("accounts still due after the run", due_left, "accounts", "0", due_left == 0),
        Figure(f"invocations at {BUDGET_SECONDS:.0f} s each", invocations, "invocations", "> 1", invocations > 1),
        Figure("invoices/s across invocations (DynamoDB Local)", round(DUE / elapsed, 1), "per s",
               note=f"{elapsed:.0f} s in all"),
        Figure("write capacity units per invoice", round(used.write / DUE, 2), "WCU"),
    ]
