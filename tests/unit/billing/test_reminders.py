from datetime import date
from decimal import Decimal

import pytest

from chalicelib.billing.invoices import BillingTerms, OpenInvoice
from chalicelib.billing.overdue import Reminder, ReminderWhen, SuspensionAction, overdue_state, renewal_reminders_due

TERMS = BillingTerms(grace_days=15, reminder_days_before=(7,), reminder_days_after=(1, 7))
DUE = date(2028, 1, 31)
INVOICE = OpenInvoice("INV-1", DUE, Decimal("300.00"))


def before(days: int) -> Reminder:
    return Reminder("INV-1", ReminderWhen.BEFORE_DUE, days)


def after(days: int) -> Reminder:
    return Reminder("INV-1", ReminderWhen.AFTER_DUE, days)


@pytest.mark.parametrize(
    ("today", "sent", "expected"),
    [
        (date(2028, 1, 23), set(), ()),
        (date(2028, 1, 24), set(), (before(7),)),
        (date(2028, 1, 25), {before(7)}, ()),
        (date(2028, 1, 31), set(), (before(7),)),  # missed run caught up while still before due
        (date(2028, 2, 1), set(), (after(1),)),  # a before-due reminder is pointless once overdue
        (date(2028, 2, 1), {before(7)}, (after(1),)),
        (date(2028, 2, 7), {before(7), after(1)}, (after(7),)),
        (date(2028, 2, 9), {before(7)}, (after(1), after(7))),  # each missed reminder once
        (date(2028, 3, 1), {before(7), after(1), after(7)}, ()),
    ],
)
def test_each_payment_reminder_is_due_once_including_after_a_missed_run(
    today: date, sent: set[Reminder], expected: tuple[Reminder, ...]
) -> None:
    assert overdue_state([INVOICE], today, TERMS, reminders_sent=sent).reminders_due == expected


def test_a_paid_invoice_gets_no_reminder() -> None:
    paid = OpenInvoice("INV-1", DUE, Decimal("0.00"))
    state = overdue_state([paid], date(2028, 2, 1), TERMS, reminders_sent=())
    assert state.reminders_due == ()
    assert state.overdue_amount == Decimal("0.00")


@pytest.mark.parametrize(
    ("today", "suspend"),
    [
        (date(2028, 1, 31), False),
        (date(2028, 2, 15), False),
        (date(2028, 2, 16), True),
        (date(2028, 5, 1), True),
    ],
)
def test_service_is_suspended_once_the_grace_days_after_the_due_date_are_over(
    today: date, suspend: bool
) -> None:
    state = overdue_state([INVOICE], today, TERMS, reminders_sent=())
    assert state.suspend is suspend
    assert state.action is (SuspensionAction.SUSPEND if suspend else SuspensionAction.NONE)
    assert state.suspended_from == (date(2028, 2, 16) if suspend else None)


def test_overdue_amount_counts_only_invoices_past_their_due_date() -> None:
    later = OpenInvoice("INV-2", date(2028, 2, 29), Decimal("50.00"))
    state = overdue_state([later, INVOICE], date(2028, 2, 20), TERMS, reminders_sent=())
    assert state.overdue_invoice_ids == ("INV-1",)
    assert state.overdue_amount == Decimal("300.00")
    assert state.amount_to_reinstate == Decimal("300.00")


def test_a_partial_payment_does_not_reinstate_a_suspended_licensee() -> None:
    partly_paid = OpenInvoice("INV-1", DUE, Decimal("0.01"))
    state = overdue_state([partly_paid], date(2028, 3, 1), TERMS, reminders_sent=(), suspended=True)
    assert state.suspend
    assert state.action is SuspensionAction.NONE
    assert state.amount_to_reinstate == Decimal("0.01")


def test_paying_everything_past_grace_in_full_reinstates() -> None:
    not_yet_past_grace = OpenInvoice("INV-2", date(2028, 2, 29), Decimal("50.00"))
    state = overdue_state([not_yet_past_grace], date(2028, 3, 1), TERMS, reminders_sent=(), suspended=True)
    assert not state.suspend
    assert state.action is SuspensionAction.REINSTATE


@pytest.mark.parametrize(
    ("today", "sent", "expected"),
    [
        (date(2028, 10, 31), set(), []),
        (date(2028, 11, 1), set(), [60]),  # 60 days before 31 December
        (date(2028, 11, 3), {60}, []),
        (date(2028, 12, 1), {60}, [30]),
        (date(2028, 12, 24), set(), [60, 30, 7]),  # every missed reminder, each once
        (date(2028, 12, 31), {60, 30, 7}, []),
        (date(2029, 1, 1), set(), []),  # the agreement has ended
    ],
)
def test_renewal_reminders_are_due_once_each_and_caught_up_after_missed_runs(
    today: date, sent: set[int], expected: list[int]
) -> None:
    assert renewal_reminders_due(date(2028, 12, 31), today, already_sent=sent) == expected


def test_renewal_reminder_days_can_be_configured() -> None:
    assert renewal_reminders_due(date(2028, 12, 31), date(2028, 12, 17), days=(14, 90)) == [90, 14]
