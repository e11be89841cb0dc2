"""Canned responses live in the chat table, one partition per shop (`CANNED#<licensee>`): the list is one
Query, a change one conditional write with its audit record in the same transaction."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.canned.model import CannedResponse
from chalicelib.chat.store import ChatItem


class CannedItem(ChatItem, discriminator="canned"):
    response_id = UnicodeAttribute()
    shortcut = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    text = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()


def _pk(licensee_id: str) -> str:
    return f"CANNED#{licensee_id}"


class CannedStore:
    def responses(self, licensee_id: str) -> list[CannedResponse]:
        return sorted((CannedResponse(i.response_id, i.shortcut, i.title, i.text, i.updated_at, i.updated_by)
                       for i in ChatItem.query(_pk(licensee_id)) if isinstance(i, CannedItem)),
                      key=lambda r: r.shortcut)

    def save(self, licensee_id: str, response: CannedResponse, audit: AuditRecord) -> None:
        """Store a response under its shortcut: a new one, or the same shortcut's text replaced."""
        with dynamodb.transaction("The canned responses changed meanwhile; try again.") as tx:
            tx.save(CannedItem(pk=_pk(licensee_id), sk=f"SHORTCUT#{response.shortcut}",
                               response_id=response.response_id, shortcut=response.shortcut, title=response.title,
                               text=response.text, updated_at=response.updated_at, updated_by=response.updated_by))
            audit_store.add_to(tx, audit)

    def delete(self, licensee_id: str, shortcut: str, audit: AuditRecord) -> None:
        with dynamodb.transaction("No such canned response.") as tx:
            tx.delete(CannedItem(pk=_pk(licensee_id), sk=f"SHORTCUT#{shortcut}"), condition=ChatItem.pk.exists())
            audit_store.add_to(tx, audit)
