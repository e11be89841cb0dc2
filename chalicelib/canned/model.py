"""Canned responses as pure rules: what a shortcut may look like, which placeholders a text may carry and how
they are filled. No storage here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.errors import InvalidInput

SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_TEXT = 4000
MAX_TITLE = 100
MAX_PER_SHOP = 200
# What a text may ask for, filled in the console from the conversation or ticket at hand.
PLACEHOLDERS = ("customer_name", "order_number", "agent_name", "ticket_number")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class CannedResponse:
    response_id: str
    shortcut: str
    title: str
    text: str
    updated_at: datetime
    updated_by: str


def check(shortcut: str, text: str) -> str:
    """The shortcut in its stored form; refuses a malformed one and a placeholder nobody can fill."""
    shortcut = shortcut.strip().lower().lstrip("/")
    if not SHORTCUT.match(shortcut):
        raise InvalidInput("A shortcut is 1 to 32 lower-case letters, digits, '-' or '_', such as 'ship'.",
                           code="INVALID_SHORTCUT", details={"field": "shortcut"})
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        raise InvalidInput(f"Unknown placeholder(s): {', '.join(unknown)}; use {', '.join(PLACEHOLDERS)}.",
                           code="UNKNOWN_PLACEHOLDER", details={"placeholders": unknown})
    return shortcut


def fill(text: str, values: dict[str, str]) -> str:
    """The text with its placeholders filled; one without a value is left as written, for the agent to see."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), text)
