"""Late payment (clauses 8, 13.5) and renewal reminders (clause 4.2): late fees accrued day by day and paused
by force majeure, payment reminders, suspension after the grace days and reinstatement once paid."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from chalicelib.billing.invoices import BalanceChange, BillingTerms, OpenInvoice
from chalicelib.billing.periods import ONE_DAY, DateRange
from chalicelib.core.money import ZERO, require_fen_exact, require_non_negative, require_rate, round_fen


class ReminderWhen(StrEnum):
    BEFORE_DUE = "before_due"
    AFTER_DUE = "after_due"


class SuspensionAction(StrEnum):
    NONE = "none"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


def late_fee(overdue_amount: Decimal, rate_per_day: Decimal, days_overdue: int) -> Decimal:
    """Simple (not compounding) late fee: amount × daily rate × days, rounded once with the money rule."""
    require_non_negative(overdue_amount, "overdue amount")
    require_rate(rate_per_day, "late fee rate")
    if days_overdue < 0:
        raise ValueError(f"days overdue cannot be negative, not {days_overdue}")
    return round_fen(overdue_amount * rate_per_day * days_overdue)


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
    require_rate(rate_per_day, "late fee rate")
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


@dataclass(frozen=True, order=True)
class Reminder:
    """A payment reminder; also its business key, so each one is sent once."""

    invoice_id: str
    when: ReminderWhen
    days: int

    @property
    def key(self) -> str:
        """The business key of its notice."""
        return f"reminder#{self.invoice_id}#{self.when.value}#{self.days}"

    @classmethod
    def from_key(cls, key: str) -> Reminder:
        _, number, when, days = key.split("#")
        return cls(number, ReminderWhen(when), int(days))


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
