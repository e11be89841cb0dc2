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
from datetime import date

from pynamodb.attributes import (
    UnicodeAttribute,
)
from pynamodb.expressions.update import Action

from chalicelib.adapters import dynamodb
from chalicelib.adapters.dynamodb import Batch
from chalicelib.billing.charges import Charge, key_text
from chalicelib.billing.items import (
    COUNTER_PK,
    DUE_KEY,
    EVERYONE,
    FORCE_MAJEURE_PK,
    AccountItem,
    BillingItem,
    ChargeClaimItem,
    ClaimItem,
    CounterItem,
    ForceMajeureItem,
    InvoiceItem,
    NoticeItem,
    PaymentItem,
    RenewalItem,
    SuspensionItem,
    account_from_item,
    account_item,
    charge_from_dict,
    charge_to_dict,
    invoice_from_item,
    invoice_item,
    notice_from_item,
    notice_item,
    partition,
    payment_from_item,
    reference_partition,
)
from chalicelib.billing.model import (
    Account,
    ForceMajeure,
    IssuedInvoice,
    Notice,
    Payment,
)
from chalicelib.billing.periods import DateRange
from chalicelib.core.mailer import Delivery

# --- the store ---------------------------------------------------------------------------------------


class BillingStore:
    # -- accounts ----------------------------------------------------------------------------------------
    def account(self, licensee_id: str, *, consistent: bool = True) -> Account | None:
        item = _get(partition(licensee_id), "ACCOUNT", consistent)
        return account_from_item(item) if isinstance(item, AccountItem) else None

    def save_account(self, batch: Batch, account: Account, previous: Account | None) -> None:
        """Add the account to a batch: created when there is no ``previous``, else only over its revision.
        ``account.revision`` is the new revision."""
        condition = (BillingItem.pk.does_not_exist() if previous is None
                     else BillingItem.revision == previous.revision)
        batch.save(account_item(account), condition, label=f"account:{account.licensee_id}")
        was_suspended = previous is not None and previous.suspended_by_billing
        if account.suspended_by_billing and not was_suspended:
            batch.save(SuspensionItem(
                pk=partition(account.licensee_id), sk="SUSPENSION", licensee_id=account.licensee_id,
                queue_pk="SUSPENDED", queue_sk=account.licensee_id), label=f"suspension:{account.licensee_id}")
        elif was_suspended and not account.suspended_by_billing:
            batch.delete(SuspensionItem(pk=partition(account.licensee_id), sk="SUSPENSION"),
                         label=f"suspension:{account.licensee_id}")

    def due_accounts(self, day: date, *, after: str | None = None) -> Iterator[Account]:
        """Accounts with a charge due on or before ``day``: a Query on the due-date index, never a Scan. With
        ``after`` (a `due_position`), the accounts after that one."""
        start = dynamodb.decode_cursor(after, DUE_KEY, {"queue_pk": "BILL"})
        for item in BillingItem.queue_index.query("BILL", BillingItem.queue_sk <= f"{day.isoformat()}#~",
                                                  last_evaluated_key=start):
            if isinstance(item, AccountItem):
                yield account_from_item(item)

    @staticmethod
    def due_position(account: Account) -> str:
        """Where an account (as `due_accounts` gave it) stands in the due-date index, for a run to continue
        after it."""
        item = account_item(account)
        return dynamodb.encode_cursor({name: {"S": getattr(item, name)} for name in DUE_KEY}) or ""

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
        batch.save(CounterItem(pk=COUNTER_PK, sk="COUNTER", last=n), condition, label="number")
        batch.save(invoice_item(invoice), BillingItem.pk.does_not_exist(), label=f"invoice:{invoice.number}")

    def update_invoice(self, batch: Batch, invoice: IssuedInvoice) -> None:
        """Save a changed invoice over the revision it was read at (``invoice.revision`` is the new one)."""
        batch.save(invoice_item(invoice), BillingItem.revision == invoice.revision - 1,
                   label=f"invoice:{invoice.number}")

    def claim_charges(self, batch: Batch, licensee_id: str, charges: Sequence[Charge], number: str) -> None:
        for charge in charges:
            key = key_text(charge)
            batch.save(ChargeClaimItem(pk=partition(licensee_id), sk=f"CHARGE#{key}",
                                       charge=json.dumps(charge_to_dict(charge)), invoice_number=number),
                       BillingItem.pk.does_not_exist(), label=f"charge:{key}")

    def claim(self, batch: Batch, licensee_id: str, key: str, claimed_by: str) -> None:
        batch.save(ClaimItem(pk=partition(licensee_id), sk=f"CLAIM#{key}", claimed_by=claimed_by),
                   BillingItem.pk.does_not_exist(), label=f"claim:{key}")

    def claimed(self, licensee_id: str, key: str) -> str | None:
        item = _get(partition(licensee_id), f"CLAIM#{key}", True)
        return item.claimed_by if isinstance(item, ClaimItem) else None

    def invoiced_charges(self, licensee_id: str) -> list[Charge]:
        return [charge_from_dict(json.loads(i.charge))
                for i in _partition(licensee_id, "CHARGE#", True)
                if isinstance(i, ChargeClaimItem)]

    def charges_claimed(self, licensee_id: str, keys: Iterable[str]) -> set[str]:
        wanted = [(partition(licensee_id), f"CHARGE#{k}") for k in keys]
        found: set[str] = set()
        for start in range(0, len(wanted), 100):
            for item in BillingItem.batch_get(wanted[start:start + 100], consistent_read=True):
                found.add(item.sk.removeprefix("CHARGE#"))
        return found

    def charge_claims_of(self, licensee_id: str, number: str) -> list[str]:
        return [i.sk.removeprefix("CHARGE#")
                for i in _partition(licensee_id, "CHARGE#", True)
                if isinstance(i, ChargeClaimItem) and i.invoice_number == number]

    def release_charge(self, batch: Batch, licensee_id: str, key: str) -> None:
        batch.delete(ChargeClaimItem(pk=partition(licensee_id), sk=f"CHARGE#{key}"), label=f"charge:{key}")

    def invoices(self, licensee_id: str, *, consistent: bool = True) -> list[IssuedInvoice]:
        return [invoice_from_item(i) for i in _partition(licensee_id, "INVOICE#", consistent)
                if isinstance(i, InvoiceItem)]

    def invoice(self, licensee_id: str, number: str) -> IssuedInvoice | None:
        item = _get(partition(licensee_id), f"INVOICE#{number}", True)
        return invoice_from_item(item) if isinstance(item, InvoiceItem) else None

    def invoice_by_number(self, number: str) -> IssuedInvoice | None:
        for item in BillingItem.ledger_index.query("INVOICES", BillingItem.ledger_sk == number):
            if isinstance(item, InvoiceItem):
                return self.invoice(item.licensee_id, number)  # the index is eventually consistent
        return None

    def all_invoices(self) -> list[IssuedInvoice]:
        return [invoice_from_item(i) for i in BillingItem.ledger_index.query("INVOICES") if isinstance(i, InvoiceItem)]

    def open_invoices_by_licensee(self) -> dict[str, list[IssuedInvoice]]:
        """Invoices with something owed, grouped by licensee: the work of the overdue run."""
        grouped: dict[str, list[IssuedInvoice]] = {}
        for item in BillingItem.queue_index.query("OPEN"):
            if isinstance(item, InvoiceItem):
                grouped.setdefault(item.licensee_id, []).append(invoice_from_item(item))
        return grouped

    def paid_late(self) -> list[IssuedInvoice]:
        return [invoice_from_item(i) for i in BillingItem.queue_index.query("LATEFEE") if isinstance(i, InvoiceItem)]

    # -- payments ----------------------------------------------------------------------------------------
    def add_payment(self, batch: Batch, payment: Payment) -> None:
        pk = partition(payment.licensee_id)
        # clause 5.2: a bank transfer's (or cheque's) reference names one payment to the licensor, whichever
        # licensee it came from, so the claim is the licensor's per method, not the licensee's.
        batch.save(ClaimItem(pk=reference_partition(payment.method.value), sk=f"PAYREF#{payment.reference.casefold()}",
                             claimed_by=payment.payment_id), BillingItem.pk.does_not_exist(), label="reference")
        batch.save(PaymentItem(
            pk=pk, sk=f"PAYMENT#{payment.received_on.isoformat()}#{payment.payment_id}", payment_id=payment.payment_id,
            licensee_id=payment.licensee_id, method=payment.method.value, reference=payment.reference,
            amount=str(payment.amount), received_on=payment.received_on.isoformat(),
            applied=json.dumps([{"invoice": n, "amount": str(a)} for n, a in payment.applied]),
            credit=str(payment.credit), recorded_at=payment.recorded_at, recorded_by=payment.recorded_by),
            BillingItem.pk.does_not_exist(), label=f"payment:{payment.payment_id}")

    def reference_used(self, licensee_id: str, method: str, reference: str) -> bool:
        """Whether the reference is taken for this method (or, as recorded before, by this licensee)."""
        sk = f"PAYREF#{reference.casefold()}"
        return (_get(reference_partition(method), sk, True) is not None
                or _get(partition(licensee_id), sk, True) is not None)

    def payments(self, licensee_id: str) -> list[Payment]:
        return [payment_from_item(i) for i in _partition(licensee_id, "PAYMENT#", True) if isinstance(i, PaymentItem)]

    # -- notices -----------------------------------------------------------------------------------------
    def add_notice(self, batch: Batch, notice: Notice) -> None:
        batch.save(notice_item(notice), BillingItem.pk.does_not_exist(), label=f"notice:{notice.key}")

    def mark_notice(self, notice: Notice) -> None:
        """Record a delivery attempt (an update of the delivery fields only); a sent notice, or one that
        failed too often, leaves the queue of notices to deliver."""
        item = notice_item(notice)
        actions: list[Action] = [NoticeItem.delivery.set(notice.delivery.value),
                                 NoticeItem.attempts.set(notice.attempts)]
        actions.append(NoticeItem.sent_at.set(notice.sent_at) if notice.sent_at else NoticeItem.sent_at.remove())
        texts: tuple[tuple[UnicodeAttribute, str | None], ...] = (
            (NoticeItem.message_id, notice.message_id), (NoticeItem.error, notice.error),
            (NoticeItem.provider_id, notice.provider_id),
            (BillingItem.queue_pk, item.queue_pk), (BillingItem.queue_sk, item.queue_sk))
        for attribute, value in texts:
            actions.append(attribute.set(value) if value is not None else attribute.remove())
        NoticeItem(pk=item.pk, sk=item.sk).update(actions=actions)

    def notice_sent_as(self, licensee_id: str, provider_id: str) -> Notice | None:
        """The licensee's notice the mailer sent under `provider_id` (what a bounce or complaint names)."""
        return next((n for n in self.notices(licensee_id) if n.provider_id == provider_id), None)

    def mark_undelivered(self, batch: Batch, notice: Notice, delivery: Delivery, detail: str) -> None:
        """A bounce or complaint: the notice reads as not delivered, with why; once (the condition makes a
        redelivered event a no-op)."""
        batch.update(NoticeItem(pk=partition(notice.licensee_id), sk=f"NOTICE#{notice.key}"),
                     [NoticeItem.delivery.set(delivery.value), NoticeItem.error.set(detail)],
                     NoticeItem.delivery != delivery.value, label=f"notice-delivery:{notice.key}")

    def pending_notices(self) -> list[Notice]:
        return [notice_from_item(i) for i in BillingItem.queue_index.query("NOTICE") if isinstance(i, NoticeItem)]

    def notices(self, licensee_id: str, prefix: str = "") -> list[Notice]:
        return [notice_from_item(i) for i in _partition(licensee_id, f"NOTICE#{prefix}", True)
                if isinstance(i, NoticeItem)]

    # -- renewals ----------------------------------------------------------------------------------------
    def renewals_due(self, day: date) -> list[tuple[str, list[str], int]]:
        return [(i.licensee_id, [str(x) for x in i.sent], int(i.revision))
                for i in BillingItem.queue_index.query("RENEW", BillingItem.queue_sk <= f"{day.isoformat()}#~")
                if isinstance(i, RenewalItem)]

    def save_renewal(self, batch: Batch, licensee_id: str, next_day: date | None, sent: list[str],
                     expected_revision: int | None) -> None:
        condition = (BillingItem.pk.does_not_exist() if expected_revision is None
                     else BillingItem.revision == expected_revision)
        batch.save(RenewalItem(
            pk=partition(licensee_id), sk="RENEWAL", licensee_id=licensee_id, sent=sent,
            revision=(expected_revision or 0) + 1, queue_pk="RENEW" if next_day else None,
            queue_sk=f"{next_day.isoformat()}#{licensee_id}" if next_day else None),
            condition, label=f"renewal:{licensee_id}")

    def renewal(self, licensee_id: str) -> tuple[list[str], int] | None:
        item = _get(partition(licensee_id), "RENEWAL", True)
        return ([str(x) for x in item.sent], int(item.revision)) if isinstance(item, RenewalItem) else None

    # -- force majeure -----------------------------------------------------------------------------------
    def add_force_majeure(self, batch: Batch, period: ForceMajeure) -> None:
        """Record the period with the writes already in ``batch`` (its audit record), all or nothing."""
        batch.save(ForceMajeureItem(
            pk=FORCE_MAJEURE_PK, sk=f"{period.days.start.isoformat()}#{period.period_id}",
            period_id=period.period_id, start=period.days.start.isoformat(), end=period.days.end.isoformat(),
            reason=period.reason, licensee_id=period.licensee_id or EVERYONE),
            BillingItem.pk.does_not_exist(), label=f"force_majeure:{period.period_id}")
        batch.commit()

    def force_majeure(self) -> list[ForceMajeure]:
        return [ForceMajeure(i.period_id, DateRange(date.fromisoformat(i.start), date.fromisoformat(i.end)),
                             i.reason, None if i.licensee_id == EVERYONE else i.licensee_id)
                for i in BillingItem.query(FORCE_MAJEURE_PK) if isinstance(i, ForceMajeureItem)]


def _get(pk: str, sk: str, consistent: bool) -> BillingItem | None:
    return dynamodb.get(BillingItem, pk, sk, consistent=consistent)


def _partition(licensee_id: str, prefix: str, consistent: bool) -> Iterator[BillingItem]:
    """The items of one licensee's partition whose sort key starts with ``prefix``."""
    return BillingItem.query(partition(licensee_id), BillingItem.sk.startswith(prefix), consistent_read=consistent)
