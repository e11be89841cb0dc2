"""The overdue run (clauses 8, 13.5): reminders before and after due dates, late fees billed when an invoice
is paid late and at each month's close, suspension after the grace days and reinstatement once paid."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from chalicelib.adapters import dynamodb
from chalicelib.adapters.dynamodb import Batch
from chalicelib.billing import documents
from chalicelib.billing.context import ACTOR, ONE_DAY, Context, within
from chalicelib.billing.invoices import InvoiceKind, InvoiceLine
from chalicelib.billing.issuing import Issuer
from chalicelib.billing.model import Account, IssuedInvoice, NoticeKind, RunReport
from chalicelib.billing.notices import Notices
from chalicelib.billing.overdue import Reminder, SuspensionAction, overdue_state
from chalicelib.billing.periods import DateRange
from chalicelib.core.budget import Budget
from chalicelib.core.clock import local_date
from chalicelib.core.money import format_amount

# A run in two parts: invoices paid late (by the day paid, then number), then licensees with something open or
# suspended (by id).
_LATE, _OPEN = "late", "open"


def _position(phase: str, after: str) -> str:
    return dynamodb.encode_cursor({"phase": {"S": phase}, "after": {"S": after}}) or ""


def _paid(invoice: IssuedInvoice) -> str:
    return f"{invoice.paid_on.isoformat() if invoice.paid_on else ''}#{invoice.number}"


class OverdueRun:
    def __init__(self, ctx: Context, issuer: Issuer, notices: Notices) -> None:
        self.ctx = ctx
        self.issuer = issuer
        self.notices = notices

    def run(self, now: datetime, *, dry_run: bool = False, budget: Budget | None = None,
            cursor: str | None = None) -> RunReport:
        """Reminders, late fees, suspensions and reinstatements due on the Shanghai date of ``now``."""
        day = local_date(now, self.ctx.tz)
        self.notices.start_run()
        report = RunReport("overdue", day, dry_run)
        store = self.ctx.store
        start = dynamodb.decode_cursor(cursor, ("phase", "after"), {}) if cursor else None
        phase, after = (start["phase"]["S"], start["after"]["S"]) if start else (_LATE, "")
        if phase == _LATE:
            late = [i for i in store.paid_late() if _paid(i) > after]  # in the order of the queue
            for invoice in within(budget, report, late, lambda i: _position(_LATE, _paid(i))):
                self.ctx.guard(report, "overdue", invoice.licensee_id, partial(
                    self.bill_late_fee, invoice, invoice.paid_on or day, day, report, dry_run))
            after = ""
        if report.cursor is None:
            grouped = store.open_invoices_by_licensee()
            licensees = [i for i in sorted(set(grouped) | set(store.suspended_licensees())) if i > after]
            for licensee_id in within(budget, report, licensees, lambda i: _position(_OPEN, i)):
                report.looked_at += 1
                self.ctx.guard(report, "overdue", licensee_id, partial(self._overdue, licensee_id, day, report,
                                                                       dry_run))
        if not dry_run and report.cursor is None:
            report.notices += self.notices.deliver_pending()
        return report

    def _overdue(self, licensee_id: str, day: date, report: RunReport, dry_run: bool) -> None:
        store = self.ctx.store
        account = store.account(licensee_id)
        if account is None:
            return
        month_closed = day.replace(day=1) - ONE_DAY
        for invoice in self._open(licensee_id):
            if invoice.kind is not InvoiceKind.LATE_FEE and invoice.due_date < month_closed \
                    and (invoice.late_fee_through or invoice.due_date) < month_closed:
                self.bill_late_fee(invoice, month_closed, day, report, dry_run)
        open_invoices = self._open(licensee_id)
        sent = {Reminder.from_key(n.key) for n in store.notices(licensee_id, "reminder#")}
        state = overdue_state([i.as_open() for i in open_invoices], day, account.terms.billing,
                              reminders_sent=sent, suspended=account.suspended_by_billing,
                              pauses=self.issuer.pauses(licensee_id))
        by_number = {i.number: i for i in open_invoices}
        for reminder in state.reminders_due:
            if dry_run:
                report.notices += 1
                continue
            subject, text = documents.reminder_text(by_number[reminder.invoice_id], reminder.when.value, reminder.days,
                                                    self.notices.language(licensee_id))
            if self.notices.notify(licensee_id, NoticeKind.REMINDER, reminder.key, subject, text):
                report.notices += 1
        if state.action is SuspensionAction.SUSPEND:
            report.suspended.append(licensee_id)
            if not dry_run:
                self._suspend(account, state.amount_to_reinstate, state.suspended_from)
        elif state.action is SuspensionAction.REINSTATE:
            report.reinstated.append(licensee_id)
            if not dry_run:
                self.reinstate_if_paid(licensee_id, day)

    def _open(self, licensee_id: str) -> list[IssuedInvoice]:
        return [i for i in self.ctx.store.invoices(licensee_id) if i.open]

    def bill_late_fee(self, invoice: IssuedInvoice, through: date, day: date, report: RunReport,
                      dry_run: bool) -> None:
        """Bill the late fee accrued on ``invoice`` up to ``through`` as its own invoice; the original invoice's
        amounts never change (only what has been billed of its late fee is noted on it)."""
        account = self.ctx.account(invoice.licensee_id)
        rate = account.terms.billing.late_fee_rate_per_day
        fee = self.issuer.late_fee(invoice, through, rate, self.issuer.pauses(invoice.licensee_id))
        marked = invoice.late_fee_noted(fee, through)
        if dry_run:
            if fee > 0:
                report.invoices.append({"number": None, "licensee": invoice.licensee_id, "period": None,
                                        "total": format_amount(fee), "status": "draft", "due_date": None,
                                        "lines": [f"Late fee on {invoice.number}"]})
            return
        if fee <= 0:
            batch = Batch()
            self.ctx.store.update_invoice(batch, marked)
            batch.commit()
            return
        facts = self.ctx.facts(invoice.licensee_id)
        since = (invoice.late_fee_through or invoice.due_date) + ONE_DAY
        line = InvoiceLine(f"Late fee on invoice {invoice.number} (due {invoice.due_date.isoformat()}), "
                           f"{since.isoformat()}–{through.isoformat()} at {rate} per day (clause 8)",
                           fee, period=DateRange(since, through), unit_amount=fee, taxable=False)
        draft = self.issuer.draft(account, facts, [line], day)
        issued, _ = self.issuer.issue(account, replace(account, revision=account.revision + 1), facts, draft,
                                      InvoiceKind.LATE_FEE, claim=f"latefee#{invoice.number}#{through.isoformat()}",
                                      also=lambda batch: self.ctx.store.update_invoice(batch, marked))
        report.invoices.append(issued.summary())

    def _suspend(self, account: Account, amount: Decimal, since: date | None) -> None:
        self.ctx.licenses.ensure_suspended(account.licensee_id, "late payment (clause 8)", ACTOR)
        batch = Batch()
        self.ctx.store.save_account(batch, replace(account, suspended_by_billing=True, revision=account.revision + 1),
                                    account)
        batch.commit()
        subject, text = documents.suspension_text(amount, "CNY", since, self.notices.language(account.licensee_id))
        self.notices.notify(account.licensee_id, NoticeKind.SUSPENSION,
                            f"suspension#{self.ctx.clock.now().isoformat()}", subject, text)

    def reinstate_if_paid(self, licensee_id: str, day: date) -> bool:
        """Lift a suspension for late payment once what was overdue past the grace is paid (clause 8)."""
        account = self.ctx.store.account(licensee_id)
        if account is None or not account.suspended_by_billing:
            return False
        state = overdue_state([i.as_open() for i in self._open(licensee_id)], day, account.terms.billing,
                              reminders_sent=(), suspended=True, pauses=self.issuer.pauses(licensee_id))
        if state.action is not SuspensionAction.REINSTATE:
            return False
        self.ctx.licenses.ensure_reinstated(licensee_id, "overdue invoices paid (clause 8)", ACTOR)
        batch = Batch()
        self.ctx.store.save_account(batch, replace(account, suspended_by_billing=False,
                                                   revision=account.revision + 1), account)
        batch.commit()
        subject, text = documents.reinstatement_text(self.notices.language(licensee_id))
        self.notices.notify(licensee_id, NoticeKind.REINSTATEMENT, f"reinstatement#{self.ctx.clock.now().isoformat()}",
                            subject, text)
        return True
