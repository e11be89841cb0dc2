"""Local mode's stand-in for Amazon Connect's DescribeContact: `./kefu phone simulate` tells it the contacts it
makes up, and the same handler that reads Connect on AWS reads them here."""

from __future__ import annotations

from typing import Any


class LocalContacts:
    def __init__(self) -> None:
        self._contacts: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, instance_id: str, contact_id: str, contact: dict[str, Any]) -> None:
        self._contacts[(instance_id, contact_id)] = contact

    def describe(self, instance_id: str, contact_id: str) -> dict[str, Any] | None:
        return self._contacts.get((instance_id, contact_id))
