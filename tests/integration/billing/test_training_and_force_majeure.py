"""Training billed per session by the ordinary run (clause 3.3, 5.1), each delivered session once, cancelled ones
never; per_session fees refused where nothing could bill them; force majeure pauses the suspension grace (13.5)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from chalicelib.billing.fees import Cadence, FeeItem, FeeKind, Timing
from chalicelib.core.errors import InvalidInput
from tests.integration.billing.conftest import shanghai
from tests.integration.billing.test_payments_and_overdue import first_invoices

TRAINING = FeeItem("training", FeeKind.TRAINING, "Training fee", Decimal("800.00"), Cadence.PER_SESSION,
                   Timing.ARREARS, date(2026, 1, 1))


def test_delivered_sessions_are_billed_once_each_and_cancelled_ones_never(services, billed) -> None:  # type: ignore[no-untyped-def]
    merchant = billed([TRAINING])
    licensee = merchant.licensee_id
    services.clock.current = shanghai(date(2026, 3, 2), time(10))
    held = services.training.schedule(licensee, shanghai(date(2026, 3, 5), time(14)), "online", ["system_operation"],
                                      "staff:li", link="https://meet.example/a")
    dropped = services.training.schedule(licensee, shanghai(date(2026, 3, 6), time(14)), "onsite", ["客服话术"],
                                         "staff:li", place="Hangzhou")
    services.training.cancel(dropped["id"], "Trainer ill", "staff:li")
    # marked delivered two days after it was held, after the runs of those days
    services.billing.run_billing(shanghai(date(2026, 3, 6)))
    services.billing.run_billing(shanghai(date(2026, 3, 7)))
    services.clock.current = shanghai(date(2026, 3, 7), time(10))
    services.training.deliver(held["id"], ["Zhang San"], "staff:li")
    report = services.billing.run_billing(shanghai(date(2026, 3, 8)))
    assert len(report.invoices) == 1
    [invoice] = services.billing.invoices(licensee)
    [line] = invoice.lines
    assert "2026-03-05" in line["description"] and "System operation" in line["description"]
    assert Decimal(str(invoice.total)) >= Decimal("800.00")
    # later runs, and a rerun of the same day, bill it no more
    for day in (date(2026, 3, 8), date(2026, 3, 9), date(2026, 4, 1)):
        assert services.billing.run_billing(shanghai(day)).invoices == []
    assert len(services.billing.invoices(licensee)) == 1


def test_a_per_session_fee_for_something_without_sessions_is_refused(services, factory) -> None:  # type: ignore[no-untyped-def]
    merchant = factory.merchant()
    support = FeeItem("support", FeeKind.SUPPORT, "Support per call", Decimal("100.00"), Cadence.PER_SESSION,
                      Timing.ARREARS, date(2026, 1, 1))
    with pytest.raises(InvalidInput) as refused:
        services.billing.set_schedule(merchant.licensee_id, [support], None, "staff:li")
    assert refused.value.code == "PER_SESSION_NOT_BILLABLE"
    services.billing.sessions = None  # a billing without training could never bill one
    with pytest.raises(InvalidInput):
        services.billing.set_schedule(merchant.licensee_id, [TRAINING], None, "staff:li")


def test_force_majeure_pauses_the_suspension_grace(services, billed) -> None:  # type: ignore[no-untyped-def]
    merchant = first_invoices(services, billed)  # 1000.00 due 31 January, 15 days' grace
    services.billing.add_force_majeure(date(2026, 2, 10), date(2026, 2, 14), "Typhoon", "staff:li",
                                       merchant.licensee_id)
    services.clock.current = shanghai(date(2026, 2, 16), time(12))
    report = services.billing.run_overdue(shanghai(date(2026, 2, 16)))
    assert merchant.licensee_id not in report.suspended  # would be suspended today without the typhoon
    services.clock.current = shanghai(date(2026, 2, 21), time(12))
    report = services.billing.run_overdue(shanghai(date(2026, 2, 21)))
    assert merchant.licensee_id in report.suspended  # five paused days later
