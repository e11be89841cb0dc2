"""Billing's use cases behind one facade, as the API, the staff commands, the scheduled jobs and bootstrap call
them. Each family of use cases lives in its own module; this one only wires them together:

* `fee_schedules` — fee schedules, payment terms and force majeure, as staff set them;
* `runs` — the billing run, billing one account now, and following the license's changes;
* `overdue_run` — reminders, late fees, suspension and reinstatement;
* `renewals` — renewal reminders;
* `payments` — payments and voided invoices;
* `issuing` and `notices` — what the runs share: issuing an invoice or a settlement, and sending notices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.billing.context import BillableSessions, Context
from chalicelib.billing.fee_schedules import FeeSchedules
from chalicelib.billing.fees import FeeChange, FeeItem
from chalicelib.billing.issuing import Issuer
from chalicelib.billing.model import (
    Account,
    AccountTerms,
    ForceMajeure,
    IssuedInvoice,
    Notice,
    NoticeKind,
    Payment,
    PaymentMethod,
    RunReport,
    statement,
)
from chalicelib.billing.notices import Notices
from chalicelib.billing.overdue_run import OverdueRun
from chalicelib.billing.payments import Payments
from chalicelib.billing.renewals import RenewalRun
from chalicelib.billing.runs import BillingRun, Progress
from chalicelib.billing.store import BillingStore
from chalicelib.core.budget import Budget
from chalicelib.core.clock import Clock
from chalicelib.core.mailer import Mailer
from chalicelib.licensing.events import LicenseChanged
from chalicelib.licensing.reader import LicenseHolds
from chalicelib.metrics import MetricsSink


class BillingService:
    def __init__(self, store: BillingStore, licenses: LicenseHolds, mailer: Mailer, clock: Clock, tz: ZoneInfo,
                 metrics: MetricsSink, sender: str) -> None:
        self.ctx = Context(store, licenses, clock, tz, metrics)
        self.notifier = Notices(self.ctx, mailer, sender)
        self.issuer = Issuer(self.ctx, self.notifier)
        self.schedules = FeeSchedules(self.ctx)
        self.billing_run = BillingRun(self.ctx, self.issuer, self.notifier)
        self.overdue_run = OverdueRun(self.ctx, self.issuer, self.notifier)
        self.renewal_run = RenewalRun(self.ctx, self.notifier)
        self.payments = Payments(self.ctx, self.overdue_run)

    @property
    def store(self) -> BillingStore:
        return self.ctx.store

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    def today(self) -> date:
        """Today in the licensor's time zone, on the services' clock."""
        return self.ctx.today()

    @property
    def sessions(self) -> BillableSessions | None:
        """Where delivered training sessions are read for per_session fees; bootstrap sets it (the training area)."""
        return self.ctx.sessions

    @sessions.setter
    def sessions(self, sessions: BillableSessions | None) -> None:
        self.ctx.sessions = sessions

    @property
    def mailer(self) -> Mailer:
        return self.notifier.mailer

    @mailer.setter
    def mailer(self, mailer: Mailer) -> None:
        self.notifier.mailer = mailer

    # -- fee schedules (clauses 5.1, 5.3, 6.3, 8, 10, 13.5) -------------------------------------------------
    def account(self, licensee_id: str) -> Account:
        return self.ctx.account(licensee_id)

    def set_schedule(self, licensee_id: str, fee_items: Sequence[FeeItem], terms: AccountTerms | None,
                     actor: str) -> Account:
        return self.schedules.set_schedule(licensee_id, fee_items, terms, actor)

    def add_fee_item(self, licensee_id: str, item: FeeItem, actor: str) -> Account:
        return self.schedules.add_fee_item(licensee_id, item, actor)

    def set_terms(self, licensee_id: str, terms: AccountTerms, actor: str) -> Account:
        return self.schedules.set_terms(licensee_id, terms, actor)

    def amend_fee(self, licensee_id: str, fee_item_id: str, change: FeeChange, actor: str) -> Account:
        return self.schedules.amend_fee(licensee_id, fee_item_id, change, actor)

    def add_force_majeure(self, start: date, end: date, reason: str, actor: str,
                          licensee_id: str | None = None) -> ForceMajeure:
        return self.schedules.add_force_majeure(start, end, reason, actor, licensee_id)

    def force_majeure(self) -> list[ForceMajeure]:
        return self.schedules.force_majeure()

    # -- the runs (clauses 4.2, 5, 8) -------------------------------------------------------------------------
    def run_billing(self, now: datetime, *, dry_run: bool = False, progress: Progress | None = None,
                    on_start: Callable[[int], None] | None = None, budget: Budget | None = None,
                    cursor: str | None = None) -> RunReport:
        """Issue every invoice due by the Shanghai date of ``now``."""
        return self.billing_run.run(now, dry_run=dry_run, progress=progress, on_start=on_start, budget=budget,
                                    cursor=cursor)

    def bill_now(self, licensee_id: str, now: datetime, *, dry_run: bool = False) -> RunReport:
        """Bill one account for the day of ``now`` whatever its next due date says."""
        return self.billing_run.bill_now(licensee_id, now, dry_run=dry_run)

    def run_overdue(self, now: datetime, *, dry_run: bool = False, budget: Budget | None = None,
                    cursor: str | None = None) -> RunReport:
        """Reminders, late fees, suspension after the grace days and reinstatement once paid (clause 8)."""
        return self.overdue_run.run(now, dry_run=dry_run, budget=budget, cursor=cursor)

    def run_renewals(self, now: datetime, *, dry_run: bool = False, budget: Budget | None = None,
                     cursor: str | None = None) -> RunReport:
        """Renewal reminders before the agreement ends, each once (clause 4.2)."""
        return self.renewal_run.run(now, dry_run=dry_run, budget=budget, cursor=cursor)

    def session_delivered(self, licensee_id: str, day: date) -> None:
        """Training tells billing a session was delivered: the next run bills it (clause 3.3)."""
        self.billing_run.session_delivered(licensee_id, day)

    def license_changed(self, event: LicenseChanged) -> None:
        """Listener on licensing (wired in bootstrap): billing follows extensions, amendments, terminations."""
        self.billing_run.license_changed(event)

    # -- payments (clause 5.2) ----------------------------------------------------------------------------------
    def record_payment(self, licensee_id: str, method: PaymentMethod, reference: str, amount: Decimal,
                       received_on: date, actor: str) -> Payment:
        """Record money received, applied oldest invoice first; a surplus is kept as credit."""
        return self.payments.record(licensee_id, method, reference, amount, received_on, actor)

    def void_invoice(self, number: str, reason: str, actor: str) -> IssuedInvoice:
        """Void an open invoice nothing was paid on; its charges are billed again by the next run."""
        return self.payments.void(number, reason, actor)

    # -- notices (clause 13.1) ---------------------------------------------------------------------------------
    def send_notice(self, licensee_id: str, kind: NoticeKind, key: str, subject: str, text: str) -> bool:
        """Another area's notice (a training session) through the same record, delivery and retry as billing's own;
        False when one under this key was recorded before."""
        return self.notifier.notify(licensee_id, kind, key, subject, text)

    def deliver_pending(self) -> int:
        return self.notifier.deliver_pending()

    def notices(self, licensee_id: str) -> list[Notice]:
        return self.notifier.notices(licensee_id)

    # -- reading ---------------------------------------------------------------------------------------------
    def invoice(self, number: str) -> IssuedInvoice:
        return self.ctx.invoice(number)

    def own_invoice(self, licensee_id: str, number: str) -> IssuedInvoice:
        """An invoice of this licensee; another licensee's invoice is as unknown as a missing one."""
        return self.ctx.own_invoice(licensee_id, number)

    def invoice_page(self, invoice: IssuedInvoice) -> str:
        return self.notifier.invoice_page(invoice)

    def invoices(self, licensee_id: str | None = None, statuses: Sequence[str] = ()) -> list[IssuedInvoice]:
        store = self.ctx.store
        found = store.invoices(licensee_id) if licensee_id else store.all_invoices()
        if statuses:
            found = [i for i in found if i.status.value in statuses]
        return sorted(found, key=lambda i: i.number)

    def statement(self, licensee_id: str) -> dict[str, Any]:
        """Everything billed and paid, what is owed, what is overdue and the credit held."""
        account = self.account(licensee_id)
        payments = sorted(self.ctx.store.payments(licensee_id), key=lambda p: (p.received_on, p.payment_id))
        return statement(account, self.invoices(licensee_id), payments, self.ctx.today())
