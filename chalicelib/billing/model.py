"""What billing keeps: accounts, issued invoices, payments, notices, force-majeure periods. Plain values, read
and written by `store.py`; the rules that produce them are in the domain modules beside this one (periods,
fees, charges, invoices, overdue, settlement)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from chalicelib.billing.fees import FeeItem
from chalicelib.billing.invoices import BalanceChange, BillingTerms, InvoiceKind, InvoiceStatus, OpenInvoice
from chalicelib.billing.periods import DateRange
from chalicelib.core.mailer import Delivery
from chalicelib.core.money import ZERO, format_amount

RENEWAL_REMINDER_DAYS = (60, 30, 7)


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
    EXPORT_WINDOW = "export_window"  # clause 11.2: the merchant may export its data until a date (privacy area)
    ERASURE_CERTIFICATE = "erasure_certificate"  # clause 11.2: what was erased, how much, when, by which job


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

    def paid(self, amount: Decimal, on: date) -> IssuedInvoice:
        """The invoice after ``amount`` of a payment received ``on`` was applied to it (clause 5.2)."""
        left = self.balance - amount
        return replace(self, balance=left, status=InvoiceStatus.PAID if left == 0 else InvoiceStatus.OPEN,
                       paid_on=on if left == 0 else None, revision=self.revision + 1,
                       balance_changes=(*self.balance_changes, BalanceChange(on, -amount)))

    def settled(self, on: date, late_fee: Decimal) -> IssuedInvoice:
        """The invoice once its balance and ``late_fee`` are carried into the final settlement (clause 11.3)."""
        return replace(self, balance=ZERO, status=InvoiceStatus.SETTLED, revision=self.revision + 1,
                       late_fee_billed=self.late_fee_billed + late_fee, late_fee_through=on,
                       balance_changes=(*self.balance_changes, BalanceChange(on, -self.balance)))

    def voided(self, reason: str, on: date) -> IssuedInvoice:
        return replace(self, status=InvoiceStatus.VOID, balance=ZERO, revision=self.revision + 1,
                       note=f"Void: {reason}", balance_changes=(*self.balance_changes, BalanceChange(on, -self.total)))

    def late_fee_noted(self, fee: Decimal, through: date) -> IssuedInvoice:
        """The invoice with the late fee billed on it up to ``through`` noted; its amounts never change."""
        return replace(self, late_fee_billed=self.late_fee_billed + max(fee, ZERO), late_fee_through=through,
                       revision=self.revision + 1)

    @property
    def open(self) -> bool:
        """Something is still owed on it."""
        return self.status is InvoiceStatus.OPEN and self.balance > 0

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
    cursor: str | None = None  # where another invocation continues, when this one ran short of time
    invocations: int = 1

    def followed_by(self, more: RunReport) -> RunReport:
        """This report and the one of the invocation that continued it, as one."""
        return replace(self, looked_at=self.looked_at + more.looked_at, invoices=[*self.invoices, *more.invoices],
                       notices=self.notices + more.notices, suspended=[*self.suspended, *more.suspended],
                       reinstated=[*self.reinstated, *more.reinstated], errors=[*self.errors, *more.errors],
                       cursor=more.cursor, invocations=self.invocations + more.invocations)

    def as_dict(self) -> dict[str, Any]:
        out = {"job": self.job, "day": self.day.isoformat(), "dry_run": self.dry_run,
               "looked_at": self.looked_at, "invoices": self.invoices, "notices": self.notices,
               "suspended": self.suspended, "reinstated": self.reinstated, "errors": self.errors}
        if self.cursor is not None:
            out["cursor"] = self.cursor
        if self.invocations > 1:
            out["invocations"] = self.invocations
        return out


def statement(account: Account, invoices: Sequence[IssuedInvoice], payments: Sequence[Payment],
              today: date) -> dict[str, Any]:
    """Everything billed and paid, what is owed, what is overdue and the credit held, as of ``today``."""
    owed = sum((i.balance for i in invoices if i.status is InvoiceStatus.OPEN), ZERO)
    overdue = sum((i.balance for i in invoices if i.status is InvoiceStatus.OPEN and i.due_date < today), ZERO)
    return {"licensee": account.licensee_id, "agreement_id": account.agreement_id, "as_of": today.isoformat(),
            "invoices": [i.summary() for i in invoices], "payments": [p.as_dict() for p in payments],
            "billed": format_amount(sum((i.total for i in invoices if i.status is not InvoiceStatus.VOID), ZERO)),
            "paid": format_amount(sum((p.amount for p in payments), ZERO)),
            "owed": format_amount(owed), "overdue": format_amount(overdue),
            "credit": format_amount(account.credit), "suspended_for_late_payment": account.suspended_by_billing,
            "billed_through": account.billed_through.isoformat() if account.billed_through else None,
            "next_due": account.next_due.isoformat() if account.next_due else None}
