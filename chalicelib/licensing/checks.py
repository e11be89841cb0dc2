"""Checks of what staff type in before licensing stores it: party records (clause 2), agreements (clauses 4.1,
13.1, 14), terms, licensee ids and widget origins. Each refuses with a stable code and a readable message."""

from __future__ import annotations

import re

from chalicelib.core.errors import InvalidInput
from chalicelib.licensing import model
from chalicelib.licensing.model import Channel, Party
from chalicelib.licensing.views import AgreementDraft

LICENSEE_ID = re.compile(r"^[A-Za-z0-9_-]{3,64}$")


def check_party(party: Party) -> None:
    problems = model.party_problems(party)
    if problems:
        raise InvalidInput("The party record is incomplete: " + "; ".join(problems) + ".", code="INVALID_PARTY",
                           details={"problems": problems})


def check_agreement(draft: AgreementDraft) -> None:
    """Clause 14: signed by both parties, at a place; clause 13.1: notices need an address."""
    parties = {s.party for s in draft.signatories}
    if parties != {"licensor", "licensee"} or any(not s.name.strip() for s in draft.signatories):
        raise InvalidInput("An agreement is signed by a named signatory of the licensor and of the licensee.",
                           code="SIGNATORIES_REQUIRED")
    if not draft.place.strip():
        raise InvalidInput("Record where the agreement was signed.", code="PLACE_REQUIRED")
    if not model.is_email(draft.notice_address):
        raise InvalidInput("The notice address must be an email address (clause 13.1).",
                           code="INVALID_NOTICE_ADDRESS")
    if not 1 <= draft.term_years <= 10:
        raise InvalidInput("The term runs 1 to 10 years.", code="OUT_OF_RANGE")


def check_terms(channels: frozenset[Channel], seats: int, payment_terms_days: int) -> None:
    if not channels:
        raise InvalidInput("An agreement licenses at least one channel.", code="NO_CHANNELS")
    if not 0 <= seats <= 10_000:
        raise InvalidInput("Seats must be between 0 and 10000.", code="OUT_OF_RANGE")
    if not 0 <= payment_terms_days <= 365:
        raise InvalidInput("Payment terms must be 0 to 365 days.", code="OUT_OF_RANGE")


def origin_pattern(origin: str) -> str | None:
    """An allowed origin as stored: normalised, with an optional `*.` wildcard for subdomains."""
    scheme, sep, rest = origin.strip().partition("://")
    if sep and rest.startswith("*."):
        normal = model.normalise_origin(f"{scheme}://wildcard.{rest[2:]}")
        return normal.replace("://wildcard.", "://*.", 1) if normal else None
    return model.normalise_origin(origin)


def check_support_targets(targets: tuple[int, int] | None) -> None:
    """Clause 3.2: a first response within the resolution time, both in business minutes, at most a year's."""
    if targets is not None and not 0 < targets[0] <= targets[1] <= 250 * 9 * 60:
        raise InvalidInput("Support targets: the first response must be positive and no longer than the resolution.",
                           code="INVALID_TARGETS")
