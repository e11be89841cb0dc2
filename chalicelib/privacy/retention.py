"""Retention (clause 7): each merchant's content is kept for its own periods (or the defaults), then erased by
the scheduled `privacy-run`. DynamoDB TTLs and the bucket's lifecycle rules (infra/) are the outer bound that
holds even if the job stopped; the job applies the merchant's periods, which may be shorter, and removes a
ticket's or a conversation's items together, never half of one."""

from __future__ import annotations

from datetime import datetime

from chalicelib.chat import privacy_store as chat
from chalicelib.mail import privacy_store as mail
from chalicelib.phone import privacy_store as phone
from chalicelib.privacy import model
from chalicelib.privacy.model import Kind, Retained
from chalicelib.privacy.sources import (
    Blobs,
    _delete_all,
    _merge,
    erase_call,
    erase_conversation,
    erase_held,
    erase_ticket,
    forget_files,
)


def apply(licensee_id: str, periods: dict[Retained, int], now: datetime, blobs: Blobs) -> dict[str, int]:
    """Erase what is past its period for one merchant; counts by kind of what was erased."""
    cut = {kind: model.cutoff(now, days) for kind, days in periods.items()}
    counts: dict[str, int] = {}
    for conversation in list(chat.merchant_conversations(licensee_id)):
        if conversation.last_activity < cut[Retained.CHATS]:
            _merge(counts, erase_conversation(licensee_id, conversation, blobs))
        elif conversation.created_at < cut[Retained.ATTACHMENTS]:
            files = _delete_all(blobs.main, chat.file_prefix(licensee_id, conversation.conversation_id))
            _merge(counts, {Kind.CHAT_FILES.value: files})
    files_before = {Kind.ATTACHMENTS.value: cut[Retained.ATTACHMENTS], Kind.RAW_MAIL.value: cut[Retained.RAW_MAIL]}
    oldest_kept = max(files_before.values())
    for ticket in list(mail.merchant_tickets(licensee_id)):
        if ticket.last_activity_at < cut[Retained.TICKETS]:
            _merge(counts, erase_ticket(licensee_id, ticket, blobs))
        elif ticket.created_at < oldest_kept:  # a younger ticket has no message past either period
            _merge(counts, forget_files(licensee_id, ticket.ticket_id, files_before, blobs))
    for address in mail.contacts_without_tickets(licensee_id, cut[Retained.TICKETS]):
        erased = mail.Erased()
        mail.erase_contact(licensee_id, address, erased)
        _merge(counts, erased.counts)
    for call_id in list(phone.merchant_calls(licensee_id, before=cut[Retained.CALLS])):
        _merge(counts, erase_call(licensee_id, call_id, blobs))
    for held in mail.held_mail(licensee_id, before=cut[Retained.HELD_MAIL]):
        _merge(counts, erase_held(licensee_id, held, blobs))
    return counts
