"""The renewal run (clause 4.2): reminders before the agreement ends (60, 30 and 7 days by default), each once.
A run that missed reminders sends only the nearest one, not a burst of stale ones."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from chalicelib.adapters.dynamodb import Batch
from chalicelib.billing import documents
from chalicelib.billing.context import Context, within
from chalicelib.billing.facts import renewal_next
from chalicelib.billing.model import NoticeKind, RunReport
from chalicelib.billing.notices import Notices
from chalicelib.billing.overdue import renewal_reminders_due
from chalicelib.core.budget import Budget
from chalicelib.core.clock import local_date
from chalicelib.core.errors import NotFound


class RenewalRun:
    def __init__(self, ctx: Context, notices: Notices) -> None:
        self.ctx = ctx
        self.notices = notices

    def run(self, now: datetime, *, dry_run: bool = False, budget: Budget | None = None,
            cursor: str | None = None) -> RunReport:
        """Renewal reminders due on the Shanghai date of ``now`` (for licensees after ``cursor``, when this
        continues a run that ran short of time)."""
        day = local_date(now, self.ctx.tz)
        self.notices.start_run()
        report = RunReport("renewal", day, dry_run)
        due = sorted((entry for entry in self.ctx.store.renewals_due(day) if entry[0] > (cursor or "")),
                     key=lambda entry: entry[0])
        for licensee_id, sent, revision in within(budget, report, due, lambda entry: entry[0]):
            report.looked_at += 1
            self.ctx.guard(report, "renewal", licensee_id,
                           partial(self._renew, licensee_id, sent, revision, day, report, dry_run))
        if not dry_run and report.cursor is None:
            report.notices += self.notices.deliver_pending()
        return report

    def _renew(self, licensee_id: str, sent: list[str], revision: int, day: date, report: RunReport,
               dry_run: bool) -> None:
        try:
            facts = self.ctx.facts(licensee_id)
        except NotFound:
            return
        account = self.ctx.store.account(licensee_id)
        if account is None:
            return
        end = facts.window.end
        already = [int(s.split("#")[1]) for s in sent if s.startswith(f"{end.isoformat()}#")]
        due = [] if facts.terminated else renewal_reminders_due(end, day, account.terms.renewal_reminder_days,
                                                                already)
        if dry_run:
            report.notices += min(len(due), 1)
            return
        if due:
            days = min(due)  # the nearest; the ones a missed run skipped are recorded as passed
            subject, text = documents.renewal_text(end, (end - day).days, self.notices.language(licensee_id))
            self.notices.notify(licensee_id, NoticeKind.RENEWAL, f"renewal#{end.isoformat()}#{days}", subject, text,
                                facts=facts)
            report.notices += 1
            sent = [*sent, *(f"{end.isoformat()}#{d}" for d in due)]
        batch = Batch()
        self.ctx.store.save_renewal(batch, licensee_id, renewal_next(facts, account.terms.renewal_reminder_days,
                                                                     sent, day), sent, revision)
        batch.commit()
