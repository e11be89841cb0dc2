"""Email use cases (clauses 1.1.2, 3.1): mail in through SES (or local SMTP) into threaded tickets, agents'
replies out through the one mailer, bounces and complaints back. Every function takes the merchant first."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from email.utils import formataddr
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import i18n
from chalicelib.audit.model import AuditRecord
from chalicelib.core import links
from chalicelib.core.blobs import BlobStore
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, InvalidInput, NotFound, Unavailable
from chalicelib.core.ids import new_id
from chalicelib.core.mailer import MailAttachment, Mailer, OutboundMail
from chalicelib.core.observability import logger
from chalicelib.licensing.model import License
from chalicelib.licensing.reader import LicenseReader
from chalicelib.mail import bounces, model
from chalicelib.mail.loops import Classification, classify
from chalicelib.mail.model import (
    Delivery,
    DeliveryEvent,
    Held,
    HoldReason,
    InboundEvent,
    MailSettings,
    Message,
    Note,
    Outcome,
    Release,
    Ticket,
    TicketStatus,
)
from chalicelib.mail.parsing import Attachment, ParsedMail, Problem, parse
from chalicelib.mail.store import MailStore
from chalicelib.mail.threads import ThreadDecision, ThreadVia, TicketCandidate, choose_ticket, lookups
from chalicelib.mail.tokens import extract_reply_token, make_token, read_token
from chalicelib.metrics import MAIL_DELIVERY_EVENTS, MAIL_HELD, MAIL_RECEIVED, MAIL_SENT, MetricsSink
from chalicelib.settings import Settings

_WRITE_ATTEMPTS = 8
_ATTACHMENT_LINK = b"kefu/attachment/v1"
LINK_SECONDS = 3600
MAX_REPLY_CHARS = 50_000
# Held mail staff may release to its merchant: what SES or the sender's domain judged (staff can overrule),
# and what the license kept back (delivered once the license allows it). Never a virus, a mail with no sender,
# a delivery report or a mail from our own addresses (a loop).
RELEASABLE = frozenset({HoldReason.SPAM, HoldReason.SPOOFED, HoldReason.CHANNEL_NOT_LICENSED,
                        HoldReason.LICENSE_NOT_IN_FORCE, HoldReason.SUSPICIOUS_SENDER,
                        HoldReason.TOO_MANY_TICKETS})
# A merchant's admin may release what staff may, except mail whose sender's domain disowns it (DMARC): that is
# the phishing a merchant's team is least placed to judge, so it stays with the licensor's staff.
RELEASABLE_BY_MERCHANT = RELEASABLE - {HoldReason.SPOOFED}


class MailService:
    def __init__(self, store: MailStore, licensing: LicenseReader, blobs: BlobStore, mailer: Mailer,
                 clock: Clock, settings: Settings, metrics: MetricsSink,
                 reply_secrets: Callable[[], tuple[bytes, ...]] | None = None,
                 raw_mail: BlobStore | None = None) -> None:
        self.store = store
        self.licensing = licensing
        self.blobs = blobs  # attachments
        self.raw_mail = raw_mail or blobs  # what SES stored: the receiving region's bucket, or the same store
        self.mailer = mailer
        self.clock = clock
        # Push to the merchant's consoles (local mode's loopback server sets it; None: consoles poll)
        self.publish: Callable[[str, str, dict[str, Any]], object] | None = None
        self.settings = settings
        self.domain = settings.mail_domain
        self.metrics = metrics
        self._reply_secrets = reply_secrets  # on AWS: read from Secrets Manager on first use
        self._presence: Callable[[str], list[tuple[str, str]]] | None = None
        self._desk: tuple[str, Callable[[ParsedMail, str], Outcome | None]] | None = None

    def available_agents(self, licensee_id: str) -> list[tuple[str, str]]:
        """The merchant's agents (id, name) online and with room, whom new tickets go to in turn. The chat
        area knows presence; bootstrap hands its answer in (`use_presence`). Without it, tickets wait unassigned."""
        return self._presence(licensee_id) if self._presence is not None else []

    def use_presence(self, presence: Callable[[str], list[tuple[str, str]]]) -> None:
        self._presence = presence

    def use_support_desk(self, address: str, desk: Callable[[ParsedMail, str], Outcome | None]) -> None:
        """Mail to the licensor's own support address goes to the support desk (chalicelib/support/desk.py),
        which answers None for a sender no licensee has: that mail is held like mail to an unknown address."""
        self._desk = (address.strip().lower(), desk)

    @property
    def secrets(self) -> tuple[bytes, ...]:
        """The secrets that sign reply addresses, newest first: KEFU_REPLY_SECRET, else Secrets Manager."""
        if self.settings.reply_secrets:
            return self.settings.reply_secrets
        if self._reply_secrets is not None:
            return self._reply_secrets()
        raise RuntimeError("Neither KEFU_REPLY_SECRET nor KEFU_REPLY_SECRET_ARN is set: reply addresses cannot "
                           "be signed")

    # -- inbound -------------------------------------------------------------------------------------------------
    def receive(self, event: InboundEvent) -> list[Outcome]:
        """One mail SES received: read the raw message it stored, then deliver it to each merchant it is
        addressed to, or keep it with the reason it cannot be. Safe to run again for the same event."""
        raw_key = f"{self.settings.inbound_prefix}{event.ses_id}"
        raw = self.raw_mail.get(raw_key)  # missing raw mail raises, so the event is retried
        parsed = parse(raw)
        key = model.idempotency_key(parsed.message_id, event.ses_id)
        targets: dict[str, str] = {}
        outcomes = []
        for recipient in event.recipients:
            if self._desk is not None and recipient.strip().lower() == self._desk[0]:
                outcomes.append(self._to_desk(self._desk[1], key, event, parsed, raw_key))
                continue
            licensee_id = self._route(recipient)
            if licensee_id is not None:
                targets.setdefault(licensee_id, recipient)
        if not targets:
            return outcomes or [self._hold(None, key, event, parsed, raw_key, HoldReason.UNKNOWN_ADDRESS)]
        for licensee_id, address in targets.items():
            gate = model.mail_gate(self._license(licensee_id), self.clock.now(), self.settings.timezone,
                                   self.settings.expiring_window_days)
            if gate is not None:
                outcomes.append(self._hold(licensee_id, key, event, parsed, raw_key, gate))
            else:
                outcomes.append(self._deliver(licensee_id, address, key, event, parsed, raw_key))
        return outcomes

    def _to_desk(self, desk: Callable[[ParsedMail, str], Outcome | None], key: str, event: InboundEvent,
                 parsed: ParsedMail, raw_key: str) -> Outcome:
        """Screened like every mail first (spam, viruses, loops); then the support desk's."""
        reason = model.screen(parsed, event.verdicts, classify(parsed), self.domain)
        outcome = desk(parsed, key) if reason is None else None
        if outcome is None:
            return self._hold(None, key, event, parsed, raw_key, reason or HoldReason.UNKNOWN_ADDRESS)
        self.metrics.count(MAIL_RECEIVED, outcome=outcome.result)
        return outcome

    def _route(self, recipient: str) -> str | None:
        """The merchant an envelope recipient belongs to: a support address, or a genuine reply address."""
        if not model.is_own_address(recipient, self.domain):
            return None
        token = extract_reply_token([recipient], self.domain)
        if token is not None:
            ticket_id = read_token(token, self.secrets)
            return self.store.ticket_owner(ticket_id) if ticket_id else None
        return self.store.merchant_of(recipient)

    def _license(self, licensee_id: str) -> License | None:
        return self.licensing.license(licensee_id)

    def _hold(self, licensee_id: str | None, key: str, event: InboundEvent, parsed: ParsedMail, raw_key: str,
              reason: HoldReason) -> Outcome:
        result = "quarantined" if licensee_id and reason not in (HoldReason.CHANNEL_NOT_LICENSED,
                                                                  HoldReason.LICENSE_NOT_IN_FORCE) else "held"
        held = Held(licensee_id, reason.value, self.clock.now(), event.ses_id, raw_key, parsed.from_address,
                    parsed.subject, event.recipients)
        try:
            self.store.hold(licensee_id, model.key_hash(key), key, held)
        except Conflict:
            result = "duplicate"
        self.metrics.count(MAIL_RECEIVED, outcome=result)
        if result != "duplicate":
            self.metrics.count(MAIL_HELD, reason=reason.value)
        logger.info("mail kept back", extra={"ses_id": event.ses_id, "merchant": licensee_id or "-",
                                             "reason": reason.value, "outcome": result})
        return Outcome(licensee_id, result, reason=reason.value)

    def _deliver(self, licensee_id: str, address: str, key: str, event: InboundEvent, parsed: ParsedMail,
                 raw_key: str, release: Release | None = None) -> Outcome:
        classification = classify(parsed)
        reason = bounces.keep_back(self.store, licensee_id, parsed, classification, self.clock.now(),
                                   model.screen(parsed, event.verdicts, classification, self.domain))
        if reason is not None and release is None:  # staff releasing a held mail overrule the screen
            return self._hold(licensee_id, key, event, parsed, raw_key, reason)
        if release is None and self._reuses_an_id(licensee_id, key, parsed):
            key = model.reused_key(key, self._fingerprint(parsed))
            parsed = replace(parsed, problems=(*parsed.problems, Problem.REUSED_MESSAGE_ID))
        assert parsed.from_address is not None
        own_hash = model.key_hash(key)
        counted = release is not None  # staff releasing a held mail overrule the limit too
        for attempt in range(_WRITE_ATTEMPTS):
            decision, tickets, stored = self._thread(licensee_id, parsed, own_hash, released=release is not None,
                                                     key=key)
            if stored:
                return self._duplicate(licensee_id, event)
            if decision.ticket_id is None and not counted:
                counted = True
                now = self.clock.now()
                if not self.store.take_new_ticket(licensee_id, parsed.from_address, now, model.hour_bucket(now),
                                                  self.settings.mail_tickets_per_sender_hour):
                    return self._hold(licensee_id, key, event, parsed, raw_key, HoldReason.TOO_MANY_TICKETS)
            message = self._inbound_message(licensee_id, parsed, classification, event, raw_key, own_hash,
                                            decision.ticket_id)
            cc = [a.address for a in parsed.cc if not model.is_own_address(a.address, self.domain)]
            if release is not None:
                release = replace(release, audit=replace(release.audit, details={
                    **release.audit.details, "ticket_id": message.ticket_id}))
            try:
                if decision.ticket_id is not None:
                    self.store.append_inbound(licensee_id, tickets[decision.ticket_id], message, own_hash, cc,
                                              release)
                    ticket = tickets[decision.ticket_id]
                else:
                    previous = self.store.last_number(licensee_id)
                    now = message.created_at
                    chosen = model.round_robin(self.available_agents(licensee_id), previous + 1)
                    ticket = Ticket(ticket_id=message.ticket_id, number=previous + 1,
                                    subject=(parsed.subject or "(no subject)")[:500], contact=parsed.from_address,
                                    status=TicketStatus.OPEN.value, support_address=address, created_at=now,
                                    last_activity_at=now, assignee_id=chosen[0] if chosen else None,
                                    assignee_name=chosen[1] if chosen else None)
                    self.store.open_ticket(licensee_id, ticket, message, own_hash, previous, cc, release)
            except (Conflict, TransactWriteError):
                if (self.store.is_delivered(licensee_id, own_hash) if release is not None
                        else self.store.is_stored(licensee_id, own_hash)):
                    return self._duplicate(licensee_id, event)
                logger.info("mail write raced another; trying again", extra={"attempt": attempt})
                time.sleep(0.02 * (attempt + 1))
                continue
            self.metrics.count(MAIL_RECEIVED, outcome="delivered")
            logger.info("mail delivered", extra={"ses_id": event.ses_id, "merchant": licensee_id,
                                                 "ticket": ticket.ticket_id, "via": decision.via.value,
                                                 "refused": len(decision.refused)})
            self._tell_consoles(licensee_id, ticket, decision.ticket_id is None)
            acknowledged = False
            if decision.ticket_id is None:
                acknowledged = self._acknowledge(licensee_id, ticket, message, classification)
            return Outcome(licensee_id, "delivered", ticket.ticket_id, new_ticket=decision.ticket_id is None,
                           acknowledged=acknowledged)
        raise Unavailable("The mail could not be stored after several attempts.", code="MAIL_WRITE_CONTENDED")

    def _tell_consoles(self, licensee_id: str, ticket: Ticket, new: bool) -> None:
        """A ticket that is new or has a new customer message: the consoles refresh their inbox at once. Push
        is a shortcut (consoles poll with a cursor too), so a failed one is only logged."""
        if self.publish is None:
            return
        try:
            self.publish(licensee_id, "agents", {"type": "inbox", "kind": "ticket", "id": ticket.ticket_id,
                                                 "change": "new" if new else "message"})
        except Exception:
            logger.exception("push failed", extra={"audience": "agents"})

    def _duplicate(self, licensee_id: str, event: InboundEvent) -> Outcome:
        self.metrics.count(MAIL_RECEIVED, outcome="duplicate")
        logger.info("mail already stored", extra={"ses_id": event.ses_id, "merchant": licensee_id})
        return Outcome(licensee_id, "duplicate")

    def _fingerprint(self, parsed: ParsedMail) -> str:
        return model.fingerprint(parsed.from_address or "", parsed.subject[:1000], model.stored_body(parsed.text)[0])

    def _reuses_an_id(self, licensee_id: str, key: str, parsed: ParsedMail) -> bool:
        """Whether a mail with this Message-ID is stored already with other content: then this one is another
        mail that reuses the id (a broken client, or someone hoping to have theirs dropped), kept and flagged."""
        if not parsed.message_id:
            return False
        seen = self.store.seen(licensee_id, model.lookup_hashes(key))
        hit = next((v for v in seen.values() if v[0] and v[1]), None)
        if hit is None:
            return False
        stored = self.store.message(licensee_id, hit[0], hit[1])  # type: ignore[arg-type]
        if stored is None or stored.direction != "inbound":
            return False
        same_id = model.normal_message_id(stored.rfc_message_id or "") == model.normal_message_id(parsed.message_id)
        return not same_id or model.fingerprint(stored.from_address, stored.subject, stored.body) != \
            self._fingerprint(parsed)

    def _thread(self, licensee_id: str, parsed: ParsedMail, own_hash: str,
                released: bool = False, key: str = "") -> tuple[ThreadDecision, dict[str, Ticket], bool]:
        """The threading decision (reply token, then Message-IDs, then subject tag; only for a sender on the
        ticket), the tickets it looked at, and whether this very mail is stored already (for a release: stored
        in a ticket, not only held)."""
        found = lookups(parsed, reply_domain=self.domain, secret=self.secrets)
        hashes = [h for i in found.message_ids for h in model.lookup_hashes(i)]
        own = model.lookup_hashes(key) if key else []
        seen = self.store.seen(licensee_id, [own_hash, *own, *hashes])
        mine = next((h for h in (own_hash, *own) if h in seen), None)
        if mine is not None and (not released or seen[mine][0] is not None):
            return ThreadDecision(None, ThreadVia.NEW), {}, True
        by_id = [seen[h][0] for h in hashes if h in seen and seen[h][0]]
        tag_ticket = (self.store.ticket_by_number(licensee_id, found.subject_ticket_number)
                      if found.subject_ticket_number is not None else None)
        wanted = [t for t in (found.token_ticket_id, *by_id, tag_ticket) if t]
        # Reading tickets under this merchant's key is what keeps another merchant's token or id inert here.
        tickets = self.store.tickets((licensee_id, t) for t in wanted)

        def candidate(ticket_id: str | None) -> TicketCandidate | None:
            ticket = tickets.get(ticket_id or "")
            return TicketCandidate(ticket.ticket_id, ticket.contact, ticket.participants) if ticket else None

        decision = choose_ticket(
            parsed, by_token=candidate(found.token_ticket_id),
            by_message_ids=[c for c in (candidate(t) for t in dict.fromkeys(by_id)) if c is not None],
            by_subject_tag=candidate(tag_ticket))
        return decision, tickets, False

    def _inbound_message(self, licensee_id: str, parsed: ParsedMail, classification: Classification,
                         event: InboundEvent, raw_key: str, own_hash: str, ticket_id: str | None) -> Message:
        body, truncated = model.stored_body(parsed.text)
        attachments = []
        for n, part in enumerate(parsed.attachments):
            blob_key = None
            if part.data is not None:
                blob_key = f"attachments/{licensee_id}/{own_hash}/{n}"
                self.blobs.put(blob_key, part.data, part.content_type)  # same key on a retry: no copies
            attachments.append(part.kept(blob_key, part.filename or f"attachment-{n + 1}"))
        assert parsed.from_address is not None
        return Message(
            message_key=new_id("msg"), ticket_id=ticket_id or _new_ticket_id(), direction="inbound",
            from_address=parsed.from_address, from_name=parsed.from_name[:200], created_at=self.clock.now(),
            to=tuple(a.address for a in parsed.to)[:50], cc=tuple(a.address for a in parsed.cc)[:50],
            subject=parsed.subject[:1000], text=model.stored_body(parsed.new_text, model.MAX_STORED_TEXT_BYTES)[0],
            body=body,
            body_truncated=truncated, rfc_message_id=parsed.message_id, attachments=tuple(attachments),
            problems=tuple(p.value for p in parsed.problems), kind=classification.kind.value, raw_key=raw_key,
            verdicts=event.verdicts.as_dict())

    def _acknowledge(self, licensee_id: str, ticket: Ticket, message: Message,
                     classification: Classification) -> bool:
        settings = self.store.settings(licensee_id)
        if not settings.acknowledge or not classification.may_acknowledge:
            return False  # decided without reading the contact
        contact = self.store.contact(licensee_id, ticket.contact)
        if not model.may_acknowledge(classification, ticket.contact, self.domain, enabled=settings.acknowledge,
                                     undeliverable=bool(contact and contact.undeliverable)):
            return False
        now = self.clock.now()
        if not self.store.take_acknowledgement(licensee_id, ticket.contact, now, model.hour_bucket(now),
                                               self.settings.acknowledgements_per_hour):
            self.metrics.count(MAIL_SENT, kind="acknowledgement", result="rate_limited")
            return False
        merchant = self._merchant_name(licensee_id)
        text = model.acknowledgement_text(model.acknowledgement_template(
            settings.acknowledgement_texts, settings.acknowledgement_text, i18n.locales()), merchant, ticket.number)
        try:
            self._send(licensee_id, ticket, [message], text, kind="acknowledgement",
                       author="system:acknowledgement", audit=None)
        except Unavailable:
            return False  # the mail is stored; a missed acknowledgement must not fail the delivery
        return True

    # -- outbound ------------------------------------------------------------------------------------------------
    def reply(self, licensee_id: str, ticket_id: str, text: str, author: str,
              author_name: str = "", attachments: tuple[tuple[Attachment, bytes], ...] = ()) -> dict[str, Any]:
        """An agent's answer, sent by email to the ticket's contact, threaded on the customer's mail; with
        `attachments` (each kept in the blob store already, and its bytes) carried by the mail and the thread."""
        ticket = self._ticket(licensee_id, ticket_id)
        contact = self.store.contact(licensee_id, ticket.contact)
        if contact is not None and contact.undeliverable:
            raise Conflict(f"Mail to this customer does not arrive ({contact.undeliverable_reason}); reach them "
                           "another way.", code="CONTACT_UNDELIVERABLE")
        messages = self.store.messages(licensee_id, ticket_id)
        audit = AuditRecord(subject=f"licensee:{licensee_id}", action="mail.replied", actor=author,
                            at=self.clock.now(), details={"ticket_id": ticket_id})
        sent = self._send(licensee_id, ticket, messages, text, kind="reply", author=author, audit=audit,
                          author_name=author_name, attachments=attachments)
        return self.message_dict(licensee_id, sent)

    def start_ticket(self, licensee_id: str, to: str, subject: str, text: str, author: str, author_name: str,
                     client_id: str | None = None) -> dict[str, Any]:
        """An agent writes to a customer first: the mail opens a ticket (numbered like any other, assigned to
        its author) and the customer's answer threads onto it. The same client id twice opens one ticket."""
        addresses = self.store.addresses(licensee_id)
        if not addresses:
            raise Conflict("The shop has no support address to write from yet.", code="NO_SUPPORT_ADDRESS")
        if model.is_own_address(to, self.domain):
            raise InvalidInput("Write to the customer's own address, not to one of ours.", code="OWN_ADDRESS")
        contact = self.store.contact(licensee_id, to)
        if contact is not None and contact.undeliverable:
            raise Conflict(f"Mail to this customer does not arrive ({contact.undeliverable_reason}); reach them "
                           "another way.", code="CONTACT_UNDELIVERABLE")
        client_hash = model.key_hash(f"agent-client:{client_id}") if client_id else None
        agent_id = author.removeprefix("agent:")
        for attempt in range(_WRITE_ATTEMPTS):
            if client_hash is not None and (existing := self.store.by_client(licensee_id, client_hash)):
                return self.show_ticket(licensee_id, existing)
            previous = self.store.last_number(licensee_id)
            now = self.clock.now()
            ticket = Ticket(ticket_id=_new_ticket_id(), number=previous + 1, subject=subject[:500], contact=to,
                            status=TicketStatus.PENDING.value, support_address=addresses[0], created_at=now,
                            last_activity_at=now, assignee_id=agent_id, assignee_name=author_name)
            audit = AuditRecord(subject=f"licensee:{licensee_id}", action="ticket.started", actor=author, at=now,
                                details={"ticket_id": ticket.ticket_id, "number": ticket.number})

            def record(message: Message, ticket: Ticket = ticket, previous: int = previous,
                       audit: AuditRecord = audit) -> None:
                self.store.open_outbound(licensee_id, ticket, message, previous, client_hash, audit)
            try:
                self._send(licensee_id, ticket, [], text, kind="reply", author=author, audit=None,
                           author_name=author_name, record=record, subject=subject[:500])
            except (Conflict, TransactWriteError):
                logger.info("new ticket raced another; trying again", extra={"attempt": attempt})
                time.sleep(0.02 * (attempt + 1))
                continue
            return self.show_ticket(licensee_id, ticket.ticket_id)
        raise Unavailable("The ticket could not be stored after several attempts.", code="MAIL_WRITE_CONTENDED")

    def assign(self, licensee_id: str, ticket_id: str, agent_id: str | None, actor: str) -> dict[str, Any]:
        """Give a ticket to one of the merchant's agents (or to nobody, with None)."""
        ticket = self._ticket(licensee_id, ticket_id)
        name = None
        if agent_id is not None:
            lic = self.licensing.license(licensee_id)
            key = next((k for k in (lic.keys if lic else ()) if k.key_id == agent_id and k.active
                        and k.kind.value == "agent"), None)
            if key is None:
                raise NotFound("This shop has no such agent.", code="UNKNOWN_AGENT")
            name = key.agent_name
        if agent_id != ticket.assignee_id:
            self.store.assign(licensee_id, ticket, agent_id, name, AuditRecord(
                subject=f"licensee:{licensee_id}", action="ticket.assigned", actor=actor, at=self.clock.now(),
                details={"ticket_id": ticket_id, "from": ticket.assignee_id, "to": agent_id}))
        return self.ticket_dict(self._ticket(licensee_id, ticket_id))

    def note(self, licensee_id: str, ticket_id: str, agent_id: str, agent_name: str, text: str) -> dict[str, Any]:
        """A private note for the merchant's agents on a ticket; never mailed to the customer."""
        self._ticket(licensee_id, ticket_id)
        note = Note(new_id("note"), agent_id, agent_name, text, self.clock.now())
        try:
            self.store.add_note(licensee_id, ticket_id, note)
        except Conflict as exc:
            raise NotFound("No such ticket.", code="UNKNOWN_TICKET") from exc
        return _note_dict(note)

    # -- chat handed over to email --------------------------------------------------------------------------------
    def open_ticket_from_chat(self, licensee_id: str, conversation_id: str, contact: str, name: str,
                              transcript: str, first_line: str, locale: str) -> tuple[str, bool]:
        """A chat nobody could answer becomes a ticket in the merchant's inbox, its transcript the first message,
        and the shopper is told by email, in their language, that it will be answered there. The business key
        is the conversation: a second call (a retry, another instance) finds the ticket and sends nothing.
        Returns (ticket id, whether this call opened it)."""
        own_hash = model.key_hash(_chat_key(conversation_id, self.domain))
        for attempt in range(_WRITE_ATTEMPTS):
            found = self.store.seen(licensee_id, [own_hash]).get(own_hash)
            if found is not None and found[0] is not None:
                return found[0], False
            addresses = self.store.addresses(licensee_id)
            address = addresses[0] if addresses else f"{licensee_id.replace('_', '-')}@{self.domain}"
            now = self.clock.now()
            subject = i18n.text("widget", "mail.ticket.subject", locale, first=first_line[:80])
            message = Message(message_key=new_id("msg"), ticket_id=_new_ticket_id(), direction="inbound",
                              from_address=contact, from_name=name[:200], created_at=now, to=(address,),
                              subject=subject[:1000],
                              text=model.stored_body(transcript, model.MAX_STORED_TEXT_BYTES)[0],
                              body=model.stored_body(transcript)[0],
                              rfc_message_id=_chat_key(conversation_id, self.domain), kind="chat")
            previous = self.store.last_number(licensee_id)
            ticket = Ticket(ticket_id=message.ticket_id, number=previous + 1, subject=subject[:500], contact=contact,
                            status=TicketStatus.OPEN.value, support_address=address, created_at=now,
                            last_activity_at=now)
            try:
                self.store.open_ticket(licensee_id, ticket, message, own_hash, previous)
            except (Conflict, TransactWriteError):
                logger.info("chat hand-over raced another write; trying again", extra={"attempt": attempt})
                time.sleep(0.02 * (attempt + 1))
                continue
            self.metrics.count(MAIL_RECEIVED, outcome="from_chat")
            shop = self._merchant_name(licensee_id)
            text = i18n.text("widget", "mail.ack.body", locale, shop=shop, transcript=transcript)
            # a failed acknowledgement leaves the ticket standing: the merchant's answer still reaches the shopper
            with contextlib.suppress(Unavailable):
                self._send(licensee_id, ticket, [message], text, kind="acknowledgement",
                           author="system:chat-handover", audit=None)
            return ticket.ticket_id, True
        raise Unavailable("The conversation could not be handed over after several attempts.",
                          code="MAIL_WRITE_CONTENDED")

    def reply_from_chat(self, licensee_id: str, ticket_id: str, conversation_id: str, number: int, text: str,
                        author: str) -> bool:
        """An agent's reply typed into a handed-over chat goes out as email on its ticket's thread. Keyed by the
        chat message (conversation, number): sent once however often it is asked. False: sent already."""
        ticket = self._ticket(licensee_id, ticket_id)
        messages = self.store.messages(licensee_id, ticket_id)
        key = f"msg_chat-{conversation_id}-{number}"
        if any(m.message_key == key for m in messages):
            return False
        try:
            self._send(licensee_id, ticket, messages, text, kind="reply", author=author, audit=AuditRecord(
                subject=f"licensee:{licensee_id}", action="mail.replied", actor=author, at=self.clock.now(),
                details={"ticket_id": ticket_id, "conversation_id": conversation_id, "number": number}),
                message_key=key)
        except Conflict:
            return False  # another instance is sending it
        return True

    def _send(self, licensee_id: str, ticket: Ticket, thread: list[Message], text: str, *, kind: str,
              author: str, audit: AuditRecord | None, author_name: str = "",
              record: Callable[[Message], None] | None = None, subject: str | None = None,
              message_key: str | None = None, attachments: tuple[tuple[Attachment, bytes], ...] = ()) -> Message:
        chain = [m.rfc_message_id for m in thread if m.rfc_message_id]
        answering = next((m.rfc_message_id for m in reversed(thread)
                          if m.direction == "inbound" and m.rfc_message_id), chain[-1] if chain else None)
        headers: list[tuple[str, str]] = []
        if answering:
            headers.append(("In-Reply-To", f"<{answering}>"))
        if chain:
            headers.append(("References", " ".join(f"<{i}>" for i in model.references(chain))))
        if kind == "acknowledgement":
            # RFC 3834: what we send on our own says so, so that other robots do not answer it.
            headers += [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")]
        merchant = self._merchant_name(licensee_id)
        # the customer sees who answered: "王芳 (Demo Tea)"; automatic mail comes from the shop alone
        name = f"{author_name} ({merchant})" if author_name else merchant
        subject = model.reply_subject(subject or ticket.subject, ticket.number)
        reply_to = model.reply_address(make_token(ticket.ticket_id, self.secrets[0]), self.domain)
        message = Message(message_key=message_key or new_id("msg"), ticket_id=ticket.ticket_id,
                          direction="outbound",
                          from_address=ticket.support_address, from_name=name, created_at=self.clock.now(),
                          to=(ticket.contact,), subject=subject, text=text, body=text, kind=kind, author=author,
                          author_name=author_name or None, delivery=Delivery.SENDING.value,
                          attachments=tuple(part for part, _ in attachments))
        if record is not None:
            record(message)
        else:
            self.store.begin_outbound(licensee_id, ticket, message, audit)
        mail = OutboundMail(sender=formataddr((name, ticket.support_address)), to=(ticket.contact,),
                            subject=subject, text=text, reply_to=reply_to, headers=tuple(headers),
                            attachments=tuple(MailAttachment(part.name, part.content_type, data)
                                              for part, data in attachments),
                            tags=(("licensee", licensee_id), ("ticket", ticket.ticket_id), ("kind", kind)))
        try:
            sent = self.mailer.send(mail)
        except Exception as exc:
            logger.warning("mail not sent", extra={"merchant": licensee_id, "ticket": ticket.ticket_id,
                                                   "error": type(exc).__name__})
            self.store.finish_outbound(licensee_id, ticket.ticket_id, message.message_key, Delivery.FAILED, None,
                                       None, (), detail=type(exc).__name__)
            self.metrics.count(MAIL_SENT, kind=kind, result="failed")
            raise Unavailable("The mail could not be sent; it is recorded as failed. Try again shortly.",
                              code="MAIL_NOT_SENT") from exc
        self.store.finish_outbound(licensee_id, ticket.ticket_id, message.message_key, Delivery.SENT,
                                   sent.message_id, sent.provider_id,
                                   (sent.message_id, model.provider_key(sent.provider_id)))
        self.metrics.count(MAIL_SENT, kind=kind, result="sent")
        return Message(**{**vars(message), "delivery": Delivery.SENT.value, "rfc_message_id": sent.message_id,
                          "provider_id": sent.provider_id})

    def record_delivery_event(self, event: DeliveryEvent) -> bool:
        """An SES bounce or complaint: a permanent one marks the address undeliverable for that merchant,
        and the mail it is about is marked as not delivered. Applying it twice changes nothing more."""
        licensee_id = event.tags.get("licensee")
        if not licensee_id:
            self.metrics.count(MAIL_DELIVERY_EVENTS, kind=event.kind, matched="no")
            return False
        now = self.clock.now()
        if event.permanent:
            for address in event.recipients:
                self.store.mark_undeliverable(licensee_id, address, event.detail, now)
        hit = self.store.seen(licensee_id, model.lookup_hashes(model.provider_key(event.provider_id)))
        for ticket_id, message_key in hit.values():
            if ticket_id and message_key:
                delivery = (Delivery.COMPLAINED if event.kind == "complaint"
                            else Delivery.NOT_DELIVERED if event.permanent else Delivery.DELAYED)
                self.store.mark_delivery(licensee_id, ticket_id, message_key, delivery, event.detail)
        self.metrics.count(MAIL_DELIVERY_EVENTS, kind=event.kind, matched="yes" if hit else "no")
        logger.info("delivery event", extra={"merchant": licensee_id, "kind": event.kind,
                                             "permanent": event.permanent, "matched": bool(hit)})
        return bool(hit)

    # -- what agents see -----------------------------------------------------------------------------------------
    def list_tickets(self, licensee_id: str, status: str, limit: int, cursor: str | None) -> dict[str, Any]:
        """A page of the merchant's tickets in a status, newest activity first."""
        tickets, following = self.store.list_tickets(licensee_id, status, limit, cursor)
        return {"items": [self.ticket_dict(t) for t in tickets], "next": following}

    def show_ticket(self, licensee_id: str, ticket_id: str) -> dict[str, Any]:
        """A ticket with its messages, oldest first, and whether mail to its contact arrives."""
        ticket = self._ticket(licensee_id, ticket_id)
        contact = self.store.contact(licensee_id, ticket.contact)
        out = self.ticket_dict(ticket)
        out["contact_name"] = contact.name if contact else None
        out["contact_undeliverable"] = ({"reason": contact.undeliverable_reason,
                                         "at": contact.undeliverable_at.isoformat() if contact.undeliverable_at
                                         else None} if contact and contact.undeliverable else None)
        messages, notes = self.store.thread(licensee_id, ticket_id)
        out["messages"] = [self.message_dict(licensee_id, m) for m in messages]
        out["notes"] = [_note_dict(n) for n in notes]
        return out

    def set_status(self, licensee_id: str, ticket_id: str, status: TicketStatus, actor: str) -> dict[str, Any]:
        ticket = self._ticket(licensee_id, ticket_id)
        self.store.set_status(licensee_id, ticket, status, AuditRecord(
            subject=f"licensee:{licensee_id}", action=f"ticket.{status.value}", actor=actor, at=self.clock.now(),
            details={"ticket_id": ticket_id}))
        return self.ticket_dict(self._ticket(licensee_id, ticket_id))

    def attachment(self, licensee_id: str, ticket_id: str, message_key: str, index: int) -> tuple[Attachment, bytes]:
        message = self.store.message(licensee_id, ticket_id, message_key)
        if message is None or not 0 <= index < len(message.attachments):
            raise NotFound("No such attachment.", code="UNKNOWN_ATTACHMENT")
        part = message.attachments[index]
        if part.blob_key is None:
            raise NotFound("This attachment was larger than the limit; only the raw mail holds it.",
                           code="ATTACHMENT_NOT_KEPT")
        return part, self.blobs.get(part.blob_key)

    def attachment_signature(self, licensee_id: str, ticket_id: str, message_key: str, index: int,
                             expires: int) -> str:
        return links.signature(self.secrets[0], _ATTACHMENT_LINK, f"{licensee_id}|{ticket_id}|{message_key}|{index}",
                               expires)

    def check_attachment_link(self, licensee_id: str, ticket_id: str, message_key: str, index: int,
                              expires: int, signature: str) -> bool:
        return links.valid(self.secrets[0], _ATTACHMENT_LINK, f"{licensee_id}|{ticket_id}|{message_key}|{index}",
                           expires, signature, self.clock.now().timestamp())

    def held(self, licensee_id: str | None) -> list[dict[str, Any]]:
        """Mail kept back for a merchant (or, for staff, mail that reached no merchant), newest first."""
        return [h.as_dict() for h in self.store.held(licensee_id)]

    def release(self, licensee_id: str, ses_id: str, actor: str,
                releasable: frozenset[HoldReason] = RELEASABLE) -> dict[str, Any]:
        """Staff (or, for `RELEASABLE_BY_MERCHANT`, the merchant's admin) deliver a held mail to its merchant
        after all, through the same path as mail that arrives, minus the screen they overrule. Audited;
        releasing it again changes nothing and says so."""
        held = self.store.held_mail(licensee_id, ses_id)
        if held is None:
            raise NotFound("The merchant has no held mail with this id (see ./kefu mail held --licensee).",
                           code="UNKNOWN_HELD_MAIL")
        if held.released_at is not None:
            return {"result": "already_released", "ticket_id": held.ticket_id, "held": held.as_dict()}
        reason = HoldReason(held.reason)
        if reason not in releasable:
            raise Conflict(f"Mail held as {reason.value} cannot be released: "
                           f"{model.READABLE.get(reason, reason.value)}", code="NOT_RELEASABLE")
        try:
            stored: License | None = self.licensing.current(licensee_id)
        except NotFound:
            stored = None
        gate = model.mail_gate(stored, self.clock.now(), self.settings.timezone, self.settings.expiring_window_days)
        if gate is not None:
            raise Conflict(f"The license still keeps this mail back: {model.READABLE[gate]}",
                           code="LICENSE_BLOCKS_MAIL")
        parsed = parse(self.raw_mail.get(held.raw_key))
        if not parsed.from_address:
            raise Conflict("The mail has no sender address one could answer.", code="NOT_RELEASABLE")
        address = next((r for r in held.recipients if self._route(r) == licensee_id), None) or next(
            iter(self.store.addresses(licensee_id)), None)
        if address is None:
            raise Conflict("The merchant has no support address to deliver this mail to.", code="NO_SUPPORT_ADDRESS")
        audit = AuditRecord(subject=f"licensee:{licensee_id}", action="mail.released", actor=actor,
                            at=self.clock.now(), details={"ses_id": ses_id, "reason": reason.value})
        event = InboundEvent(ses_id, held.recipients)
        outcome = self._deliver(licensee_id, address, model.idempotency_key(parsed.message_id, ses_id), event,
                                parsed, held.raw_key, Release(held.held_key, audit))
        if outcome.result == "duplicate":  # a release that ran at the same time delivered it
            current = self.store.held_mail(licensee_id, ses_id) or held
            return {"result": "already_released" if current.released_at else "already_delivered",
                    "ticket_id": current.ticket_id, "held": current.as_dict()}
        logger.info("held mail released", extra={"ses_id": ses_id, "merchant": licensee_id, "reason": reason.value})
        return {"result": "released", "ticket_id": outcome.ticket_id, "new_ticket": outcome.new_ticket}

    def clear_undeliverable(self, licensee_id: str, address: str, actor: str) -> dict[str, Any]:
        """Staff say mail to a customer's address may be tried again (a bounce had marked it undeliverable)."""
        address = address.strip().lower()
        contact = self.store.contact(licensee_id, address)
        if contact is None or not contact.undeliverable:
            raise NotFound("This merchant has no customer address marked undeliverable by that name.",
                           code="NOT_UNDELIVERABLE")
        try:
            self.store.clear_undeliverable(licensee_id, address, AuditRecord(
                subject=f"licensee:{licensee_id}", action="mail.undeliverable_cleared", actor=actor,
                at=self.clock.now(), details={"address": address, "reason": contact.undeliverable_reason}))
        except Conflict as exc:
            raise NotFound("This address is not marked undeliverable (any more).", code="NOT_UNDELIVERABLE") from exc
        return {"licensee_id": licensee_id, "address": address, "undeliverable": False}

    def ticket_dict(self, ticket: Ticket) -> dict[str, Any]:
        return ticket.as_dict()

    def message_dict(self, licensee_id: str, m: Message) -> dict[str, Any]:
        expires = int(self.clock.now().timestamp()) + LINK_SECONDS
        attachments = []
        for n, part in enumerate(m.attachments):
            url = None
            if part.blob_key is not None:
                signature = self.attachment_signature(licensee_id, m.ticket_id, m.message_key, n, expires)
                url = self.blobs.link(part.blob_key, part.name, LINK_SECONDS) or (
                    f"/v1/agent/tickets/{m.ticket_id}/messages/{m.message_key}/attachments/{n}?"
                    + links.query(licensee_id, expires, signature))
            attachments.append({"filename": part.filename, "content_type": part.content_type, "size": part.size,
                                "inline": part.inline, "content_id": part.content_id, "url": url})
        return m.as_dict(attachments)

    # -- merchant settings ---------------------------------------------------------------------------------------
    def add_address(self, licensee_id: str, local_part: str, actor: str) -> str:
        """Give a merchant a support address on the licensor's mail domain."""
        try:
            address = model.support_address(local_part, self.domain)
        except ValueError as exc:
            raise InvalidInput(str(exc), code="INVALID_ADDRESS") from exc
        if self.licensing.licensee(licensee_id) is None:
            raise NotFound(f"No licensee {licensee_id}.", code="UNKNOWN_LICENSEE")
        self.store.add_address(licensee_id, address, AuditRecord(
            subject=f"licensee:{licensee_id}", action="mail.address_added", actor=actor, at=self.clock.now(),
            details={"address": address}))
        return address

    def mail_settings(self, licensee_id: str) -> dict[str, Any]:
        settings = self.store.settings(licensee_id)
        return {"support_addresses": self.store.addresses(licensee_id),
                "acknowledge": settings.acknowledge,
                "acknowledgement_text": settings.acknowledgement_text or model.DEFAULT_ACKNOWLEDGEMENT,
                "acknowledgement_texts": dict(settings.acknowledgement_texts or {}),
                "acknowledgements_per_hour": self.settings.acknowledgements_per_hour}

    def update_settings(self, licensee_id: str, actor: str, acknowledge: bool | None = None,
                        acknowledgement_text: str | None = None,
                        acknowledgement_texts: dict[str, str] | None = None) -> dict[str, Any]:
        """Switch the automatic acknowledgement on or off, or change its text ({merchant}, {number}), one for
        every language or one per language."""
        current = self.store.settings(licensee_id)
        texts = current.acknowledgement_texts
        if acknowledgement_texts is not None:
            texts = {locale: text for locale, text in acknowledgement_texts.items() if text} or None
        updated = MailSettings(current.acknowledge if acknowledge is None else acknowledge,
                               acknowledgement_text if acknowledgement_text is not None
                               else current.acknowledgement_text, texts)
        self.store.save_settings(licensee_id, updated, AuditRecord(
            subject=f"licensee:{licensee_id}", action="mail.settings_changed", actor=actor, at=self.clock.now(),
            details={"acknowledge": updated.acknowledge, "text_changed": acknowledgement_text is not None,
                     "texts_changed": sorted(acknowledgement_texts) if acknowledgement_texts is not None else None}))
        return self.mail_settings(licensee_id)

    # -- internals -----------------------------------------------------------------------------------------------
    def _ticket(self, licensee_id: str, ticket_id: str) -> Ticket:
        ticket = self.store.ticket(licensee_id, ticket_id) if len(ticket_id) <= 64 else None
        if ticket is None:
            raise NotFound("No such ticket.", code="UNKNOWN_TICKET")
        return ticket

    def _merchant_name(self, licensee_id: str) -> str:
        party = self.licensing.licensee(licensee_id)
        return party.short_name if party else "Customer service"


def _note_dict(note: Note) -> dict[str, Any]:
    return {"id": note.note_id, "agent_id": note.agent_id, "agent_name": note.agent_name, "text": note.text,
            "created_at": note.created_at.isoformat()}


def _chat_key(conversation_id: str, domain: str) -> str:
    """The Message-ID a chat's transcript stands under: the hand-over's business key, and what replies thread on."""
    return f"chat-{conversation_id}@{domain}"


def _new_ticket_id() -> str:
    # Lower case, digits and '-' only, so the id rides in a reply+<token> address as it is.
    return new_id("tkt").replace("_", "-")
