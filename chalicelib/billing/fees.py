"""The fee schedule (clauses 5.1, 6.3, 10): fee items, their amendments, and the items as the license makes them
(quantities that follow seats or channels, days the license does not cover)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from chalicelib.billing.periods import ONE_DAY, Cadence, DateRange
from chalicelib.core.money import require_non_negative

DEFAULT_CURRENCY = "CNY"


class FeeKind(StrEnum):
    """Clause 5.1 and 6.3: what a fee pays for."""

    USAGE = "usage"
    SUPPORT = "support"
    MAINTENANCE = "maintenance"
    TRAINING = "training"
    OTHER = "other"


class Timing(StrEnum):
    """Whether a recurring fee is charged at the start of its period or after it ends."""

    ADVANCE = "advance"
    ARREARS = "arrears"


class Per(StrEnum):
    """What a fee item's quantity counts when it follows the license (clause 10): staff do not keep it."""

    SEAT = "seat"
    CHANNEL = "channel"


@dataclass(frozen=True)
class FeeChange:
    """Clause 10: an amendment of a fee item's price or quantity (channels, seats) effective on a date."""

    effective: date
    amount: Decimal | None = None
    quantity: int | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.amount is None and self.quantity is None:
            raise ValueError("a fee change must change the amount, the quantity or both")
        if self.amount is not None:
            require_non_negative(self.amount, "amended amount")
        if self.quantity is not None and self.quantity < 0:
            raise ValueError(f"amended quantity cannot be negative, not {self.quantity}")


@dataclass(frozen=True)
class FeeItem:
    """One line of an agreement's fee schedule (clause 5.1).

    ``amount`` is the price of one unit for one period (or one session, or once); ``quantity`` counts the
    units, such as seats or channels, so a period costs ``amount * quantity``. Recurring periods are
    anchored on ``start``. ``end`` is the last day the fee applies, if it stops before the agreement does.
    With ``per`` set, the quantity is not kept here: it follows the seats (or channels) the license grants,
    version by version (see :func:`as_billed`), and ``changes`` may change only the amount. A quantity of
    zero (no seats, or days the license does not cover) costs nothing.
    """

    id: str
    kind: FeeKind
    description: str
    amount: Decimal
    cadence: Cadence
    timing: Timing
    start: date
    end: date | None = None
    currency: str = DEFAULT_CURRENCY
    quantity: int = 1
    changes: tuple[FeeChange, ...] = ()
    per: Per | None = None

    def __post_init__(self) -> None:
        require_non_negative(self.amount, f"amount of fee item {self.id}")
        if self.quantity < 0:
            raise ValueError(f"quantity of fee item {self.id} cannot be negative")
        if self.per is not None and any(change.quantity is not None for change in self.changes):
            raise ValueError(f"the quantity of fee item {self.id} follows the license's {self.per}s; "
                             "amend the license, not the fee")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"fee item {self.id} ends ({self.end}) before it starts ({self.start})")
        effective_dates = [change.effective for change in self.changes]
        if effective_dates != sorted(set(effective_dates)):
            raise ValueError(f"changes of fee item {self.id} must be in date order, one per date")
        if any(day <= self.start for day in effective_dates):
            raise ValueError(f"a change of fee item {self.id} must take effect after its start {self.start}")
        if self.changes and self.cadence is Cadence.ONE_OFF:
            raise ValueError(f"one-off fee item {self.id} cannot be amended; add another item")

    def terms_on(self, day: date) -> tuple[Decimal, int]:
        """Unit amount and quantity in force on ``day``, after every change effective by then."""
        amount, quantity = self.amount, self.quantity
        for change in self.changes:
            if change.effective > day:
                break
            amount = change.amount if change.amount is not None else amount
            quantity = change.quantity if change.quantity is not None else quantity
        return amount, quantity


@dataclass(frozen=True)
class LicensedUnits:
    """What the license grants from ``effective`` on (one version of its terms, clause 10)."""

    effective: date
    seats: int
    channels: int

    def count(self, per: Per) -> int:
        return self.seats if per is Per.SEAT else self.channels


def as_billed(item: FeeItem, licensed: Sequence[LicensedUnits] = (), gaps: Sequence[DateRange] = ()) -> FeeItem:
    """The fee item as the license makes it on each day: the quantity of a ``per`` item follows the seats or
    channels of the terms in force (``licensed``, in any order; the latest effective on or before a day
    applies, the first before that), and on days the license does not cover (``gaps`` between a lapsed
    period and its extension, clause 4.2) the quantity is zero. Each change becomes a dated change of the
    item, so an amendment inside a period is prorated on both sides like any other (clause 10). An item that
    neither follows the license nor crosses a gap comes back as it is.
    """
    follows = item.per is not None and bool(licensed)
    if not follows and not gaps:
        return item
    ordered = sorted(licensed, key=lambda units: units.effective)

    def terms(day: date) -> tuple[Decimal, int]:
        amount, quantity = item.terms_on(day)
        if follows and item.per is not None:
            current = ordered[0]
            for units in ordered:
                if units.effective <= day:
                    current = units
            quantity = current.count(item.per)
        if any(day in gap for gap in gaps):
            quantity = 0
        return amount, quantity

    days = {change.effective for change in item.changes}
    days.update(units.effective for units in ordered if follows)
    for gap in gaps:
        days.update((gap.start, gap.end + ONE_DAY))
    amount, quantity = terms(item.start)
    if item.cadence is Cadence.ONE_OFF:
        return replace(item, per=None, quantity=quantity)
    own = {change.effective: change.reason for change in item.changes}
    changes: list[FeeChange] = []
    previous = (amount, quantity)
    for day in sorted(d for d in days if d > item.start):
        now = terms(day)
        if now != previous:
            changes.append(FeeChange(day, now[0], now[1], own.get(day, "license terms")))
            previous = now
    return replace(item, per=None, quantity=quantity, changes=tuple(changes))


@dataclass(frozen=True)
class DeliveredSession:
    """A delivered training session (clause 3.3), billable under a per-session fee item."""

    fee_item_id: str
    session_id: str
    delivered_on: date
    topic: str = ""  # named on the invoice line with the date
