"""Mail that arrives (clauses 1.1.2, 3.1): SES's event to a threaded ticket, or to held mail with its reason;
and held mail that staff (or the merchant's admin) release after all."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import i18n
from chalicelib.audit.model import AuditRecord
from chalicelib.core.errors import Conflict, NotFound, Unavailable
from chalicelib.core.ids import new_id
from chalicelib.core.observability import logger
from chalicelib.licensing.model import License
from chalicelib.mail import bounces, model
from chalicelib.mail.agent import WRITE_ATTEMPTS, AgentMail
from chalicelib.mail.ingest_store import Refused, mail_message_key, mail_ticket_id
from chalicelib.mail.loops import Classification, MailKind, classify
from chalicelib.mail.model import (
    Held,
    HoldReason,
    InboundEvent,
    MailSettings,
    Message,
    Outcome,
    Release,
    Ticket,
    TicketStatus,
)
from chalicelib.mail.parsing import ParsedMail, Problem, parse
from chalicelib.mail.threads import (
    ThreadDecision,
    ThreadLookups,
    ThreadVia,
    TicketCandidate,
    choose_ticket,
    lookups,
)
from chalicelib.mail.tickets import new_ticket_id
from chalicelib.mail.tokens import extract_reply_token, read_token
from chalicelib.metrics import MAIL_HELD, MAIL_RECEIVED, MAIL_SENT

# Held mail staff may release to its merchant: what SES or the sender's domain judged (staff can overrule),
# and what the license kept back (delivered once the license allows it). Never a virus, a mail with no sender,
# a delivery report or a mail from our own addresses (a loop).
RELEASABLE = frozenset({HoldReason.SPAM, HoldReason.SPOOFED, HoldReason.CHANNEL_NOT_LICENSED,
                        HoldReason.LICENSE_NOT_IN_FORCE, HoldReason.SUSPICIOUS_SENDER,
                        HoldReason.TOO_MANY_TICKETS})
# A merchant's admin may release what staff may, except mail whose sender's domain disowns it (DMARC): that is
# the phishing a merchant's team is least placed to judge, so it stays with the licensor's staff.
RELEASABLE_BY_MERCHANT = RELEASABLE - {HoldReason.SPOOFED}


class InboundMail(AgentMail):
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

    def use_support_desk(self, address: str, desk: Callable[[ParsedMail, str], Outcome | None]) -> None:
        """Mail to the licensor's own support address goes to the support desk (chalicelib/support/desk.py),
        which answers None for a sender no licensee has: that mail is held like mail to an unknown address."""
        self._desk = (address.strip().lower(), desk)

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
        # a support address never moves to another merchant: a warm function asks the table once in a while
        return self._routes.get(recipient, lambda: self.store.merchant_of(recipient))

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
        # One read of every Message-ID the mail names (its own and those it answers) and of its sender serves the
        # check for a reused id, the first threading decision and the sender's count of new tickets.
        found = lookups(parsed, reply_domain=self.domain, secret=self.secrets)
        seen: dict[str, tuple[str | None, str | None]] | None
        settings: list[MailSettings] = []
        read: dict[str, Ticket] = {}
        seen, sender = self.store.first_reads(licensee_id, [*model.lookup_hashes(key), *_answered(found)],
                                              parsed.from_address, settings=settings, tickets=read)
        if release is None and self._reuses_an_id(licensee_id, key, parsed, seen):
            seen = None  # the mail stands under another key now: threading reads again
            key = model.reused_key(key, self._fingerprint(parsed))
            parsed = replace(parsed, problems=(*parsed.problems, Problem.REUSED_MESSAGE_ID))
        assert parsed.from_address is not None and sender is not None
        own_hash = model.key_hash(key)
        # a contact's name is learnt only from mail a person wrote: a list's or autoresponder's "name" is not theirs
        name = parsed.from_name[:200] if classification.kind is MailKind.PERSON else ""
        counted = release is not None  # staff releasing a held mail overrule the limit too
        number: int | None = None  # taken once, when the mail opens a ticket
        listed: bool | None = False  # the contact lists the ticket the mail opens
        for attempt in range(WRITE_ATTEMPTS):
            decision, tickets, stored = self._thread(licensee_id, parsed, own_hash, released=release is not None,
                                                     key=key, known=(found, seen, read) if attempt == 0 else None)
            if stored:
                return self._duplicate(licensee_id, event)
            if decision.ticket_id is None and not counted:
                counted = True
                now = self.clock.now()
                listed = self.store.count_new_ticket(licensee_id, sender, name, now,
                                                     model.hour_bucket(now), self.settings.mail_tickets_per_sender_hour,
                                                     mail_ticket_id(licensee_id, own_hash))
                if listed is None:
                    return self._hold(licensee_id, key, event, parsed, raw_key, HoldReason.TOO_MANY_TICKETS)
                sender = replace(sender, known=True, first_seen=True, name=name or sender.name)
            message = self._inbound_message(licensee_id, parsed, classification, event, raw_key, own_hash,
                                            decision.ticket_id, keyed=release is None)
            cc = [a.address for a in parsed.cc if not model.is_own_address(a.address, self.domain)]
            if release is not None:
                release = replace(release, audit=replace(release.audit, details={
                    **release.audit.details, "ticket_id": message.ticket_id}))
            try:
                if decision.ticket_id is not None:
                    ticket = tickets[decision.ticket_id]
                    if release is None:
                        self.store.store_reply(licensee_id, ticket, message, own_hash, cc, sender, name)
                    else:
                        self.store.append_inbound(licensee_id, ticket, message, own_hash, cc, release, name)
                else:
                    number = number or self.store.next_number(licensee_id)
                    now = message.created_at
                    chosen = model.round_robin(self.available_agents(licensee_id), number)
                    ticket = Ticket(ticket_id=message.ticket_id, number=number,
                                    subject=(parsed.subject or "(no subject)")[:500], contact=parsed.from_address,
                                    status=TicketStatus.OPEN.value, support_address=address, created_at=now,
                                    last_activity_at=now, assignee_id=chosen[0] if chosen else None,
                                    assignee_name=chosen[1] if chosen else None, routable=release is not None)
                    if release is None:
                        self.store.store_new_ticket(licensee_id, ticket, message, cc,
                                                    bool(listed) and ticket.ticket_id == mail_ticket_id(
                                                        licensee_id, own_hash))
                    else:
                        self.store.open_ticket(licensee_id, ticket, message, own_hash, cc, release, name)
            except Refused as exc:  # nothing lost: kept with its raw mail and the reason, never retried
                logger.warning("mail refused by the database", extra={"ses_id": event.ses_id, "error": str(exc)})
                return self._hold(licensee_id, key, event, parsed, raw_key, HoldReason.UNSTORABLE)
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
            self.tell_consoles(licensee_id, ticket.ticket_id, "new" if decision.ticket_id is None else "message")
            acknowledged = False
            if decision.ticket_id is None:
                acknowledged = self._acknowledge(licensee_id, ticket, message, classification, settings[0])
            return Outcome(licensee_id, "delivered", ticket.ticket_id, new_ticket=decision.ticket_id is None,
                           acknowledged=acknowledged)
        raise Unavailable("The mail could not be stored after several attempts.", code="MAIL_WRITE_CONTENDED")

    def _duplicate(self, licensee_id: str, event: InboundEvent) -> Outcome:
        self.metrics.count(MAIL_RECEIVED, outcome="duplicate")
        logger.info("mail already stored", extra={"ses_id": event.ses_id, "merchant": licensee_id})
        return Outcome(licensee_id, "duplicate")

    def _fingerprint(self, parsed: ParsedMail) -> str:
        return model.fingerprint(parsed.from_address or "", parsed.subject[:1000], model.stored_body(parsed.text)[0])

    def _reuses_an_id(self, licensee_id: str, key: str, parsed: ParsedMail,
                      seen: dict[str, tuple[str | None, str | None]] | None = None) -> bool:
        """Whether a mail with this Message-ID is stored already with other content: then this one is another
        mail that reuses the id (a broken client, or someone hoping to have theirs dropped), kept and flagged."""
        if not parsed.message_id:
            return False
        mine = model.lookup_hashes(key)
        if seen is None:
            seen = self.store.first_reads(licensee_id, mine, None)[0]
        seen = {h: v for h, v in seen.items() if h in mine}
        hit = next(((h, v[0], v[1]) for h, v in seen.items() if v[0]), None)
        if hit is None:
            return False
        found_hash, ticket_id, message_key = hit
        assert ticket_id is not None
        stored = (self.store.message(licensee_id, ticket_id, message_key) if message_key
                  else self.store.first_inbound(licensee_id, ticket_id, found_hash))
        if stored is None or stored.direction != "inbound":
            return False
        same_id = model.normal_message_id(stored.rfc_message_id or "") == model.normal_message_id(parsed.message_id)
        stored = self._whole(stored)
        return not same_id or model.fingerprint(stored.from_address, stored.subject, stored.body) != \
            self._fingerprint(parsed)

    def _thread(self, licensee_id: str, parsed: ParsedMail, own_hash: str, released: bool = False, key: str = "",
                known: tuple[ThreadLookups, dict[str, tuple[str | None, str | None]] | None,
                             dict[str, Ticket]] | None = None,
                ) -> tuple[ThreadDecision, dict[str, Ticket], bool]:
        """The threading decision (reply token, then Message-IDs, then subject tag; only for a sender on the
        ticket), the tickets it looked at, and whether this very mail is stored already (for a release: stored
        in a ticket, not only held)."""
        found = known[0] if known else lookups(parsed, reply_domain=self.domain, secret=self.secrets)
        hashes = _answered(found)
        own = model.lookup_hashes(key) if key else []
        seen = known[1] if known and known[1] is not None else None
        if seen is None:
            seen = self.store.first_reads(licensee_id, [own_hash, *own, *hashes], None)[0]
        mine = next((h for h in (own_hash, *own) if h in seen), None)
        if mine is not None and (not released or seen[mine][0] is not None):
            return ThreadDecision(None, ThreadVia.NEW), {}, True
        by_id = [seen[h][0] for h in hashes if h in seen and seen[h][0]]
        tag_ticket = (self.store.ticket_by_number(licensee_id, found.subject_ticket_number)
                      if found.subject_ticket_number is not None else None)
        wanted = [t for t in (found.token_ticket_id, *by_id, tag_ticket) if t]
        # Reading tickets under this merchant's key is what keeps another merchant's token or id inert here.
        read = known[2] if known and known[1] is not None else {}
        tickets = {t: read[t] for t in wanted if t in read}
        if any(t not in tickets for t in wanted):
            tickets.update(self.store.tickets((licensee_id, t) for t in wanted if t not in tickets))

        def candidate(ticket_id: str | None) -> TicketCandidate | None:
            ticket = tickets.get(ticket_id or "")
            return TicketCandidate(ticket.ticket_id, ticket.contact, ticket.participants) if ticket else None

        decision = choose_ticket(
            parsed, by_token=candidate(found.token_ticket_id),
            by_message_ids=[c for c in (candidate(t) for t in dict.fromkeys(by_id)) if c is not None],
            by_subject_tag=candidate(tag_ticket))
        return decision, tickets, False

    def _inbound_message(self, licensee_id: str, parsed: ParsedMail, classification: Classification,
                         event: InboundEvent, raw_key: str, own_hash: str, ticket_id: str | None,
                         keyed: bool = False) -> Message:
        """The message a mail becomes; `keyed`: its ids come from the mail (ingest_store's plain writes)."""
        body, truncated = model.stored_body(parsed.text)
        attachments = []
        for n, part in enumerate(parsed.attachments):
            blob_key = None
            if part.data is not None:
                blob_key = f"attachments/{licensee_id}/{own_hash}/{n}"
                self.blobs.put(blob_key, part.data, part.content_type)  # same key on a retry: no copies
            attachments.append(part.kept(blob_key, part.filename or f"attachment-{n + 1}"))
        assert parsed.from_address is not None
        text = model.stored_body(parsed.new_text, model.MAX_STORED_TEXT_BYTES)[0]
        now = self.clock.now()
        if keyed:
            message_key = mail_message_key(licensee_id, own_hash, datetime.now(UTC))
            ticket_id = ticket_id or mail_ticket_id(licensee_id, own_hash)
        message = Message(
            message_key=message_key if keyed else new_id("msg"), ticket_id=ticket_id or new_ticket_id(),
            direction="inbound",
            from_address=parsed.from_address, from_name=parsed.from_name[:200], created_at=now,
            to=tuple(a.address for a in parsed.to)[:model.MAX_LISTED_ADDRESSES],
            cc=tuple(a.address for a in parsed.cc)[:model.MAX_LISTED_ADDRESSES],
            subject=parsed.subject[:1000], text=text, body=body, body_truncated=truncated,
            rfc_message_id=parsed.message_id, attachments=tuple(attachments),
            problems=tuple(dict.fromkeys(p.value for p in parsed.problems)), kind=classification.kind.value,
            raw_key=raw_key, verdicts=event.verdicts.as_dict())
        return self._keep_body(licensee_id, message, own_hash)

    def _acknowledge(self, licensee_id: str, ticket: Ticket, message: Message,
                     classification: Classification, settings: MailSettings | None = None) -> bool:
        settings = settings or self.store.settings(licensee_id)
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


def _answered(found: ThreadLookups) -> list[str]:
    """The keys of the Message-IDs a mail answers (In-Reply-To, References)."""
    return [h for i in found.message_ids for h in model.lookup_hashes(i)]
