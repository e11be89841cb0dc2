from datetime import date
from decimal import Decimal

import pytest

from chalicelib.billing.invoices import Application, OpenInvoice, allocate

JANUARY = OpenInvoice("INV-1", date(2028, 1, 31), Decimal("300.00"))
FEBRUARY = OpenInvoice("INV-2", date(2028, 2, 29), Decimal("300.00"))
MARCH = OpenInvoice("INV-3", date(2028, 3, 31), Decimal("300.00"))


def test_a_payment_goes_to_the_oldest_due_invoice_first_whatever_the_input_order() -> None:
    allocation = allocate(Decimal("450.00"), [MARCH, JANUARY, FEBRUARY])
    assert allocation.applied == (
        Application("INV-1", Decimal("300.00")),
        Application("INV-2", Decimal("150.00")),
    )
    assert allocation.open_invoices == (
        OpenInvoice("INV-2", date(2028, 2, 29), Decimal("150.00")),
        MARCH,
    )
    assert allocation.credit == Decimal("0.00")


def test_an_overpayment_is_kept_as_credit() -> None:
    allocation = allocate(Decimal("1000.01"), [JANUARY, FEBRUARY, MARCH])
    assert allocation.open_invoices == ()
    assert allocation.credit == Decimal("100.01")
    assert sum(a.amount for a in allocation.applied) + allocation.credit == Decimal("1000.01")


def test_a_payment_with_nothing_open_is_all_credit() -> None:
    assert allocate(Decimal("20.00"), []).credit == Decimal("20.00")


def test_invoices_due_on_the_same_day_are_paid_in_invoice_id_order() -> None:
    a = OpenInvoice("A", date(2028, 1, 31), Decimal("1.00"))
    b = OpenInvoice("B", date(2028, 1, 31), Decimal("1.00"))
    assert allocate(Decimal("1.00"), [b, a]).applied == (Application("A", Decimal("1.00")),)


def test_a_settled_invoice_in_the_input_is_skipped() -> None:
    paid = OpenInvoice("INV-0", date(2027, 12, 31), Decimal("0.00"))
    allocation = allocate(Decimal("10.00"), [paid, JANUARY])
    assert allocation.applied == (Application("INV-1", Decimal("10.00")),)


@pytest.mark.parametrize("amount", [Decimal("-1.00"), Decimal("0.001")])
def test_a_negative_or_sub_fen_payment_is_refused(amount: Decimal) -> None:
    with pytest.raises(ValueError):
        allocate(amount, [JANUARY])


def test_the_same_invoice_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        allocate(Decimal("1.00"), [JANUARY, JANUARY])
