"""The licensor's staff keys: the key a member of the licensor's staff signs in to the licensor's workspace with
(the console's Support tab, where requests of every licensee are answered). Stored hashed and looked up like
merchants' keys, issued and revoked by staff on the command line with an audit record each; never a merchant's
key, and a merchant's key is never one of these."""

from __future__ import annotations

from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.core.cache import TtlCache
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.ids import new_id, new_secret, secret_hash
from chalicelib.licensing import model
from chalicelib.licensing.model import STAFF_OWNER, KeyKind, KeyRecord
from chalicelib.licensing.store import LicensingStore
from chalicelib.licensing.views import IssuedKey

AUDIT_SUBJECT = "licensor:staff"
# A secret nobody knows is remembered for a shorter time, so a key issued elsewhere works quickly.
UNKNOWN_TTL_SECONDS = 10.0


class StaffKeys:
    def __init__(self, store: LicensingStore, clock: Clock, cache_ttl_seconds: float) -> None:
        self.store = store
        self.clock = clock
        # A revoked key stops at once in this process and within the TTL in the others, as merchants' keys do.
        self._known: TtlCache[KeyRecord | None] = TtlCache(cache_ttl_seconds, clock.monotonic,
                                                           negative_ttl_seconds=UNKNOWN_TTL_SECONDS)

    def issue(self, name: str, email: str, actor: str) -> IssuedKey:
        """A secret key for one member of the licensor's staff, shown once; one active key per person."""
        email = email.strip().lower()
        if not name.strip() or len(name) > 100:
            raise InvalidInput("A staff key needs the person's name (up to 100 characters).", code="INVALID_STAFF")
        if not model.is_email(email):
            raise InvalidInput("A staff key needs the person's email address.", code="INVALID_STAFF")
        if any(k.active and k.agent_email == email for k in self.store.staff_keys()):
            raise Conflict("This person already holds a staff key; revoke it first to issue a new one.",
                           code="STAFF_HAS_KEY")
        secret = new_secret("kf_staff")
        key = KeyRecord(key_id=new_id("key"), kind=KeyKind.STAFF, prefix=secret[:12], created_at=self.clock.now(),
                        agent_name=name.strip(), agent_email=email)
        self.store.add_staff_key(key, secret_hash(secret), self._audit("staff_key.issued", actor, key))
        return IssuedKey(key, secret)

    def listed(self) -> list[KeyRecord]:
        """Every staff key, active and revoked, oldest first (never a secret)."""
        return self.store.staff_keys()

    def revoke(self, key_id: str, actor: str) -> KeyRecord:
        key = self.store.staff_key(key_id)
        if key is None:
            raise NotFound(f"No staff key {key_id}.", code="UNKNOWN_KEY_ID")
        if not key.active:
            raise Conflict("That key is already revoked.", code="ALREADY_REVOKED")
        self.store.revoke_staff_key(key, self._audit("staff_key.revoked", actor, key))
        self._known.clear()
        revoked = self.store.staff_key(key_id)
        assert revoked is not None
        return revoked

    def identify(self, secret: str | None) -> KeyRecord | None:
        """The active staff key a presented secret is, or None. Warm, this reads nothing from DynamoDB."""
        if not secret or len(secret) > 200:
            return None
        return self._known.get(secret_hash(secret), lambda: self._read(secret_hash(secret)))

    def history(self) -> list[AuditRecord]:
        return audit_store.history(AUDIT_SUBJECT)

    def _read(self, digest: str) -> KeyRecord | None:
        ref = self.store.lookup_key(digest)
        if ref is None or ref[0] != STAFF_OWNER:
            return None
        key = self.store.staff_key(ref[1], consistent=False)
        return key if key is not None and key.active else None

    def _audit(self, action: str, actor: str, key: KeyRecord) -> AuditRecord:
        return AuditRecord(AUDIT_SUBJECT, action, actor, self.clock.now(),
                           {"key_id": key.key_id, "prefix": key.prefix, "name": key.agent_name,
                            "email": key.agent_email})
