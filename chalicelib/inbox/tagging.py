"""Tagging use cases: read and replace the tags of one of the shop's conversations or tickets (audited with
the agent's key id, like every change an agent makes), list the tags in use, find what carries a tag."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.audit.model import AuditRecord
from chalicelib.chat.service import ChatService
from chalicelib.core.clock import Clock
from chalicelib.core.errors import NotFound
from chalicelib.inbox import tags as rules
from chalicelib.inbox.tags_store import Tags, TagStore
from chalicelib.mail.service import MailService


class TagService:
    def __init__(self, store: TagStore, chat: ChatService, mail: MailService, clock: Clock) -> None:
        self.store, self.chat, self.mail, self.clock = store, chat, mail, clock

    def tags(self, licensee_id: str, kind: str, item_id: str) -> Tags:
        """The tags of a conversation or ticket of this shop (NotFound for another shop's, as for none)."""
        self._exists(licensee_id, kind, item_id)
        return self.store.tags(licensee_id, kind, item_id)

    def set_tags(self, licensee_id: str, kind: str, item_id: str, wanted: Sequence[str], agent_id: str) -> Tags:
        """Replace the item's tags with `wanted` (read by `rules.tag_list`); no change writes nothing."""
        tags = rules.tag_list(wanted)
        current = self.tags(licensee_id, kind, item_id)
        added, removed = rules.changes(current.tags, tags)
        if not added and not removed and list(current.tags) == list(tags):
            return current
        now = self.clock.now()
        actor = f"agent:{agent_id}"
        audit = AuditRecord(subject=f"licensee:{licensee_id}", action=f"{kind}.tagged", actor=actor, at=now,
                            details={"kind": kind, "id": item_id, "added": added, "removed": removed})
        return self.store.save(licensee_id, current, tags, added, removed, now, actor, audit)

    def in_use(self, licensee_id: str) -> list[tuple[str, int]]:
        return rules.in_use(self.store.in_shop(licensee_id))

    def _exists(self, licensee_id: str, kind: str, item_id: str) -> None:
        if kind == "chat":
            if self.chat.store.conversation(licensee_id, item_id) is None:
                raise NotFound("No such conversation.", code="CONVERSATION_NOT_FOUND")
        elif self.mail.store.ticket(licensee_id, item_id) is None:
            raise NotFound("No such ticket.", code="UNKNOWN_TICKET")
