"""How billing's records are laid out as DynamoDB items (see `store` for the partitions and queues), and the
codecs between the two. Money is stored as Decimal strings, never as a number attribute (which goes through
float). The documents an item carries (an account's fee schedule, an invoice's lines, a notice's text and page)
are kept deflated (`*_z`), so an item with three lines of Chinese text stays under the KB that each of its
writes and index entries is billed by; items written before are read as they were (`fee_items`, `lines`,
`text`, `html`)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.dynamodb import DeflatedAttribute
from chalicelib.billing.charges import Charge, ChargeKey, ChargeReason
from chalicelib.billing.fees import FeeChange, FeeItem, FeeKind, Per, Timing
from chalicelib.billing.invoices import BalanceChange, BillingTerms
from chalicelib.billing.model import (
    Account,
    AccountTerms,
    Delivery,
    InvoiceKind,
    InvoiceStatus,
    IssuedInvoice,
    Notice,
    NoticeKind,
    Payment,
    PaymentMethod,
)
from chalicelib.billing.periods import Cadence, DateRange

COUNTER_PK = "INVOICE_NUMBERS"
FORCE_MAJEURE_PK = "FORCE_MAJEURE"
INVOICE_PREFIX = "INV-"
EVERYONE = "*"
MAX_DELIVERY_ATTEMPTS = 5
# What a position in the due-date index names: the table's key and the index's.
DUE_KEY = ("pk", "sk", "queue_pk", "queue_sk")


class QueueIndex(GlobalSecondaryIndex["BillingItem"]):
    class Meta:
        index_name = "queue"
        projection = AllProjection()

    queue_pk = UnicodeAttribute(hash_key=True)
    queue_sk = UnicodeAttribute(range_key=True)


class LedgerIndex(GlobalSecondaryIndex["BillingItem"]):
    """Every invoice by number, for staff who know only the number."""

    class Meta:
        index_name = "ledger"
        projection = AllProjection()

    ledger_pk = UnicodeAttribute(hash_key=True)
    ledger_sk = UnicodeAttribute(range_key=True)


class BillingItem(Model):
    class Meta:
        table_name = "billing"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    schema_version = NumberAttribute(default=1)
    revision = NumberAttribute(default=1)
    queue_pk = UnicodeAttribute(null=True)
    queue_sk = UnicodeAttribute(null=True)
    ledger_pk = UnicodeAttribute(null=True)
    ledger_sk = UnicodeAttribute(null=True)
    queue_index = QueueIndex()
    ledger_index = LedgerIndex()


class AccountItem(BillingItem, discriminator="account"):
    licensee_id = UnicodeAttribute()
    agreement_id = UnicodeAttribute()
    fee_items_z = DeflatedAttribute(null=True)  # JSON; amounts as Decimal strings
    fee_items = UnicodeAttribute(null=True)     # the same, as written before it was deflated
    terms = UnicodeAttribute()      # JSON; rates as Decimal strings
    billed_through = UnicodeAttribute(null=True)
    next_due = UnicodeAttribute(null=True)
    credit = UnicodeAttribute(default="0.00")
    suspended_by_billing = BooleanAttribute(default=False)
    settled = BooleanAttribute(default=False)
    terms_version = NumberAttribute(default=0)


class InvoiceItem(BillingItem, discriminator="invoice"):
    number = UnicodeAttribute()
    licensee_id = UnicodeAttribute()
    agreement_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    issue_date = UnicodeAttribute()
    due_date = UnicodeAttribute()
    currency = UnicodeAttribute()
    lines_z = DeflatedAttribute(null=True)  # JSON
    lines = UnicodeAttribute(null=True)     # the same, as written before it was deflated
    subtotal = UnicodeAttribute()
    tax_rate = UnicodeAttribute()
    tax = UnicodeAttribute()
    total = UnicodeAttribute()
    balance = UnicodeAttribute()
    status = UnicodeAttribute()
    balance_changes = UnicodeAttribute()
    issued_at = UTCDateTimeAttribute()
    period_start = UnicodeAttribute(null=True)
    period_end = UnicodeAttribute(null=True)
    paid_on = UnicodeAttribute(null=True)
    late_fee_billed = UnicodeAttribute(default="0.00")
    late_fee_through = UnicodeAttribute(null=True)
    note = UnicodeAttribute(default="")


class CounterItem(BillingItem, discriminator="counter"):
    last = NumberAttribute()


class ChargeClaimItem(BillingItem, discriminator="charge"):
    """A charge that has been invoiced: written once, with the invoice, under a condition."""

    charge = UnicodeAttribute()
    invoice_number = UnicodeAttribute()


class ClaimItem(BillingItem, discriminator="claim"):
    """Any other business key that must be used once (a settlement, a late fee, a payment reference)."""

    claimed_by = UnicodeAttribute()


class PaymentItem(BillingItem, discriminator="payment"):
    payment_id = UnicodeAttribute()
    licensee_id = UnicodeAttribute()
    method = UnicodeAttribute()
    reference = UnicodeAttribute()
    amount = UnicodeAttribute()
    received_on = UnicodeAttribute()
    applied = UnicodeAttribute()
    credit = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()
    recorded_by = UnicodeAttribute()


class NoticeItem(BillingItem, discriminator="notice"):
    key = UnicodeAttribute()
    licensee_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    recipient = UnicodeAttribute()
    subject = UnicodeAttribute()
    text_z = DeflatedAttribute(null=True)
    html_z = DeflatedAttribute(null=True)
    text = UnicodeAttribute(null=True)  # text and page as written before they were deflated
    html = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    delivery = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    sent_at = UTCDateTimeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)


class RenewalItem(BillingItem, discriminator="renewal"):
    licensee_id = UnicodeAttribute()
    sent = ListAttribute(of=UnicodeAttribute, default=list)


class SuspensionItem(BillingItem, discriminator="suspension"):
    licensee_id = UnicodeAttribute()


class ForceMajeureItem(BillingItem, discriminator="force_majeure"):
    period_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    reason = UnicodeAttribute()
    licensee_id = UnicodeAttribute()


def partition(licensee_id: str) -> str:
    return f"BILLING#{licensee_id}"


def reference_partition(method: str) -> str:
    return f"BILLING#PAYREF#{method}"


def number_text(n: int) -> str:
    return f"{INVOICE_PREFIX}{n:06d}"


def day_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


# --- codecs ------------------------------------------------------------------------------------------


def fee_item_to_dict(item: FeeItem) -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind.value, "description": item.description, "amount": str(item.amount),
            "cadence": item.cadence.value, "timing": item.timing.value, "start": item.start.isoformat(),
            "end": item.end.isoformat() if item.end else None, "currency": item.currency,
            "quantity": item.quantity, "per": item.per.value if item.per else None,
            "changes": [{"effective": c.effective.isoformat(),
                         "amount": str(c.amount) if c.amount is not None else None,
                         "quantity": c.quantity, "reason": c.reason} for c in item.changes]}


def fee_item_from_dict(data: dict[str, Any]) -> FeeItem:
    return FeeItem(
        id=data["id"], kind=FeeKind(data["kind"]), description=data["description"], amount=Decimal(data["amount"]),
        cadence=Cadence(data["cadence"]), timing=Timing(data["timing"]), start=date.fromisoformat(data["start"]),
        end=day_or_none(data.get("end")), currency=data.get("currency", "CNY"), quantity=int(data.get("quantity", 1)),
        changes=tuple(FeeChange(date.fromisoformat(c["effective"]),
                                Decimal(c["amount"]) if c.get("amount") is not None else None,
                                c.get("quantity"), c.get("reason", "")) for c in data.get("changes", [])),
        per=Per(data["per"]) if data.get("per") else None)


def terms_to_dict(terms: AccountTerms) -> dict[str, Any]:
    b = terms.billing
    return {"net_days": b.net_days, "late_fee_rate_per_day": str(b.late_fee_rate_per_day),
            "grace_days": b.grace_days, "tax_rate": str(b.tax_rate) if b.tax_rate is not None else None,
            "reminder_days_before": list(b.reminder_days_before), "reminder_days_after": list(b.reminder_days_after),
            "renewal_reminder_days": list(terms.renewal_reminder_days)}


def terms_from_dict(data: dict[str, Any]) -> AccountTerms:
    return AccountTerms(
        billing=BillingTerms(net_days=int(data["net_days"]),
                             late_fee_rate_per_day=Decimal(data["late_fee_rate_per_day"]),
                             grace_days=int(data["grace_days"]),
                             tax_rate=Decimal(data["tax_rate"]) if data.get("tax_rate") is not None else None,
                             reminder_days_before=tuple(data["reminder_days_before"]),
                             reminder_days_after=tuple(data["reminder_days_after"])),
        renewal_reminder_days=tuple(data["renewal_reminder_days"]))


def charge_from_dict(data: dict[str, Any]) -> Charge:
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


def account_from_item(item: AccountItem) -> Account:
    return Account(
        licensee_id=item.licensee_id, agreement_id=item.agreement_id,
        fee_items=tuple(fee_item_from_dict(d) for d in json.loads(item.fee_items_z or item.fee_items or "[]")),
        terms=terms_from_dict(json.loads(item.terms)), billed_through=day_or_none(item.billed_through),
        next_due=day_or_none(item.next_due), credit=Decimal(item.credit),
        suspended_by_billing=bool(item.suspended_by_billing), settled=bool(item.settled),
        revision=int(item.revision), terms_version=int(item.terms_version or 0))


def account_item(account: Account) -> AccountItem:
    queued = account.next_due is not None and not account.settled
    return AccountItem(
        pk=partition(account.licensee_id), sk="ACCOUNT", revision=account.revision, licensee_id=account.licensee_id,
        agreement_id=account.agreement_id,
        fee_items_z=json.dumps([fee_item_to_dict(i) for i in account.fee_items], ensure_ascii=False),
        terms=json.dumps(terms_to_dict(account.terms)),
        billed_through=account.billed_through.isoformat() if account.billed_through else None,
        next_due=account.next_due.isoformat() if account.next_due else None, credit=str(account.credit),
        suspended_by_billing=account.suspended_by_billing, settled=account.settled,
        terms_version=account.terms_version, queue_pk="BILL" if queued else None,
        queue_sk=f"{account.next_due.isoformat()}#{account.licensee_id}" if queued and account.next_due else None)


def invoice_from_item(item: InvoiceItem) -> IssuedInvoice:
    start, end = day_or_none(item.period_start), day_or_none(item.period_end)
    return IssuedInvoice(
        number=item.number, licensee_id=item.licensee_id, agreement_id=item.agreement_id,
        kind=InvoiceKind(item.kind), issue_date=date.fromisoformat(item.issue_date),
        due_date=date.fromisoformat(item.due_date), currency=item.currency,
        lines=tuple(json.loads(item.lines_z or item.lines or "[]")),
        subtotal=Decimal(item.subtotal), tax_rate=Decimal(item.tax_rate), tax=Decimal(item.tax),
        total=Decimal(item.total), balance=Decimal(item.balance), status=InvoiceStatus(item.status),
        balance_changes=tuple(BalanceChange(date.fromisoformat(c["on"]), Decimal(c["amount"]))
                              for c in json.loads(item.balance_changes)),
        issued_at=item.issued_at, period=DateRange(start, end) if start and end else None,
        paid_on=day_or_none(item.paid_on), late_fee_billed=Decimal(item.late_fee_billed),
        late_fee_through=day_or_none(item.late_fee_through), note=item.note, revision=int(item.revision))


def invoice_item(invoice: IssuedInvoice) -> InvoiceItem:
    queue_pk: str | None = None
    queue_sk: str | None = None
    if invoice.status is InvoiceStatus.OPEN:
        queue_pk, queue_sk = "OPEN", f"{invoice.due_date.isoformat()}#{invoice.number}"
    elif invoice.status is InvoiceStatus.PAID and invoice.paid_on and invoice.paid_on > invoice.due_date \
            and (invoice.late_fee_through is None or invoice.late_fee_through < invoice.paid_on) \
            and invoice.kind is not InvoiceKind.LATE_FEE:
        queue_pk, queue_sk = "LATEFEE", f"{invoice.paid_on.isoformat()}#{invoice.number}"
    return InvoiceItem(
        pk=partition(invoice.licensee_id), sk=f"INVOICE#{invoice.number}", revision=invoice.revision,
        number=invoice.number, licensee_id=invoice.licensee_id, agreement_id=invoice.agreement_id,
        kind=invoice.kind.value, issue_date=invoice.issue_date.isoformat(), due_date=invoice.due_date.isoformat(),
        currency=invoice.currency, lines_z=json.dumps(list(invoice.lines), ensure_ascii=False),
        subtotal=str(invoice.subtotal), tax_rate=str(invoice.tax_rate), tax=str(invoice.tax),
        total=str(invoice.total), balance=str(invoice.balance), status=invoice.status.value,
        balance_changes=json.dumps([{"on": c.on.isoformat(), "amount": str(c.amount)}
                                    for c in invoice.balance_changes]),
        issued_at=invoice.issued_at,
        period_start=invoice.period.start.isoformat() if invoice.period else None,
        period_end=invoice.period.end.isoformat() if invoice.period else None,
        paid_on=invoice.paid_on.isoformat() if invoice.paid_on else None,
        late_fee_billed=str(invoice.late_fee_billed),
        late_fee_through=invoice.late_fee_through.isoformat() if invoice.late_fee_through else None,
        note=invoice.note, queue_pk=queue_pk, queue_sk=queue_sk, ledger_pk="INVOICES", ledger_sk=invoice.number)


def notice_from_item(item: NoticeItem) -> Notice:
    return Notice(key=item.key, licensee_id=item.licensee_id, kind=NoticeKind(item.kind), recipient=item.recipient,
                  subject=item.subject, text=item.text_z or item.text or "", html=item.html_z or item.html,
                  created_at=item.created_at,
                  delivery=Delivery(item.delivery), attempts=int(item.attempts), sent_at=item.sent_at,
                  message_id=item.message_id, error=item.error, provider_id=item.provider_id)


def notice_item(notice: Notice) -> NoticeItem:
    pending = notice.delivery is not Delivery.SENT and notice.attempts < MAX_DELIVERY_ATTEMPTS
    return NoticeItem(
        pk=partition(notice.licensee_id), sk=f"NOTICE#{notice.key}", key=notice.key, licensee_id=notice.licensee_id,
        kind=notice.kind.value, recipient=notice.recipient, subject=notice.subject, text_z=notice.text,
        html_z=notice.html, created_at=notice.created_at, delivery=notice.delivery.value, attempts=notice.attempts,
        sent_at=notice.sent_at, message_id=notice.message_id, error=notice.error, provider_id=notice.provider_id,
        queue_pk="NOTICE" if pending else None,
        queue_sk=f"{notice.created_at.isoformat()}#{notice.licensee_id}#{notice.key}" if pending else None)


def payment_from_item(item: PaymentItem) -> Payment:
    return Payment(payment_id=item.payment_id, licensee_id=item.licensee_id, method=PaymentMethod(item.method),
                   reference=item.reference, amount=Decimal(item.amount),
                   received_on=date.fromisoformat(item.received_on),
                   applied=tuple((a["invoice"], Decimal(a["amount"])) for a in json.loads(item.applied)),
                   credit=Decimal(item.credit), recorded_at=item.recorded_at, recorded_by=item.recorded_by)
