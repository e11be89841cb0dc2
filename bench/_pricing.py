"""What a transaction costs at DynamoDB's prices, from the items it writes.

DynamoDB Local reports plain writes as AWS bills them (a unit per KB of the larger of the item before and after,
and the same for each index entry written or removed), but not transactions: it reports four units for each
distinct *shape* of write in a transaction (its per-item figures go through a set), so eight small items of one
shape read as 4 units where AWS bills 16, and one small item reads as 4 where AWS bills 2. A transaction's figure
on DynamoDB Local says little about its price, and a design could lower it by making its items alike.

So the meter prices transactions itself, as AWS documents them: every item written, deleted or checked in a
transaction costs 2 units per KB of the larger of its images (at least 2), and every index entry it puts,
changes or removes costs a unit per KB of the entry at the standard rate. The images are read before and after
the call with an unmetered client. Sizes follow DynamoDB's rules: the UTF-8 lengths of attribute names and
values, numbers by their digits, a byte or three of overhead for lists, maps and booleans. A transaction that is
refused is not priced (DynamoDB Local reports nothing for it either)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KB = 1024

Item = Mapping[str, Mapping[str, Any]]


def value_size(value: Mapping[str, Any]) -> int:
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "B":
        return len(data)
    if kind == "N":
        digits = data.lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in data.items())
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in data)
    if kind == "BS":
        return sum(len(b) for b in data)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Item | None) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


def units(size: int) -> int:
    return max(1, math.ceil(size / KB))


@dataclass(frozen=True)
class Index:
    """A secondary index as DescribeTable tells it: its key attributes and what it projects."""
    name: str
    keys: tuple[str, ...]
    projection: str               # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()

    def entry(self, item: Item | None, table_keys: Sequence[str]) -> dict[str, Any] | None:
        """The index entry this item makes, or None if it is not in the index (sparse)."""
        if item is None or any(k not in item for k in self.keys):
            return None
        if self.projection == "ALL":
            return dict(item)
        wanted = set(self.keys) | set(table_keys) | (set(self.included) if self.projection == "INCLUDE" else set())
        return {k: v for k, v in item.items() if k in wanted}

    @classmethod
    def described(cls, description: Mapping[str, Any]) -> Index:
        projection = description.get("Projection", {})
        return cls(description["IndexName"], tuple(k["AttributeName"] for k in description["KeySchema"]),
                   projection.get("ProjectionType", "ALL"), tuple(projection.get("NonKeyAttributes", ())))


def index_units(old: Item | None, new: Item | None, indexes: Sequence[Index], table_keys: Sequence[str]) -> int:
    """Standard-rate units for the index entries a write changes: a new entry, a removed one, a moved one
    (removed and put) or one whose projected attributes changed."""
    total = 0
    for index in indexes:
        before, after = index.entry(old, table_keys), index.entry(new, table_keys)
        if before is None and after is None:
            continue
        if before is None or after is None:
            total += units(item_size(after if before is None else before))
        elif any(before[k] != after[k] for k in index.keys):
            total += units(item_size(before)) + units(item_size(after))
        elif before != after:
            total += units(item_size(after))
    return total


def transaction_units(writes: Sequence[tuple[Item | None, Item | None]], indexes: Sequence[Sequence[Index]],
                      table_keys: Sequence[Sequence[str]]) -> int:
    """AWS's price of a TransactWriteItems call: per item (its images before and after; a condition check has
    the same image twice), 2 units per KB of the larger image, and its index entries at the standard rate."""
    total = 0
    for (old, new), item_indexes, keys in zip(writes, indexes, table_keys, strict=True):
        total += 2 * units(max(item_size(old), item_size(new)))
        total += index_units(old, new, item_indexes, keys)
    return total
