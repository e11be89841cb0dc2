"""What licensing announces after a change of a license is stored, as typed events. Other areas follow the
license through them (bootstrap wires the listeners) and read what they need from the license itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar


@dataclass(frozen=True)
class LicenseChanged:
    """A stored change of one licensee's license. ``action`` names it in the audit trail and in metrics."""

    licensee_id: str
    action: ClassVar[str] = "license.changed"


@dataclass(frozen=True)
class LicenseExtended(LicenseChanged):
    """Clause 4.2: a new period."""

    action: ClassVar[str] = "license.extended"


@dataclass(frozen=True)
class AgreementAmended(LicenseChanged):
    """Clause 10: a new version of the terms (channels, seats, payment terms, notice address) from a date."""

    effective_date: date
    action: ClassVar[str] = "agreement.amended"


@dataclass(frozen=True)
class LicenseTerminated(LicenseChanged):
    """Clauses 10, 11.1: termination by notice; from ``effective_date`` the service stops."""

    effective_date: date
    action: ClassVar[str] = "license.terminate"


@dataclass(frozen=True)
class LicenseSuspended(LicenseChanged):
    actor: str = ""  # who suspended: staff, or billing for late payment (which sends its own notice)
    action: ClassVar[str] = "license.suspend"


@dataclass(frozen=True)
class LicenseReinstated(LicenseChanged):
    actor: str = ""
    action: ClassVar[str] = "license.reinstate"


@dataclass(frozen=True)
class KeyIssued(LicenseChanged):
    key_id: str
    action: ClassVar[str] = "key.issued"


@dataclass(frozen=True)
class KeyRevoked(LicenseChanged):
    key_id: str
    action: ClassVar[str] = "key.revoked"


# Told each change after it is stored; must be idempotent, and its failure never undoes the change.
Listener = Callable[[LicenseChanged], None]
