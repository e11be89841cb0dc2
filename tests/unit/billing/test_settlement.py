from datetime import date
from decimal import Decimal

import pytest

from chalicelib.billing.charges import Charge, ChargeReason, charges_between
from chalicelib.billing.fees import FeeChange, FeeItem, FeeKind, Timing
from chalicelib.billing.invoices import BillingTerms, Invoice, OpenInvoice
from chalicelib.billing.periods import Cadence
from chalicelib.billing.settlement import AccountPosition, settlement
from tests.unit.billing.helpers import fee, window

TERMS = BillingTerms(net_days=15, tax_rate=Decimal("0.06"))
TERMINATION = date(2028, 3, 20)  # first day without service: service ran through 19 March
NOTHING_OWED = AccountPosition()
NO_LATE_FEES = Decimal("0.00")


def usage_in_advance() -> list[FeeItem]:
    return [fee("3100.00", start=date(2028, 1, 1))]


def settle(
    items: list[FeeItem],
    invoiced: list[Charge],
    account: AccountPosition = NOTHING_OWED,
    late_fees: Decimal = NO_LATE_FEES,
    termination: date = TERMINATION,
) -> Invoice:
    return settlement(
        items, window(), termination, invoiced, account, late_fees, terms=TERMS, issue_date=termination
    )


def test_prepaid_days_after_the_termination_date_are_credited() -> None:
    items = usage_in_advance()
    invoiced = charges_between(items, window(), date(2028, 1, 1), date(2028, 3, 19))
    invoice = settle(items, invoiced)
    (credit,) = invoice.lines
    assert credit.amount == Decimal("-1200.00")  # 3100 - 3100 * 19/31 (1900 used)
    assert credit.key is not None and credit.key.reason is ChargeReason.TERMINATION_ADJUSTMENT
    assert credit.period is not None and credit.period.start == date(2028, 3, 1)
    assert (invoice.subtotal, invoice.tax, invoice.total) == (
        Decimal("-1200.00"),
        Decimal("-72.00"),
        Decimal("-1272.00"),
    )
    assert invoice.due_date == date(2028, 4, 4)


def test_a_prepaid_yearly_fee_is_credited_for_the_days_of_the_leap_year_not_used() -> None:
    items = [fee("12000.00", start=date(2028, 1, 1), cadence=Cadence.YEARLY, kind=FeeKind.MAINTENANCE)]
    invoiced = charges_between(items, window(), date(2028, 1, 1), date(2028, 3, 19))
    (credit,) = settle(items, invoiced).lines
    # 79 of 366 days used: 2590.16 kept, the rest credited.
    assert credit.amount == Decimal("-9409.84")


def test_a_prepaid_period_entirely_after_the_termination_is_credited_in_full() -> None:
    items = usage_in_advance()
    invoiced = charges_between(items, window(), date(2028, 1, 1), date(2028, 4, 1))  # April billed already
    amounts = sorted(line.amount for line in settle(items, invoiced).lines)
    assert amounts == [Decimal("-3100.00"), Decimal("-1200.00")]


def test_arrears_fees_are_charged_prorated_up_to_the_termination_date() -> None:
    items = [
        fee("3100.00", start=date(2028, 1, 1), timing=Timing.ARREARS, kind=FeeKind.SUPPORT, id="support")
    ]
    invoiced = charges_between(items, window(), date(2028, 1, 1), date(2028, 3, 19))
    (line,) = settle(items, invoiced).lines
    assert line.amount == Decimal("1900.00")
    assert line.key is not None and line.key.reason is ChargeReason.PERIOD


def test_charges_a_missed_billing_run_never_issued_are_settled() -> None:
    items = usage_in_advance()
    invoiced = charges_between(items, window(), date(2028, 1, 1), date(2028, 1, 31))  # February, March missed
    amounts = [line.amount for line in settle(items, invoiced).lines]
    assert amounts == [Decimal("3100.00"), Decimal("1900.00")]  # all of February, 19 days of March


def test_late_fees_unpaid_balances_and_credit_on_account_close_the_account_without_tax() -> None:
    items = usage_in_advance()
    invoiced = charges_between(items, window(), date(2028, 1, 1), date(2028, 3, 19))
    account = AccountPosition(
        open_invoices=(OpenInvoice("INV-3", date(2028, 3, 31), Decimal("3286.00")),),
        credit=Decimal("10.00"),
    )
    invoice = settle(items, invoiced, account, late_fees=Decimal("12.34"))
    assert [(line.amount, line.taxable) for line in invoice.lines] == [
        (Decimal("-1200.00"), True),
        (Decimal("12.34"), False),
        (Decimal("3286.00"), False),
        (Decimal("-10.00"), False),
    ]
    assert invoice.tax == Decimal("-72.00")
    assert invoice.total == Decimal("2016.34")


def test_settlement_after_an_amendment_leaves_the_exact_price_of_each_stretch_of_days() -> None:
    # 3 seats at 100 until 9 March, 5 seats from 10 March, terminated on 20 March.
    item = fee(
        "100.00", start=date(2028, 1, 1), quantity=3, changes=(FeeChange(date(2028, 3, 10), quantity=5),)
    )
    invoiced = charges_between([item], window(), date(2028, 1, 1), date(2028, 3, 19))
    invoice = settle([item], invoiced)
    (credit,) = invoice.lines
    march = [c for c in invoiced if c.key.period_start == date(2028, 3, 1)]
    assert len(march) == 3  # the month, the credit for 3 seats and the charge for 5
    billed = sum(c.amount for c in march) + credit.amount
    assert billed == Decimal("87.10") + Decimal("161.29")  # 300 * 9/31 + 500 * 10/31


def test_termination_on_the_first_day_credits_everything_invoiced() -> None:
    items = usage_in_advance()
    invoiced = charges_between(items, window(), date(2028, 1, 1), date(2028, 1, 1))
    invoice = settle(items, invoiced, termination=date(2028, 1, 1))
    assert [line.amount for line in invoice.lines] == [Decimal("-3100.00")]


def test_nothing_left_to_settle_gives_an_empty_invoice() -> None:
    items = [fee("3100.00", start=date(2028, 1, 1), timing=Timing.ARREARS)]
    invoiced = charges_between(items, window(), date(2028, 1, 1), date(2028, 4, 1))
    invoice = settle(items, invoiced, termination=date(2028, 4, 1))
    assert invoice.lines == ()
    assert invoice.total == Decimal("0.00")


def test_a_charge_invoiced_twice_is_refused_rather_than_credited_once() -> None:
    items = usage_in_advance()
    invoiced = charges_between(items, window(), date(2028, 3, 1), date(2028, 3, 1))
    with pytest.raises(ValueError, match="invoiced twice"):
        settle(items, invoiced + invoiced)


def test_a_termination_before_the_agreement_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before the agreement starts"):
        settle(usage_in_advance(), [], termination=date(2027, 12, 31))
