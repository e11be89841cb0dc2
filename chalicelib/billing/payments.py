"""Payments (clause 5.2): money received, applied to the oldest open invoice first with any surplus kept as
credit; and voiding an invoice nothing was paid on."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from chalicelib.adapters.dynamodb import Batch, Contended
from chalicelib.billing.charges import key_text
from chalicelib.billing.context import ATTEMPTS, ONE_DAY, Context
from chalicelib.billing.invoices import InvoiceKind, InvoiceStatus, allocate
from chalicelib.billing.model import IssuedInvoice, Payment, PaymentMethod
from chalicelib.billing.overdue_run import OverdueRun
from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.core.ids import new_id
from chalicelib.metrics import BILLING_PAYMENTS


class Payments:
    def __init__(self, ctx: Context, overdue: OverdueRun) -> None:
        self.ctx = ctx
        self.overdue = overdue

    def record(self, licensee_id: str, method: PaymentMethod, reference: str, amount: Decimal, received_on: date,
               actor: str) -> Payment:
        """Record money received: applied to the oldest open invoice first, any surplus kept as credit. The
        same reference twice is refused. Paying what is overdue past the grace lifts a suspension at once."""
        reference = reference.strip()
        if not reference or len(reference) > 100:
            raise InvalidInput("A payment needs its reference (1 to 100 characters).", code="INVALID_REFERENCE")
        if amount <= 0:
            raise InvalidInput("A payment amount must be more than zero.", code="INVALID_AMOUNT")
        if received_on > self.ctx.today():
            raise InvalidInput("A payment cannot be received in the future.", code="PAYMENT_IN_FUTURE")
        store = self.ctx.store
        for _ in range(ATTEMPTS):
            account = self.ctx.account(licensee_id)
            if store.reference_used(licensee_id, method.value, reference):
                raise Conflict(f"A payment with reference {reference} is recorded already.",
                               code="DUPLICATE_PAYMENT_REFERENCE")
            open_invoices = {i.number: i for i in store.invoices(licensee_id) if i.open}
            allocation = allocate(amount, [i.as_open() for i in open_invoices.values()])
            payment = Payment(new_id("pay"), licensee_id, method, reference, amount, received_on,
                              tuple((a.invoice_id, a.amount) for a in allocation.applied), allocation.credit,
                              self.ctx.clock.now(), actor)
            batch = Batch()
            store.add_payment(batch, payment)
            for application in allocation.applied:
                store.update_invoice(batch, open_invoices[application.invoice_id].paid(application.amount,
                                                                                       received_on))
            store.save_account(batch, replace(account, credit=account.credit + allocation.credit,
                                              revision=account.revision + 1), account)
            self.ctx.audit(batch, licensee_id, "payment.recorded", actor, payment.as_dict())
            try:
                batch.commit()
            except Contended as lost:
                if "reference" in lost.failed:
                    raise Conflict(f"A payment with reference {reference} is recorded already.",
                                   code="DUPLICATE_PAYMENT_REFERENCE") from lost
                continue
            self.ctx.metrics.count(BILLING_PAYMENTS, method=method.value)
            self.overdue.reinstate_if_paid(licensee_id, self.ctx.today())
            return payment
        raise Conflict("The account kept changing while the payment was recorded; try again.",
                       code="CONCURRENT_CHANGE")

    def void(self, number: str, reason: str, actor: str) -> IssuedInvoice:
        """Void an invoice nothing was paid on. It keeps its number; its charges are billed again, with the
        facts as they are then, by the next billing run."""
        invoice = self.ctx.invoice(number)
        if invoice.status is not InvoiceStatus.OPEN or invoice.balance != invoice.total \
                or invoice.kind is not InvoiceKind.REGULAR:
            raise Conflict("Only an open regular invoice with nothing paid on it can be voided.",
                           code="CANNOT_VOID")
        if not reason.strip():
            raise InvalidInput("Say why the invoice is voided.", code="REASON_REQUIRED")
        store = self.ctx.store
        account = self.ctx.account(invoice.licensee_id)
        charges = [c for c in store.invoiced_charges(invoice.licensee_id) if c.key.agreement_id == invoice.agreement_id]
        mine = store.charge_claims_of(invoice.licensee_id, invoice.number)
        voided = invoice.voided(reason.strip(), self.ctx.today())
        earliest = min((c.due_on for c in charges if key_text(c) in mine), default=None)
        after = account
        if earliest is not None:
            billed = account.billed_through
            after = replace(account, revision=account.revision + 1,
                            billed_through=min(billed, earliest - ONE_DAY) if billed else None,
                            next_due=min(account.next_due, earliest) if account.next_due else earliest)
        batch = Batch()
        store.update_invoice(batch, voided)
        for key in mine:
            store.release_charge(batch, invoice.licensee_id, key)
        if after is not account:
            store.save_account(batch, after, account)
        self.ctx.audit(batch, invoice.licensee_id, "invoice.voided", actor,
                       {"number": number, "reason": reason.strip()})
        self.ctx.commit(batch, "The invoice changed meanwhile; try again.")
        return voided
