"""The mail service's shared part: what it is built from, and what agents read (tickets, their messages and
attachments). The use cases build on it: agents' replies (agent.py), mail that arrives and held mail
(inbound.py), and the service itself with the merchant's settings (service.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalicelib.audit.model import AuditRecord
from chalicelib.core import links
from chalicelib.core.blobs import BlobStore
from chalicelib.core.cache import TtlCache
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.ids import new_id
from chalicelib.core.mailer import Mailer
from chalicelib.core.observability import logger
from chalicelib.licensing.reader import LicenseReader
from chalicelib.mail import model
from chalicelib.mail.model import (
    Message,
    Note,
    Outcome,
    Ticket,
    TicketStatus,
)
from chalicelib.mail.parsing import Attachment, ParsedMail
from chalicelib.mail.store import MailStore
from chalicelib.metrics import MetricsSink
from chalicelib.privacy.model import Person
from chalicelib.resources import BODIES_PREFIX
from chalicelib.settings import Settings

LINK_SECONDS = 3600
_ATTACHMENT_LINK = b"kefu/attachment/v1"


class MailTickets:
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
        self.settings = settings
        self.domain = settings.mail_domain
        self.metrics = metrics
        self._reply_secrets = reply_secrets  # on AWS: read from Secrets Manager on first use
        self._presence: Callable[[str], list[tuple[str, str]]] | None = None
        # Push to the merchant's consoles (local mode's loopback server sets it; None: consoles poll)
        self.publish: Callable[[str, str, dict[str, Any]], object] | None = None
        self._desk: tuple[str, Callable[[ParsedMail, str], Outcome | None]] | None = None
        # support address -> merchant; unknown addresses are asked again soon (one may be added any time)
        self._routes: TtlCache[str | None] = TtlCache(300, time.monotonic, negative_ttl_seconds=5)

    def available_agents(self, licensee_id: str) -> list[tuple[str, str]]:
        """The merchant's agents (id, name) online and with room, whom new tickets go to in turn. The chat
        area knows presence; bootstrap hands its answer in (`use_presence`). Without it, tickets wait unassigned."""
        return self._presence(licensee_id) if self._presence is not None else []

    def use_presence(self, presence: Callable[[str], list[tuple[str, str]]]) -> None:
        self._presence = presence

    @property
    def secrets(self) -> tuple[bytes, ...]:
        """The secrets that sign reply addresses, newest first: KEFU_REPLY_SECRET, else Secrets Manager."""
        if self.settings.reply_secrets:
            return self.settings.reply_secrets
        if self._reply_secrets is not None:
            return self._reply_secrets()
        raise RuntimeError("Neither KEFU_REPLY_SECRET nor KEFU_REPLY_SECRET_ARN is set: reply addresses cannot "
                           "be signed")


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
        out["messages"] = [self.message_dict(licensee_id, self._whole(m)) for m in messages]
        out["notes"] = [note_dict(n) for n in notes]
        return out

    def set_status(self, licensee_id: str, ticket_id: str, status: TicketStatus, actor: str) -> dict[str, Any]:
        ticket = self._ticket(licensee_id, ticket_id)
        self.store.set_status(licensee_id, ticket, status, AuditRecord(
            subject=f"licensee:{licensee_id}", action=f"ticket.{status.value}", actor=actor, at=self.clock.now(),
            details={"ticket_id": ticket_id}))
        self.tell_consoles(licensee_id, ticket_id, "status", actor)
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
                at=self.clock.now(),
                # the trail outlives an erasure: it keeps the contact's digest, never the address itself
                details={"contact": Person(email=address).digest(licensee_id),
                         "reason": contact.undeliverable_reason}))
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


    def tell_consoles(self, licensee_id: str, ticket_id: str, change: str, actor: str | None = None) -> None:
        """Once a change to a ticket is stored, the shop's consoles refresh it and their inbox at once: `change`
        says what changed (new, message, reply, note, status, assigned), `by` the agent key that changed it (so a
        console can tell its own). Push is a shortcut (consoles poll with a cursor too), so a failed one is only
        logged and never fails the write it follows."""
        if self.publish is None:
            return
        event: dict[str, Any] = {"type": "inbox", "kind": "ticket", "id": ticket_id, "change": change}
        if actor is not None and actor.startswith("agent:"):
            event["by"] = actor.removeprefix("agent:")
        try:
            self.publish(licensee_id, "agents", event)
        except Exception:
            logger.exception("push failed", extra={"audience": "agents", "change": change})

    # -- internals -----------------------------------------------------------------------------------------------
    def _ticket(self, licensee_id: str, ticket_id: str) -> Ticket:
        ticket = self.store.ticket(licensee_id, ticket_id) if len(ticket_id) <= 64 else None
        if ticket is None:
            raise NotFound("No such ticket.", code="UNKNOWN_TICKET")
        return ticket

    def _keep_body(self, licensee_id: str, message: Message, key: str) -> Message:
        """The message, its text and body written to the blob store first when they are too large to ride on
        its item (under a key of the mail's own, so a retry writes the same blob)."""
        if model.inline_body(message.text, message.body):
            return message
        body_key = f"{BODIES_PREFIX}{licensee_id}/{key}"
        self.blobs.put(body_key, json.dumps({"text": message.text, "body": message.body},
                                            ensure_ascii=False).encode("utf-8", "surrogatepass"), BODY_TYPE)
        return replace(message, body_key=body_key)

    def _whole(self, message: Message) -> Message:
        """A stored message with its whole text and body, read from the blob store when its item has a preview."""
        if message.body_key is None:
            return message
        kept = json.loads(self.blobs.get(message.body_key))
        return replace(message, text=kept["text"], body=kept["body"])

    def _merchant_name(self, licensee_id: str) -> str:
        party = self.licensing.licensee(licensee_id)
        return party.short_name if party else "Customer service"



BODY_TYPE = "application/json"


def note_dict(note: Note) -> dict[str, Any]:
    return {"id": note.note_id, "agent_id": note.agent_id, "agent_name": note.agent_name, "text": note.text,
            "created_at": note.created_at.isoformat()}


def new_ticket_id() -> str:
    # Lower case, digits and '-' only, so the id rides in a reply+<token> address as it is.
    return new_id("tkt").replace("_", "-")
