"""Billing rules of the license agreement, as pure functions of facts and dates.

Clauses carried here: 4.2 (renewal reminders), 5 (fees, payment, payment terms), 6.3 (maintenance fees are
fee items like any other), 8 (late fees, reminders, suspension, reinstatement), 10 (amendments take effect on
a date, with proration), 11.3 (final settlement) and 13.5 (force majeure pauses late fees).

Conventions every function here follows:

* Dates are calendar dates in the licensor's time zone, Asia/Shanghai. Callers convert an instant to a
  Shanghai ``date`` before calling; nothing here reads a clock.
* Every date range is inclusive at both ends: a period "31 Jan–28 Feb" includes both days.
* Something "effective on D" (an amendment, a termination) changes things from the start of day D: the old
  terms or the service cover the days up to D - 1.
* Money is ``Decimal`` exact to the fen; every computed amount is rounded once with the money rule
  (ROUND_HALF_UP to the fen, :mod:`chalicelib.core.money`).
* A charge is identified by its business key (agreement, fee item, period, reason, reference). The same
  facts always give the same keys and amounts, so a store that writes each key once makes billing runs,
  retries and catch-up runs issue every charge exactly once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from chalicelib.core.dates import add_months
from chalicelib.core.money import ZERO, prorate, require_fen_exact, round_fen

ONE_DAY = timedelta(days=1)
DEFAULT_CURRENCY = "CNY"


# --- Vocabulary ----------------------------------------------------------------------------------------


class FeeKind(StrEnum):
    """Clause 5.1 and 6.3: what a fee pays for."""

    USAGE = "usage"
    SUPPORT = "support"
    MAINTENANCE = "maintenance"
    TRAINING = "training"
    OTHER = "other"


class Cadence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ONE_OFF = "one_off"
    PER_SESSION = "per_session"


class Timing(StrEnum):
    """Whether a recurring fee is charged at the start of its period or after it ends."""

    ADVANCE = "advance"
    ARREARS = "arrears"


class Per(StrEnum):
    """What a fee item's quantity counts when it follows the license (clause 10): staff do not keep it."""

    SEAT = "seat"
    CHANNEL = "channel"


class ChargeReason(StrEnum):
    PERIOD = "period"
    SESSION = "session"
    AMENDMENT_CREDIT = "amendment_credit"
    AMENDMENT_CHARGE = "amendment_charge"
    TERMINATION_ADJUSTMENT = "termination_adjustment"
    CORRECTION = "correction"


class ReminderWhen(StrEnum):
    BEFORE_DUE = "before_due"
    AFTER_DUE = "after_due"


class SuspensionAction(StrEnum):
    NONE = "none"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


_MONTHS_PER_PERIOD = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.YEARLY: 12}


# --- Dates and periods ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class DateRange:
    """Calendar days from ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a date range cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def intersection(self, other: DateRange) -> DateRange | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return DateRange(start, end) if start <= end else None

    def __str__(self) -> str:
        return f"{self.start.isoformat()}–{self.end.isoformat()}"


def _months_per_period(cadence: Cadence) -> int:
    try:
        return _MONTHS_PER_PERIOD[cadence]
    except KeyError:
        raise ValueError(f"{cadence} fees have no calendar periods") from None


def period_containing(anchor: date, cadence: Cadence, day: date) -> DateRange:
    """The billing period of a recurring fee anchored on ``anchor`` that contains ``day``.

    The n-th period starts on ``add_months(anchor, n * k)`` (k = 1, 3 or 12), always computed from the
    anchor, so a 31 January anchor gives 31 Jan, 29 Feb 2028, 31 Mar: the day never drifts. A period ends
    the day before the next one starts.
    """
    step = _months_per_period(cadence)
    if day < anchor:
        raise ValueError(f"{day} is before the first period, which starts on {anchor}")
    n = ((day.year - anchor.year) * 12 + day.month - anchor.month) // step
    while add_months(anchor, n * step) > day:
        n -= 1
    while add_months(anchor, (n + 1) * step) <= day:
        n += 1
    return DateRange(add_months(anchor, n * step), add_months(anchor, (n + 1) * step) - ONE_DAY)


def billing_periods(anchor: date, cadence: Cadence, within: DateRange) -> list[DateRange]:
    """Every full period anchored on ``anchor`` that overlaps ``within`` (periods are not cut here)."""
    first_day = max(anchor, within.start)
    if first_day > within.end:
        return []
    periods = [period_containing(anchor, cadence, first_day)]
    while periods[-1].end < within.end:
        next_start = periods[-1].end + ONE_DAY
        periods.append(period_containing(anchor, cadence, next_start))
    return periods


# --- Facts ---------------------------------------------------------------------------------------------


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
            _require_non_negative(self.amount, "amended amount")
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
        _require_non_negative(self.amount, f"amount of fee item {self.id}")
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
class AgreementWindow:
    """The days an agreement is in force: ``start`` to ``end`` inclusive (clause 4.1; 4.2 extends ``end``)."""

    agreement_id: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"agreement {self.agreement_id} ends {self.end}, before it starts {self.start}")


@dataclass(frozen=True)
class DeliveredSession:
    """A delivered training session (clause 3.3), billable under a per-session fee item."""

    fee_item_id: str
    session_id: str
    delivered_on: date
    topic: str = ""  # named on the invoice line with the date


@dataclass(frozen=True)
class BillingTerms:
    """Payment terms of one agreement (clauses 5.3 and 8)."""

    net_days: int = 30
    late_fee_rate_per_day: Decimal = Decimal("0.0005")
    grace_days: int = 15
    tax_rate: Decimal | None = None
    reminder_days_before: tuple[int, ...] = (7,)
    reminder_days_after: tuple[int, ...] = (1, 7)

    def __post_init__(self) -> None:
        if self.net_days < 0 or self.grace_days < 0:
            raise ValueError("net days and grace days cannot be negative")
        _require_rate(self.late_fee_rate_per_day, "late fee rate")
        if self.tax_rate is not None:
            _require_rate(self.tax_rate, "tax rate")
        if any(days < 0 for days in (*self.reminder_days_before, *self.reminder_days_after)):
            raise ValueError("reminder days cannot be negative")


# --- Charges -------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class ChargeKey:
    """Business key of a charge: a store writes each key at most once.

    ``reference`` tells apart several charges of one period: the effective date of an amendment, the id of
    a training session, the termination date of a settlement adjustment.
    """

    agreement_id: str
    fee_item_id: str
    period_start: date
    period_end: date
    reason: ChargeReason = ChargeReason.PERIOD
    reference: str = ""


@dataclass(frozen=True)
class Charge:
    """An amount that comes due on ``due_on`` for the days ``covered`` of the period in its key."""

    key: ChargeKey
    description: str
    due_on: date
    covered: DateRange
    quantity: int
    unit_amount: Decimal
    amount: Decimal
    currency: str

    @property
    def period(self) -> DateRange:
        return DateRange(self.key.period_start, self.key.period_end)


def due_charges(
    items: Sequence[FeeItem],
    window: AgreementWindow,
    on: date,
    sessions: Sequence[DeliveredSession] = (),
) -> list[Charge]:
    """Charges that come due on the billing date ``on``.

    In advance: on the first billable day of the period. In arrears: on the day after its last billable
    day. One-off: on the item's start date. Per session: like a one-day period on the delivery date.
    """
    return charges_between(items, window, on, on, sessions)


def charges_between(
    items: Sequence[FeeItem],
    window: AgreementWindow,
    start: date,
    end: date,
    sessions: Sequence[DeliveredSession] = (),
) -> list[Charge]:
    """Every charge due from ``start`` to ``end`` inclusive, for a run that must catch up missed days.

    The result depends only on the facts, never on which runs happened, so issuing it by business key
    gives each charge exactly once however the runs were spread.
    """
    if end < start:
        raise ValueError(f"cannot bill from {start} back to {end}")
    due_within = DateRange(start, end)
    charges = _all_charges(items, window.agreement_id, window.start, window.end, sessions, due_within)
    return sorted((c for c in charges if start <= c.due_on <= end), key=_charge_order)


def _charge_order(charge: Charge) -> tuple[date, ChargeKey]:
    return charge.due_on, charge.key


def _all_charges(
    items: Sequence[FeeItem],
    agreement_id: str,
    first_day: date,
    last_day: date,
    sessions: Sequence[DeliveredSession],
    due_within: DateRange | None = None,
) -> list[Charge]:
    """Charges for service from ``first_day`` to ``last_day``; with ``due_within``, only periods that can
    have a charge due in it are looked at (an arrears charge falls due the day after its period)."""
    by_id = _index_items(items)
    for session in sessions:
        item = by_id.get(session.fee_item_id)
        if item is None:
            raise ValueError(f"session {session.session_id} names unknown fee item {session.fee_item_id}")
        if item.cadence is not Cadence.PER_SESSION:
            raise ValueError(f"session {session.session_id} is billed to {item.cadence} fee item {item.id}")
    charges: list[Charge] = []
    for item in items:
        billable_end = min(last_day, item.end) if item.end is not None else last_day
        billable_start = max(first_day, item.start)
        if billable_end < billable_start:
            continue
        billable = DateRange(billable_start, billable_end)
        if item.cadence is Cadence.ONE_OFF:
            if item.start in billable:
                charges.append(_one_off_charge(item, agreement_id))
        elif item.cadence is Cadence.PER_SESSION:
            charges.extend(
                _session_charge(item, agreement_id, session)
                for session in sessions
                if session.fee_item_id == item.id and session.delivered_on in billable
            )
        else:
            looked_at = billable
            if due_within is not None:
                near = billable.intersection(DateRange(due_within.start - ONE_DAY, due_within.end))
                if near is None:
                    continue
                looked_at = near
            for period in billing_periods(item.start, item.cadence, looked_at):
                covered = period.intersection(billable)
                if covered is not None:
                    charges.extend(_period_charges(item, agreement_id, period, covered))
    # Days with no units (no seats licensed, or between a lapsed period and its extension) cost nothing:
    # their zero lines would only clutter an invoice.
    return [c for c in charges if c.quantity or c.amount]


def _index_items(items: Sequence[FeeItem]) -> dict[str, FeeItem]:
    by_id: dict[str, FeeItem] = {}
    for item in items:
        if item.id in by_id:
            raise ValueError(f"fee item id {item.id} appears twice")
        by_id[item.id] = item
    return by_id


def _one_off_charge(item: FeeItem, agreement_id: str) -> Charge:
    amount, quantity = item.terms_on(item.start)
    day = DateRange(item.start, item.start)
    return Charge(
        key=ChargeKey(agreement_id, item.id, item.start, item.start),
        description=item.description,
        due_on=item.start,
        covered=day,
        quantity=quantity,
        unit_amount=amount,
        amount=require_fen_exact(amount * quantity),
        currency=item.currency,
    )


def _session_charge(item: FeeItem, agreement_id: str, session: DeliveredSession) -> Charge:
    amount, quantity = item.terms_on(session.delivered_on)
    day = DateRange(session.delivered_on, session.delivered_on)
    return Charge(
        key=ChargeKey(agreement_id, item.id, day.start, day.end, ChargeReason.SESSION, session.session_id),
        description=f"{item.description}: {day.start.isoformat()} {session.topic or session.session_id}",
        due_on=day.start if item.timing is Timing.ADVANCE else day.end + ONE_DAY,
        covered=day,
        quantity=quantity,
        unit_amount=amount,
        amount=require_fen_exact(amount * quantity),
        currency=item.currency,
    )


@dataclass(frozen=True)
class _Segment:
    """Days of one period under one set of terms."""

    days: DateRange
    unit_amount: Decimal
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.unit_amount * self.quantity


def _segments(item: FeeItem, covered: DateRange) -> list[_Segment]:
    inside = [change.effective for change in item.changes if covered.start < change.effective <= covered.end]
    starts = [covered.start, *inside]
    segments: list[_Segment] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] - ONE_DAY if index + 1 < len(starts) else covered.end
        amount, quantity = item.terms_on(start)
        if segments and (segments[-1].unit_amount, segments[-1].quantity) == (amount, quantity):
            segments[-1] = replace(segments[-1], days=DateRange(segments[-1].days.start, end))
        else:
            segments.append(_Segment(DateRange(start, end), amount, quantity))
    return segments


def _period_charges(item: FeeItem, agreement_id: str, period: DateRange, covered: DateRange) -> list[Charge]:
    """Charges of one period of a recurring fee, prorated by day over the period's actual length.

    In advance the period is charged whole at the terms of its first billable day; each amendment inside
    it then adds a credit for the old terms and a charge for the new ones, both due on its effective date.
    The credit is what was charged minus the prorated price of the days used, so the licensee pays exactly
    the prorated price of each stretch of days, never a fen more or less. In arrears nothing was charged
    yet, so each stretch of days is simply charged at its own terms.
    """

    def key(reason: ChargeReason = ChargeReason.PERIOD, reference: str = "") -> ChargeKey:
        return ChargeKey(agreement_id, item.id, period.start, period.end, reason, reference)

    def describe(days: DateRange, prefix: str = "") -> str:
        share = "" if days.days == period.days else f" ({days.days}/{period.days} days of {period})"
        return f"{prefix}{item.description} {days}{share}"

    def charge(k: ChargeKey, text: str, due: date, days: DateRange, seg: _Segment, amount: Decimal) -> Charge:
        return Charge(k, text, due, days, seg.quantity, seg.unit_amount, amount, item.currency)

    segments = _segments(item, covered)
    charges: list[Charge] = []
    if item.timing is Timing.ARREARS:
        for index, seg in enumerate(segments):
            reason = ChargeReason.PERIOD if index == 0 else ChargeReason.AMENDMENT_CHARGE
            reference = "" if index == 0 else seg.days.start.isoformat()
            amount = prorate(seg.total, seg.days.days, period.days)
            due = covered.end + ONE_DAY
            charges.append(charge(key(reason, reference), describe(seg.days), due, seg.days, seg, amount))
        return charges

    first = segments[0]
    charged = prorate(first.total, covered.days, period.days)
    charges.append(charge(key(), describe(covered), covered.start, covered, first, charged))
    previous = first
    for seg in segments[1:]:
        effective = seg.days.start
        rest = DateRange(effective, covered.end)
        used = prorate(previous.total, previous.days.days, period.days)
        reference = effective.isoformat()
        charges.append(
            charge(
                key(ChargeReason.AMENDMENT_CREDIT, reference),
                describe(rest, "Credit, amended: "),
                effective,
                rest,
                previous,
                used - charged,
            )
        )
        charged = prorate(seg.total, rest.days, period.days)
        charges.append(
            charge(
                key(ChargeReason.AMENDMENT_CHARGE, reference),
                describe(rest, "Amended: "),
                effective,
                rest,
                seg,
                charged,
            )
        )
        previous = seg
    return charges


def quantity_corrections(recomputed: Sequence[Charge], invoiced: Sequence[Charge], version: str) -> list[Charge]:
    """Clause 10: units (seats, channels) amended after their period was billed, from a day its charge already
    covers whole, such as the period's first day. The charge keeps its key and was billed with the old
    quantity; the difference is billed as a correction of that charge. ``recomputed`` are charges as the
    facts now make them whose keys were ``invoiced``; ``version`` names the facts (the terms version), so the
    same facts give the same correction key, and corrections billed before are counted: each difference is
    billed once. A changed unit price is not corrected this way: prices apply from the next charge.
    """
    billed = {charge.key: charge for charge in invoiced}
    fixes: list[Charge] = []
    for charge in recomputed:
        before = billed.get(charge.key)
        if before is None or before.unit_amount != charge.unit_amount or before.quantity == charge.quantity:
            continue
        base = f"{charge.key.reason.value}:{charge.key.reference}"
        earlier = sum((c.amount for c in invoiced if c.key.reason is ChargeReason.CORRECTION
                       and (c.key.fee_item_id, c.key.period_start, c.key.period_end)
                       == (charge.key.fee_item_id, charge.key.period_start, charge.key.period_end)
                       and c.key.reference.startswith(f"{base}@")), ZERO)
        difference = charge.amount - before.amount - earlier
        if difference:
            fixes.append(replace(
                charge, key=replace(charge.key, reason=ChargeReason.CORRECTION, reference=f"{base}@{version}"),
                description=f"Correction, {before.quantity} to {charge.quantity} units: {charge.description}",
                amount=difference))
    return fixes


# --- Invoices ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    """One line of an invoice. ``amount`` is authoritative; for prorated lines it is less than
    ``quantity * unit_amount``, and the description says which days it covers."""

    description: str
    amount: Decimal
    fee_item_id: str | None = None
    period: DateRange | None = None
    quantity: int = 1
    unit_amount: Decimal | None = None
    taxable: bool = True
    key: ChargeKey | None = None

    def __post_init__(self) -> None:
        require_fen_exact(self.amount, f"amount of line {self.description!r}")

    @classmethod
    def from_charge(cls, charge: Charge) -> InvoiceLine:
        return cls(
            description=charge.description,
            amount=charge.amount,
            fee_item_id=charge.key.fee_item_id,
            period=charge.period,
            quantity=charge.quantity,
            unit_amount=charge.unit_amount,
            key=charge.key,
        )


@dataclass(frozen=True)
class Invoice:
    """A draft invoice. A negative total is an amount the licensor owes the licensee."""

    agreement_id: str
    currency: str
    issue_date: date
    due_date: date
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


def draft_invoice(
    agreement_id: str,
    lines: Iterable[InvoiceLine | Charge],
    issue_date: date,
    terms: BillingTerms,
    currency: str = DEFAULT_CURRENCY,
) -> Invoice:
    """Invoice with a due date ``net_days`` after issue (clause 5.3).

    Tax is the money rule applied once to the sum of taxable lines, not line by line: lines prorated to the
    fen would otherwise add up to a tax that differs from the rate applied to the invoice by several fen.
    """
    invoice_lines: list[InvoiceLine] = []
    seen: set[ChargeKey] = set()
    for line in lines:
        if isinstance(line, Charge):
            if line.currency != currency:
                raise ValueError(f"charge {line.key} is in {line.currency}, the invoice in {currency}")
            line = InvoiceLine.from_charge(line)
        if line.key is not None:
            if line.key.agreement_id != agreement_id:
                raise ValueError(f"charge {line.key} belongs to another agreement than {agreement_id}")
            if line.key in seen:
                raise ValueError(f"charge {line.key} appears twice on one invoice")
            seen.add(line.key)
        invoice_lines.append(line)
    subtotal = sum((line.amount for line in invoice_lines), ZERO)
    tax_rate = terms.tax_rate if terms.tax_rate is not None else Decimal(0)
    taxable = sum((line.amount for line in invoice_lines if line.taxable), ZERO)
    tax = round_fen(taxable * tax_rate)
    return Invoice(
        agreement_id=agreement_id,
        currency=currency,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=terms.net_days),
        lines=tuple(invoice_lines),
        subtotal=subtotal,
        tax_rate=tax_rate,
        tax=tax,
        total=subtotal + tax,
    )


# --- Late fees (clauses 8 and 13.5) --------------------------------------------------------------------


def late_fee(overdue_amount: Decimal, rate_per_day: Decimal, days_overdue: int) -> Decimal:
    """Simple (not compounding) late fee: amount × daily rate × days, rounded once with the money rule."""
    _require_non_negative(overdue_amount, "overdue amount")
    _require_rate(rate_per_day, "late fee rate")
    if days_overdue < 0:
        raise ValueError(f"days overdue cannot be negative, not {days_overdue}")
    return round_fen(overdue_amount * rate_per_day * days_overdue)


@dataclass(frozen=True)
class BalanceChange:
    """A change of what is owed on one invoice: the invoice amount when issued, minus a payment or credit."""

    on: date
    amount: Decimal


def accrued_late_fee(
    balance_changes: Sequence[BalanceChange],
    due_date: date,
    through: date,
    rate_per_day: Decimal,
    paused: Sequence[DateRange] = (),
) -> Decimal:
    """Late fee accrued on one invoice for each day after ``due_date`` up to ``through`` inclusive.

    Each day's base is the balance at the end of that day, so a payment reduces the base from the day it
    is received, and a payment in full on a day stops that day's fee. Days inside a force-majeure period
    (clause 13.5, ``paused``) accrue nothing. The exact sum is rounded once.
    """
    _require_rate(rate_per_day, "late fee rate")
    for change in balance_changes:
        require_fen_exact(change.amount, "balance change")
    ordered = sorted(balance_changes, key=lambda change: change.on)
    balance = ZERO
    position = 0
    day_base_total = ZERO
    day = min([due_date + ONE_DAY, *(change.on for change in ordered)])
    while day <= through:
        while position < len(ordered) and ordered[position].on <= day:
            balance += ordered[position].amount
            position += 1
        if day > due_date and balance > 0 and not any(day in pause for pause in paused):
            day_base_total += balance
        day += ONE_DAY
    return round_fen(day_base_total * rate_per_day)


# --- Payments (clause 5.2) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenInvoice:
    """An issued invoice with what is still owed on it (tax included)."""

    invoice_id: str
    due_date: date
    balance: Decimal

    def __post_init__(self) -> None:
        _require_non_negative(self.balance, f"balance of invoice {self.invoice_id}")


@dataclass(frozen=True)
class Application:
    invoice_id: str
    amount: Decimal


@dataclass(frozen=True)
class Allocation:
    """How one payment was applied. ``applied`` + ``credit`` always equals the payment, to the fen."""

    applied: tuple[Application, ...]
    open_invoices: tuple[OpenInvoice, ...]
    credit: Decimal


def allocate(payment_amount: Decimal, open_invoices: Sequence[OpenInvoice]) -> Allocation:
    """Apply a payment to open invoices, oldest due date first (then invoice id, for a stable order).

    A partial payment leaves the rest of that invoice open; what is left after every invoice is paid is
    kept as credit on the licensee's account.
    """
    _require_non_negative(payment_amount, "payment")
    ids = [invoice.invoice_id for invoice in open_invoices]
    if len(ids) != len(set(ids)):
        raise ValueError("an invoice appears twice among the open invoices")
    left = payment_amount
    applied: list[Application] = []
    remaining: list[OpenInvoice] = []
    for invoice in sorted(open_invoices, key=lambda invoice: (invoice.due_date, invoice.invoice_id)):
        paid = min(left, invoice.balance)
        if paid > 0:
            applied.append(Application(invoice.invoice_id, paid))
            left -= paid
        if invoice.balance - paid > 0:
            remaining.append(replace(invoice, balance=invoice.balance - paid))
    return Allocation(applied=tuple(applied), open_invoices=tuple(remaining), credit=left)


# --- Reminders and suspension (clause 8) ---------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Reminder:
    """A payment reminder; also its business key, so each one is sent once."""

    invoice_id: str
    when: ReminderWhen
    days: int


@dataclass(frozen=True)
class OverdueState:
    overdue_invoice_ids: tuple[str, ...]
    overdue_amount: Decimal
    reminders_due: tuple[Reminder, ...]
    suspend: bool
    suspended_from: date | None
    amount_to_reinstate: Decimal
    action: SuspensionAction


def overdue_state(
    invoices: Sequence[OpenInvoice],
    today: date,
    terms: BillingTerms,
    *,
    reminders_sent: Collection[Reminder],
    suspended: bool = False,
    pauses: Sequence[DateRange] = (),
) -> OverdueState:
    """What clause 8 asks for today, from the open invoices.

    Reminders: each configured reminder once, including those a missed run skipped; a reminder before the
    due date is dropped once the date has passed. Suspension: when any invoice is still unpaid more than
    ``grace_days`` after its due date. Paying those invoices in full (``amount_to_reinstate``) lifts it; a
    partial payment does not. ``action`` compares with the current ``suspended`` state.
    """
    reminders: list[Reminder] = []
    overdue_ids: list[str] = []
    overdue_amount = ZERO
    to_reinstate = ZERO
    suspended_from: date | None = None
    for invoice in sorted(invoices, key=lambda invoice: (invoice.due_date, invoice.invoice_id)):
        if invoice.balance <= 0:
            continue
        due = invoice.due_date
        if today <= due:
            reminders.extend(
                Reminder(invoice.invoice_id, ReminderWhen.BEFORE_DUE, days)
                for days in sorted(set(terms.reminder_days_before), reverse=True)
                if due - timedelta(days=days) <= today
            )
        reminders.extend(
            Reminder(invoice.invoice_id, ReminderWhen.AFTER_DUE, days)
            for days in sorted(set(terms.reminder_days_after))
            if due + timedelta(days=days) <= today
        )
        if today > due:
            overdue_ids.append(invoice.invoice_id)
            overdue_amount += invoice.balance
        suspend_day = suspension_day(due, terms.grace_days, pauses)
        if today >= suspend_day:
            to_reinstate += invoice.balance
            suspended_from = suspend_day if suspended_from is None else min(suspended_from, suspend_day)
    sent = set(reminders_sent)
    suspend = suspended_from is not None
    if suspend and not suspended:
        action = SuspensionAction.SUSPEND
    elif suspended and not suspend:
        action = SuspensionAction.REINSTATE
    else:
        action = SuspensionAction.NONE
    return OverdueState(
        overdue_invoice_ids=tuple(overdue_ids),
        overdue_amount=overdue_amount,
        reminders_due=tuple(reminder for reminder in reminders if reminder not in sent),
        suspend=suspend,
        suspended_from=suspended_from,
        amount_to_reinstate=to_reinstate,
        action=action,
    )


def suspension_day(due: date, grace_days: int, pauses: Sequence[DateRange] = ()) -> date:
    """The first day a licensee may be suspended for an invoice due on ``due``: after ``grace_days`` days of grace
    that are not force majeure, on a day that is not force majeure either. Clause 13.5 pauses the grace as it pauses
    late fees, so a recorded typhoon does not bring a suspension."""
    def paused(day: date) -> bool:
        return any(day in p for p in pauses)

    day, left = due, grace_days
    while left > 0:
        day += ONE_DAY
        if not paused(day):
            left -= 1
    day += ONE_DAY
    while paused(day):
        day += ONE_DAY
    return day


def renewal_reminders_due(
    end_date: date,
    today: date,
    days: Sequence[int] = (60, 30, 7),
    already_sent: Collection[int] = (),
) -> list[int]:
    """Clause 4.2: which renewal reminders (days before ``end_date``, the last day in force) to send today.

    Each once; a run that was missed is caught up by the next, which returns every reminder whose day has
    come and that was not sent, largest first. None once the agreement has ended.
    """
    if any(day < 0 for day in days):
        raise ValueError("renewal reminder days cannot be negative")
    if today > end_date:
        return []
    sent = set(already_sent)
    return [
        day
        for day in sorted(set(days), reverse=True)
        if end_date - timedelta(days=day) <= today and day not in sent
    ]


# --- Termination (clause 11.3) -------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountPosition:
    """What the licensee's payments left: unpaid invoices and credit held (see :func:`allocate`)."""

    open_invoices: tuple[OpenInvoice, ...] = ()
    credit: Decimal = ZERO

    def __post_init__(self) -> None:
        _require_non_negative(self.credit, "credit on account")


def settlement(
    items: Sequence[FeeItem],
    window: AgreementWindow,
    termination_date: date,
    invoiced_charges: Sequence[Charge],
    account: AccountPosition,
    late_fees: Decimal,
    *,
    terms: BillingTerms,
    issue_date: date,
    sessions: Sequence[DeliveredSession] = (),
) -> Invoice:
    """Final settlement invoice for a termination effective on ``termination_date`` (the first day without
    service, clause 11.1).

    The charges the facts call for, with service ending the day before, are compared key by key with what
    was invoiced: charges never invoiced are added as they are; for charges already invoiced the difference
    is one line per fee item and period, a credit for prepaid days beyond the end. Then come the late fees
    not yet invoiced (not taxed), every unpaid invoice balance (already taxed) and the credit on account.
    Tax applies once to the new charges and credits. A negative total is a refund owed to the licensee.
    """
    if termination_date < window.start:
        raise ValueError(f"termination on {termination_date} is before the agreement starts {window.start}")
    _require_non_negative(late_fees, "late fees")
    currency = _single_currency(items)
    agreement_id = window.agreement_id
    last_day = min(window.end, termination_date - ONE_DAY)
    should = {c.key: c for c in _all_charges(items, agreement_id, window.start, last_day, sessions)}
    invoiced: dict[ChargeKey, Decimal] = {}
    for charge in invoiced_charges:
        if charge.key.agreement_id != agreement_id:
            raise ValueError(f"charge {charge.key} belongs to another agreement than {agreement_id}")
        if charge.key in invoiced:
            raise ValueError(f"charge {charge.key} was invoiced twice; settle that before terminating")
        invoiced[charge.key] = charge.amount

    lines: list[InvoiceLine] = [
        InvoiceLine.from_charge(c)
        for c in sorted(should.values(), key=_charge_order)
        if c.key not in invoiced
    ]
    adjustments: dict[tuple[str, date, date], Decimal] = {}
    for key, amount in invoiced.items():
        group = (key.fee_item_id, key.period_start, key.period_end)
        owed = should[key].amount if key in should else ZERO
        adjustments[group] = adjustments.get(group, ZERO) + owed - amount
    for (fee_item_id, period_start, period_end), difference in sorted(adjustments.items()):
        if difference == 0:
            continue
        period = DateRange(period_start, period_end)
        what = "Credit for prepaid service" if difference < 0 else "Adjustment"
        lines.append(
            InvoiceLine(
                description=f"{what}: fee item {fee_item_id}, {period}, terminated on {termination_date}",
                amount=difference,
                fee_item_id=fee_item_id,
                period=period,
                unit_amount=difference,
                key=ChargeKey(
                    agreement_id,
                    fee_item_id,
                    period_start,
                    period_end,
                    ChargeReason.TERMINATION_ADJUSTMENT,
                    termination_date.isoformat(),
                ),
            )
        )
    if late_fees > 0:
        lines.append(InvoiceLine("Late fees (clause 8)", late_fees, unit_amount=late_fees, taxable=False))
    for invoice in sorted(account.open_invoices, key=lambda invoice: (invoice.due_date, invoice.invoice_id)):
        if invoice.balance > 0:
            lines.append(
                InvoiceLine(
                    f"Unpaid balance of invoice {invoice.invoice_id} due {invoice.due_date.isoformat()}",
                    invoice.balance,
                    unit_amount=invoice.balance,
                    taxable=False,
                )
            )
    if account.credit > 0:
        credit = -account.credit
        lines.append(InvoiceLine("Credit on account", credit, unit_amount=credit, taxable=False))
    return draft_invoice(agreement_id, lines, issue_date, terms, currency)


# --- The billing calendar -------------------------------------------------------------------------------


def next_due_on(
    items: Sequence[FeeItem],
    window: AgreementWindow,
    after: date,
    sessions: Sequence[DeliveredSession] = (),
) -> date | None:
    """The first day after ``after`` on which a charge comes due, or None when nothing more will.

    The billing run keeps this date on each agreement's account, in the due-date index, so that a run
    reads only the agreements with something due. An arrears charge can fall due the day after the
    window ends, so the search reaches that far; it looks at the next two months first, which is where
    the answer nearly always is.
    """
    last = window.end + ONE_DAY
    start = after + ONE_DAY
    if start > last:
        return None
    for end in (min(last, start + timedelta(days=62)), last):
        charges = charges_between(items, window, start, end, sessions)
        if charges:
            return charges[0].due_on
        if end == last:
            break
        start = end + ONE_DAY
    return None


# --- Checks --------------------------------------------------------------------------------------------


def _single_currency(items: Sequence[FeeItem]) -> str:
    currencies = {item.currency for item in items}
    if len(currencies) > 1:
        raise ValueError(f"fee items of one agreement mix currencies: {sorted(currencies)}")
    return currencies.pop() if currencies else DEFAULT_CURRENCY


def _require_non_negative(amount: Decimal, what: str) -> Decimal:
    require_fen_exact(amount, what)
    if amount < 0:
        raise ValueError(f"{what} cannot be negative, not {amount}")
    return amount


def _require_rate(rate: Decimal, what: str) -> Decimal:
    if isinstance(rate, float) or not isinstance(rate, Decimal) or not rate.is_finite():
        raise ValueError(f"{what} must be a finite Decimal such as Decimal('0.0005'), not {rate!r}")
    if rate < 0:
        raise ValueError(f"{what} cannot be negative, not {rate}")
    return rate


__all__ = [
    "AccountPosition",
    "AgreementWindow",
    "Allocation",
    "Application",
    "BalanceChange",
    "BillingTerms",
    "Cadence",
    "Charge",
    "ChargeKey",
    "ChargeReason",
    "DateRange",
    "DeliveredSession",
    "FeeChange",
    "FeeItem",
    "FeeKind",
    "Invoice",
    "InvoiceLine",
    "LicensedUnits",
    "OpenInvoice",
    "OverdueState",
    "Per",
    "Reminder",
    "ReminderWhen",
    "SuspensionAction",
    "Timing",
    "accrued_late_fee",
    "add_months",
    "allocate",
    "as_billed",
    "billing_periods",
    "charges_between",
    "draft_invoice",
    "due_charges",
    "late_fee",
    "next_due_on",
    "overdue_state",
    "period_containing",
    "quantity_corrections",
    "renewal_reminders_due",
    "settlement",
]
