from datetime import date
from decimal import Decimal

import pytest

from chalicelib.billing.charges import ChargeKey, due_charges
from chalicelib.billing.invoices import (
    BillingTerms,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    draft_invoice,
    opening,
)
from chalicelib.core.money import ZERO
from tests.unit.billing.helpers import fee, window

TAXED = BillingTerms(net_days=30, tax_rate=Decimal("0.06"))


def test_due_date_is_the_issue_date_plus_the_agreed_net_days() -> None:
    invoice = draft_invoice("agreement-1", [], date(2028, 2, 15), BillingTerms(net_days=15))
    assert invoice.due_date == date(2028, 3, 1)  # through 29 February


def test_tax_is_rounded_once_on_the_taxable_total_not_line_by_line() -> None:
    # Three lines of 0.10 at 6%: line by line 0.01 each (0.03); once on 0.30 it is 0.018 → 0.02.
    lines = [InvoiceLine(f"line {n}", Decimal("0.10")) for n in range(3)]
    invoice = draft_invoice("agreement-1", lines, date(2028, 1, 1), TAXED)
    assert invoice.subtotal == Decimal("0.30")
    assert invoice.tax == Decimal("0.02")
    assert invoice.total == Decimal("0.32")


def test_lines_marked_untaxed_are_left_out_of_the_tax_base() -> None:
    lines = [
        InvoiceLine("usage", Decimal("1000.00")),
        InvoiceLine("late fee", Decimal("50.00"), taxable=False),
    ]
    invoice = draft_invoice("agreement-1", lines, date(2028, 1, 1), TAXED)
    assert (invoice.subtotal, invoice.tax, invoice.total) == (
        Decimal("1050.00"),
        Decimal("60.00"),
        Decimal("1110.00"),
    )


def test_without_a_tax_rate_the_tax_is_zero() -> None:
    invoice = draft_invoice(
        "agreement-1", [InvoiceLine("usage", Decimal("10.00"))], date(2028, 1, 1), BillingTerms()
    )
    assert invoice.tax == Decimal("0")
    assert invoice.total == Decimal("10.00")


def test_charges_become_lines_with_fee_item_period_quantity_and_unit_amount() -> None:
    charges = due_charges([fee("100.00", quantity=3)], window(), date(2028, 2, 1))
    invoice = draft_invoice("agreement-1", charges, date(2028, 2, 1), TAXED)
    (line,) = invoice.lines
    assert line.fee_item_id == "usage"
    assert line.period is not None and (line.period.start, line.period.end) == (
        date(2028, 2, 1),
        date(2028, 2, 29),
    )
    assert (line.quantity, line.unit_amount, line.amount) == (3, Decimal("100.00"), Decimal("300.00"))
    assert line.key == charges[0].key
    assert invoice.total == Decimal("318.00")


def test_the_same_charge_twice_on_one_invoice_is_refused() -> None:
    charges = due_charges([fee()], window(), date(2028, 2, 1))
    with pytest.raises(ValueError, match="twice"):
        draft_invoice("agreement-1", charges + charges, date(2028, 2, 1), TAXED)


def test_a_charge_of_another_agreement_or_currency_is_refused() -> None:
    key = ChargeKey("agreement-2", "usage", date(2028, 1, 1), date(2028, 1, 31))
    with pytest.raises(ValueError, match="another agreement"):
        draft_invoice("agreement-1", [InvoiceLine("x", Decimal("1.00"), key=key)], date(2028, 1, 1), TAXED)
    dollars = due_charges([fee(currency="USD")], window(), date(2028, 2, 1))
    with pytest.raises(ValueError, match="USD"):
        draft_invoice("agreement-1", dollars, date(2028, 2, 1), TAXED)


def test_a_line_with_a_fraction_of_a_fen_is_refused() -> None:
    with pytest.raises(ValueError, match="fraction of a fen"):
        InvoiceLine("x", Decimal("0.001"))


# -- how an issued invoice opens: credit held first, a negative invoice becomes credit ----------------------------


def _draft(total: str) -> Invoice:
    amount = Decimal(total)
    return Invoice("agreement-1", "CNY", date(2028, 2, 1), date(2028, 3, 2), (), amount, Decimal(0), ZERO, amount)


def test_credit_held_pays_a_new_invoice_first_and_what_is_left_stays_owed() -> None:
    opened = opening(_draft("100.00"), Decimal("30.00"), InvoiceKind.REGULAR)
    assert (opened.balance, opened.credit, opened.status) == (Decimal("70.00"), ZERO, InvoiceStatus.OPEN)
    assert [c.amount for c in opened.changes] == [Decimal("100.00"), Decimal("-30.00")]


def test_credit_that_covers_the_invoice_pays_it_in_full() -> None:
    opened = opening(_draft("100.00"), Decimal("150.00"), InvoiceKind.REGULAR)
    assert (opened.balance, opened.credit, opened.status) == (ZERO, Decimal("50.00"), InvoiceStatus.PAID)


def test_a_negative_invoice_becomes_credit_held() -> None:
    opened = opening(_draft("-40.00"), Decimal("10.00"), InvoiceKind.REGULAR)
    assert (opened.balance, opened.credit, opened.status) == (ZERO, Decimal("50.00"), InvoiceStatus.CREDIT)


def test_a_settlement_neither_uses_nor_makes_credit_and_in_the_licensees_favour_is_a_refund_due() -> None:
    owed = opening(_draft("100.00"), Decimal("30.00"), InvoiceKind.SETTLEMENT)
    assert (owed.balance, owed.credit, owed.status) == (Decimal("100.00"), Decimal("30.00"), InvoiceStatus.OPEN)
    refund = opening(_draft("-40.00"), ZERO, InvoiceKind.SETTLEMENT)
    assert (refund.balance, refund.status) == (Decimal("-40.00"), InvoiceStatus.REFUND_DUE)
