"""Billing use cases: fee schedules, the billing, overdue and renewal runs, payments, notices, settlement.

Each run takes the instant it stands for (from the scheduled event, or `--date` on the command line), so a
run for any day behaves as it would have on that day. Every write that must happen once is guarded by its
business key in the store (charge, notice, payment reference, settlement, late fee), and an account moves
on only in the transaction that issues its invoice: a retried event, a second run the same day, two runs at
once or a rerun after a crash never bills anything twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from itertools import pairwise
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.audit.model import AuditRecord
from chalicelib.billing import documents
from chalicelib.billing.model import (
    AccountPosition,
    AgreementWindow,
    BalanceChange,
    Cadence,
    Charge,
    DateRange,
    DeliveredSession,
    FeeChange,
    FeeItem,
    FeeKind,
    Invoice,
    InvoiceLine,
    LicensedUnits,
    Reminder,
    ReminderWhen,
    SuspensionAction,
    accrued_late_fee,
    allocate,
    as_billed,
    charges_between,
    draft_invoice,
    next_due_on,
    overdue_state,
    quantity_corrections,
    renewal_reminders_due,
    settlement,
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
    RunReport,
)
from chalicelib.billing.store import Batch, BillingStore, Contended, number_text
from chalicelib.core.clock import Clock, local_date
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.ids import new_id
from chalicelib.core.mailer import Mailer, OutboundMail
from chalicelib.core.money import ZERO, format_amount
from chalicelib.core.observability import logger
from chalicelib.licensing import model as licensing_model
from chalicelib.licensing.model import License, Party
from chalicelib.licensing.service import LicensingService
from chalicelib.metrics import BILLING_INVOICES, BILLING_NOTICES, BILLING_PAYMENTS, BILLING_RUN_FAILURES, MetricsSink

ONE_DAY = timedelta(days=1)


class SessionFact(Protocol):
    """A delivered training session as billing needs it: which one (bills it once), its day and its topics."""

    @property
    def session_id(self) -> str: ...
    @property
    def day(self) -> date: ...
    @property
    def topics(self) -> str: ...


class BillableSessions(Protocol):
    """Where billing reads delivered sessions for `per_session` fees (clause 3.3); the training area implements it.
    Billing never reads training's storage, and training never computes a charge."""

    def delivered_between(self, licensee_id: str, first: date, last: date) -> Sequence[SessionFact]: ...
ATTEMPTS = 8
ACTOR = "system:billing"
# The license changes billing follows (clauses 4.2, 10, 11.3); the others (keys, suspensions) cost nothing.
FOLLOWED = frozenset({"license.extended", "agreement.amended", "license.terminate"})

Progress = Callable[[int], None]


class BillingService:
    def __init__(self, store: BillingStore, licensing: LicensingService, mailer: Mailer, clock: Clock,
                 tz: ZoneInfo, metrics: MetricsSink, sender: str) -> None:
        self.store = store
        self.licensing = licensing
        self.mailer = mailer
        self.clock = clock
        self.tz = tz
        self.metrics = metrics
        self.sender = sender
        self._last_number: int | None = None
        self._numbers = threading.Lock()
        self._attempted: set[tuple[str, str]] = set()
        self._licensor: Party | None = None
        # Delivered training sessions for per_session fees; bootstrap sets it (the training area).
        self.sessions: BillableSessions | None = None

    # -- fee schedules (clauses 5.1, 5.3, 6.3, 8, 10) --------------------------------------------------------
    def account(self, licensee_id: str) -> Account:
        account = self.store.account(licensee_id)
        if account is None:
            self._license(licensee_id)
            raise NotFound(f"{licensee_id} has no fee schedule yet; set one with `./kefu fees set`.",
                           code="NO_FEE_SCHEDULE")
        return account

    def set_schedule(self, licensee_id: str, fee_items: Sequence[FeeItem], terms: AccountTerms | None,
                     actor: str) -> Account:
        """Attach (or replace) the fee schedule of the licensee's agreement. Periods already billed are not
        billed again: charges are claimed by business key; changed prices apply from the next charge."""
        lic = self._license(licensee_id)
        previous = self.store.account(licensee_id)
        items = tuple(fee_items)
        _check_items(items)
        self._check_sessions_billable(items)
        account = Account(
            licensee_id=licensee_id, agreement_id=lic.agreement.agreement_id, fee_items=items,
            terms=terms or (previous.terms if previous else AccountTerms()),
            billed_through=previous.billed_through if previous else None,
            credit=previous.credit if previous else ZERO,
            suspended_by_billing=previous.suspended_by_billing if previous else False,
            settled=previous.settled if previous else False,
            revision=(previous.revision if previous else 0) + 1,
            # the schedule is set knowing the license's terms as they are now
            terms_version=max(t.version for t in lic.terms))
        account = self._rescheduled(account, lic)
        batch = Batch()
        self.store.save_account(batch, account, previous)
        if self.store.renewal(licensee_id) is None:
            self.store.save_renewal(batch, licensee_id, self._renewal_next(lic, account, [], self._today()), [], None)
        batch.audits.append(self._audit(licensee_id, "billing.schedule_set", actor, {
            "fee_items": [i.id for i in items], "next_due": account.next_due}))
        self._commit(batch, "The fee schedule changed meanwhile; try again.")
        return account

    def add_fee_item(self, licensee_id: str, item: FeeItem, actor: str) -> Account:
        current = self.store.account(licensee_id)
        items = current.fee_items if current else ()
        if any(existing.id == item.id for existing in items):
            raise Conflict(f"Fee item {item.id} exists already; amend it instead.", code="FEE_ITEM_EXISTS")
        return self.set_schedule(licensee_id, (*items, item), None, actor)

    def set_terms(self, licensee_id: str, terms: AccountTerms, actor: str) -> Account:
        return self.set_schedule(licensee_id, self.account(licensee_id).fee_items, terms, actor)

    def amend_fee(self, licensee_id: str, fee_item_id: str, change: FeeChange, actor: str) -> Account:
        """Clause 10: a new price or quantity from a date. A period under way is prorated on both sides by the
        next billing run (a credit for the old terms, a charge for the new), even for a date already billed."""
        account = self.account(licensee_id)
        item = next((i for i in account.fee_items if i.id == fee_item_id), None)
        if item is None:
            raise NotFound(f"{licensee_id} has no fee item {fee_item_id}.", code="UNKNOWN_FEE_ITEM")
        try:
            amended = replace(item, changes=(*item.changes, change))
        except ValueError as exc:
            raise InvalidInput(str(exc), code="INVALID_AMENDMENT") from exc
        items = tuple(amended if i.id == fee_item_id else i for i in account.fee_items)
        if account.billed_through is not None and account.billed_through >= change.effective:
            # Bill the amendment's charges on the next run: they are due on its effective date.
            account = replace(account, billed_through=change.effective - ONE_DAY)
        lic = self._license(licensee_id)
        updated = self._rescheduled(replace(account, fee_items=items, revision=account.revision + 1), lic)
        batch = Batch()
        self.store.save_account(batch, updated, account)
        batch.audits.append(self._audit(licensee_id, "billing.fee_amended", actor, {
            "fee_item": fee_item_id, "effective": change.effective, "amount": change.amount,
            "quantity": change.quantity, "reason": change.reason}))
        self._commit(batch, "The fee schedule changed meanwhile; try again.")
        return updated

    def add_force_majeure(self, start: date, end: date, reason: str, actor: str,
                          licensee_id: str | None = None) -> ForceMajeure:
        """Clause 13.5: late fees do not accrue on these days (for one licensee, or for all)."""
        if end < start:
            raise InvalidInput("A force-majeure period cannot end before it starts.", code="INVALID_PERIOD")
        if not reason.strip():
            raise InvalidInput("Say what the force majeure was.", code="REASON_REQUIRED")
        if licensee_id is not None:
            self._license(licensee_id)
        period = ForceMajeure(new_id("fm"), DateRange(start, end), reason.strip(), licensee_id)
        self.store.add_force_majeure(period, self._audit(licensee_id or "all", "billing.force_majeure", actor,
                                                         period.as_dict()))
        return period

    def force_majeure(self) -> list[ForceMajeure]:
        return sorted(self.store.force_majeure(), key=lambda p: p.days.start)

    # -- the billing run (clause 5) ----------------------------------------------------------------------------
    def run_billing(self, now: datetime, *, dry_run: bool = False, progress: Progress | None = None,
                    on_start: Callable[[int], None] | None = None) -> RunReport:
        """Issue every invoice due by the Shanghai date of ``now``, for the accounts in the due-date index."""
        day = local_date(now, self.tz)
        self._licensor = None
        report = RunReport("billing", day, dry_run)
        due = list(self.store.due_accounts(day))
        report.looked_at = len(due)
        if on_start:
            on_start(len(due))
        for account in due:
            try:
                self._bill(account, day, report, dry_run)
            except Exception as exc:  # one account's failure must not stop the others; the next run retries it
                logger.exception("billing an account failed", extra={"licensee_id": account.licensee_id})
                self.metrics.count(BILLING_RUN_FAILURES, job="billing")
                report.errors.append({"licensee": account.licensee_id, "error": type(exc).__name__})
            if progress:
                progress(1)
        if not dry_run:
            report.notices += self.deliver_pending()
        return report

    def bill_now(self, licensee_id: str, now: datetime, *, dry_run: bool = False) -> RunReport:
        """Bill one account for the day of ``now`` whatever its next due date says: for a termination that
        should be settled at once, or after facts changed that the due-date index does not know about."""
        day = local_date(now, self.tz)
        account = self.account(licensee_id)
        report = RunReport("billing", day, dry_run, looked_at=1)
        self._bill(replace(account, next_due=day), day, report, dry_run)
        return report

    def _bill(self, account: Account, day: date, report: RunReport, dry_run: bool) -> None:
        lic = self._license(account.licensee_id, consistent=False)
        fresh = False
        for _ in range(ATTEMPTS):
            if fresh:
                reread = self.store.account(account.licensee_id)
                if reread is None:
                    return
                account = reread
                # The license may have changed too (its listener moves the account): read it as it is now.
                lic = self._license(account.licensee_id)
            if account.settled or account.next_due is None or account.next_due > day:
                return
            account = self._caught_up(account, lic)
            window, ends = _windows(lic)
            start = account.billed_through + ONE_DAY if account.billed_through else (window.start if window else day)
            items = self._fee_items(account, lic)
            charges = charges_between(items, window, start, day) if window and start <= day else []
            if (fresh or dry_run) and charges:
                claimed = self.store.charges_claimed(account.licensee_id, [_key(c) for c in charges])
                fixes: list[Charge] = []
                if claimed:  # billed before: bill only what an amendment of units changed since
                    fixes = quantity_corrections([c for c in charges if _key(c) in claimed],
                                                 self.store.invoiced_charges(account.licensee_id),
                                                 f"terms-v{account.terms_version}")
                charges = [c for c in charges if _key(c) not in claimed] + fixes
            charges += self._session_charges(account, items, window, day)
            after = self._rescheduled(replace(account, billed_through=day, revision=account.revision + 1), lic, day)
            if dry_run:
                if charges:
                    report.invoices.append(self._preview(account, lic, charges, day))
                return
            try:
                if charges:
                    issued, account = self._issue(account, after, lic, self._draft(account, lic, charges, day),
                                                  InvoiceKind.REGULAR, charges=charges)
                    report.invoices.append(issued.summary())
                elif after != account:
                    batch = Batch()
                    self.store.save_account(batch, after, account)
                    batch.commit()
                    account = after
                termination = licensing_model.termination(lic)
                if termination and termination.effective_date and termination.effective_date <= day \
                        and not account.settled:
                    report.invoices.append(self._settle(account, lic, termination.effective_date, ends, day).summary())
                return
            except Contended:
                fresh = True  # another run got there first, or the facts moved: look again
        raise Conflict(f"Could not bill {account.licensee_id}: it kept changing.", code="CONCURRENT_CHANGE")

    def _check_sessions_billable(self, items: Sequence[FeeItem]) -> None:
        """A `per_session` fee bills delivered training sessions: it is refused for any other kind of fee, and when
        nothing supplies sessions, rather than accepted and silently never billed."""
        for item in items:
            if item.cadence is not Cadence.PER_SESSION:
                continue
            if item.kind is not FeeKind.TRAINING:
                raise InvalidInput(f"Fee item {item.id}: only training is billed per session (clause 3.3); a "
                                   f"{item.kind.value} fee needs a periodic or one-off cadence.",
                                   code="PER_SESSION_NOT_BILLABLE")
            if self.sessions is None:
                raise InvalidInput(f"Fee item {item.id}: no training sessions can be read here, so a per_session fee "
                                   "would never bill.", code="PER_SESSION_NOT_BILLABLE")

    def _session_charges(self, account: Account, items: Sequence[FeeItem], window: AgreementWindow | None,
                         day: date) -> list[Charge]:
        """Charges for the delivered sessions of the agreement not billed yet, each once (claimed by session, like
        every charge, so a retried run bills nothing twice). Looked at from the agreement's start, not from the last
        billed day: a session is often marked delivered days after it was held."""
        per_session = [i for i in items if i.cadence is Cadence.PER_SESSION]
        if not per_session or window is None or self.sessions is None or day < window.start:
            return []
        delivered = []
        for fact in self.sessions.delivered_between(account.licensee_id, window.start, min(day, window.end)):
            covering = [i for i in per_session if i.start <= fact.day and (i.end is None or fact.day <= i.end)]
            if covering:  # the latest-starting training fee in force on the session's day bills it
                item = max(covering, key=lambda i: (i.start, i.id))
                delivered.append(DeliveredSession(item.id, fact.session_id, fact.day, fact.topics))
        charges = charges_between(per_session, window, window.start, day, delivered) if delivered else []
        if not charges:
            return []
        claimed = self.store.charges_claimed(account.licensee_id, [_key(c) for c in charges])
        return [c for c in charges if _key(c) not in claimed]

    def session_delivered(self, licensee_id: str, day: date) -> None:
        """Training tells billing a session was delivered: the account becomes due that day, so that the next run
        bills the session even when nothing else of the account is due."""
        for _ in range(ATTEMPTS):
            account = self.store.account(licensee_id)
            if account is None or account.settled or (account.next_due is not None and account.next_due <= day) \
                    or not any(i.cadence is Cadence.PER_SESSION for i in account.fee_items):
                return
            batch = Batch()
            self.store.save_account(batch, replace(account, next_due=day, revision=account.revision + 1), account)
            try:
                batch.commit()
                return
            except Contended:
                continue

    # -- following the license (clauses 4.2, 10, 11.3) -------------------------------------------------------
    def license_changed(self, licensee_id: str, action: str) -> None:
        """Listener on licensing, wired in bootstrap: after an extension, an amendment or a termination, put the
        account back on the due-date index for the day it matters (the termination's effective date, the
        amendment's, the first charge of the new period) and, for a termination effective today, settle at
        once. Amounts are never computed here: the run reads the license's facts when it bills, and a
        retried or repeated call changes nothing more."""
        if action not in FOLLOWED:
            return
        try:
            self._follow_license(licensee_id, action)
        except Exception:  # the run catches up by itself at the account's next due date
            logger.exception("following a license change failed", extra={"licensee_id": licensee_id,
                                                                         "action": action})
            self.metrics.count(BILLING_RUN_FAILURES, job="license-change")

    def _follow_license(self, licensee_id: str, action: str) -> None:
        for _ in range(ATTEMPTS):
            account = self.store.account(licensee_id)
            if account is None or account.settled:
                return
            lic = self._license(licensee_id)
            followed = self._rescheduled(self._caught_up(account, lic), lic)
            renewal = self.store.renewal(licensee_id) if action == "license.extended" else None
            if followed == account and renewal is None:
                break
            batch = Batch()
            if followed != account:
                self.store.save_account(batch, replace(followed, revision=account.revision + 1), account)
            if renewal is not None:  # reminders before the new end, even if the old end has passed
                sent, revision = renewal
                self.store.save_renewal(batch, licensee_id, self._renewal_next(lic, account, sent, self._today()),
                                        sent, revision)
            batch.audits.append(self._audit(licensee_id, "billing.license_followed", ACTOR, {
                "action": action, "terms_version": followed.terms_version,
                "billed_through": followed.billed_through, "next_due": followed.next_due}))
            try:
                batch.commit()
                break
            except Contended:
                continue  # a run or staff moved the account meanwhile: look again
        else:
            raise Conflict(f"Could not follow the license of {licensee_id}: it kept changing.",
                           code="CONCURRENT_CHANGE")
        termination = licensing_model.termination(lic)
        if action == "license.terminate" and termination and termination.effective_date \
                and termination.effective_date <= self._today():
            # Today's run has already gone by: settle now rather than tomorrow (clause 11.3).
            self.bill_now(licensee_id, self.clock.now())

    def _caught_up(self, account: Account, lic: License) -> Account:
        """The account with every version of the license's terms taken in: a version it has not seen that
        takes effect on a day already billed moves ``billed_through`` back to the day before, so the next run
        bills its credit and charge (the charges billed before are claimed and are not billed again)."""
        latest = max(t.version for t in lic.terms)
        if account.terms_version >= latest:
            return account
        billed = account.billed_through
        if billed is not None and any(i.per is not None for i in account.fee_items):

            def units(day: date) -> tuple[int, int]:
                terms = licensing_model.terms_on(lic, day)
                return terms.seats, len(terms.channels)

            # Only versions that change seats or channels move anything (not payment terms or the address).
            moved = [t.effective_date for t in lic.terms if t.version > account.terms_version
                     and units(t.effective_date) != units(t.effective_date - ONE_DAY)]
            billed = min([billed, *(day - ONE_DAY for day in moved)])
        return replace(account, billed_through=billed, terms_version=latest)

    def _fee_items(self, account: Account, lic: License) -> list[FeeItem]:
        """The fee items as the license makes them: quantities of per-seat and per-channel items follow its
        terms' versions, and days between a lapsed period and its extension are not billed."""
        licensed = [LicensedUnits(t.effective_date, terms.seats, len(terms.channels))
                    for t in lic.terms for terms in (licensing_model.terms_on(lic, t.effective_date),)]
        periods = sorted(lic.periods, key=lambda p: p.start)
        gaps = [DateRange(a.end + ONE_DAY, b.start - ONE_DAY) for a, b in pairwise(periods)
                if b.start > a.end + ONE_DAY]
        return [as_billed(item, licensed, gaps) for item in account.fee_items]

    def _preview(self, account: Account, lic: License, charges: list[Charge], day: date) -> dict[str, Any]:
        draft = self._draft(account, lic, charges, day)
        return {"number": None, "licensee": account.licensee_id, "period": str(_period(draft.lines)),
                "total": format_amount(draft.total), "status": "draft", "due_date": draft.due_date.isoformat(),
                "lines": [line.description for line in draft.lines]}

    def _draft(self, account: Account, lic: License, lines: Sequence[Charge | InvoiceLine], day: date) -> Invoice:
        terms = replace(account.terms.billing, net_days=licensing_model.terms_on(lic, day).payment_terms_days)
        currency = next((i.currency for i in account.fee_items), "CNY")
        return draft_invoice(account.agreement_id, lines, day, terms, currency)

    def _issue(self, before: Account, after: Account, lic: License, draft: Invoice, kind: InvoiceKind, *,
               charges: Sequence[Charge] = (), claim: str | None = None,
               also: Callable[[Batch], None] | None = None, note: str = "") -> tuple[IssuedInvoice, Account]:
        """Finalise a draft: number it, apply credit held, write it with its claims, its notice and the account
        in one transaction. Only a lost race for the number is retried here; any other lost race raises
        Contended for the caller to look at the facts again."""
        now = self.clock.now()
        balance, changes = draft.total, [BalanceChange(draft.issue_date, draft.total)]
        status = InvoiceStatus.OPEN
        credit = after.credit
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
        if kind is InvoiceKind.SETTLEMENT and draft.total < 0:
            status = InvoiceStatus.REFUND_DUE
        elif balance == 0:
            status = InvoiceStatus.CREDIT if draft.total < 0 else InvoiceStatus.PAID
        after = replace(after, credit=credit)
        recipient = licensing_model.terms_on(lic, draft.issue_date).notice_address
        for _ in range(ATTEMPTS):
            n = self._next_number()
            invoice = IssuedInvoice(
                number=number_text(n), licensee_id=before.licensee_id, agreement_id=before.agreement_id, kind=kind,
                issue_date=draft.issue_date, due_date=draft.due_date, currency=draft.currency,
                lines=tuple(_line_dict(line) for line in draft.lines), subtotal=draft.subtotal,
                tax_rate=draft.tax_rate, tax=draft.tax, total=draft.total, balance=balance, status=status,
                balance_changes=tuple(changes), issued_at=now, period=_period(draft.lines),
                paid_on=draft.issue_date if status is InvoiceStatus.PAID else None, note=note)
            # The notice keeps the text; the printable page is rendered from the invoice when it is sent.
            notice = Notice(f"invoice#{invoice.number}", before.licensee_id, NoticeKind.INVOICE, recipient,
                            f"{documents.KIND_TITLES[kind.value]} {invoice.number}", documents.invoice_text(invoice),
                            None, now)
            batch = Batch()
            self.store.add_invoice(batch, invoice, n)
            self.store.claim_charges(batch, before.licensee_id, charges, invoice.number)
            if claim:
                self.store.claim(batch, before.licensee_id, claim, invoice.number)
            self.store.save_account(batch, after, before)
            self.store.add_notice(batch, notice)
            if also:
                also(batch)
            batch.audits.append(self._audit(before.licensee_id, "invoice.issued", ACTOR, {
                "number": invoice.number, "kind": kind.value, "total": format_amount(invoice.total),
                "due_date": invoice.due_date}))
            try:
                batch.commit()
            except Contended as lost:
                if set(lost.failed) <= {"number", "transaction-conflict"}:
                    self._forget_number()
                    continue
                self._forget_number()
                raise
            self._took_number(n)
            self.metrics.count(BILLING_INVOICES, kind=kind.value)
            self._deliver(notice, self.invoice_page(invoice))
            return invoice, after
        raise Conflict("Could not take an invoice number: too many runs at once; try again.", code="CONCURRENT_CHANGE")

    # -- numbers: gapless, taken in the transaction that issues the invoice ----------------------------------
    def _next_number(self) -> int:
        with self._numbers:
            if self._last_number is None:
                self._last_number = self.store.last_number()
            return self._last_number + 1

    def _took_number(self, n: int) -> None:
        with self._numbers:
            self._last_number = n

    def _forget_number(self) -> None:
        with self._numbers:
            self._last_number = None

    # -- termination settlement (clause 11.3) ------------------------------------------------------------------
    def _settle(self, account: Account, lic: License, termination_date: date, window: AgreementWindow | None,
                day: date) -> IssuedInvoice:
        if window is None:
            window = AgreementWindow(lic.agreement.agreement_id, licensing_model.starts_on(lic),
                                     licensing_model.ends_on(lic))
        invoices = self.store.invoices(account.licensee_id)
        open_invoices = [i for i in invoices if i.status is InvoiceStatus.OPEN and i.balance > 0]
        pauses = self._pauses(account.licensee_id)
        rate = account.terms.billing.late_fee_rate_per_day
        late = {i.number: self._late_fee(i, day, rate, pauses) for i in open_invoices
                if i.kind is not InvoiceKind.LATE_FEE}
        terms = replace(account.terms.billing, net_days=licensing_model.terms_on(lic, day).payment_terms_days)
        invoiced = self.store.invoiced_charges(account.licensee_id)
        draft = settlement(self._fee_items(account, lic), window, termination_date, invoiced,
                           AccountPosition(tuple(i.as_open() for i in open_invoices), account.credit),
                           sum(late.values(), ZERO), terms=terms, issue_date=day)
        after = replace(account, credit=ZERO, settled=True, next_due=None, billed_through=day,
                        revision=account.revision + 1)

        def carry(batch: Batch) -> None:
            for invoice in open_invoices:
                self.store.update_invoice(batch, replace(
                    invoice, balance=ZERO, status=InvoiceStatus.SETTLED, revision=invoice.revision + 1,
                    late_fee_billed=invoice.late_fee_billed + late.get(invoice.number, ZERO), late_fee_through=day,
                    balance_changes=(*invoice.balance_changes, BalanceChange(day, -invoice.balance))))

        issued, _ = self._issue(account, after, lic, draft, InvoiceKind.SETTLEMENT,
                                claim=f"settlement#{account.agreement_id}", also=carry,
                                note=f"Final settlement: the agreement terminated on {termination_date.isoformat()}.")
        return issued

    # -- payments (clause 5.2) ----------------------------------------------------------------------------------
    def record_payment(self, licensee_id: str, method: PaymentMethod, reference: str, amount: Decimal,
                       received_on: date, actor: str) -> Payment:
        """Record money received: applied to the oldest open invoice first, any surplus kept as credit. The
        same reference twice is refused. Paying what is overdue past the grace lifts a suspension at once."""
        reference = reference.strip()
        if not reference or len(reference) > 100:
            raise InvalidInput("A payment needs its reference (1 to 100 characters).", code="INVALID_REFERENCE")
        if amount <= 0:
            raise InvalidInput("A payment amount must be more than zero.", code="INVALID_AMOUNT")
        if received_on > self._today():
            raise InvalidInput("A payment cannot be received in the future.", code="PAYMENT_IN_FUTURE")
        for _ in range(ATTEMPTS):
            account = self.account(licensee_id)
            if self.store.reference_used(licensee_id, method.value, reference):
                raise Conflict(f"A payment with reference {reference} is recorded already.",
                               code="DUPLICATE_PAYMENT_REFERENCE")
            open_invoices = {i.number: i for i in self.store.invoices(licensee_id)
                             if i.status is InvoiceStatus.OPEN and i.balance > 0}
            allocation = allocate(amount, [i.as_open() for i in open_invoices.values()])
            payment = Payment(new_id("pay"), licensee_id, method, reference, amount, received_on,
                              tuple((a.invoice_id, a.amount) for a in allocation.applied), allocation.credit,
                              self.clock.now(), actor)
            batch = Batch()
            self.store.add_payment(batch, payment)
            for application in allocation.applied:
                invoice = open_invoices[application.invoice_id]
                left = invoice.balance - application.amount
                self.store.update_invoice(batch, replace(
                    invoice, balance=left, status=InvoiceStatus.PAID if left == 0 else InvoiceStatus.OPEN,
                    paid_on=received_on if left == 0 else None, revision=invoice.revision + 1,
                    balance_changes=(*invoice.balance_changes, BalanceChange(received_on, -application.amount))))
            self.store.save_account(batch, replace(account, credit=account.credit + allocation.credit,
                                                   revision=account.revision + 1), account)
            batch.audits.append(self._audit(licensee_id, "payment.recorded", actor, payment.as_dict()))
            try:
                batch.commit()
            except Contended as lost:
                if "reference" in lost.failed:
                    raise Conflict(f"A payment with reference {reference} is recorded already.",
                                   code="DUPLICATE_PAYMENT_REFERENCE") from lost
                continue
            self.metrics.count(BILLING_PAYMENTS, method=method.value)
            self._reinstate_if_paid(licensee_id, self._today())
            return payment
        raise Conflict("The account kept changing while the payment was recorded; try again.",
                       code="CONCURRENT_CHANGE")

    def void_invoice(self, number: str, reason: str, actor: str) -> IssuedInvoice:
        """Void an invoice nothing was paid on. It keeps its number; its charges are billed again, with the
        facts as they are then, by the next billing run."""
        invoice = self.invoice(number)
        if invoice.status is not InvoiceStatus.OPEN or invoice.balance != invoice.total \
                or invoice.kind is not InvoiceKind.REGULAR:
            raise Conflict("Only an open regular invoice with nothing paid on it can be voided.",
                           code="CANNOT_VOID")
        if not reason.strip():
            raise InvalidInput("Say why the invoice is voided.", code="REASON_REQUIRED")
        account = self.account(invoice.licensee_id)
        charges = [c for c in self.store.invoiced_charges(invoice.licensee_id)
                   if c.key.agreement_id == invoice.agreement_id]
        mine = self.store.charge_claims_of(invoice.licensee_id, invoice.number)
        voided = replace(invoice, status=InvoiceStatus.VOID, balance=ZERO, revision=invoice.revision + 1,
                         note=f"Void: {reason.strip()}",
                         balance_changes=(*invoice.balance_changes, BalanceChange(self._today(), -invoice.total)))
        earliest = min((c.due_on for c in charges if _key(c) in mine), default=None)
        after = account
        if earliest is not None:
            billed = account.billed_through
            after = replace(account, revision=account.revision + 1,
                            billed_through=min(billed, earliest - ONE_DAY) if billed else None,
                            next_due=min(account.next_due, earliest) if account.next_due else earliest)
        batch = Batch()
        self.store.update_invoice(batch, voided)
        for key in mine:
            self.store.release_charge(batch, invoice.licensee_id, key)
        if after is not account:
            self.store.save_account(batch, after, account)
        batch.audits.append(self._audit(invoice.licensee_id, "invoice.voided", actor,
                                        {"number": number, "reason": reason.strip()}))
        self._commit(batch, "The invoice changed meanwhile; try again.")
        return voided

    # -- the overdue run (clauses 8, 13.5) ------------------------------------------------------------------
    def run_overdue(self, now: datetime, *, dry_run: bool = False) -> RunReport:
        """Reminders before and after due dates, late fees billed on settlement and at each month's close,
        suspension after the grace days and reinstatement once paid."""
        day = local_date(now, self.tz)
        self._licensor = None
        report = RunReport("overdue", day, dry_run)
        for invoice in self.store.paid_late():
            self._guard(report, "overdue", invoice.licensee_id, partial(
                self._bill_late_fee, invoice, invoice.paid_on or day, day, report, dry_run))
        grouped = self.store.open_invoices_by_licensee()
        licensees = sorted(set(grouped) | set(self.store.suspended_licensees()))
        report.looked_at = len(licensees)
        for licensee_id in licensees:
            self._guard(report, "overdue", licensee_id, partial(self._overdue, licensee_id, day, report, dry_run))
        if not dry_run:
            report.notices += self.deliver_pending()
        return report

    def _overdue(self, licensee_id: str, day: date, report: RunReport, dry_run: bool) -> None:
        account = self.store.account(licensee_id)
        if account is None:
            return
        month_closed = day.replace(day=1) - ONE_DAY
        for invoice in self._open(licensee_id):
            if invoice.kind is not InvoiceKind.LATE_FEE and invoice.due_date < month_closed \
                    and (invoice.late_fee_through or invoice.due_date) < month_closed:
                self._bill_late_fee(invoice, month_closed, day, report, dry_run)
        open_invoices = self._open(licensee_id)
        sent = {_reminder(n.key) for n in self.store.notices(licensee_id, "reminder#")}
        state = overdue_state([i.as_open() for i in open_invoices], day, account.terms.billing,
                              reminders_sent=sent, suspended=account.suspended_by_billing,
                              pauses=self._pauses(licensee_id))
        by_number = {i.number: i for i in open_invoices}
        for reminder in state.reminders_due:
            if dry_run:
                report.notices += 1
                continue
            subject, text = documents.reminder_text(by_number[reminder.invoice_id], reminder.when.value, reminder.days)
            if self._notify(licensee_id, NoticeKind.REMINDER,
                            f"reminder#{reminder.invoice_id}#{reminder.when.value}#{reminder.days}", subject, text):
                report.notices += 1
        if state.action is SuspensionAction.SUSPEND:
            report.suspended.append(licensee_id)
            if not dry_run:
                self._suspend(account, state.amount_to_reinstate, state.suspended_from)
        elif state.action is SuspensionAction.REINSTATE:
            report.reinstated.append(licensee_id)
            if not dry_run:
                self._reinstate_if_paid(licensee_id, day)

    def _open(self, licensee_id: str) -> list[IssuedInvoice]:
        return [i for i in self.store.invoices(licensee_id) if i.status is InvoiceStatus.OPEN and i.balance > 0]

    def _bill_late_fee(self, invoice: IssuedInvoice, through: date, day: date, report: RunReport,
                       dry_run: bool) -> None:
        """Bill the late fee accrued on ``invoice`` up to ``through`` as its own invoice; the original invoice's
        amounts never change (only what has been billed of its late fee is noted on it)."""
        account = self.account(invoice.licensee_id)
        fee = self._late_fee(invoice, through, account.terms.billing.late_fee_rate_per_day,
                             self._pauses(invoice.licensee_id))
        marked = replace(invoice, late_fee_billed=invoice.late_fee_billed + max(fee, ZERO), late_fee_through=through,
                         revision=invoice.revision + 1)
        if dry_run:
            if fee > 0:
                report.invoices.append({"number": None, "licensee": invoice.licensee_id, "period": None,
                                        "total": format_amount(fee), "status": "draft", "due_date": None,
                                        "lines": [f"Late fee on {invoice.number}"]})
            return
        if fee <= 0:
            batch = Batch()
            self.store.update_invoice(batch, marked)
            batch.commit()
            return
        lic = self._license(invoice.licensee_id)
        since = (invoice.late_fee_through or invoice.due_date) + ONE_DAY
        line = InvoiceLine(f"Late fee on invoice {invoice.number} (due {invoice.due_date.isoformat()}), "
                           f"{since.isoformat()}–{through.isoformat()} at "
                           f"{account.terms.billing.late_fee_rate_per_day} per day (clause 8)",
                           fee, period=DateRange(since, through), unit_amount=fee, taxable=False)
        draft = self._draft(account, lic, [line], day)
        issued, _ = self._issue(account, replace(account, revision=account.revision + 1), lic, draft,
                             InvoiceKind.LATE_FEE, claim=f"latefee#{invoice.number}#{through.isoformat()}",
                             also=lambda batch: self.store.update_invoice(batch, marked))
        report.invoices.append(issued.summary())

    def _late_fee(self, invoice: IssuedInvoice, through: date, rate: Decimal, pauses: list[DateRange]) -> Decimal:
        if through <= invoice.due_date:
            return ZERO
        accrued = accrued_late_fee(invoice.balance_changes, invoice.due_date, through, rate, pauses)
        return accrued - invoice.late_fee_billed

    def _pauses(self, licensee_id: str) -> list[DateRange]:
        return [p.days for p in self.store.force_majeure() if p.licensee_id in (None, licensee_id)]

    def _suspend(self, account: Account, amount: Decimal, since: date | None) -> None:
        try:
            self.licensing.suspend(account.licensee_id, "late payment (clause 8)", ACTOR)
        except Conflict as exc:
            if exc.code != "ALREADY_SUSPENDED":
                raise
        batch = Batch()
        self.store.save_account(batch, replace(account, suspended_by_billing=True, revision=account.revision + 1),
                                account)
        batch.commit()
        subject, text = documents.suspension_text(amount, "CNY", since)
        self._notify(account.licensee_id, NoticeKind.SUSPENSION, f"suspension#{self.clock.now().isoformat()}",
                     subject, text)

    def _reinstate_if_paid(self, licensee_id: str, day: date) -> bool:
        account = self.store.account(licensee_id)
        if account is None or not account.suspended_by_billing:
            return False
        state = overdue_state([i.as_open() for i in self._open(licensee_id)], day, account.terms.billing,
                              reminders_sent=(), suspended=True)
        if state.action is not SuspensionAction.REINSTATE:
            return False
        try:
            self.licensing.reinstate(licensee_id, "overdue invoices paid (clause 8)", ACTOR)
        except Conflict as exc:
            if exc.code not in ("NOT_SUSPENDED", "TERMINATED"):
                raise
        batch = Batch()
        self.store.save_account(batch, replace(account, suspended_by_billing=False, revision=account.revision + 1),
                                account)
        batch.commit()
        subject, text = documents.reinstatement_text()
        self._notify(licensee_id, NoticeKind.REINSTATEMENT, f"reinstatement#{self.clock.now().isoformat()}",
                     subject, text)
        return True

    # -- the renewal run (clause 4.2) ----------------------------------------------------------------------------
    def run_renewals(self, now: datetime, *, dry_run: bool = False) -> RunReport:
        """Reminders before the agreement ends (60, 30 and 7 days by default), each once. A run that missed
        reminders sends only the nearest one, not a burst of stale ones."""
        day = local_date(now, self.tz)
        self._licensor = None
        report = RunReport("renewal", day, dry_run)
        for licensee_id, sent, revision in self.store.renewals_due(day):
            report.looked_at += 1
            self._guard(report, "renewal", licensee_id,
                        partial(self._renew, licensee_id, sent, revision, day, report, dry_run))
        if not dry_run:
            report.notices += self.deliver_pending()
        return report

    def _renew(self, licensee_id: str, sent: list[str], revision: int, day: date, report: RunReport,
               dry_run: bool) -> None:
        lic = self.licensing.store.load(licensee_id)
        account = self.store.account(licensee_id)
        if lic is None or account is None:
            return
        end = licensing_model.ends_on(lic)
        already = [int(s.split("#")[1]) for s in sent if s.startswith(f"{end.isoformat()}#")]
        due = [] if licensing_model.termination(lic) else renewal_reminders_due(
            end, day, account.terms.renewal_reminder_days, already)
        if dry_run:
            report.notices += min(len(due), 1)
            return
        if due:
            days = min(due)  # the nearest; the ones a missed run skipped are recorded as passed
            subject, text = documents.renewal_text(end, (end - day).days)
            self._notify(licensee_id, NoticeKind.RENEWAL, f"renewal#{end.isoformat()}#{days}", subject, text)
            report.notices += 1
            sent = [*sent, *(f"{end.isoformat()}#{d}" for d in due)]
        batch = Batch()
        self.store.save_renewal(batch, licensee_id, self._renewal_next(lic, account, sent, day), sent, revision)
        batch.commit()

    def _renewal_next(self, lic: License, account: Account, sent: list[str], day: date) -> date | None:
        if licensing_model.termination(lic):
            return None
        end = licensing_model.ends_on(lic)
        if day > end:
            return None
        upcoming = [end - timedelta(days=d) for d in account.terms.renewal_reminder_days
                    if f"{end.isoformat()}#{d}" not in sent and end - timedelta(days=d) > day]
        # After the last reminder, look once more the day after the end, in case the agreement was extended.
        return max(min(upcoming, default=end + ONE_DAY), day)

    # -- notices (clause 13.1) ---------------------------------------------------------------------------------
    def send_notice(self, licensee_id: str, kind: NoticeKind, key: str, subject: str, text: str) -> bool:
        """Another area's notice (a training session) through the same record, delivery and retry as billing's own;
        False when one under this key was recorded before."""
        return self._notify(licensee_id, kind, key, subject, text)

    def _notify(self, licensee_id: str, kind: NoticeKind, key: str, subject: str, text: str,
                html: str | None = None) -> bool:
        """Record a notice under its business key and send it; False when it was recorded before."""
        lic = self._license(licensee_id)
        recipient = licensing_model.terms_on(lic, self._today()).notice_address
        notice = Notice(key, licensee_id, kind, recipient, subject, text, html, self.clock.now())
        batch = Batch()
        self.store.add_notice(batch, notice)
        batch.audits.append(self._audit(licensee_id, f"notice.{kind.value}", ACTOR, {"key": key}))
        try:
            batch.commit()
        except Contended:
            return False
        self._deliver(notice)
        return True

    def _deliver(self, notice: Notice, html: str | None = None) -> Notice:
        self._attempted.add((notice.licensee_id, notice.key))
        try:
            if html is None and notice.kind is NoticeKind.INVOICE:
                html = self.invoice_page(self.own_invoice(notice.licensee_id, notice.key.split("#", 1)[1]))
            sent = self.mailer.send(OutboundMail(
                sender=self.sender, to=(notice.recipient,), subject=notice.subject, text=notice.text,
                html=html or notice.html, headers=(("Auto-Submitted", "auto-generated"),),
                tags=(("licensee", notice.licensee_id), ("kind", notice.kind.value))))
            done = replace(notice, delivery=Delivery.SENT, attempts=notice.attempts + 1, sent_at=self.clock.now(),
                           message_id=sent.message_id, error=None)
        except Exception as exc:  # the notice stays queued and the next run tries again
            logger.warning("notice delivery failed", extra={"licensee_id": notice.licensee_id,
                                                            "kind": notice.kind.value, "error": type(exc).__name__})
            done = replace(notice, delivery=Delivery.FAILED, attempts=notice.attempts + 1, error=type(exc).__name__)
        self.store.mark_notice(done)
        self.metrics.count(BILLING_NOTICES, kind=notice.kind.value, delivery=done.delivery.value)
        return done

    def deliver_pending(self) -> int:
        """Send every notice recorded but not delivered (a crash between recording and sending, a mail outage)."""
        attempted, self._attempted = self._attempted, set()  # not twice in one run: the next run tries again
        return sum(1 for notice in self.store.pending_notices()
                   if (notice.licensee_id, notice.key) not in attempted
                   and self._deliver(notice).delivery is Delivery.SENT)

    def notices(self, licensee_id: str) -> list[Notice]:
        return sorted(self.store.notices(licensee_id), key=lambda n: n.created_at)

    # -- reading ---------------------------------------------------------------------------------------------
    def invoice(self, number: str) -> IssuedInvoice:
        invoice = self.store.invoice_by_number(number.strip().upper())
        if invoice is None:
            raise NotFound(f"No invoice {number}.", code="UNKNOWN_INVOICE")
        return invoice

    def own_invoice(self, licensee_id: str, number: str) -> IssuedInvoice:
        """An invoice of this licensee; another licensee's invoice is as unknown as a missing one."""
        invoice = self.store.invoice(licensee_id, number.strip().upper())
        if invoice is None:
            raise NotFound(f"No invoice {number}.", code="UNKNOWN_INVOICE")
        return invoice

    def invoice_page(self, invoice: IssuedInvoice) -> str:
        if self._licensor is None:
            self._licensor = self.licensing.licensor()  # read once per run, not once per invoice
        return documents.invoice_html(invoice, self._licensor, self.licensing.store.licensee(invoice.licensee_id))

    def invoices(self, licensee_id: str | None = None, statuses: Sequence[str] = ()) -> list[IssuedInvoice]:
        found = self.store.invoices(licensee_id) if licensee_id else self.store.all_invoices()
        if statuses:
            found = [i for i in found if i.status.value in statuses]
        return sorted(found, key=lambda i: i.number)

    def statement(self, licensee_id: str) -> dict[str, Any]:
        """Everything billed and paid, what is owed, what is overdue and the credit held."""
        account = self.account(licensee_id)
        invoices = self.invoices(licensee_id)
        payments = sorted(self.store.payments(licensee_id), key=lambda p: (p.received_on, p.payment_id))
        today = self._today()
        owed = sum((i.balance for i in invoices if i.status is InvoiceStatus.OPEN), ZERO)
        overdue = sum((i.balance for i in invoices if i.status is InvoiceStatus.OPEN and i.due_date < today), ZERO)
        return {"licensee": licensee_id, "agreement_id": account.agreement_id, "as_of": today.isoformat(),
                "invoices": [i.summary() for i in invoices], "payments": [p.as_dict() for p in payments],
                "billed": format_amount(sum((i.total for i in invoices if i.status is not InvoiceStatus.VOID), ZERO)),
                "paid": format_amount(sum((p.amount for p in payments), ZERO)),
                "owed": format_amount(owed), "overdue": format_amount(overdue),
                "credit": format_amount(account.credit), "suspended_for_late_payment": account.suspended_by_billing,
                "billed_through": account.billed_through.isoformat() if account.billed_through else None,
                "next_due": account.next_due.isoformat() if account.next_due else None}

    # -- internals -------------------------------------------------------------------------------------------
    def _rescheduled(self, account: Account, lic: License, after: date | None = None) -> Account:
        """The account with its next due date, which puts it in (or takes it out of) the billing run's index."""
        if account.settled:
            return replace(account, next_due=None)
        window, _ = _windows(lic)
        last_billed = after or account.billed_through
        if last_billed is None:
            last_billed = (window.start if window else licensing_model.starts_on(lic)) - ONE_DAY
        candidates: list[date] = []
        if window is not None:
            due = next_due_on(self._fee_items(account, lic), window, last_billed)
            if due is not None:
                candidates.append(due)
            elif last_billed < window.end + ONE_DAY:
                candidates.append(window.end + ONE_DAY)  # look again then, in case the agreement is extended
        termination = licensing_model.termination(lic)
        if termination and termination.effective_date:
            candidates.append(max(termination.effective_date, last_billed + ONE_DAY))
        return replace(account, next_due=min(candidates) if candidates else None)

    def _guard(self, report: RunReport, job: str, licensee_id: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as exc:  # one licensee's failure must not stop the run; the next run retries
            logger.exception("scheduled work failed", extra={"job": job, "licensee_id": licensee_id})
            self.metrics.count(BILLING_RUN_FAILURES, job=job)
            report.errors.append({"licensee": licensee_id, "error": type(exc).__name__})

    def _license(self, licensee_id: str, *, consistent: bool = True) -> License:
        lic = self.licensing.store.load(licensee_id, consistent=consistent)
        if lic is None:
            if self.licensing.store.licensee(licensee_id) is None:
                raise NotFound(f"No licensee {licensee_id}.", code="UNKNOWN_LICENSEE")
            raise NotFound(f"{licensee_id} has not signed an agreement yet.", code="NO_AGREEMENT")
        return lic

    def _commit(self, batch: Batch, message: str) -> None:
        try:
            batch.commit()
        except Contended as lost:
            raise Conflict(message, code="CONCURRENT_CHANGE") from lost

    def _today(self) -> date:
        return local_date(self.clock.now(), self.tz)

    def _audit(self, licensee_id: str, action: str, actor: str, details: dict[str, Any]) -> AuditRecord:
        return AuditRecord(subject=f"licensee:{licensee_id}", action=action, actor=actor, at=self.clock.now(),
                           details=details)


def _windows(lic: License) -> tuple[AgreementWindow | None, AgreementWindow]:
    """The days to bill (cut by a termination) and the agreement's full window."""
    start, end = licensing_model.starts_on(lic), licensing_model.ends_on(lic)
    full = AgreementWindow(lic.agreement.agreement_id, start, end)
    termination = licensing_model.termination(lic)
    if termination is None or termination.effective_date is None or termination.effective_date > end:
        return full, full
    if termination.effective_date <= start:
        return None, full
    return AgreementWindow(lic.agreement.agreement_id, start, termination.effective_date - ONE_DAY), full


def _check_items(items: Sequence[FeeItem]) -> None:
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise InvalidInput("Each fee item needs its own id.", code="DUPLICATE_FEE_ITEM")
    if len({i.currency for i in items}) > 1:
        raise InvalidInput("The fee items of one agreement must share a currency.", code="MIXED_CURRENCIES")


def _key(charge: Charge) -> str:
    from chalicelib.billing.records import charge_key_text

    return charge_key_text(charge)


def _reminder(key: str) -> Reminder:
    _, number, when, days = key.split("#")
    return Reminder(number, ReminderWhen(when), int(days))


def _line_dict(line: InvoiceLine) -> dict[str, Any]:
    return {"description": line.description, "amount": str(line.amount), "fee_item_id": line.fee_item_id,
            "period": str(line.period) if line.period else None, "quantity": line.quantity,
            "unit_amount": str(line.unit_amount) if line.unit_amount is not None else None, "taxable": line.taxable}


def _period(lines: Sequence[InvoiceLine]) -> DateRange | None:
    periods = [line.period for line in lines if line.period is not None]
    if not periods:
        return None
    return DateRange(min(p.start for p in periods), max(p.end for p in periods))
