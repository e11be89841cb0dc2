"""What every billing use case shares: the store, the licenses, the clock and time zone, metrics, and the small
steps each of them takes (today's date, the license's facts, an audit record, a commit, a guarded piece of a
run that may stop when its invocation's time runs short)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from chalicelib.adapters.dynamodb import Batch, Contended
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.billing.facts import LicenseFacts
from chalicelib.billing.model import Account, IssuedInvoice, RunReport
from chalicelib.billing.store import BillingStore
from chalicelib.core.budget import Budget
from chalicelib.core.clock import Clock, local_date
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.observability import logger
from chalicelib.licensing.model import License
from chalicelib.licensing.reader import LicenseHolds
from chalicelib.metrics import BILLING_RUN_FAILURES, MetricsSink

ONE_DAY = timedelta(days=1)
ATTEMPTS = 8
ACTOR = "system:billing"

T = TypeVar("T")


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


@dataclass
class Context:
    store: BillingStore
    licenses: LicenseHolds
    clock: Clock
    tz: ZoneInfo
    metrics: MetricsSink
    # Delivered training sessions for per_session fees; bootstrap wires the training area in.
    sessions: BillableSessions | None = None

    def today(self) -> date:
        return local_date(self.clock.now(), self.tz)

    def license(self, licensee_id: str, *, consistent: bool = True) -> License:
        return self.licenses.current(licensee_id, consistent=consistent)

    def facts(self, licensee_id: str, *, consistent: bool = True) -> LicenseFacts:
        """The license's facts as billing needs them, read once."""
        return LicenseFacts.of(self.license(licensee_id, consistent=consistent))

    def account(self, licensee_id: str) -> Account:
        account = self.store.account(licensee_id)
        if account is None:
            self.license(licensee_id)  # an unknown licensee, or one without an agreement, says so first
            raise NotFound(f"{licensee_id} has no fee schedule yet; set one with `./kefu fees set`.",
                           code="NO_FEE_SCHEDULE")
        return account

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

    def audit(self, batch: Batch, licensee_id: str, action: str, actor: str, details: dict[str, Any]) -> None:
        """Record the change in the transaction that makes it."""
        audit_store.add_to(batch, AuditRecord(subject=f"licensee:{licensee_id}", action=action, actor=actor,
                                              at=self.clock.now(), details=details))

    def commit(self, batch: Batch, message: str) -> None:
        try:
            batch.commit()
        except Contended as lost:
            raise Conflict(message, code="CONCURRENT_CHANGE") from lost

    def guard(self, report: RunReport, job: str, licensee_id: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as exc:  # one licensee's failure must not stop the run; the next run retries
            logger.exception("scheduled work failed", extra={"job": job, "licensee_id": licensee_id})
            self.metrics.count(BILLING_RUN_FAILURES, job=job)
            report.errors.append({"licensee": licensee_id, "error": type(exc).__name__})


def within(budget: Budget | None, report: RunReport, work: Iterable[T], position: Callable[[T], str]) -> Iterator[T]:
    """The pieces of a run's work while its invocation has time. When the time runs short, the report gets the
    cursor of the last piece done, and the run continues after it in another invocation; each invocation
    does at least one piece, so a run always finishes."""
    last: list[T] = []
    for piece in work:
        if budget is not None and last and budget.exhausted():
            report.cursor = position(last[0])
            return
        yield piece
        last[:] = [piece]
