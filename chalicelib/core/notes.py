"""An agent's private note on a conversation or a ticket: the merchant's agents see it, the customer never does.
One record for chat and mail alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Note:
    note_id: str
    agent_id: str
    agent_name: str
    text: str
    created_at: datetime
