"""What licensing's use cases hand out: an agreement as staff draft it, a key as issued (its secret shown once),
the answer to "may this key be used now?", and a license as staff and the merchant's console see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.licensing import model
from chalicelib.licensing.model import Channel, Code, KeyKind, KeyRecord, License, Party, Signatory, Status


@dataclass(frozen=True)
class AgreementDraft:
    signed_on: date
    signatories: tuple[Signatory, ...]
    place: str
    effective_date: date
    term_years: int
    channels: frozenset[Channel]
    seats: int
    payment_terms_days: int
    notice_address: str
    support_targets: tuple[int, int] | None = None  # first response, resolution, in business minutes (3.2)


@dataclass(frozen=True)
class IssuedKey:
    """A new key. `secret` is shown once and never stored."""

    key: KeyRecord
    secret: str


@dataclass(frozen=True)
class Validation:
    code: Code
    status: Status | None
    licensee_id: str | None = None
    key: KeyRecord | None = None
    ends_on: date | None = None
    channels: frozenset[Channel] = frozenset()
    staff: bool = False  # a licensor staff key: known, but no merchant's (merchant routes refuse it as such)

    @property
    def valid(self) -> bool:
        return self.code is Code.VALID

    def public(self) -> dict[str, Any]:
        """What a merchant's integration may see: nothing about licenses it holds no key to."""
        return {
            "valid": self.valid,
            "code": self.code.value,
            "status": self.status.value if self.status else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
            "channels": sorted(c.value for c in self.channels),
        }


@dataclass(frozen=True)
class LicenseView:
    """A license as staff and the merchant's console see it: the facts and what follows from them today."""

    licensee_id: str
    party: Party | None
    license: License
    status: Status
    today: date

    @property
    def terms(self) -> model.Terms:
        return model.terms_on(self.license, self.today)

    def as_dict(self) -> dict[str, Any]:
        lic, terms = self.license, self.terms
        ended = model.termination(lic)
        return {
            "licensee_id": self.licensee_id,
            "licensee": vars(self.party) if self.party else None,
            "status": self.status.value,
            "agreement": {
                "agreement_id": lic.agreement.agreement_id,
                "signed_on": lic.agreement.signed_on.isoformat(),
                "place": lic.agreement.place,
                "signatories": [vars(s) for s in lic.agreement.signatories],
                "effective_date": lic.agreement.effective_date.isoformat(),
                "term_years": lic.agreement.term_years,
            },
            "starts_on": model.starts_on(lic).isoformat(),
            "ends_on": model.ends_on(lic).isoformat(),
            "terms": _terms_dict(terms),
            "termination_date": ended.effective_date.isoformat() if ended and ended.effective_date else None,
            "periods": [{"number": p.number, "start": p.start.isoformat(), "end": p.end.isoformat(),
                         "kind": p.kind} for p in lic.periods],
            "amendments": [_terms_dict(t) for t in lic.terms],
            "events": [{"kind": e.kind.value, "at": e.at.isoformat(), "reason": e.reason,
                        "effective_date": e.effective_date.isoformat() if e.effective_date else None}
                       for e in lic.events],
            "keys": [key_dict(k) for k in lic.keys],
        }


def _terms_dict(terms: model.Terms) -> dict[str, Any]:
    return {"version": terms.version, "effective_date": terms.effective_date.isoformat(),
            "channels": sorted(c.value for c in terms.channels), "seats": terms.seats,
            "payment_terms_days": terms.payment_terms_days, "notice_address": terms.notice_address,
            "note": terms.note, "support_first_response_minutes": terms.support_first_response_minutes,
            "support_resolution_minutes": terms.support_resolution_minutes}


def key_dict(key: KeyRecord) -> dict[str, Any]:
    """A key as it may be listed: never the secret, only its recognisable prefix."""
    out: dict[str, Any] = {"key_id": key.key_id, "kind": key.kind.value, "prefix": key.prefix,
                           "created_at": key.created_at.isoformat(),
                           "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
                           "active": key.active}
    if key.kind is KeyKind.WIDGET:
        out["allowed_origins"] = list(key.allowed_origins)
    elif key.kind is KeyKind.STAFF:
        out["staff_name"], out["staff_email"] = key.agent_name, key.agent_email
    else:
        out["agent_name"], out["agent_email"], out["role"] = key.agent_name, key.agent_email, key.role.value
    return out
