"""The final settlement of a terminated agreement (clause 11.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from chalicelib.billing.charges import Charge, ChargeKey, ChargeReason, all_charges, charge_order
from chalicelib.billing.fees import DEFAULT_CURRENCY, DeliveredSession, FeeItem
from chalicelib.billing.invoices import BillingTerms, Invoice, InvoiceLine, OpenInvoice, draft_invoice
from chalicelib.billing.periods import ONE_DAY, AgreementWindow, DateRange
from chalicelib.core.money import ZERO, require_non_negative


@dataclass(frozen=True)
class AccountPosition:
    """What the licensee's payments left: unpaid invoices and credit held (see :func:`allocate`)."""

    open_invoices: tuple[OpenInvoice, ...] = ()
    credit: Decimal = ZERO

    def __post_init__(self) -> None:
        require_non_negative(self.credit, "credit on account")


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
    require_non_negative(late_fees, "late fees")
    currency = _single_currency(items)
    agreement_id = window.agreement_id
    last_day = min(window.end, termination_date - ONE_DAY)
    should = {c.key: c for c in all_charges(items, agreement_id, window.start, last_day, sessions)}
    invoiced: dict[ChargeKey, Decimal] = {}
    for charge in invoiced_charges:
        if charge.key.agreement_id != agreement_id:
            raise ValueError(f"charge {charge.key} belongs to another agreement than {agreement_id}")
        if charge.key in invoiced:
            raise ValueError(f"charge {charge.key} was invoiced twice; settle that before terminating")
        invoiced[charge.key] = charge.amount

    lines: list[InvoiceLine] = [
        InvoiceLine.from_charge(c)
        for c in sorted(should.values(), key=charge_order)
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


def _single_currency(items: Sequence[FeeItem]) -> str:
    currencies = {item.currency for item in items}
    if len(currencies) > 1:
        raise ValueError(f"fee items of one agreement mix currencies: {sorted(currencies)}")
    return currencies.pop() if currencies else DEFAULT_CURRENCY
