"""An audit record is a fact about a change; it is written with the change, in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditRecord:
    subject: str       # what changed, e.g. "licensee:lic_…"
    action: str        # e.g. "agreement.signed", "key.revoked"
    actor: str         # who: "staff:alice", "cli:root", "system:billing"
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)
