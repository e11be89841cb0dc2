"""Invoices and payments (clauses 5.2, 5.3): invoice lines and drafts with tax applied once, the balance of
an invoice as it changes, and how a payment or credit held is applied to what is owed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from chalicelib.billing.charges import Charge, ChargeKey
from chalicelib.billing.fees import DEFAULT_CURRENCY
from chalicelib.billing.periods import DateRange
from chalicelib.core.money import ZERO, require_fen_exact, require_non_negative, require_rate, round_fen


class InvoiceKind(StrEnum):
    REGULAR = "regular"
    LATE_FEE = "late_fee"
    SETTLEMENT = "settlement"


class InvoiceStatus(StrEnum):
    OPEN = "open"              # something is still owed on it
    PAID = "paid"              # paid in full (by payments or credit)
    CREDIT = "credit"          # a negative total, kept as credit on the account
    SETTLED = "settled"        # its balance was carried into the final settlement invoice (clause 11.3)
    REFUND_DUE = "refund_due"  # a settlement in the licensee's favour
    VOID = "void"              # voided by staff; keeps its number


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
        require_rate(self.late_fee_rate_per_day, "late fee rate")
        if self.tax_rate is not None:
            require_rate(self.tax_rate, "tax rate")
        if any(days < 0 for days in (*self.reminder_days_before, *self.reminder_days_after)):
            raise ValueError("reminder days cannot be negative")


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

    def as_dict(self) -> dict[str, Any]:
        """The line as an issued invoice keeps it."""
        return {"description": self.description, "amount": str(self.amount), "fee_item_id": self.fee_item_id,
                "period": str(self.period) if self.period else None, "quantity": self.quantity,
                "unit_amount": str(self.unit_amount) if self.unit_amount is not None else None,
                "taxable": self.taxable}

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


def lines_period(lines: Sequence[InvoiceLine]) -> DateRange | None:
    """The days an invoice's lines cover, first to last (None for lines of no period, such as late fees)."""
    periods = [line.period for line in lines if line.period is not None]
    if not periods:
        return None
    return DateRange(min(p.start for p in periods), max(p.end for p in periods))


@dataclass(frozen=True)
class BalanceChange:
    """A change of what is owed on one invoice: the invoice amount when issued, minus a payment or credit."""

    on: date
    amount: Decimal


@dataclass(frozen=True)
class OpenInvoice:
    """An issued invoice with what is still owed on it (tax included)."""

    invoice_id: str
    due_date: date
    balance: Decimal

    def __post_init__(self) -> None:
        require_non_negative(self.balance, f"balance of invoice {self.invoice_id}")


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
    require_non_negative(payment_amount, "payment")
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


@dataclass(frozen=True)
class Opening:
    """How an issued invoice opens: what is owed on it, the credit left on the account, its balance changes."""

    balance: Decimal
    credit: Decimal
    changes: tuple[BalanceChange, ...]
    status: InvoiceStatus


def opening(draft: Invoice, credit: Decimal, kind: InvoiceKind) -> Opening:
    """Credit held pays a new invoice first, and a negative invoice becomes credit held. A settlement neither
    uses nor makes credit (it carries the credit as a line); in the licensee's favour it is a refund due."""
    balance, changes = draft.total, [BalanceChange(draft.issue_date, draft.total)]
    if kind is not InvoiceKind.SETTLEMENT:
        if draft.total > 0 and credit > 0:
            used = min(credit, draft.total)
            credit -= used
            balance -= used
            changes.append(BalanceChange(draft.issue_date, -used))
        elif draft.total < 0:
            credit += -draft.total
            balance = ZERO
            changes.append(BalanceChange(draft.issue_date, -draft.total))
    status = InvoiceStatus.OPEN
    if kind is InvoiceKind.SETTLEMENT and draft.total < 0:
        status = InvoiceStatus.REFUND_DUE
    elif balance == 0:
        status = InvoiceStatus.CREDIT if draft.total < 0 else InvoiceStatus.PAID
    return Opening(balance, credit, tuple(changes), status)
