"""Billing on DynamoDB Local: services with a mailer that keeps what it sends, and merchants with fee schedules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from chalicelib import bootstrap
from chalicelib.billing.fees import FeeItem, FeeKind, Timing
from chalicelib.billing.invoices import BillingTerms
from chalicelib.billing.model import AccountTerms
from chalicelib.billing.periods import Cadence
from chalicelib.core.clock import FixedClock
from chalicelib.core.ids import new_id
from chalicelib.core.mailer import OutboundMail, SentMail
from chalicelib.metrics import MemorySink
from chalicelib.settings import Settings
from tests.factories import Factory, Merchant

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class KeptMail:
    """A mailer that keeps every mail; `failing` makes it refuse, as a mail outage would."""

    sent: list[OutboundMail] = field(default_factory=list)
    failing: bool = False

    def send(self, mail: OutboundMail) -> SentMail:
        if self.failing:
            raise ConnectionError("mail server unreachable")
        self.sent.append(mail)
        return SentMail(provider_id=f"kept-{len(self.sent)}", message_id=f"{new_id('msg')}@kefu.test")


@pytest.fixture
def mail() -> KeptMail:
    return KeptMail()


@pytest.fixture
def services(settings: Settings, tables: None, clock: FixedClock, metrics: MemorySink,
             mail: KeptMail) -> Iterator[bootstrap.Services]:
    built = bootstrap.build(settings, clock, metrics, mailer=mail)
    bootstrap.use(built)
    yield built
    bootstrap.use(None)


def shanghai(day: date, at: time = time(0, 5)) -> datetime:
    """The UTC instant of a wall-clock time in Shanghai."""
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


def schedule(start: date = date(2026, 1, 1)) -> list[FeeItem]:
    """A realistic schedule: monthly usage in advance, yearly maintenance in advance, support in arrears."""
    return [
        FeeItem("usage", FeeKind.USAGE, "System usage fee", Decimal("1200.00"), Cadence.MONTHLY, Timing.ADVANCE, start),
        FeeItem("maintenance", FeeKind.MAINTENANCE, "Maintenance fee", Decimal("6000.00"), Cadence.YEARLY,
                Timing.ADVANCE, start),
        FeeItem("support", FeeKind.SUPPORT, "Technical support fee", Decimal("300.00"), Cadence.MONTHLY,
                Timing.ARREARS, start),
    ]


TERMS = AccountTerms(BillingTerms(net_days=30, late_fee_rate_per_day=Decimal("0.0005"), grace_days=15,
                                  reminder_days_before=(7,), reminder_days_after=(1, 7)))


@pytest.fixture
def billed(factory: Factory, services: bootstrap.Services):  # type: ignore[no-untyped-def]
    """Make a merchant with a signed agreement and a fee schedule."""

    def make(items: list[FeeItem] | None = None, effective: date = date(2026, 1, 1), years: int = 1,
             terms: AccountTerms = TERMS) -> Merchant:
        merchant = factory.merchant(effective=effective, years=years)
        services.billing.set_schedule(merchant.licensee_id, items or schedule(effective), terms, "test:billing")
        return merchant

    return make
