"""The billing run (clause 5) and billing that follows the license (clauses 4.2, 10, 11.3).

A run takes the instant it stands for (from the scheduled event, or `--date` on the command line), so a run for
any day behaves as it would have on that day. Every write that must happen once is guarded by its business key
in the store, and an account moves on only in the transaction that issues its invoice: a retried event, a second
run the same day, two runs at once or a rerun after a crash never bills anything twice. A run whose invocation
runs short of time stops between two accounts and hands on a cursor; the next invocation continues after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime

from chalicelib.adapters.dynamodb import Batch, Contended
from chalicelib.billing.charges import Charge, charges_between, key_text, quantity_corrections
from chalicelib.billing.context import ACTOR, ATTEMPTS, ONE_DAY, Context, within
from chalicelib.billing.facts import LicenseFacts, caught_up, renewal_next, rescheduled
from chalicelib.billing.fees import Cadence, DeliveredSession, FeeItem
from chalicelib.billing.invoices import InvoiceKind
from chalicelib.billing.issuing import Issuer
from chalicelib.billing.model import Account, RunReport
from chalicelib.billing.notices import Notices
from chalicelib.billing.periods import AgreementWindow
from chalicelib.core.budget import Budget
from chalicelib.core.clock import local_date
from chalicelib.core.errors import Conflict
from chalicelib.core.observability import logger
from chalicelib.licensing.events import AgreementAmended, LicenseChanged, LicenseExtended, LicenseTerminated
from chalicelib.metrics import BILLING_RUN_FAILURES

Progress = Callable[[int], None]
# The license changes billing follows (clauses 4.2, 10, 11.3); the others (keys, suspensions) cost nothing.
FOLLOWED = (LicenseExtended, AgreementAmended, LicenseTerminated)


class BillingRun:
    def __init__(self, ctx: Context, issuer: Issuer, notices: Notices) -> None:
        self.ctx = ctx
        self.issuer = issuer
        self.notices = notices

    def run(self, now: datetime, *, dry_run: bool = False, progress: Progress | None = None,
            on_start: Callable[[int], None] | None = None, budget: Budget | None = None,
            cursor: str | None = None) -> RunReport:
        """Issue every invoice due by the Shanghai date of ``now``, for the accounts in the due-date index
        (after ``cursor``, when this continues a run that ran short of time)."""
        day = local_date(now, self.ctx.tz)
        self.notices.start_run()
        report = RunReport("billing", day, dry_run)
        store = self.ctx.store
        due: Iterable[Account] = store.due_accounts(day, after=cursor)  # page by page, as the run goes
        if on_start:
            due = list(due)
            on_start(len(due))
        for account in within(budget, report, due, store.due_position):
            report.looked_at += 1
            try:
                self._bill(account, day, report, dry_run)
            except Exception as exc:  # one account's failure must not stop the others; the next run retries it
                logger.exception("billing an account failed", extra={"licensee_id": account.licensee_id})
                self.ctx.metrics.count(BILLING_RUN_FAILURES, job="billing")
                report.errors.append({"licensee": account.licensee_id, "error": type(exc).__name__})
            if progress:
                progress(1)
        if not dry_run and report.cursor is None:
            report.notices += self.notices.deliver_pending()
        return report

    def bill_now(self, licensee_id: str, now: datetime, *, dry_run: bool = False) -> RunReport:
        """Bill one account for the day of ``now`` whatever its next due date says: for a termination that
        should be settled at once, or after facts changed that the due-date index does not know about."""
        day = local_date(now, self.ctx.tz)
        account = self.ctx.account(licensee_id)
        report = RunReport("billing", day, dry_run, looked_at=1)
        self._bill(replace(account, next_due=day), day, report, dry_run)
        return report

    def _bill(self, account: Account, day: date, report: RunReport, dry_run: bool) -> None:
        store = self.ctx.store
        facts = self.ctx.facts(account.licensee_id, consistent=False)
        fresh = False
        for _ in range(ATTEMPTS):
            if fresh:
                reread = store.account(account.licensee_id)
                if reread is None:
                    return
                account = reread
                # The license may have changed too (its listener moves the account): read it as it is now.
                facts = self.ctx.facts(account.licensee_id)
            if account.settled or account.next_due is None or account.next_due > day:
                return
            account = caught_up(account, facts)
            window = facts.billable
            start = account.billed_through + ONE_DAY if account.billed_through else (window.start if window else day)
            items = facts.fee_items(account.fee_items)
            charges = charges_between(items, window, start, day) if window and start <= day else []
            if (fresh or dry_run) and charges:
                charges = self._not_billed_yet(account, charges)
            charges += self._session_charges(account, items, window, day)
            after = rescheduled(replace(account, billed_through=day, revision=account.revision + 1), facts, day, items)
            if dry_run:
                if charges:
                    report.invoices.append(self.issuer.preview(account, facts, charges, day))
                return
            try:
                if charges:
                    issued, account = self.issuer.issue(account, after, facts,
                                                        self.issuer.draft(account, facts, charges, day),
                                                        InvoiceKind.REGULAR, charges=charges)
                    report.invoices.append(issued.summary())
                elif after != account:
                    batch = Batch()
                    store.save_account(batch, after, account)
                    batch.commit()
                    account = after
                ended = facts.terminated_on
                if ended is not None and ended <= day and not account.settled:
                    report.invoices.append(self.issuer.settle(account, facts, ended, day).summary())
                return
            except Contended:
                fresh = True  # another run got there first, or the facts moved: look again
        raise Conflict(f"Could not bill {account.licensee_id}: it kept changing.", code="CONCURRENT_CHANGE")

    def _not_billed_yet(self, account: Account, charges: list[Charge]) -> list[Charge]:
        """The charges not claimed by an invoice yet, and for those that were, what an amendment of units
        changed since (billed as corrections)."""
        store = self.ctx.store
        claimed = store.charges_claimed(account.licensee_id, [key_text(c) for c in charges])
        fixes: list[Charge] = []
        if claimed:
            fixes = quantity_corrections([c for c in charges if key_text(c) in claimed],
                                         store.invoiced_charges(account.licensee_id),
                                         f"terms-v{account.terms_version}")
        return [c for c in charges if key_text(c) not in claimed] + fixes

    def _session_charges(self, account: Account, items: Sequence[FeeItem], window: AgreementWindow | None,
                         day: date) -> list[Charge]:
        """Charges for the delivered sessions of the agreement not billed yet, each once (claimed by session, like
        every charge, so a retried run bills nothing twice). Looked at from the agreement's start, not from the last
        billed day: a session is often marked delivered days after it was held."""
        sessions = self.ctx.sessions
        per_session = [i for i in items if i.cadence is Cadence.PER_SESSION]
        if not per_session or window is None or sessions is None or day < window.start:
            return []
        delivered = []
        for fact in sessions.delivered_between(account.licensee_id, window.start, min(day, window.end)):
            covering = [i for i in per_session if i.start <= fact.day and (i.end is None or fact.day <= i.end)]
            if covering:  # the latest-starting training fee in force on the session's day bills it
                item = max(covering, key=lambda i: (i.start, i.id))
                delivered.append(DeliveredSession(item.id, fact.session_id, fact.day, fact.topics))
        charges = charges_between(per_session, window, window.start, day, delivered) if delivered else []
        if not charges:
            return []
        claimed = self.ctx.store.charges_claimed(account.licensee_id, [key_text(c) for c in charges])
        return [c for c in charges if key_text(c) not in claimed]

    def session_delivered(self, licensee_id: str, day: date) -> None:
        """Training tells billing a session was delivered: the account becomes due that day, so that the next run
        bills the session even when nothing else of the account is due."""
        store = self.ctx.store
        for _ in range(ATTEMPTS):
            account = store.account(licensee_id)
            if account is None or account.settled or (account.next_due is not None and account.next_due <= day) \
                    or not any(i.cadence is Cadence.PER_SESSION for i in account.fee_items):
                return
            batch = Batch()
            store.save_account(batch, replace(account, next_due=day, revision=account.revision + 1), account)
            try:
                batch.commit()
                return
            except Contended:
                continue

    # -- following the license (clauses 4.2, 10, 11.3) -------------------------------------------------------
    def license_changed(self, event: LicenseChanged) -> None:
        """Listener on licensing, wired in bootstrap: after an extension, an amendment or a termination, put the
        account back on the due-date index for the day it matters (the termination's effective date, the
        amendment's, the first charge of the new period) and, for a termination effective today, settle at
        once. Amounts are never computed here: the run reads the license's facts when it bills, and a
        retried or repeated call changes nothing more."""
        if not isinstance(event, FOLLOWED):
            return
        try:
            self._follow(event)
        except Exception:  # the run catches up by itself at the account's next due date
            logger.exception("following a license change failed", extra={"licensee_id": event.licensee_id,
                                                                         "action": event.action})
            self.ctx.metrics.count(BILLING_RUN_FAILURES, job="license-change")

    def _follow(self, event: LicenseChanged) -> None:
        store, licensee_id = self.ctx.store, event.licensee_id
        facts: LicenseFacts | None = None
        for _ in range(ATTEMPTS):
            account = store.account(licensee_id)
            if account is None or account.settled:
                return
            facts = self.ctx.facts(licensee_id)
            followed = rescheduled(caught_up(account, facts), facts)
            renewal = store.renewal(licensee_id) if isinstance(event, LicenseExtended) else None
            if followed == account and renewal is None:
                break
            batch = Batch()
            if followed != account:
                store.save_account(batch, replace(followed, revision=account.revision + 1), account)
            if renewal is not None:  # reminders before the new end, even if the old end has passed
                sent, revision = renewal
                store.save_renewal(batch, licensee_id, renewal_next(facts, account.terms.renewal_reminder_days, sent,
                                                                    self.ctx.today()), sent, revision)
            self.ctx.audit(batch, licensee_id, "billing.license_followed", ACTOR, {
                "action": event.action, "terms_version": followed.terms_version,
                "billed_through": followed.billed_through, "next_due": followed.next_due})
            try:
                batch.commit()
                break
            except Contended:
                continue  # a run or staff moved the account meanwhile: look again
        else:
            raise Conflict(f"Could not follow the license of {licensee_id}: it kept changing.",
                           code="CONCURRENT_CHANGE")
        if isinstance(event, LicenseTerminated) and facts is not None and facts.terminated_on is not None \
                and facts.terminated_on <= self.ctx.today():
            # Today's run has already gone by: settle now rather than tomorrow (clause 11.3).
            self.bill_now(licensee_id, self.ctx.clock.now())
