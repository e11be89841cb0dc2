"""Tags live in the chat table (both channels' tags in one place, one partition per shop):

  TAGS#<lic> / E#<kind>#<id>        the tags of one conversation or ticket, under a revision
  TAG#<lic>#<tag> / <kind>#<id>     one per tag and item: what a filter by tag reads, one Query

A change writes the item's new list (conditional on the revision it read), adds and removes the per-tag
items, and its audit record, in one transaction: all of it or none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.adapters import dynamodb
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.chat.store import ChatItem

SHOP_LIMIT = 2000  # tagged items read to list the tags in use (most shops tag far fewer)


class TagsItem(ChatItem, discriminator="tags"):
    kind = UnicodeAttribute()
    item_id = UnicodeAttribute()
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    revision = NumberAttribute(default=0)
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()


class TaggedItem(ChatItem, discriminator="tagged"):
    kind = UnicodeAttribute()
    item_id = UnicodeAttribute()
    tagged_at = UTCDateTimeAttribute()


@dataclass(frozen=True)
class Tags:
    kind: str
    item_id: str
    tags: tuple[str, ...]
    revision: int = 0


def _shop(licensee_id: str) -> str:
    return f"TAGS#{licensee_id}"


def _tag_pk(licensee_id: str, tag: str) -> str:
    return f"TAG#{licensee_id}#{tag}"


def _of(item: TagsItem) -> Tags:
    return Tags(item.kind, item.item_id, tuple(str(t) for t in item.tags or ()), int(item.revision))


class TagStore:
    def tags(self, licensee_id: str, kind: str, item_id: str) -> Tags:
        found = dynamodb.get(ChatItem, _shop(licensee_id), f"E#{kind}#{item_id}")
        return _of(found) if isinstance(found, TagsItem) else Tags(kind, item_id, ())

    def many(self, licensee_id: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, ...]]:
        """The tags of many items at once (the inbox's page): one BatchGet; untagged items are absent."""
        wanted = list(dict.fromkeys((_shop(licensee_id), f"E#{kind}#{item_id}") for kind, item_id in keys))
        if not wanted:
            return {}
        return {(i.kind, i.item_id): tuple(str(t) for t in i.tags or ()) for i in ChatItem.batch_get(wanted)
                if isinstance(i, TagsItem) and i.tags}

    def tagged(self, licensee_id: str, tag: str, limit: int = 200) -> list[tuple[str, str]]:
        """(kind, id) of the items that carry a tag."""
        return [(i.kind, i.item_id) for i in ChatItem.query(_tag_pk(licensee_id, tag), limit=limit)
                if isinstance(i, TaggedItem)]

    def in_shop(self, licensee_id: str) -> list[tuple[str, ...]]:
        """Every tagged item's tags (to list the tags in use), up to SHOP_LIMIT items."""
        found = ChatItem.query(_shop(licensee_id), ChatItem.sk.startswith("E#"), limit=SHOP_LIMIT)
        return [tuple(str(t) for t in i.tags or ()) for i in found if isinstance(i, TagsItem) and i.tags]

    def save(self, licensee_id: str, current: Tags, tags: Sequence[str], added: Sequence[str],
             removed: Sequence[str], at: datetime, actor: str, audit: AuditRecord) -> Tags:
        """Replace an item's tags, unless someone changed them since `current` was read (then a Conflict)."""
        kind, item_id = current.kind, current.item_id
        condition = ChatItem.pk.does_not_exist() if current.revision == 0 else \
            TagsItem.revision == current.revision
        with dynamodb.transaction("The tags changed meanwhile; look again and retry.") as tx:
            tx.save(TagsItem(pk=_shop(licensee_id), sk=f"E#{kind}#{item_id}", kind=kind, item_id=item_id,
                             tags=list(tags), revision=current.revision + 1, updated_at=at, updated_by=actor),
                    condition=condition, label="revision")
            for tag in added:
                tx.save(TaggedItem(pk=_tag_pk(licensee_id, tag), sk=f"{kind}#{item_id}", kind=kind,
                                   item_id=item_id, tagged_at=at))
            for tag in removed:
                tx.delete(TaggedItem(pk=_tag_pk(licensee_id, tag), sk=f"{kind}#{item_id}"))
            audit_store.add_to(tx, audit)
        return Tags(kind, item_id, tuple(tags), current.revision + 1)
