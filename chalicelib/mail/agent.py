"""Mail agents send (clause 3.1): replies on a ticket, tickets an agent starts, chats handed over to email, and
what SES reports back about them (bounces, complaints)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from email.utils import formataddr
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import i18n
from chalicelib.audit.model import AuditRecord
from chalicelib.core.errors import Conflict, InvalidInput, NotFound, Unavailable
from chalicelib.core.ids import new_id
from chalicelib.core.mailer import MailAttachment, OutboundMail
from chalicelib.core.observability import logger
from chalicelib.mail import model
from chalicelib.mail.model import (
    Delivery,
    DeliveryEvent,
    Message,
    Note,
    Ticket,
    TicketStatus,
)
from chalicelib.mail.parsing import Attachment
from chalicelib.mail.tickets import MailTickets, new_ticket_id, note_dict
from chalicelib.mail.tokens import make_token
from chalicelib.metrics import MAIL_DELIVERY_EVENTS, MAIL_RECEIVED, MAIL_SENT

WRITE_ATTEMPTS = 8
MAX_REPLY_CHARS = 50_000


class AgentMail(MailTickets):
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
        try:
            sent = self._send(licensee_id, ticket, messages, text, kind="reply", author=author, audit=audit,
                              author_name=author_name, attachments=attachments)
        except Unavailable as exc:
            if exc.code == "MAIL_NOT_SENT":  # the reply stands in the thread, marked as failed
                self.tell_consoles(licensee_id, ticket_id, "reply", author)
            raise
        self.tell_consoles(licensee_id, ticket_id, "reply", author)
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
        number: int | None = None
        for attempt in range(WRITE_ATTEMPTS):
            if client_hash is not None and (existing := self.store.by_client(licensee_id, client_hash)):
                return self.show_ticket(licensee_id, existing)
            number = number or self.store.next_number(licensee_id)
            now = self.clock.now()
            ticket = Ticket(ticket_id=new_ticket_id(), number=number, subject=subject[:500], contact=to,
                            status=TicketStatus.PENDING.value, support_address=addresses[0], created_at=now,
                            last_activity_at=now, assignee_id=agent_id, assignee_name=author_name)
            audit = AuditRecord(subject=f"licensee:{licensee_id}", action="ticket.started", actor=author, at=now,
                                details={"ticket_id": ticket.ticket_id, "number": ticket.number})

            def record(message: Message, ticket: Ticket = ticket, audit: AuditRecord = audit) -> None:
                self.store.open_outbound(licensee_id, ticket, message, client_hash, audit)
            try:
                self._send(licensee_id, ticket, [], text, kind="reply", author=author, audit=None,
                           author_name=author_name, record=record, subject=subject[:500])
            except (Conflict, TransactWriteError):
                logger.info("new ticket raced another; trying again", extra={"attempt": attempt})
                time.sleep(0.02 * (attempt + 1))
                continue
            except Unavailable as exc:
                if exc.code == "MAIL_NOT_SENT":  # the ticket stands, its first mail marked as failed
                    self.tell_consoles(licensee_id, ticket.ticket_id, "new", author)
                raise
            self.tell_consoles(licensee_id, ticket.ticket_id, "new", author)
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
            self.tell_consoles(licensee_id, ticket_id, "assigned", actor)
        return self.ticket_dict(self._ticket(licensee_id, ticket_id))

    def note(self, licensee_id: str, ticket_id: str, agent_id: str, agent_name: str, text: str) -> dict[str, Any]:
        """A private note for the merchant's agents on a ticket; never mailed to the customer."""
        self._ticket(licensee_id, ticket_id)
        note = Note(new_id("note"), agent_id, agent_name, text, self.clock.now())
        try:
            self.store.add_note(licensee_id, ticket_id, note)
        except Conflict as exc:
            raise NotFound("No such ticket.", code="UNKNOWN_TICKET") from exc
        self.tell_consoles(licensee_id, ticket_id, "note", f"agent:{agent_id}")
        return note_dict(note)

    # -- chat handed over to email --------------------------------------------------------------------------------
    def open_ticket_from_chat(self, licensee_id: str, conversation_id: str, contact: str, name: str,
                              transcript: str, first_line: str, locale: str,
                              files: tuple[Attachment, ...] = ()) -> tuple[str, bool]:
        """A chat nobody could answer becomes a ticket in the merchant's inbox, its transcript the first message
        (with the files the chat held, where chat stored them: the shopper has them, nothing is mailed back),
        and the shopper is told by email, in their language, that it will be answered there. The business key
        is the conversation: a second call (a retry, another instance) finds the ticket and sends nothing.
        Returns (ticket id, whether this call opened it)."""
        own_hash = model.key_hash(chat_key(conversation_id, self.domain))
        number: int | None = None
        for attempt in range(WRITE_ATTEMPTS):
            found = self.store.seen(licensee_id, [own_hash]).get(own_hash)
            if found is not None and found[0] is not None:
                return found[0], False
            addresses = self.store.addresses(licensee_id)
            address = addresses[0] if addresses else f"{licensee_id.replace('_', '-')}@{self.domain}"
            now = self.clock.now()
            subject = i18n.text("widget", "mail.ticket.subject", locale, first=first_line[:80])
            message = Message(message_key=new_id("msg"), ticket_id=new_ticket_id(), direction="inbound",
                              from_address=contact, from_name=name[:200], created_at=now, to=(address,),
                              subject=subject[:1000],
                              text=model.stored_body(transcript, model.MAX_STORED_TEXT_BYTES)[0],
                              body=model.stored_body(transcript)[0],
                              rfc_message_id=chat_key(conversation_id, self.domain), kind="chat",
                              attachments=files)
            message = self._keep_body(licensee_id, message, own_hash)
            number = number or self.store.next_number(licensee_id)
            ticket = Ticket(ticket_id=message.ticket_id, number=number, subject=subject[:500], contact=contact,
                            status=TicketStatus.OPEN.value, support_address=address, created_at=now,
                            last_activity_at=now)
            try:
                self.store.open_ticket(licensee_id, ticket, message, own_hash)
            except (Conflict, TransactWriteError):
                logger.info("chat hand-over raced another write; trying again", extra={"attempt": attempt})
                time.sleep(0.02 * (attempt + 1))
                continue
            self.metrics.count(MAIL_RECEIVED, outcome="from_chat")
            self.tell_consoles(licensee_id, ticket.ticket_id, "new")
            shop = self._merchant_name(licensee_id)
            text = i18n.text("widget", "mail.ack.body", locale, shop=shop, transcript=transcript)
            # a failed acknowledgement leaves the ticket standing: the merchant's answer still reaches the shopper
            with contextlib.suppress(Unavailable):
                self._send(licensee_id, ticket, [message], text, kind="acknowledgement",
                           author="system:chat-handover", audit=None)
            return ticket.ticket_id, True
        raise Unavailable("The conversation could not be handed over after several attempts.",
                          code="MAIL_WRITE_CONTENDED")

    def reply_from_chat(self, licensee_id: str, ticket_id: str, conversation_id: str, number: int | str,
                        text: str, author: str, files: tuple[Attachment, ...] = (),
                        locale: str = i18n.DEFAULT) -> bool:
        """An agent's reply typed into a handed-over chat goes out as email on its ticket's thread. Keyed by the
        chat message (conversation, its key): sent once however often it is asked. False: sent already.

        `files` (each in the blob store under its `blob_key`) are the message's files: attached to the mail and
        kept with the ticket's message, the mail's text naming them in the shopper's language. A chat file is
        at most chat's 5 MB (about 6.8 MB encoded, within what SES sends and mainstream mailboxes accept), so
        every one travels attached: a link in a mail would have to outlive the credentials that sign it."""
        ticket = self._ticket(licensee_id, ticket_id)
        messages = self.store.messages(licensee_id, ticket_id)
        key = f"msg_chat-{conversation_id}-{number}"
        if any(m.message_key == key for m in messages):
            return False
        carried: list[tuple[Attachment, bytes]] = []
        if files:
            for part in files:
                assert part.blob_key is not None
                carried.append((part, self.blobs.get(part.blob_key)))
            text = "\n\n".join(i18n.text("widget", "mail.file.attached", locale, name=part.name) for part in files)
        try:
            self._send(licensee_id, ticket, messages, text, kind="reply", author=author, audit=AuditRecord(
                subject=f"licensee:{licensee_id}", action="mail.replied", actor=author, at=self.clock.now(),
                details={"ticket_id": ticket_id, "conversation_id": conversation_id, "number": number}),
                message_key=key, attachments=tuple(carried))
        except Conflict:
            return False  # another instance is sending it
        except Unavailable as exc:
            if exc.code == "MAIL_NOT_SENT":
                self.tell_consoles(licensee_id, ticket_id, "reply", author)
            raise
        self.tell_consoles(licensee_id, ticket_id, "reply", author)
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
        message = self._keep_body(licensee_id, message, message.message_key)
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



def chat_key(conversation_id: str, domain: str) -> str:
    """The Message-ID a chat's transcript stands under: the hand-over's business key, and what replies thread on."""
    return f"chat-{conversation_id}@{domain}"
