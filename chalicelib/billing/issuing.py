"""Issuing an invoice: a draft on the agreement's payment terms, numbered gaplessly and written with its charge
claims, its notice, the account and the audit record in one transaction; and the final settlement
(clause 11.3), issued the same way."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.adapters.dynamodb import Batch, Contended
from chalicelib.billing import documents
from chalicelib.billing.charges import Charge
from chalicelib.billing.context import ACTOR, ATTEMPTS, Context
from chalicelib.billing.facts import LicenseFacts
from chalicelib.billing.invoices import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    draft_invoice,
    lines_period,
    opening,
)
from chalicelib.billing.items import number_text
from chalicelib.billing.model import Account, IssuedInvoice, Notice
from chalicelib.billing.notices import Notices, notice_kind
from chalicelib.billing.overdue import accrued_late_fee
from chalicelib.billing.periods import DateRange
from chalicelib.billing.settlement import AccountPosition, settlement
from chalicelib.core.errors import Conflict
from chalicelib.core.money import ZERO, format_amount
from chalicelib.metrics import BILLING_INVOICES


class Issuer:
    def __init__(self, ctx: Context, notices: Notices) -> None:
        self.ctx = ctx
        self.notices = notices
        self._last_number: int | None = None
        self._numbers = threading.Lock()

    def draft(self, account: Account, facts: LicenseFacts, lines: Sequence[Charge | InvoiceLine],
              day: date) -> Invoice:
        """A draft due after the payment terms the license has on ``day`` (clause 5.3)."""
        terms = replace(account.terms.billing, net_days=facts.terms_on(day).payment_terms_days)
        currency = next((i.currency for i in account.fee_items), "CNY")
        return draft_invoice(account.agreement_id, lines, day, terms, currency)

    def preview(self, account: Account, facts: LicenseFacts, charges: list[Charge], day: date) -> dict[str, Any]:
        draft = self.draft(account, facts, charges, day)
        return {"number": None, "licensee": account.licensee_id, "period": str(lines_period(draft.lines)),
                "total": format_amount(draft.total), "status": "draft", "due_date": draft.due_date.isoformat(),
                "lines": [line.description for line in draft.lines]}

    def issue(self, before: Account, after: Account, facts: LicenseFacts, draft: Invoice, kind: InvoiceKind, *,
              charges: Sequence[Charge] = (), claim: str | None = None,
              also: Callable[[Batch], None] | None = None, note: str = "") -> tuple[IssuedInvoice, Account]:
        """Finalise a draft: number it, apply credit held, write it with its claims, its notice and the account
        in one transaction. Only a lost race for the number is retried here; any other lost race raises
        Contended for the caller to look at the facts again."""
        now = self.ctx.clock.now()
        opened = opening(draft, after.credit, kind)
        after = replace(after, credit=opened.credit)
        recipient = facts.terms_on(draft.issue_date).notice_address
        store = self.ctx.store
        for _ in range(ATTEMPTS):
            n = self._next_number()
            invoice = IssuedInvoice(
                number=number_text(n), licensee_id=before.licensee_id, agreement_id=before.agreement_id, kind=kind,
                issue_date=draft.issue_date, due_date=draft.due_date, currency=draft.currency,
                lines=tuple(line.as_dict() for line in draft.lines), subtotal=draft.subtotal,
                tax_rate=draft.tax_rate, tax=draft.tax, total=draft.total, balance=opened.balance,
                status=opened.status, balance_changes=opened.changes, issued_at=now, period=lines_period(draft.lines),
                paid_on=draft.issue_date if opened.status is InvoiceStatus.PAID else None, note=note)
            # The notice keeps the text; the printable page is rendered from the invoice when it is sent.
            notice = Notice(f"invoice#{invoice.number}", before.licensee_id, notice_kind(kind), recipient,
                            f"{documents.KIND_TITLES[kind.value]} {invoice.number}", documents.invoice_text(invoice),
                            None, now)
            batch = Batch()
            store.add_invoice(batch, invoice, n)
            store.claim_charges(batch, before.licensee_id, charges, invoice.number)
            if claim:
                store.claim(batch, before.licensee_id, claim, invoice.number)
            store.save_account(batch, after, before)
            store.add_notice(batch, notice)
            if also:
                also(batch)
            self.ctx.audit(batch, before.licensee_id, "invoice.issued", ACTOR, {
                "number": invoice.number, "kind": kind.value, "total": format_amount(invoice.total),
                "due_date": invoice.due_date})
            try:
                batch.commit()
            except Contended as lost:
                self._forget_number()
                if set(lost.failed) <= {"number", "transaction-conflict"}:
                    continue
                raise
            self._took_number(n)
            self.ctx.metrics.count(BILLING_INVOICES, kind=kind.value)
            self.notices.deliver(notice, self.notices.invoice_page(invoice))
            return invoice, after
        raise Conflict("Could not take an invoice number: too many runs at once; try again.", code="CONCURRENT_CHANGE")

    # -- numbers: gapless, taken in the transaction that issues the invoice ----------------------------------
    def _next_number(self) -> int:
        with self._numbers:
            if self._last_number is None:
                self._last_number = self.ctx.store.last_number()
            return self._last_number + 1

    def _took_number(self, n: int) -> None:
        with self._numbers:
            self._last_number = n

    def _forget_number(self) -> None:
        with self._numbers:
            self._last_number = None

    # -- late fees (clauses 8, 13.5) ------------------------------------------------------------------------
    def late_fee(self, invoice: IssuedInvoice, through: date, rate: Decimal, pauses: list[DateRange]) -> Decimal:
        """The late fee accrued on ``invoice`` up to ``through`` and not billed yet."""
        if through <= invoice.due_date:
            return ZERO
        accrued = accrued_late_fee(invoice.balance_changes, invoice.due_date, through, rate, pauses)
        return accrued - invoice.late_fee_billed

    def pauses(self, licensee_id: str) -> list[DateRange]:
        """Force-majeure days of this licensee, and of all (clause 13.5)."""
        return [p.days for p in self.ctx.store.force_majeure() if p.licensee_id in (None, licensee_id)]

    # -- termination settlement (clause 11.3) ------------------------------------------------------------------
    def settle(self, account: Account, facts: LicenseFacts, termination_date: date, day: date) -> IssuedInvoice:
        invoices = self.ctx.store.invoices(account.licensee_id)
        open_invoices = [i for i in invoices if i.open]
        pauses = self.pauses(account.licensee_id)
        rate = account.terms.billing.late_fee_rate_per_day
        late = {i.number: self.late_fee(i, day, rate, pauses) for i in open_invoices
                if i.kind is not InvoiceKind.LATE_FEE}
        terms = replace(account.terms.billing, net_days=facts.terms_on(day).payment_terms_days)
        invoiced = self.ctx.store.invoiced_charges(account.licensee_id)
        draft = settlement(facts.fee_items(account.fee_items), facts.window, termination_date, invoiced,
                           AccountPosition(tuple(i.as_open() for i in open_invoices), account.credit),
                           sum(late.values(), ZERO), terms=terms, issue_date=day)
        after = replace(account, credit=ZERO, settled=True, next_due=None, billed_through=day,
                        revision=account.revision + 1)

        def carry(batch: Batch) -> None:
            for invoice in open_invoices:
                self.ctx.store.update_invoice(batch, invoice.settled(day, late.get(invoice.number, ZERO)))

        issued, _ = self.issue(account, after, facts, draft, InvoiceKind.SETTLEMENT,
                               claim=f"settlement#{account.agreement_id}", also=carry,
                               note=f"Final settlement: the agreement terminated on {termination_date.isoformat()}.")
        return issued
