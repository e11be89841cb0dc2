"""Reads are recorded (clause 7.1): a command of the licensor's staff that shows a merchant's content calls
`staff_read` first, and the merchant's administrators can list every such read (GET /v1/admin/privacy/accesses)."""

from __future__ import annotations

from typing import Any


def staff_read(services: Any, licensee_id: str | None, actor: str, what: str, ref: str = "") -> None:
    """Record that `actor` of the licensor's staff read a merchant's `what` (e.g. `mail.held`), `ref` naming the
    item where there is one. Content that reached no merchant belongs to nobody's log."""
    if licensee_id:
        services.privacy.record_access(licensee_id, actor, what, ref)
