"""What an admin may change and how it is shown: no storage here, so the routes load it without the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.licensing.model import KeyRecord

# The widget texts a merchant may write over, per language: a small set the widget reads by these names.
WIDGET_TEXTS = ("greeting", "offline")
MAX_WIDGET_TEXT = 500
MAX_ACKNOWLEDGEMENT = 5000


def actor(admin: KeyRecord) -> str:
    """How an admin's change is signed in the audit trail."""
    return f"admin:{admin.key_id}"


@dataclass(frozen=True)
class SettingsChange:
    """What a PUT of the settings asks to change; None leaves a part as it is."""

    hours: str | None = None
    timezone: str | None = None
    widget_texts: dict[str, dict[str, str]] | None = None
    acknowledge: bool | None = None
    acknowledgement_texts: dict[str, str] | None = None


def agent_dict(key: KeyRecord) -> dict[str, Any]:
    return {"id": key.key_id, "name": key.agent_name, "email": key.agent_email, "role": key.role.value,
            "prefix": key.prefix, "active": key.active, "created_at": key.created_at.isoformat(),
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None}
