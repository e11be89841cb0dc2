"""What billing reads of a license, computed once per account per run, and what follows from it for an account:
the fee items as the license makes them, the versions of the terms billing has taken in, and the account's next
due date. Pure: the license comes in as a value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import pairwise

from chalicelib.billing.charges import next_due_on
from chalicelib.billing.fees import FeeItem, LicensedUnits, as_billed
from chalicelib.billing.model import Account
from chalicelib.billing.periods import ONE_DAY, AgreementWindow, DateRange
from chalicelib.licensing import model as licensing_model
from chalicelib.licensing.model import License, Terms


@dataclass(frozen=True)
class LicenseFacts:
    """The facts of one license that billing depends on."""

    licensee_id: str
    agreement_id: str
    window: AgreementWindow            # the agreement's full window (clauses 4.1, 4.2)
    billable: AgreementWindow | None   # the days to bill: cut the day before a termination, None if none are
    terminated: bool                   # a termination is recorded (clauses 10, 11)
    terminated_on: date | None         # its effective date: the first day without service
    terms: tuple[Terms, ...]           # every version, in the order they take effect
    licensed: tuple[LicensedUnits, ...]
    gaps: tuple[DateRange, ...]        # days between a lapsed period and its extension (clause 4.2)
    latest_version: int

    @classmethod
    def of(cls, lic: License) -> LicenseFacts:
        start, end = licensing_model.starts_on(lic), licensing_model.ends_on(lic)
        agreement_id = lic.agreement.agreement_id
        full = AgreementWindow(agreement_id, start, end)
        termination = licensing_model.termination(lic)
        effective = termination.effective_date if termination else None
        billable: AgreementWindow | None = full
        if effective is not None and effective <= end:
            billable = None if effective <= start else AgreementWindow(agreement_id, start, effective - ONE_DAY)
        licensed = tuple(LicensedUnits(t.effective_date, terms.seats, len(terms.channels))
                         for t in lic.terms for terms in (licensing_model.terms_on(lic, t.effective_date),))
        periods = sorted(lic.periods, key=lambda p: p.start)
        gaps = tuple(DateRange(a.end + ONE_DAY, b.start - ONE_DAY) for a, b in pairwise(periods)
                     if b.start > a.end + ONE_DAY)
        return cls(lic.licensee_id, agreement_id, full, billable, termination is not None, effective,
                   tuple(sorted(lic.terms, key=lambda t: (t.effective_date, t.version))), licensed, gaps,
                   max(t.version for t in lic.terms))

    def terms_on(self, day: date) -> Terms:
        """The terms in force on a day: the latest version effective on or before it (the first before that)."""
        current = self.terms[0]
        for terms in self.terms:
            if terms.effective_date <= day:
                current = terms
        return current

    def fee_items(self, items: Sequence[FeeItem]) -> list[FeeItem]:
        """The fee items as the license makes them: quantities of per-seat and per-channel items follow its
        terms' versions, and days between a lapsed period and its extension are not billed."""
        return [as_billed(item, self.licensed, self.gaps) for item in items]

    def units_moved_after(self, version: int) -> list[date]:
        """Effective dates of the versions after ``version`` that change seats or channels (not payment terms or
        the notice address)."""

        def units(day: date) -> tuple[int, int]:
            terms = self.terms_on(day)
            return terms.seats, len(terms.channels)

        return [t.effective_date for t in sorted(self.terms, key=lambda t: t.version) if t.version > version
                and units(t.effective_date) != units(t.effective_date - ONE_DAY)]


def caught_up(account: Account, facts: LicenseFacts) -> Account:
    """The account with every version of the license's terms taken in: a version it has not seen that takes
    effect on a day already billed moves ``billed_through`` back to the day before, so the next run bills its
    credit and charge (the charges billed before are claimed and are not billed again)."""
    if account.terms_version >= facts.latest_version:
        return account
    billed = account.billed_through
    if billed is not None and any(i.per is not None for i in account.fee_items):
        billed = min([billed, *(day - ONE_DAY for day in facts.units_moved_after(account.terms_version))])
    return replace(account, billed_through=billed, terms_version=facts.latest_version)


def rescheduled(account: Account, facts: LicenseFacts, after: date | None = None,
                items: Sequence[FeeItem] | None = None) -> Account:
    """The account with its next due date, which puts it in (or takes it out of) the billing run's index.
    ``items`` are the account's fee items as the license makes them, when the caller has them already."""
    if account.settled:
        return replace(account, next_due=None)
    window = facts.billable
    last_billed = after or account.billed_through
    if last_billed is None:
        last_billed = (window.start if window else facts.window.start) - ONE_DAY
    candidates: list[date] = []
    if window is not None:
        due = next_due_on(facts.fee_items(account.fee_items) if items is None else items, window, last_billed)
        if due is not None:
            candidates.append(due)
        elif last_billed < window.end + ONE_DAY:
            candidates.append(window.end + ONE_DAY)  # look again then, in case the agreement is extended
    if facts.terminated_on is not None:
        candidates.append(max(facts.terminated_on, last_billed + ONE_DAY))
    return replace(account, next_due=min(candidates) if candidates else None)


def renewal_next(facts: LicenseFacts, reminder_days: Sequence[int], sent: Sequence[str], day: date) -> date | None:
    """When the renewal run next looks at the agreement (clause 4.2): the next reminder not sent, then once
    more the day after the end in case it was extended; never after a termination or once it has ended."""
    if facts.terminated:
        return None
    end = facts.window.end
    if day > end:
        return None
    upcoming = [end - timedelta(days=d) for d in reminder_days
                if f"{end.isoformat()}#{d}" not in sent and end - timedelta(days=d) > day]
    return max(min(upcoming, default=end + ONE_DAY), day)
