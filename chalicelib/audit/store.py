"""Audit entries in their own table, chained per subject (clause 9). The functions only ever add; nothing here
updates or deletes an entry, and no role may (infra/grants.py denies it).

A subject's chain has a head item (`entry = "~head"`: after every instant, so time-ordered reads end with it)
holding the last number and hash. A transaction that records a change also puts its entries and moves the head,
on the condition that the head is still where it was read: two writers of one chain at once cannot both link to
the same entry, and the one that loses reads the head again and retries (`Batch.late`). Heads carry a sparse
index by shard, so the daily digest reads the heads and nothing else."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb import Batch, get
from chalicelib.audit.model import GENESIS, AuditRecord, Head, Link, entry_hash
from chalicelib.core.ids import new_id

HEAD = "~head"
HEAD_SHARDS = 8  # heads spread over index partitions; the digest queries each
CHAIN_ACTOR = "system:audit"


class HeadIndex(GlobalSecondaryIndex["AuditItem"]):
    """Only chain heads carry `head_pk`: the digest's list of every chain. Keys only: moving a head changes
    neither its keys nor a projected attribute, so it costs the index no write after the chain's first entry."""

    class Meta:
        index_name = "heads"
        projection = KeysOnlyProjection()

    head_pk = UnicodeAttribute(hash_key=True)
    subject = UnicodeAttribute(range_key=True)


class AuditItem(Model):
    class Meta:
        table_name = "audit"

    subject = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)  # "<ISO instant>#<id>": time-ordered, never colliding; "~head"
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    details = UnicodeAttribute(default="{}")
    seq = NumberAttribute(null=True)  # the entry's number in its chain (the head's: the last number)
    prev = UnicodeAttribute(null=True)  # the hash of the entry before
    chain_hash = UnicodeAttribute(null=True)  # this entry's hash (the head's: the last entry's)
    head_pk = UnicodeAttribute(null=True)
    schema_version = NumberAttribute(default=2)  # 1: before the chain (no seq, prev, chain_hash)
    heads = HeadIndex()


def _shard(subject: str) -> str:
    return f"HEAD#{int(hashlib.sha256(subject.encode()).hexdigest(), 16) % HEAD_SHARDS}"


class _Links:
    """The audit records of one transaction, chained when it commits (see `Batch.late`)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, AuditRecord]] = []

    def add(self, record: AuditRecord) -> None:
        self.records.append((f"{record.at.isoformat()}#{new_id('aud')}", record))

    def retryable(self, label: str) -> bool:
        return label.startswith("audit-head:")

    def writes(self) -> list[tuple[str, Callable[[TransactWrite], None]]]:
        out: list[tuple[str, Callable[[TransactWrite], None]]] = []
        subjects = list(dict.fromkeys(record.subject for _, record in self.records))
        for subject in subjects:
            head = get(AuditItem, subject, HEAD)
            seq, prev = (int(head.seq or 0), head.chain_hash or GENESIS) if head else (0, GENESIS)
            read_seq, last_at = seq, None
            for entry, record in self.records:
                if record.subject != subject:
                    continue
                seq += 1
                item = _item(entry, record, seq, prev)
                prev, last_at = item.chain_hash or GENESIS, record.at
                out.append((f"audit:{subject}:{seq}", _put(item, AuditItem.subject.does_not_exist())))
            moved = AuditItem(subject=subject, entry=HEAD, action="chain.head", actor=CHAIN_ACTOR, at=last_at,
                              seq=seq, chain_hash=prev, head_pk=_shard(subject))
            condition = AuditItem.seq == read_seq if head else AuditItem.subject.does_not_exist()
            out.append((f"audit-head:{subject}", _put(moved, condition)))
        return out


def _put(item: AuditItem, condition: object) -> Callable[[TransactWrite], None]:
    return lambda tx: tx.save(item, condition=condition)  # type: ignore[arg-type]


def _item(entry: str, record: AuditRecord, seq: int, prev: str) -> AuditItem:
    details = json.dumps(record.details, sort_keys=True, default=str, ensure_ascii=False)
    return AuditItem(subject=record.subject, entry=entry, action=record.action, actor=record.actor, at=record.at,
                     details=details, seq=seq, prev=prev,
                     chain_hash=entry_hash(record.subject, entry, seq, prev, record.action, record.actor, record.at,
                                           details))


def add_to(tx: Batch, record: AuditRecord) -> None:
    """Record the change inside the transaction that makes it, as the next link of its subject's chain."""
    tx.late("audit", _Links).add(record)


def append(record: AuditRecord) -> None:
    """Record a fact that changes nothing else (a replayed mail, a backup), in a transaction of its own."""
    batch = Batch()
    add_to(batch, record)
    batch.commit()


def history(subject: str, since: datetime | None = None) -> list[AuditRecord]:
    """Every record about a subject, oldest first."""
    condition = AuditItem.entry >= since.isoformat() if since else None
    return [
        AuditRecord(subject=i.subject, action=i.action, actor=i.actor, at=i.at, details=json.loads(i.details))
        for i in AuditItem.query(subject, range_key_condition=condition) if i.entry != HEAD
    ]


# -- reading the chains back (verification, the digest) -------------------------------------------------------
def chain(subject: str) -> tuple[list[Link], Head | None]:
    """A subject's entries as stored, and its head."""
    links: list[Link] = []
    head: Head | None = None
    for i in AuditItem.query(subject, consistent_read=True):
        if i.entry == HEAD:
            head = Head(subject, int(i.seq or 0), i.chain_hash or "")
        else:
            links.append(Link(i.subject, i.entry, int(i.seq) if i.seq is not None else None, i.prev, i.chain_hash,
                              i.action, i.actor, i.at, i.details))
    return links, head


def heads() -> Iterator[Head]:
    """Every chain's head: the subjects from the sparse index (one query per shard), each head read itself."""
    for shard in range(HEAD_SHARDS):
        subjects = [i.subject for i in AuditItem.heads.query(f"HEAD#{shard}")]
        for i in AuditItem.batch_get([(subject, HEAD) for subject in subjects]):
            yield Head(i.subject, int(i.seq or 0), i.chain_hash or "")
