"""Fee schedules and payment terms as licensor staff set them (clauses 5.1, 5.3, 6.3, 8, 10), and
force-majeure periods (clause 13.5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from chalicelib.adapters.dynamodb import Batch
from chalicelib.billing.context import ONE_DAY, Context
from chalicelib.billing.facts import LicenseFacts, renewal_next, rescheduled
from chalicelib.billing.fees import Cadence, FeeChange, FeeItem, FeeKind
from chalicelib.billing.model import Account, AccountTerms, ForceMajeure
from chalicelib.billing.periods import DateRange
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.ids import new_id
from chalicelib.core.money import ZERO

CHANGED = "The fee schedule changed meanwhile; try again."


class FeeSchedules:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def set_schedule(self, licensee_id: str, fee_items: Sequence[FeeItem], terms: AccountTerms | None,
                     actor: str) -> Account:
        """Attach (or replace) the fee schedule of the licensee's agreement. Periods already billed are not
        billed again: charges are claimed by business key; changed prices apply from the next charge."""
        facts = self.ctx.facts(licensee_id)
        store = self.ctx.store
        previous = store.account(licensee_id)
        items = tuple(fee_items)
        _check_items(items)
        _check_sessions_billable(items, self.ctx.sessions is not None)
        account = Account(
            licensee_id=licensee_id, agreement_id=facts.agreement_id, fee_items=items,
            terms=terms or (previous.terms if previous else AccountTerms()),
            billed_through=previous.billed_through if previous else None,
            credit=previous.credit if previous else ZERO,
            suspended_by_billing=previous.suspended_by_billing if previous else False,
            settled=previous.settled if previous else False,
            revision=(previous.revision if previous else 0) + 1,
            # the schedule is set knowing the license's terms as they are now
            terms_version=facts.latest_version)
        account = rescheduled(account, facts)
        batch = Batch()
        store.save_account(batch, account, previous)
        if store.renewal(licensee_id) is None:
            store.save_renewal(batch, licensee_id, renewal_next(facts, account.terms.renewal_reminder_days, [],
                                                                self.ctx.today()), [], None)
        self.ctx.audit(batch, licensee_id, "billing.schedule_set", actor, {
            "fee_items": [i.id for i in items], "next_due": account.next_due})
        self.ctx.commit(batch, CHANGED)
        return account

    def add_fee_item(self, licensee_id: str, item: FeeItem, actor: str) -> Account:
        current = self.ctx.store.account(licensee_id)
        items = current.fee_items if current else ()
        if any(existing.id == item.id for existing in items):
            raise Conflict(f"Fee item {item.id} exists already; amend it instead.", code="FEE_ITEM_EXISTS")
        return self.set_schedule(licensee_id, (*items, item), None, actor)

    def set_terms(self, licensee_id: str, terms: AccountTerms, actor: str) -> Account:
        return self.set_schedule(licensee_id, self.ctx.account(licensee_id).fee_items, terms, actor)

    def amend_fee(self, licensee_id: str, fee_item_id: str, change: FeeChange, actor: str) -> Account:
        """Clause 10: a new price or quantity from a date. A period under way is prorated on both sides by the
        next billing run (a credit for the old terms, a charge for the new), even for a date already billed."""
        account = self.ctx.account(licensee_id)
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
        facts: LicenseFacts = self.ctx.facts(licensee_id)
        updated = rescheduled(replace(account, fee_items=items, revision=account.revision + 1), facts)
        batch = Batch()
        self.ctx.store.save_account(batch, updated, account)
        self.ctx.audit(batch, licensee_id, "billing.fee_amended", actor, {
            "fee_item": fee_item_id, "effective": change.effective, "amount": change.amount,
            "quantity": change.quantity, "reason": change.reason})
        self.ctx.commit(batch, CHANGED)
        return updated

    def add_force_majeure(self, start: date, end: date, reason: str, actor: str,
                          licensee_id: str | None = None) -> ForceMajeure:
        """Clause 13.5: late fees do not accrue on these days (for one licensee, or for all)."""
        if end < start:
            raise InvalidInput("A force-majeure period cannot end before it starts.", code="INVALID_PERIOD")
        if not reason.strip():
            raise InvalidInput("Say what the force majeure was.", code="REASON_REQUIRED")
        if licensee_id is not None:
            self.ctx.license(licensee_id)
        period = ForceMajeure(new_id("fm"), DateRange(start, end), reason.strip(), licensee_id)
        batch = Batch()
        self.ctx.audit(batch, licensee_id or "all", "billing.force_majeure", actor, period.as_dict())
        self.ctx.store.add_force_majeure(batch, period)
        return period

    def force_majeure(self) -> list[ForceMajeure]:
        return sorted(self.ctx.store.force_majeure(), key=lambda p: p.days.start)


def _check_sessions_billable(items: Sequence[FeeItem], sessions_wired: bool) -> None:
    """A `per_session` fee bills delivered training sessions: it is refused for any other kind of fee, and when
    nothing supplies sessions, rather than accepted and silently never billed."""
    for item in items:
        if item.cadence is not Cadence.PER_SESSION:
            continue
        if item.kind is not FeeKind.TRAINING:
            raise InvalidInput(f"Fee item {item.id}: only training is billed per session (clause 3.3); a "
                               f"{item.kind.value} fee needs a periodic or one-off cadence.",
                               code="PER_SESSION_NOT_BILLABLE")
        if not sessions_wired:
            raise InvalidInput(f"Fee item {item.id}: no training sessions can be read here, so a per_session fee "
                               "would never bill.", code="PER_SESSION_NOT_BILLABLE")


def _check_items(items: Sequence[FeeItem]) -> None:
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise InvalidInput("Each fee item needs its own id.", code="DUPLICATE_FEE_ITEM")
    if len({i.currency for i in items}) > 1:
        raise InvalidInput("The fee items of one agreement must share a currency.", code="MIXED_CURRENCIES")
