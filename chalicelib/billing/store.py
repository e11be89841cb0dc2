"""The billing table, the only code that knows how billing is laid out in DynamoDB.

One partition per licensee (`BILLING#<licensee>`) holds its account (fee schedule, terms, how far it is
billed, credit), its invoices, payments, charge claims and notices. Work queues live in one sparse index,
`queue`: an item is in a queue only while it has work to do there, so every scheduled run is a Query whose
cost grows with what is due, never a Scan:

* `BILL`      accounts by the next date a charge comes due (the due-date index of the billing run);
* `OPEN`      invoices with something owed, by due date (the overdue run);
* `LATEFEE`   invoices paid late whose late fee is still to be billed;
* `SUSPENDED` accounts suspended for late payment, until reinstated;
* `RENEW`     renewal-reminder calendars, by the next reminder date;
* `NOTICE`    notices not yet delivered.

Every write that must happen once carries a business key and a condition: a charge claim per charge
(agreement, fee item, period, reason, reference), a notice per notice key, a payment reference per
licensee, and one counter for gapless invoice numbers, moved on in the transaction that issues the invoice.
Money is stored as Decimal strings, never as a number attribute (which goes through float).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
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
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.billing.model import (
    BalanceChange,
    BillingTerms,
    Cadence,
    Charge,
    DateRange,
    FeeChange,
    FeeItem,
    FeeKind,
    Per,
    Timing,
)
from chalicelib.billing.records import (
    Account,
    AccountTerms,
    Delivery,
    ForceMajeure,
    InvoiceKind,
    InvoiceStatus,
    IssuedInvoice,
    Notice,
    NoticeKind,
    Payment,
    PaymentMethod,
    charge_from_dict,
    charge_key_text,
    charge_to_dict,
)

COUNTER_PK = "INVOICE_NUMBERS"
FORCE_MAJEURE_PK = "FORCE_MAJEURE"
INVOICE_PREFIX = "INV-"
EVERYONE = "*"
MAX_DELIVERY_ATTEMPTS = 5


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
    fee_items = UnicodeAttribute()  # JSON; amounts as Decimal strings
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
    lines = UnicodeAttribute()
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
    text = UnicodeAttribute()
    html = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    delivery = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    sent_at = UTCDateTimeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)


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


class Contended(Exception):
    """A transaction lost a race. ``failed`` names the business keys whose condition did not hold."""

    def __init__(self, failed: list[str]) -> None:
        super().__init__(", ".join(failed))
        self.failed = failed


@dataclass
class Batch:
    """The writes of one transaction, each with a label, so a lost race says which condition failed."""

    saves: list[tuple[str, BillingItem, Condition | None]] = field(default_factory=list)
    deletes: list[tuple[str, BillingItem]] = field(default_factory=list)
    audits: list[AuditRecord] = field(default_factory=list)

    def save(self, label: str, item: BillingItem, condition: Condition | None = None) -> None:
        self.saves.append((label, item, condition))

    def delete(self, label: str, item: BillingItem) -> None:
        self.deletes.append((label, item))

    def commit(self) -> None:
        labels = [label for label, _, _ in self.saves] + [label for label, _ in self.deletes]
        try:
            with TransactWrite(connection=dynamodb.connection()) as tx:
                for _, item, condition in self.saves:
                    tx.save(item, condition=condition)
                for _, item in self.deletes:
                    tx.delete(item)
                for record in self.audits:
                    audit_store.add_to(tx, record)
        except TransactWriteError as exc:
            reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
            failed = [labels[i] for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"
                      and i < len(labels)]
            if failed or any(code == "TransactionConflict" for code in reasons):
                raise Contended(failed or ["transaction-conflict"]) from exc
            raise


def _pk(licensee_id: str) -> str:
    return f"BILLING#{licensee_id}"


def _reference_pk(method: str) -> str:
    return f"BILLING#PAYREF#{method}"


def number_text(n: int) -> str:
    return f"{INVOICE_PREFIX}{n:06d}"


def _day(text: str | None) -> date | None:
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
        end=_day(data.get("end")), currency=data.get("currency", "CNY"), quantity=int(data.get("quantity", 1)),
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


def _account(item: AccountItem) -> Account:
    return Account(
        licensee_id=item.licensee_id, agreement_id=item.agreement_id,
        fee_items=tuple(fee_item_from_dict(d) for d in json.loads(item.fee_items)),
        terms=terms_from_dict(json.loads(item.terms)), billed_through=_day(item.billed_through),
        next_due=_day(item.next_due), credit=Decimal(item.credit), suspended_by_billing=bool(item.suspended_by_billing),
        settled=bool(item.settled), revision=int(item.revision), terms_version=int(item.terms_version or 0))


def _account_item(account: Account) -> AccountItem:
    queued = account.next_due is not None and not account.settled
    return AccountItem(
        pk=_pk(account.licensee_id), sk="ACCOUNT", revision=account.revision, licensee_id=account.licensee_id,
        agreement_id=account.agreement_id, fee_items=json.dumps([fee_item_to_dict(i) for i in account.fee_items]),
        terms=json.dumps(terms_to_dict(account.terms)),
        billed_through=account.billed_through.isoformat() if account.billed_through else None,
        next_due=account.next_due.isoformat() if account.next_due else None, credit=str(account.credit),
        suspended_by_billing=account.suspended_by_billing, settled=account.settled,
        terms_version=account.terms_version, queue_pk="BILL" if queued else None,
        queue_sk=f"{account.next_due.isoformat()}#{account.licensee_id}" if queued and account.next_due else None)


def _invoice(item: InvoiceItem) -> IssuedInvoice:
    start, end = _day(item.period_start), _day(item.period_end)
    return IssuedInvoice(
        number=item.number, licensee_id=item.licensee_id, agreement_id=item.agreement_id,
        kind=InvoiceKind(item.kind), issue_date=date.fromisoformat(item.issue_date),
        due_date=date.fromisoformat(item.due_date), currency=item.currency, lines=tuple(json.loads(item.lines)),
        subtotal=Decimal(item.subtotal), tax_rate=Decimal(item.tax_rate), tax=Decimal(item.tax),
        total=Decimal(item.total), balance=Decimal(item.balance), status=InvoiceStatus(item.status),
        balance_changes=tuple(BalanceChange(date.fromisoformat(c["on"]), Decimal(c["amount"]))
                              for c in json.loads(item.balance_changes)),
        issued_at=item.issued_at, period=DateRange(start, end) if start and end else None,
        paid_on=_day(item.paid_on), late_fee_billed=Decimal(item.late_fee_billed),
        late_fee_through=_day(item.late_fee_through), note=item.note, revision=int(item.revision))


def _invoice_item(invoice: IssuedInvoice) -> InvoiceItem:
    queue_pk: str | None = None
    queue_sk: str | None = None
    if invoice.status is InvoiceStatus.OPEN:
        queue_pk, queue_sk = "OPEN", f"{invoice.due_date.isoformat()}#{invoice.number}"
    elif invoice.status is InvoiceStatus.PAID and invoice.paid_on and invoice.paid_on > invoice.due_date \
            and (invoice.late_fee_through is None or invoice.late_fee_through < invoice.paid_on) \
            and invoice.kind is not InvoiceKind.LATE_FEE:
        queue_pk, queue_sk = "LATEFEE", f"{invoice.paid_on.isoformat()}#{invoice.number}"
    return InvoiceItem(
        pk=_pk(invoice.licensee_id), sk=f"INVOICE#{invoice.number}", revision=invoice.revision,
        number=invoice.number, licensee_id=invoice.licensee_id, agreement_id=invoice.agreement_id,
        kind=invoice.kind.value, issue_date=invoice.issue_date.isoformat(), due_date=invoice.due_date.isoformat(),
        currency=invoice.currency, lines=json.dumps(list(invoice.lines), ensure_ascii=False),
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


def _notice(item: NoticeItem) -> Notice:
    return Notice(key=item.key, licensee_id=item.licensee_id, kind=NoticeKind(item.kind), recipient=item.recipient,
                  subject=item.subject, text=item.text, html=item.html, created_at=item.created_at,
                  delivery=Delivery(item.delivery), attempts=int(item.attempts), sent_at=item.sent_at,
                  message_id=item.message_id, error=item.error)


def _notice_item(notice: Notice) -> NoticeItem:
    pending = notice.delivery is not Delivery.SENT and notice.attempts < MAX_DELIVERY_ATTEMPTS
    return NoticeItem(
        pk=_pk(notice.licensee_id), sk=f"NOTICE#{notice.key}", key=notice.key, licensee_id=notice.licensee_id,
        kind=notice.kind.value, recipient=notice.recipient, subject=notice.subject, text=notice.text,
        html=notice.html, created_at=notice.created_at, delivery=notice.delivery.value, attempts=notice.attempts,
        sent_at=notice.sent_at, message_id=notice.message_id, error=notice.error,
        queue_pk="NOTICE" if pending else None,
        queue_sk=f"{notice.created_at.isoformat()}#{notice.licensee_id}#{notice.key}" if pending else None)


def _payment(item: PaymentItem) -> Payment:
    return Payment(payment_id=item.payment_id, licensee_id=item.licensee_id, method=PaymentMethod(item.method),
                   reference=item.reference, amount=Decimal(item.amount),
                   received_on=date.fromisoformat(item.received_on),
                   applied=tuple((a["invoice"], Decimal(a["amount"])) for a in json.loads(item.applied)),
                   credit=Decimal(item.credit), recorded_at=item.recorded_at, recorded_by=item.recorded_by)


# --- the store ---------------------------------------------------------------------------------------


class BillingStore:
    # -- accounts ----------------------------------------------------------------------------------------
    def account(self, licensee_id: str, *, consistent: bool = True) -> Account | None:
        item = _get(_pk(licensee_id), "ACCOUNT", consistent)
        return _account(item) if isinstance(item, AccountItem) else None

    def save_account(self, batch: Batch, account: Account, previous: Account | None) -> None:
        """Add the account to a batch: created when there is no ``previous``, else only over its revision.
        ``account.revision`` is the new revision."""
        condition = (BillingItem.pk.does_not_exist() if previous is None
                     else BillingItem.revision == previous.revision)
        batch.save(f"account:{account.licensee_id}", _account_item(account), condition)
        was_suspended = previous is not None and previous.suspended_by_billing
        if account.suspended_by_billing and not was_suspended:
            batch.save(f"suspension:{account.licensee_id}", SuspensionItem(
                pk=_pk(account.licensee_id), sk="SUSPENSION", licensee_id=account.licensee_id,
                queue_pk="SUSPENDED", queue_sk=account.licensee_id))
        elif was_suspended and not account.suspended_by_billing:
            batch.delete(f"suspension:{account.licensee_id}", SuspensionItem(pk=_pk(account.licensee_id),
                                                                            sk="SUSPENSION"))

    def due_accounts(self, day: date) -> Iterator[Account]:
        """Accounts with a charge due on or before ``day``: a Query on the due-date index, never a Scan."""
        for item in BillingItem.queue_index.query("BILL", BillingItem.queue_sk <= f"{day.isoformat()}#~"):
            if isinstance(item, AccountItem):
                yield _account(item)

    def suspended_licensees(self) -> list[str]:
        return [i.licensee_id for i in BillingItem.queue_index.query("SUSPENDED")
                if isinstance(i, SuspensionItem)]

    # -- invoices ----------------------------------------------------------------------------------------
    def last_number(self) -> int:
        item = _get(COUNTER_PK, "COUNTER", True)
        return int(item.last) if isinstance(item, CounterItem) else 0

    def add_invoice(self, batch: Batch, invoice: IssuedInvoice, n: int) -> None:
        """The invoice with number ``n``, and the counter moved from n-1 to n in the same transaction:
        numbers are gapless, and two runs can never give out the same one."""
        condition = BillingItem.pk.does_not_exist() if n == 1 else CounterItem.last == n - 1
        batch.save("number", CounterItem(pk=COUNTER_PK, sk="COUNTER", last=n), condition)
        batch.save(f"invoice:{invoice.number}", _invoice_item(invoice), BillingItem.pk.does_not_exist())

    def update_invoice(self, batch: Batch, invoice: IssuedInvoice) -> None:
        """Save a changed invoice over the revision it was read at (``invoice.revision`` is the new one)."""
        batch.save(f"invoice:{invoice.number}", _invoice_item(invoice), BillingItem.revision == invoice.revision - 1)

    def claim_charges(self, batch: Batch, licensee_id: str, charges: Sequence[Charge], number: str) -> None:
        for charge in charges:
            key = charge_key_text(charge)
            batch.save(f"charge:{key}", ChargeClaimItem(pk=_pk(licensee_id), sk=f"CHARGE#{key}",
                                                        charge=json.dumps(charge_to_dict(charge)),
                                                        invoice_number=number), BillingItem.pk.does_not_exist())

    def claim(self, batch: Batch, licensee_id: str, key: str, claimed_by: str) -> None:
        batch.save(f"claim:{key}", ClaimItem(pk=_pk(licensee_id), sk=f"CLAIM#{key}", claimed_by=claimed_by),
                   BillingItem.pk.does_not_exist())

    def claimed(self, licensee_id: str, key: str) -> str | None:
        item = _get(_pk(licensee_id), f"CLAIM#{key}", True)
        return item.claimed_by if isinstance(item, ClaimItem) else None

    def invoiced_charges(self, licensee_id: str) -> list[Charge]:
        return [charge_from_dict(json.loads(i.charge))
                for i in BillingItem.query(_pk(licensee_id), BillingItem.sk.startswith("CHARGE#"), consistent_read=True)
                if isinstance(i, ChargeClaimItem)]

    def charges_claimed(self, licensee_id: str, keys: Iterable[str]) -> set[str]:
        wanted = [(_pk(licensee_id), f"CHARGE#{k}") for k in keys]
        found: set[str] = set()
        for start in range(0, len(wanted), 100):
            for item in BillingItem.batch_get(wanted[start:start + 100], consistent_read=True):
                found.add(item.sk.removeprefix("CHARGE#"))
        return found

    def charge_claims_of(self, licensee_id: str, number: str) -> list[str]:
        return [i.sk.removeprefix("CHARGE#")
                for i in BillingItem.query(_pk(licensee_id), BillingItem.sk.startswith("CHARGE#"), consistent_read=True)
                if isinstance(i, ChargeClaimItem) and i.invoice_number == number]

    def release_charge(self, batch: Batch, licensee_id: str, key: str) -> None:
        batch.delete(f"charge:{key}", ChargeClaimItem(pk=_pk(licensee_id), sk=f"CHARGE#{key}"))

    def invoices(self, licensee_id: str, *, consistent: bool = True) -> list[IssuedInvoice]:
        return [_invoice(i) for i in BillingItem.query(_pk(licensee_id), BillingItem.sk.startswith("INVOICE#"),
                                                       consistent_read=consistent) if isinstance(i, InvoiceItem)]

    def invoice(self, licensee_id: str, number: str) -> IssuedInvoice | None:
        item = _get(_pk(licensee_id), f"INVOICE#{number}", True)
        return _invoice(item) if isinstance(item, InvoiceItem) else None

    def invoice_by_number(self, number: str) -> IssuedInvoice | None:
        for item in BillingItem.ledger_index.query("INVOICES", BillingItem.ledger_sk == number):
            if isinstance(item, InvoiceItem):
                return self.invoice(item.licensee_id, number)  # the index is eventually consistent
        return None

    def all_invoices(self) -> list[IssuedInvoice]:
        return [_invoice(i) for i in BillingItem.ledger_index.query("INVOICES") if isinstance(i, InvoiceItem)]

    def open_invoices_by_licensee(self) -> dict[str, list[IssuedInvoice]]:
        """Invoices with something owed, grouped by licensee: the work of the overdue run."""
        grouped: dict[str, list[IssuedInvoice]] = {}
        for item in BillingItem.queue_index.query("OPEN"):
            if isinstance(item, InvoiceItem):
                grouped.setdefault(item.licensee_id, []).append(_invoice(item))
        return grouped

    def paid_late(self) -> list[IssuedInvoice]:
        return [_invoice(i) for i in BillingItem.queue_index.query("LATEFEE") if isinstance(i, InvoiceItem)]

    # -- payments ----------------------------------------------------------------------------------------
    def add_payment(self, batch: Batch, payment: Payment) -> None:
        pk = _pk(payment.licensee_id)
        # clause 5.2: a bank transfer's (or cheque's) reference names one payment to the licensor, whichever
        # licensee it came from, so the claim is the licensor's per method, not the licensee's.
        batch.save("reference", ClaimItem(pk=_reference_pk(payment.method.value),
                                          sk=f"PAYREF#{payment.reference.casefold()}",
                                          claimed_by=payment.payment_id), BillingItem.pk.does_not_exist())
        batch.save(f"payment:{payment.payment_id}", PaymentItem(
            pk=pk, sk=f"PAYMENT#{payment.received_on.isoformat()}#{payment.payment_id}", payment_id=payment.payment_id,
            licensee_id=payment.licensee_id, method=payment.method.value, reference=payment.reference,
            amount=str(payment.amount), received_on=payment.received_on.isoformat(),
            applied=json.dumps([{"invoice": n, "amount": str(a)} for n, a in payment.applied]),
            credit=str(payment.credit), recorded_at=payment.recorded_at, recorded_by=payment.recorded_by),
            BillingItem.pk.does_not_exist())

    def reference_used(self, licensee_id: str, method: str, reference: str) -> bool:
        """Whether the reference is taken for this method (or, as recorded before, by this licensee)."""
        sk = f"PAYREF#{reference.casefold()}"
        return _get(_reference_pk(method), sk, True) is not None or _get(_pk(licensee_id), sk, True) is not None

    def payments(self, licensee_id: str) -> list[Payment]:
        return [_payment(i) for i in BillingItem.query(_pk(licensee_id), BillingItem.sk.startswith("PAYMENT#"),
                                                       consistent_read=True) if isinstance(i, PaymentItem)]

    # -- notices -----------------------------------------------------------------------------------------
    def add_notice(self, batch: Batch, notice: Notice) -> None:
        batch.save(f"notice:{notice.key}", _notice_item(notice), BillingItem.pk.does_not_exist())

    def mark_notice(self, notice: Notice) -> None:
        """Record a delivery attempt (an update of the delivery fields only); a sent notice, or one that
        failed too often, leaves the queue of notices to deliver."""
        item = _notice_item(notice)
        actions: list[Action] = [NoticeItem.delivery.set(notice.delivery.value),
                                 NoticeItem.attempts.set(notice.attempts)]
        actions.append(NoticeItem.sent_at.set(notice.sent_at) if notice.sent_at else NoticeItem.sent_at.remove())
        texts: tuple[tuple[UnicodeAttribute, str | None], ...] = (
            (NoticeItem.message_id, notice.message_id), (NoticeItem.error, notice.error),
            (BillingItem.queue_pk, item.queue_pk), (BillingItem.queue_sk, item.queue_sk))
        for attribute, value in texts:
            actions.append(attribute.set(value) if value is not None else attribute.remove())
        NoticeItem(pk=item.pk, sk=item.sk).update(actions=actions)

    def pending_notices(self) -> list[Notice]:
        return [_notice(i) for i in BillingItem.queue_index.query("NOTICE") if isinstance(i, NoticeItem)]

    def notices(self, licensee_id: str, prefix: str = "") -> list[Notice]:
        return [_notice(i) for i in BillingItem.query(_pk(licensee_id), BillingItem.sk.startswith(f"NOTICE#{prefix}"),
                                                      consistent_read=True) if isinstance(i, NoticeItem)]

    # -- renewals ----------------------------------------------------------------------------------------
    def renewals_due(self, day: date) -> list[tuple[str, list[str], int]]:
        return [(i.licensee_id, [str(x) for x in i.sent], int(i.revision))
                for i in BillingItem.queue_index.query("RENEW", BillingItem.queue_sk <= f"{day.isoformat()}#~")
                if isinstance(i, RenewalItem)]

    def save_renewal(self, batch: Batch, licensee_id: str, next_day: date | None, sent: list[str],
                     expected_revision: int | None) -> None:
        condition = (BillingItem.pk.does_not_exist() if expected_revision is None
                     else BillingItem.revision == expected_revision)
        batch.save(f"renewal:{licensee_id}", RenewalItem(
            pk=_pk(licensee_id), sk="RENEWAL", licensee_id=licensee_id, sent=sent,
            revision=(expected_revision or 0) + 1, queue_pk="RENEW" if next_day else None,
            queue_sk=f"{next_day.isoformat()}#{licensee_id}" if next_day else None), condition)

    def renewal(self, licensee_id: str) -> tuple[list[str], int] | None:
        item = _get(_pk(licensee_id), "RENEWAL", True)
        return ([str(x) for x in item.sent], int(item.revision)) if isinstance(item, RenewalItem) else None

    # -- force majeure -----------------------------------------------------------------------------------
    def add_force_majeure(self, period: ForceMajeure, audit: AuditRecord) -> None:
        batch = Batch()
        batch.save(f"force_majeure:{period.period_id}", ForceMajeureItem(
            pk=FORCE_MAJEURE_PK, sk=f"{period.days.start.isoformat()}#{period.period_id}",
            period_id=period.period_id, start=period.days.start.isoformat(), end=period.days.end.isoformat(),
            reason=period.reason, licensee_id=period.licensee_id or EVERYONE), BillingItem.pk.does_not_exist())
        batch.audits.append(audit)
        batch.commit()

    def force_majeure(self) -> list[ForceMajeure]:
        return [ForceMajeure(i.period_id, DateRange(date.fromisoformat(i.start), date.fromisoformat(i.end)),
                             i.reason, None if i.licensee_id == EVERYONE else i.licensee_id)
                for i in BillingItem.query(FORCE_MAJEURE_PK) if isinstance(i, ForceMajeureItem)]


def _get(pk: str, sk: str, consistent: bool) -> BillingItem | None:
    try:
        return BillingItem.get(pk, sk, consistent_read=consistent)
    except BillingItem.DoesNotExist:
        return None
