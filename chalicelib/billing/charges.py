"""Charges: what comes due on which day for which days of service, each under its business key (agreement,
fee item, period, reason, reference). The same facts always give the same keys and amounts, so a store that
writes each key once makes billing runs, retries and catch-up runs issue every charge exactly once.

In advance a period is charged on its first billable day, in arrears on the day after its last; an amendment
inside a period is prorated on both sides (clause 10)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from chalicelib.billing.fees import Cadence, DeliveredSession, FeeItem, Timing
from chalicelib.billing.periods import ONE_DAY, AgreementWindow, DateRange, billing_periods
from chalicelib.core.money import ZERO, prorate, require_fen_exact


class ChargeReason(StrEnum):
    PERIOD = "period"
    SESSION = "session"
    AMENDMENT_CREDIT = "amendment_credit"
    AMENDMENT_CHARGE = "amendment_charge"
    TERMINATION_ADJUSTMENT = "termination_adjustment"
    CORRECTION = "correction"


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
    charges = all_charges(items, window.agreement_id, window.start, window.end, sessions, due_within)
    return sorted((c for c in charges if start <= c.due_on <= end), key=charge_order)


def charge_order(charge: Charge) -> tuple[date, ChargeKey]:
    return charge.due_on, charge.key


def all_charges(
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


def key_text(charge: Charge) -> str:
    """The charge's business key as one string, for the claim that makes it billable once."""
    k = charge.key
    return "#".join((k.agreement_id, k.fee_item_id, k.period_start.isoformat(), k.period_end.isoformat(),
                     k.reason.value, k.reference))
