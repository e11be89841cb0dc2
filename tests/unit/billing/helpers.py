"""Small builders for billing facts, so each test states only what it is about."""

from datetime import date
from decimal import Decimal

from chalicelib.billing.fees import FeeChange, FeeItem, FeeKind, Timing
from chalicelib.billing.periods import AgreementWindow, Cadence


def fee(
    amount: str = "3100.00",
    *,
    start: date = date(2028, 1, 1),
    cadence: Cadence = Cadence.MONTHLY,
    timing: Timing = Timing.ADVANCE,
    end: date | None = None,
    quantity: int = 1,
    changes: tuple[FeeChange, ...] = (),
    id: str = "usage",
    kind: FeeKind = FeeKind.USAGE,
    currency: str = "CNY",
) -> FeeItem:
    return FeeItem(
        id=id,
        kind=kind,
        description=f"{kind} fee",
        amount=Decimal(amount),
        cadence=cadence,
        timing=timing,
        start=start,
        end=end,
        currency=currency,
        quantity=quantity,
        changes=changes,
    )


def window(start: date = date(2028, 1, 1), end: date = date(2030, 12, 31)) -> AgreementWindow:
    return AgreementWindow("agreement-1", start, end)
