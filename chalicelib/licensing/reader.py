"""The narrow, typed view of licenses that other areas get. Licensing's service implements it; billing and
mail depend on these protocols, never on licensing's store."""

from __future__ import annotations

from typing import Protocol

from chalicelib.licensing.events import Listener
from chalicelib.licensing.model import License, Party


class LicenseReader(Protocol):
    def license(self, licensee_id: str) -> License | None:
        """The license as requests see it: cached for a short time, read eventually consistent."""
        ...

    def current(self, licensee_id: str, *, consistent: bool = True) -> License:
        """The license as stored now (not cached). NotFound (UNKNOWN_LICENSEE, NO_AGREEMENT) without one."""
        ...

    def licensee(self, licensee_id: str) -> Party | None:
        """The licensee's profile (clause 2.2), or None for an unknown licensee."""
        ...

    def licensor(self) -> Party | None:
        """The licensor's own profile (clause 2.1)."""
        ...


class LicenseHolds(LicenseReader, Protocol):
    """What billing may do to a license besides reading it: hold it for late payment and lift the hold (clause
    8), and follow its changes."""

    def ensure_suspended(self, licensee_id: str, reason: str, actor: str) -> bool:
        """Suspend the license unless it is suspended already; True when this call suspended it."""
        ...

    def ensure_reinstated(self, licensee_id: str, reason: str, actor: str) -> bool:
        """Lift a suspension; False when the license is not suspended or has been terminated."""
        ...

    def add_listener(self, listener: Listener) -> None:
        ...
