"""Where a merchant's content lies, step by step: each step finds what a request is about in one area (one
person's, or all of the merchant's), and either reads it for an export or erases it, blobs included. A step
is idempotent: erasing finds only what is left, so a request that ran out of time runs its step again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.chat import privacy_store as chat
from chalicelib.core.blobs import BlobNotFound, BlobStore
from chalicelib.core.budget import Budget
from chalicelib.mail import privacy_store as mail
from chalicelib.phone import privacy_store as phone
from chalicelib.privacy.archive import safe_name
from chalicelib.privacy.model import Kind, Person
from chalicelib.resources import ATTACHMENTS_PREFIX, CHAT_FILES_PREFIX, EXPORTS_PREFIX

# The steps of every request, in order; a merchant's erasure ends with what is left of its settings.
STEPS = ("chats", "tickets", "held_mail", "calls", "contacts")
MERCHANT_STEPS = (*STEPS, "rest")


@dataclass
class Found:
    """What one export step read: records by kind for data.json, files as (archive path, bytes)."""

    records: dict[str, list[Any]] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Blobs:
    """The blob stores content lives in: the main one, and where SES stored raw mail (may be the same)."""

    main: BlobStore
    raw_mail: BlobStore

    def read(self, store: BlobStore, key: str) -> bytes | None:
        try:
            return store.get(key)
        except (BlobNotFound, ValueError):
            return None  # gone by retention already: the record says it existed


def _stop(budget: Budget | None) -> bool:
    return budget is not None and budget.exhausted()


# -- export ------------------------------------------------------------------------------------------------
def export_step(step: str, licensee_id: str, who: Person | None, blobs: Blobs) -> Found:
    """Read one step's content: a person's, or the whole merchant's when `who` is None."""
    found = Found()
    if step == "chats":
        for conversation in _conversations(licensee_id, who):
            current, said, noted = chat.conversation_content(licensee_id, conversation.conversation_id)
            found.records.setdefault(Kind.CHATS.value, []).append(
                {"conversation": current or conversation, "messages": said, "notes": noted})
            for line in said:
                if line.attachment is not None:
                    content = blobs.read(blobs.main, line.attachment.key)
                    if content is not None:
                        found.files.append((f"files/chats/{conversation.conversation_id}/{line.key}-"
                                            f"{safe_name(line.attachment.name)}", content))
    elif step == "tickets":
        for ticket in _tickets(licensee_id, who):
            messages, notes = mail.ticket_content(licensee_id, ticket.ticket_id)
            messages = [whole(m, blobs) for m in messages]
            found.records.setdefault(Kind.TICKETS.value, []).append(
                {"ticket": ticket, "messages": messages, "notes": notes})
            for message in messages:
                folder = f"files/tickets/{ticket.number}/{safe_name(message.message_key)}"
                for n, part in enumerate(message.attachments):
                    content = blobs.read(blobs.main, part.blob_key) if part.blob_key else None
                    if content is not None:
                        found.files.append((f"{folder}/{n + 1}-{safe_name(part.filename or 'file')}", content))
                raw = blobs.read(blobs.raw_mail, message.raw_key) if message.raw_key else None
                if raw is not None:
                    found.files.append((f"{folder}/message.eml", raw))
    elif step == "held_mail":
        for held in _held(licensee_id, who):
            found.records.setdefault(Kind.HELD_MAIL.value, []).append(held.as_dict())
            raw = blobs.read(blobs.raw_mail, held.raw_key)
            if raw is not None:
                found.files.append((f"files/held_mail/{safe_name(held.ses_id)}.eml", raw))
    elif step == "calls":
        for call_id in _calls(licensee_id, who):
            record = phone.call_content(licensee_id, call_id)
            if record is None:
                continue
            found.records.setdefault(Kind.CALLS.value, []).append(record)
            if record.recording and not record.recording.startswith("https://"):
                content = blobs.read(blobs.main, record.recording)
                if content is not None:
                    name = safe_name(record.recording.rsplit("/", 1)[-1])
                    found.files.append((f"files/calls/{safe_name(call_id)}-{name}", content))
    elif step == "contacts":
        for address in _addresses(licensee_id, who):
            contact = mail.contact_record(licensee_id, address)
            if contact is not None:
                found.records.setdefault(Kind.CONTACTS.value, []).append(contact)
    return found


# -- erasure -----------------------------------------------------------------------------------------------
def erase_step(step: str, licensee_id: str, who: Person | None, blobs: Blobs,
               budget: Budget | None) -> tuple[dict[str, int], bool]:
    """Erase one step's content; (counts by kind, whether the step is done). Not done means the budget ran out
    between two pieces of work: the step runs again and finds what is left."""
    counts: dict[str, int] = {}

    def count(kind: str, n: int) -> None:
        if n:
            counts[kind] = counts.get(kind, 0) + n

    if step == "chats":
        for conversation in _conversations(licensee_id, who):
            if _stop(budget):
                return counts, False
            _merge(counts, erase_conversation(licensee_id, conversation, blobs))
    elif step == "tickets":
        for ticket in _tickets(licensee_id, who):
            if _stop(budget):
                return counts, False
            _merge(counts, erase_ticket(licensee_id, ticket, blobs))
    elif step == "held_mail":
        for held in _held(licensee_id, who):
            if _stop(budget):
                return counts, False
            _merge(counts, erase_held(licensee_id, held, blobs))
    elif step == "calls":
        for call_id in _calls(licensee_id, who):
            if _stop(budget):
                return counts, False
            _merge(counts, erase_call(licensee_id, call_id, blobs))
        if who is not None and who.phone_digits:
            count("held_call_events", phone.erase_held_events(licensee_id, who.phone_digits))
    elif step == "contacts":
        for address in _addresses(licensee_id, who):
            erased = mail.Erased()
            mail.erase_contact(licensee_id, address, erased)
            count(Kind.CONTACTS.value, erased.counts.get("contacts", 0))
    elif step == "rest":  # a merchant's erasure only: settings, routing, and any blob left under its prefixes
        count("settings", chat.erase_merchant_rest(licensee_id) + mail.erase_merchant_rest(licensee_id)
              + phone.erase_merchant_rest(licensee_id))
        for prefix in (f"{CHAT_FILES_PREFIX}{licensee_id}/", f"{ATTACHMENTS_PREFIX}{licensee_id}/",
                       f"{EXPORTS_PREFIX}{licensee_id}/"):
            count("blobs", _delete_all(blobs.main, prefix))
    return counts, True


# -- erasing one thing, blobs first: were the items deleted first, a crash in between would orphan the blobs --
def erase_conversation(licensee_id: str, conversation: Any, blobs: Blobs) -> dict[str, int]:
    files = _delete_all(blobs.main, chat.file_prefix(licensee_id, conversation.conversation_id))
    return {Kind.CHAT_FILES.value: files, Kind.CHATS.value: 1 if chat.erase_conversation(licensee_id, conversation)
            else 0}


def erase_ticket(licensee_id: str, ticket: Any, blobs: Blobs) -> dict[str, int]:
    messages = [whole(m, blobs) for m in mail.ticket_content(licensee_id, ticket.ticket_id)[0]]
    for message in messages:
        for part in message.attachments:
            if part.blob_key:
                blobs.main.delete(part.blob_key)
        if message.raw_key:
            blobs.raw_mail.delete(message.raw_key)
    erased = mail.Erased()
    # the lookups were made from the whole texts, so they are found again from the whole texts
    mail.erase_ticket(licensee_id, ticket, erased, texts=[m.text or "" for m in messages])
    for message in messages:  # the long bodies last: a step cut short finds them again through the items
        if message.body_key:
            blobs.main.delete(message.body_key)
    return erased.counts


def whole(message: Any, blobs: Blobs) -> Any:
    """A mail message with its whole text and body, where its item keeps only a preview and the rest lies in the
    blob store (mail/tickets.py `_keep_body`)."""
    if not getattr(message, "body_key", None):
        return message
    content = blobs.read(blobs.main, message.body_key)
    if content is None:
        return message
    kept = json.loads(content)
    return replace(message, text=kept.get("text"), body=kept.get("body"))


def erase_held(licensee_id: str, held: Any, blobs: Blobs) -> dict[str, int]:
    blobs.raw_mail.delete(held.raw_key)
    erased = mail.Erased()
    mail.erase_held(licensee_id, held, erased)
    return erased.counts


def erase_call(licensee_id: str, call_id: str, blobs: Blobs) -> dict[str, int]:
    record = phone.call_content(licensee_id, call_id)
    recordings = 0
    if record and record.recording and not record.recording.startswith("https://"):
        recordings = 1 if blobs.main.delete(record.recording) else 0
    deleted, _ = phone.erase_call(licensee_id, call_id)
    return {Kind.RECORDINGS.value: recordings, Kind.CALLS.value: 1 if deleted else 0}


def forget_files(licensee_id: str, ticket_id: str, before: dict[str, Any], blobs: Blobs) -> dict[str, int]:
    """Retention of a kept ticket's files: attachments and raw mail older than their own periods."""
    counts: dict[str, int] = {}
    for kind, attachments, raw in ((Kind.ATTACHMENTS.value, True, False), (Kind.RAW_MAIL.value, False, True)):
        erased = mail.forget_blobs(licensee_id, ticket_id, before[kind], attachments=attachments, raw=raw)
        for key in erased.blobs:
            blobs.main.delete(key)
        for key in erased.raw_mail:
            blobs.raw_mail.delete(key)
        _merge(counts, erased.counts)
    return counts


def _merge(counts: dict[str, int], more: dict[str, int]) -> None:
    for kind, n in more.items():
        if n:
            counts[kind] = counts.get(kind, 0) + n


def _delete_all(store: BlobStore, prefix: str) -> int:
    return sum(1 for key in list(store.keys(prefix)) if store.delete(key))


# -- finding -----------------------------------------------------------------------------------------------
def _conversations(licensee_id: str, who: Person | None) -> list[Any]:
    if who is None:
        return list(chat.merchant_conversations(licensee_id))
    if not (who.email or who.customer_id):
        return []
    return chat.contact_conversations(licensee_id, who.email, who.customer_id)


def _tickets(licensee_id: str, who: Person | None) -> list[Any]:
    if who is None:
        return list(mail.merchant_tickets(licensee_id))
    return mail.contact_tickets(licensee_id, who.email, who.phone_digits)


def _held(licensee_id: str, who: Person | None) -> list[Any]:
    if who is None:
        return mail.held_mail(licensee_id)
    return mail.held_mail(licensee_id, address=who.email) if who.email else []


def _calls(licensee_id: str, who: Person | None) -> list[str]:
    if who is None:
        return list(phone.merchant_calls(licensee_id))
    return list(phone.merchant_calls(licensee_id, customer=who.e164)) if who.e164 else []


def _addresses(licensee_id: str, who: Person | None) -> list[str]:
    if who is None:
        return []  # a merchant's contacts go with its partition, in the last step
    return [who.email] if who.email else []

