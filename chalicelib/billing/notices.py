"""Notices (clause 13.1): each recorded under its business key, then sent to the agreement's notice address;
one that could not be sent stays queued for the next run."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.adapters.dynamodb import Batch, Contended
from chalicelib.billing import documents
from chalicelib.billing.context import ACTOR, Context
from chalicelib.billing.facts import LicenseFacts
from chalicelib.billing.invoices import InvoiceKind
from chalicelib.billing.model import Delivery, IssuedInvoice, Notice, NoticeKind
from chalicelib.core.mailer import Mailer, OutboundMail
from chalicelib.core.observability import logger
from chalicelib.licensing.model import Party
from chalicelib.metrics import BILLING_NOTICES


def notice_kind(kind: InvoiceKind) -> NoticeKind:
    """The notice an invoice goes out as: a late fee is its own kind of notice (clause 8)."""
    return NoticeKind.LATE_FEE if kind is InvoiceKind.LATE_FEE else NoticeKind.INVOICE


class Notices:
    def __init__(self, ctx: Context, mailer: Mailer, sender: str) -> None:
        self.ctx = ctx
        self.mailer = mailer
        self.sender = sender
        self._attempted: set[tuple[str, str]] = set()
        self._licensor: Party | None = None

    def language(self, licensee_id: str) -> str | None:
        """The language the licensee chose for notices and invoices (None: zh-CN with English)."""
        from chalicelib.notices import store

        return store.language(licensee_id)

    def start_run(self) -> None:
        """A run reads the licensor's profile once, not once per invoice."""
        self._licensor = None

    def notify(self, licensee_id: str, kind: NoticeKind, key: str, subject: str, text: str,
               html: str | None = None, facts: LicenseFacts | None = None) -> bool:
        """Record a notice under its business key and send it; False when it was recorded before."""
        facts = facts or self.ctx.facts(licensee_id)
        recipient = facts.terms_on(self.ctx.today()).notice_address
        notice = Notice(key, licensee_id, kind, recipient, subject, text, html, self.ctx.clock.now())
        batch = Batch()
        self.ctx.store.add_notice(batch, notice)
        self.ctx.audit(batch, licensee_id, f"notice.{kind.value}", ACTOR, {"key": key})
        try:
            batch.commit()
        except Contended:
            return False
        self.deliver(notice)
        return True

    def deliver(self, notice: Notice, html: str | None = None) -> Notice:
        self._attempted.add((notice.licensee_id, notice.key))
        try:
            if html is None and notice.kind in (NoticeKind.INVOICE, NoticeKind.LATE_FEE):
                html = self.invoice_page(self.ctx.own_invoice(notice.licensee_id, notice.key.split("#", 1)[1]))
            sent = self.mailer.send(OutboundMail(
                sender=self.sender, to=(notice.recipient,), subject=notice.subject, text=notice.text,
                html=html or notice.html, headers=(("Auto-Submitted", "auto-generated"),),
                tags=(("licensee", notice.licensee_id), ("kind", notice.kind.value), ("area", "notice"))))
            done = replace(notice, delivery=Delivery.SENT, attempts=notice.attempts + 1,
                           sent_at=self.ctx.clock.now(), message_id=sent.message_id, error=None,
                           provider_id=sent.provider_id)
        except Exception as exc:  # the notice stays queued and the next run tries again
            logger.warning("notice delivery failed", extra={"licensee_id": notice.licensee_id,
                                                            "kind": notice.kind.value, "error": type(exc).__name__})
            done = replace(notice, delivery=Delivery.FAILED, attempts=notice.attempts + 1, error=type(exc).__name__)
        self.ctx.store.mark_notice(done)
        self.ctx.metrics.count(BILLING_NOTICES, kind=notice.kind.value, delivery=done.delivery.value)
        return done

    def deliver_pending(self) -> int:
        """Send every notice recorded but not delivered (a crash between recording and sending, a mail outage)."""
        attempted, self._attempted = self._attempted, set()  # not twice in one run: the next run tries again
        return sum(1 for notice in self.ctx.store.pending_notices()
                   if (notice.licensee_id, notice.key) not in attempted
                   and self.deliver(notice).delivery is Delivery.SENT)

    def record_delivery(self, licensee_id: str, provider_id: str, delivery: Delivery, detail: str) -> Notice | None:
        """SES says a notice bounced or drew a complaint: it reads as not delivered from now on, with an audit
        record beside; None when no notice was sent under that id or this was recorded before."""
        notice = self.ctx.store.notice_sent_as(licensee_id, provider_id)
        if notice is None:
            return None
        batch = Batch()
        self.ctx.store.mark_undelivered(batch, notice, delivery, detail)
        self.ctx.audit(batch, licensee_id, "notice.undelivered", "system:ses",
                       {"key": notice.key, "delivery": delivery.value, "detail": detail})
        try:
            batch.commit()
        except Contended:
            return None
        return replace(notice, delivery=delivery, error=detail)

    def notices(self, licensee_id: str) -> list[Notice]:
        return sorted(self.ctx.store.notices(licensee_id), key=lambda n: n.created_at)

    def invoice_page(self, invoice: IssuedInvoice) -> str:
        if self._licensor is None:
            self._licensor = self.ctx.licenses.licensor()  # read once per run, not once per invoice
        return documents.invoice_html(invoice, self._licensor, self.ctx.licenses.licensee(invoice.licensee_id),
                                      self.language(invoice.licensee_id))
