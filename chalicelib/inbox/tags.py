"""Tags on conversations and tickets as pure rules: what a tag may be, how a list of them is read, and what
a change added and removed. No storage here."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from chalicelib.core.errors import InvalidInput

KINDS = ("chat", "ticket")
MAX_LENGTH = 32       # characters of one tag: "退款", "vip", "物流-延误"
MAX_PER_ITEM = 10     # tags on one conversation or ticket
PREFIX = "tag:"       # a search for `tag:退款` looks the tag up exactly


def tag(value: str) -> str:
    """One tag as stored: trimmed, inner whitespace folded to one space, case-folded (VIP and vip are one tag);
    1 to 32 characters, no control characters and no commas (a comma separates tags where people type them)."""
    folded = " ".join(unicodedata.normalize("NFKC", value).split()).casefold()
    if not folded or len(folded) > MAX_LENGTH or "," in folded or any(
            unicodedata.category(ch).startswith("C") for ch in folded):
        raise InvalidInput(f"A tag is 1 to {MAX_LENGTH} characters, without commas.", code="INVALID_TAG",
                           details={"tag": value[:MAX_LENGTH + 8], "max_length": MAX_LENGTH})
    return folded


def tag_list(values: Sequence[str]) -> tuple[str, ...]:
    """A conversation's or ticket's tags as asked for: each read by `tag`, the same one once, in the order
    given; at most MAX_PER_ITEM."""
    tags = tuple(dict.fromkeys(tag(v) for v in values))
    if len(tags) > MAX_PER_ITEM:
        raise InvalidInput(f"At most {MAX_PER_ITEM} tags on one conversation or ticket.", code="TOO_MANY_TAGS",
                           details={"max_items": MAX_PER_ITEM})
    return tags


def changes(before: Iterable[str], after: Iterable[str]) -> tuple[list[str], list[str]]:
    """(added, removed) between two lists of tags, each in its list's order: what the audit record says."""
    old, new = list(before), list(after)
    return [t for t in new if t not in old], [t for t in old if t not in new]


def searched_tag(query: str) -> str | None:
    """The tag a search names with `tag:…`, or None when the query is no such lookup (or no valid tag)."""
    text = query.strip()
    if not text.casefold().startswith(PREFIX):
        return None
    try:
        return tag(text[len(PREFIX):])
    except InvalidInput:
        return None


def in_use(tag_lists: Iterable[Sequence[str]]) -> list[tuple[str, int]]:
    """The shop's tags with how many conversations and tickets carry each, most used first, then by name."""
    counts: dict[str, int] = {}
    for tags in tag_lists:
        for t in tags:
            counts[t] = counts.get(t, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
