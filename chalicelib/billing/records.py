"""What billing keeps: accounts, issued invoices, payments, notices, force-majeure periods. Plain values,
read and written by `store.py`; the rules that produce them are in `model.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from chalicelib.billing.model import BalanceChange, BillingTerms, Charge, DateRange, FeeItem, OpenInvoice
from chalicelib.core.money import ZERO, format_amount

RENEWAL_REMINDER_DAYS = (60, 30, 7)


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


class PaymentMethod(StrEnum):
    """Clause 5.2."""

    BANK_TRANSFER = "bank_transfer"
    CHEQUE = "cheque"
    CASH = "cash"
    OTHER = "other"


class NoticeKind(StrEnum):
    """Clause 13.1: what kefu sends to the agreement's notice address."""

    INVOICE = "invoice"
    REMINDER = "reminder"
    SUSPENSION = "suspension"
    REINSTATEMENT = "reinstatement"
    RENEWAL = "renewal"
    TRAINING = "training"  # a training session scheduled or cancelled (clause 3.3), sent for the training area


class Delivery(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class AccountTerms:
    """The billing terms of one agreement as staff set them: clause 8 and the reminder calendar."""

    billing: BillingTerms = field(default_factory=BillingTerms)
    renewal_reminder_days: tuple[int, ...] = RENEWAL_REMINDER_DAYS


@dataclass(frozen=True)
class Account:
    """A licensee's billing account: its fee schedule, terms, how far it is billed and its credit."""

    licensee_id: str
    agreement_id: str
    fee_items: tuple[FeeItem, ...]
    terms: AccountTerms
    billed_through: date | None = None
    next_due: date | None = None
    credit: Decimal = ZERO
    suspended_by_billing: bool = False
    settled: bool = False
    revision: int = 0
    terms_version: int = 0  # the latest version of the license's terms billing has followed (clause 10)


@dataclass(frozen=True)
class IssuedInvoice:
    number: str
    licensee_id: str
    agreement_id: str
    kind: InvoiceKind
    issue_date: date
    due_date: date
    currency: str
    lines: tuple[dict[str, Any], ...]
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal
    balance: Decimal
    status: InvoiceStatus
    balance_changes: tuple[BalanceChange, ...]
    issued_at: datetime
    period: DateRange | None = None
    paid_on: date | None = None
    late_fee_billed: Decimal = ZERO
    late_fee_through: date | None = None
    note: str = ""
    revision: int = 1

    def as_open(self) -> OpenInvoice:
        return OpenInvoice(self.number, self.due_date, max(self.balance, ZERO))

    def summary(self) -> dict[str, Any]:
        """What `invoices list --json` prints for each invoice."""
        return {
            "number": self.number,
            "licensee": self.licensee_id,
            "kind": self.kind.value,
            "period": str(self.period) if self.period else None,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "currency": self.currency,
            "total": format_amount(self.total),
            "balance": format_amount(self.balance),
            "status": self.status.value,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "agreement_id": self.agreement_id,
            "lines": list(self.lines),
            "subtotal": format_amount(self.subtotal),
            "tax_rate": str(self.tax_rate),
            "tax": format_amount(self.tax),
            "issued_at": self.issued_at.isoformat(),
            "paid_on": self.paid_on.isoformat() if self.paid_on else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class Payment:
    payment_id: str
    licensee_id: str
    method: PaymentMethod
    reference: str
    amount: Decimal
    received_on: date
    applied: tuple[tuple[str, Decimal], ...]
    credit: Decimal
    recorded_at: datetime
    recorded_by: str

    def as_dict(self) -> dict[str, Any]:
        return {"payment_id": self.payment_id, "licensee": self.licensee_id, "method": self.method.value,
                "reference": self.reference, "amount": format_amount(self.amount),
                "received_on": self.received_on.isoformat(),
                "applied": [{"invoice": n, "amount": format_amount(a)} for n, a in self.applied],
                "credit": format_amount(self.credit), "recorded_at": self.recorded_at.isoformat(),
                "recorded_by": self.recorded_by}


@dataclass(frozen=True)
class Notice:
    """Clause 13.1: a notice as sent and recorded. ``key`` is its business key: each is sent once."""

    key: str
    licensee_id: str
    kind: NoticeKind
    recipient: str
    subject: str
    text: str
    html: str | None
    created_at: datetime
    delivery: Delivery = Delivery.PENDING
    attempts: int = 0
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "licensee": self.licensee_id, "kind": self.kind.value,
                "recipient": self.recipient, "subject": self.subject, "created_at": self.created_at.isoformat(),
                "delivery": self.delivery.value, "attempts": self.attempts,
                "sent_at": self.sent_at.isoformat() if self.sent_at else None, "message_id": self.message_id,
                "error": self.error}


@dataclass(frozen=True)
class ForceMajeure:
    """Clause 13.5: days on which late fees do not accrue, for one licensee or (``licensee_id`` None) all."""

    period_id: str
    days: DateRange
    reason: str
    licensee_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.period_id, "start": self.days.start.isoformat(), "end": self.days.end.isoformat(),
                "reason": self.reason, "licensee": self.licensee_id or "all"}


@dataclass
class RunReport:
    """What one run did (or, dry, would do)."""

    job: str
    day: date
    dry_run: bool = False
    looked_at: int = 0
    invoices: list[dict[str, Any]] = field(default_factory=list)
    notices: int = 0
    suspended: list[str] = field(default_factory=list)
    reinstated: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "day": self.day.isoformat(), "dry_run": self.dry_run,
                "looked_at": self.looked_at, "invoices": self.invoices, "notices": self.notices,
                "suspended": self.suspended, "reinstated": self.reinstated, "errors": self.errors}


def charge_from_dict(data: dict[str, Any]) -> Charge:
    from chalicelib.billing.model import ChargeKey, ChargeReason

    key = data["key"]
    return Charge(
        key=ChargeKey(key["agreement_id"], key["fee_item_id"], date.fromisoformat(key["period_start"]),
                      date.fromisoformat(key["period_end"]), ChargeReason(key["reason"]), key["reference"]),
        description=data["description"], due_on=date.fromisoformat(data["due_on"]),
        covered=DateRange(date.fromisoformat(data["covered"][0]), date.fromisoformat(data["covered"][1])),
        quantity=int(data["quantity"]), unit_amount=Decimal(data["unit_amount"]), amount=Decimal(data["amount"]),
        currency=data["currency"])


def charge_to_dict(charge: Charge) -> dict[str, Any]:
    key = charge.key
    return {"key": {"agreement_id": key.agreement_id, "fee_item_id": key.fee_item_id,
                    "period_start": key.period_start.isoformat(), "period_end": key.period_end.isoformat(),
                    "reason": key.reason.value, "reference": key.reference},
            "description": charge.description, "due_on": charge.due_on.isoformat(),
            "covered": [charge.covered.start.isoformat(), charge.covered.end.isoformat()],
            "quantity": charge.quantity, "unit_amount": str(charge.unit_amount), "amount": str(charge.amount),
            "currency": charge.currency}


def charge_key_text(charge: Charge) -> str:
    """The charge's business key as one string, for the claim that makes it billable once."""
    k = charge.key
    return "#".join((k.agreement_id, k.fee_item_id, k.period_start.isoformat(), k.period_end.isoformat(),
                     k.reason.value, k.reference))
