"""A customer as one contact, as pure rules: what a contact id is (an email address or a phone number), how a
phone number is looked up in mail, and which addresses and numbers one hop of what we hold adds. No storage."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from chalicelib.core.errors import InvalidInput

MAX_HOPS_ADDED = 5  # addresses or numbers one contact view follows beyond the one asked for
_MOBILE = re.compile(r"(?<![\d-])(?:\+?86[ -]?)?(1[3-9]\d(?:[ -]?\d){8})(?![\d-])")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


@dataclass
class Who:
    """The addresses and numbers one customer is known by, in the order they were found."""

    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)   # E.164

    def add_email(self, address: str) -> None:
        address = address.strip().lower()
        if address and address not in self.emails and len(self.emails) <= MAX_HOPS_ADDED:
            self.emails.append(address)

    def add_phone(self, number: str) -> None:
        if number and number not in self.phones and len(self.phones) <= MAX_HOPS_ADDED:
            self.phones.append(number)


def read(contact_id: str) -> Who:
    """`anna@example.org` or `+8613800138000` (spaces and dashes allowed; a mainland mobile without +86 too)."""
    from chalicelib.phone.model import e164

    text = contact_id.strip()
    who = Who()
    if "@" in text:
        if not _EMAIL.match(text):
            raise InvalidInput("A contact is an email address or a phone number.", code="INVALID_CONTACT")
        who.add_email(text)
        return who
    compact = re.sub(r"[\s\-.()]", "", text)
    if re.fullmatch(r"1[3-9]\d{9}", compact):
        compact = "+86" + compact  # how Chinese customers write their mobile
    try:
        who.add_phone(e164(compact, "contact"))
    except InvalidInput:
        raise InvalidInput("A contact is an email address or a phone number, e.g. +8613800138000.",
                           code="INVALID_CONTACT") from None
    return who


def mail_lookup(number: str) -> str | None:
    """The lookup term mail keeps for a number a customer wrote (`phone:13800138000`): mainland mobiles only."""
    found = _MOBILE.fullmatch(number.replace("+86", "", 1)) if number.startswith("+86") else None
    return f"phone:{re.sub(r'[^0-9]', '', found.group(1))}" if found else None


def mentioned_phones(texts: Iterable[str]) -> list[str]:
    """Mainland mobile numbers written in a subject or message, as E.164."""
    out: list[str] = []
    for text in texts:
        for match in _MOBILE.findall(text or ""):
            number = "+86" + re.sub(r"[^0-9]", "", match)
            if number not in out:
                out.append(number)
    return out
