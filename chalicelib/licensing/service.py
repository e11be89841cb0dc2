"""Licensing use cases: what licensor staff do (through `./kefu`) and what every API request asks."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.core.cache import TtlCache
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.ids import new_id, new_secret, secret_hash
from chalicelib.core.observability import logger
from chalicelib.licensing import checks, model
from chalicelib.licensing.events import (
    AgreementAmended,
    KeyIssued,
    KeyRevoked,
    LicenseChanged,
    LicenseExtended,
    LicenseReinstated,
    LicenseSuspended,
    LicenseTerminated,
    Listener,
)
from chalicelib.licensing.model import (
    Agreement,
    Channel,
    Code,
    EventKind,
    KeyKind,
    KeyRecord,
    License,
    LicenseEvent,
    Party,
    Role,
    Status,
)
from chalicelib.licensing.staff import StaffKeys
from chalicelib.licensing.store import LicensingStore
from chalicelib.licensing.views import AgreementDraft, IssuedKey, LicenseView, Validation
from chalicelib.metrics import LICENSE_CHANGES, LICENSE_VALIDATIONS, MetricsSink

MAX_ORIGINS = 20
# A key nobody knows is remembered for a shorter time, so a key issued elsewhere works quickly.
UNKNOWN_KEY_TTL_SECONDS = 10.0



class LicensingService:
    def __init__(self, store: LicensingStore, clock: Clock, tz: ZoneInfo, *, expiring_window_days: int,
                 cache_ttl_seconds: float, metrics: MetricsSink) -> None:
        self.store = store
        self.clock = clock
        self.tz = tz
        self.expiring_window_days = expiring_window_days
        self.metrics = metrics
        self._key_refs: TtlCache[tuple[str, str] | None] = TtlCache(
            cache_ttl_seconds, clock.monotonic, negative_ttl_seconds=UNKNOWN_KEY_TTL_SECONDS)
        self._licenses: TtlCache[License | None] = TtlCache(cache_ttl_seconds, clock.monotonic)
        self._listeners: list[Listener] = []
        self.staff = StaffKeys(store, clock, cache_ttl_seconds)  # the licensor's own workspace

    def add_listener(self, listener: Listener) -> None:
        """Be told of every stored change (bootstrap wires the areas that follow the license). A listener
        reads what it needs from the license itself and must be idempotent: a change is told once, after
        it is stored, and a listener's failure never undoes it."""
        self._listeners.append(listener)

    # -- parties (clause 2) ----------------------------------------------------------------------------
    def set_licensor(self, party: Party, actor: str) -> None:
        """Record the licensor's own profile (clause 2.1)."""
        checks.check_party(party)
        self.store.save_licensor(party, self._audit("licensor", "licensor.updated", actor, vars(party)))

    def licensor(self) -> Party | None:
        return self.store.licensor()

    def create_licensee(self, party: Party, actor: str, licensee_id: str | None = None) -> str:
        """Register a merchant as a licensee (clause 2.2). Returns its id."""
        checks.check_party(party)
        licensee_id = licensee_id or new_id("lic")
        if not checks.LICENSEE_ID.match(licensee_id):
            raise InvalidInput("A licensee id is 3 to 64 letters, digits, '_' or '-'.", code="INVALID_ID")
        audit = self._audit(licensee_id, "licensee.created", actor, {"short_name": party.short_name})
        self.store.create_licensee(licensee_id, party, audit)
        return licensee_id

    def licensees(self) -> list[dict[str, Any]]:
        return [{"licensee_id": row.licensee_id, **vars(row.party)} for row in self.store.licensees()]

    # -- the agreement (clauses 4, 10, 11.1, 14) -------------------------------------------------------
    def sign(self, licensee_id: str, draft: AgreementDraft, actor: str) -> LicenseView:
        """Record a signed agreement; the license's first period runs from its effective date (clause 4.1)."""
        if draft.effective_date < draft.signed_on:
            raise InvalidInput("The agreement cannot take effect before it is signed (clause 4.1).",
                               code="EFFECTIVE_BEFORE_SIGNING")
        if self.store.licensee(licensee_id) is None:
            raise NotFound(f"No licensee {licensee_id}.", code="UNKNOWN_LICENSEE")
        checks.check_terms(draft.channels, draft.seats, draft.payment_terms_days)
        checks.check_agreement(draft)
        agreement = Agreement(licensee_id, new_id("agr"), draft.signed_on, draft.signatories, draft.place,
                              draft.effective_date, draft.term_years)
        checks.check_support_targets(draft.support_targets)
        first, resolution = draft.support_targets or (None, None)
        terms = model.Terms(1, draft.effective_date, draft.channels, draft.seats, draft.payment_terms_days,
                            draft.notice_address, "as signed", first, resolution)
        period = model.period_for(1, draft.effective_date, draft.term_years, "initial")
        self.store.sign(agreement, terms, period, self._audit(licensee_id, "agreement.signed", actor, {
            "agreement_id": agreement.agreement_id, "signed_on": draft.signed_on, "place": draft.place,
            "effective_date": draft.effective_date, "term_years": draft.term_years,
            "channels": sorted(draft.channels), "seats": draft.seats, "ends_on": period.end}))
        return self.show(licensee_id)

    def extend(self, licensee_id: str, years: int, actor: str, start: date | None = None) -> LicenseView:
        """Clause 4.2: a new period that inherits the current terms. A lapsed license needs a start date."""
        lic = self._license(licensee_id)
        self._refuse_if_terminated(lic)
        current = self._status(lic)
        if current is Status.EXPIRED and start is None:
            raise InvalidInput("The license has expired: give the new period's start date.",
                               code="START_DATE_REQUIRED")
        if start is not None and start <= model.ends_on(lic):
            raise InvalidInput("A new period must start after the current one ends "
                               f"({model.ends_on(lic).isoformat()}).", code="OVERLAPPING_PERIOD")
        if not 1 <= years <= 10:
            raise InvalidInput("An extension runs 1 to 10 years.", code="OUT_OF_RANGE")
        period = model.next_period(lic, years, start)
        self.store.add_period(lic, period, self._audit(licensee_id, "license.extended", actor, {
            "period": period.number, "start": period.start, "end": period.end}))
        return self._changed(LicenseExtended(licensee_id))

    def amend(self, licensee_id: str, effective_date: date, actor: str, *, channels: frozenset[Channel] | None = None,
              seats: int | None = None, payment_terms_days: int | None = None, notice_address: str | None = None,
              note: str = "", support_targets: tuple[int, int] | None = None) -> LicenseView:
        """Clause 10: change channels, seats, payment terms, notice address or the support targets (clause 3.2,
        business minutes to first response and to resolution) from a date; history is kept."""
        lic = self._license(licensee_id)
        self._refuse_if_terminated(lic)
        if effective_date < lic.agreement.effective_date:
            raise InvalidInput("An amendment cannot take effect before the agreement does.",
                               code="AMENDMENT_BEFORE_AGREEMENT")
        if channels is None and seats is None and payment_terms_days is None and notice_address is None \
                and support_targets is None:
            raise InvalidInput("The amendment changes nothing.", code="EMPTY_AMENDMENT")
        base = model.terms_on(lic, effective_date)
        if notice_address is not None and not model.is_email(notice_address):
            raise InvalidInput("The notice address must be an email address (clause 13.1).",
                               code="INVALID_NOTICE_ADDRESS")
        terms = model.amended(base, max(t.version for t in lic.terms) + 1, effective_date, channels=channels,
                              seats=seats, payment_terms_days=payment_terms_days, notice_address=notice_address,
                              note=note, support_targets=support_targets)
        checks.check_terms(terms.channels, terms.seats, terms.payment_terms_days)
        checks.check_support_targets(support_targets)
        self.store.add_terms(lic, terms, self._audit(licensee_id, "agreement.amended", actor, {
            "version": terms.version, "effective_date": effective_date, "channels": sorted(terms.channels),
            "seats": terms.seats, "payment_terms_days": terms.payment_terms_days, "note": note,
            "support_targets": list(support_targets) if support_targets else None}))
        return self._changed(AgreementAmended(licensee_id, effective_date))

    def suspend(self, licensee_id: str, reason: str, actor: str) -> LicenseView:
        """Suspend use at once (clause 8: late payment, among others); keys stop within the cache TTL."""
        lic = self._license(licensee_id)
        self._refuse_if_terminated(lic)
        if model.is_suspended(lic, self.clock.now()):
            raise Conflict("The license is already suspended.", code="ALREADY_SUSPENDED")
        return self._event(lic, EventKind.SUSPEND, None, reason, actor)

    def ensure_suspended(self, licensee_id: str, reason: str, actor: str) -> bool:
        """Suspend unless suspended already (billing's hold for late payment); True when this call suspended."""
        lic = self._license(licensee_id)
        self._refuse_if_terminated(lic)
        if model.is_suspended(lic, self.clock.now()):
            return False
        self._event(lic, EventKind.SUSPEND, None, reason, actor)
        return True

    def ensure_reinstated(self, licensee_id: str, reason: str, actor: str) -> bool:
        """Lift a suspension; False when there is none to lift, or the agreement has been terminated."""
        lic = self._license(licensee_id)
        if model.termination(lic) is not None or not model.is_suspended(lic, self.clock.now()):
            return False
        self._event(lic, EventKind.REINSTATE, None, reason, actor)
        return True

    def reinstate(self, licensee_id: str, reason: str, actor: str) -> LicenseView:
        lic = self._license(licensee_id)
        self._refuse_if_terminated(lic)
        if not model.is_suspended(lic, self.clock.now()):
            raise Conflict("The license is not suspended.", code="NOT_SUSPENDED")
        return self._event(lic, EventKind.REINSTATE, None, reason, actor)

    def terminate(self, licensee_id: str, effective_date: date, reason: str, actor: str) -> LicenseView:
        """Clause 10/11.1: termination by notice with an effective date; from that day every key stops."""
        lic = self._license(licensee_id)
        if model.termination(lic) is not None:
            raise Conflict("The agreement has already been terminated.", code="ALREADY_TERMINATED")
        if effective_date < self._today():
            raise InvalidInput("A termination cannot take effect in the past.", code="TERMINATION_IN_PAST")
        return self._event(lic, EventKind.TERMINATE, effective_date, reason, actor)

    def show(self, licensee_id: str) -> LicenseView:
        lic = self._license(licensee_id)
        return LicenseView(licensee_id, self.store.licensee(licensee_id), lic, self._status(lic), self._today())

    def history(self, licensee_id: str) -> list[AuditRecord]:
        return audit_store.history(f"licensee:{licensee_id}")

    # -- keys ------------------------------------------------------------------------------------------
    def issue_widget_key(self, licensee_id: str, allowed_origins: list[str], actor: str) -> IssuedKey:
        """A public key for the storefront widget, bound to the origins it may be used from."""
        origins = []
        for origin in allowed_origins:
            normal = checks.origin_pattern(origin)
            if normal is None:
                raise InvalidInput(f"'{origin}' is not a web origin such as https://shop.example.",
                                   code="INVALID_ORIGIN")
            origins.append(normal)
        if not 1 <= len(origins) <= MAX_ORIGINS:
            raise InvalidInput(f"A widget key needs 1 to {MAX_ORIGINS} allowed origins.", code="INVALID_ORIGIN")
        return self._issue(licensee_id, KeyKind.WIDGET, actor, allowed_origins=tuple(sorted(set(origins))))

    def issue_agent_key(self, licensee_id: str, agent_name: str, agent_email: str, actor: str,
                        role: Role = Role.AGENT) -> IssuedKey:
        """A secret key for one agent; each holds one of the licensed seats, and an agent holds one key.
        An admin key also manages the merchant's team and settings."""
        agent_email = agent_email.strip().lower()
        if not agent_name.strip() or len(agent_name) > 100:
            raise InvalidInput("An agent key needs the agent's name (up to 100 characters).", code="INVALID_AGENT")
        if not model.is_email(agent_email):
            raise InvalidInput("An agent key needs the agent's email address.", code="INVALID_AGENT")
        if any(k.kind is KeyKind.AGENT and k.active and k.agent_email == agent_email
               for k in self._license(licensee_id).keys):
            raise Conflict("This agent already holds a key; revoke it first to issue a new one.",
                           code="AGENT_HAS_KEY")
        return self._issue(licensee_id, KeyKind.AGENT, actor, agent_name=agent_name.strip(),
                           agent_email=agent_email, role=Role(role))

    def seats(self, licensee_id: str) -> int:
        """The seats the license gives today (or on its first day, before it starts)."""
        return self._seats(self._license(licensee_id))

    def keys(self, licensee_id: str) -> list[KeyRecord]:
        return list(self._license(licensee_id).keys)

    def revoke_key(self, licensee_id: str, key_id: str, actor: str) -> KeyRecord:
        lic = self._license(licensee_id)
        key = next((k for k in lic.keys if k.key_id == key_id), None)
        if key is None:
            raise NotFound(f"{licensee_id} has no key {key_id}.", code="UNKNOWN_KEY_ID")
        if not key.active:
            raise Conflict("That key is already revoked.", code="ALREADY_REVOKED")
        self.store.revoke_key(lic, key, self._audit(licensee_id, "key.revoked", actor, {
            "key_id": key_id, "kind": key.kind.value}))
        self._changed(KeyRevoked(licensee_id, key_id))
        return next(k for k in self._license(licensee_id).keys if k.key_id == key_id)

    # -- addresses (mail to the support desk, clause 3.2) -----------------------------------------------
    def licensees_at(self, address: str) -> set[str]:
        """The licensees whose license names this address: an active agent key's email or a notice address of
        any terms version. One Query; the items are written with the changes that name the addresses."""
        return self.store.licensees_at(address)

    def name_addresses(self) -> dict[str, int]:
        """Write the address items of every licensee's license (licenses older than the items); safe to run
        again. A license changed meanwhile is read again. Returns licensees and items written."""
        licensees = written = 0
        for row in self.store.licensees():
            for attempt in range(5):
                lic = self.store.load(row.licensee_id)
                if lic is None:
                    break
                try:
                    written += self.store.name_addresses(lic)
                except Conflict:
                    if attempt == 4:
                        raise
                    continue
                licensees += 1
                break
        return {"licensees": licensees, "addresses": written}

    # -- validation (clauses 1.1.3, 3.1.1) -------------------------------------------------------------
    def validate(self, secret: str | None, channel: Channel | None) -> Validation:
        """Check a presented key against its license and a channel. Warm, this reads nothing from DynamoDB."""
        result = self._validate(secret, channel)
        self.metrics.count(LICENSE_VALIDATIONS, code=result.code.value)
        return result

    def _validate(self, secret: str | None, channel: Channel | None) -> Validation:
        if not secret or len(secret) > 200:
            return Validation(Code.UNKNOWN_KEY, None)
        digest = secret_hash(secret)
        ref = self._key_refs.get(digest, lambda: self.store.lookup_key(digest))
        if ref is None:
            return Validation(Code.UNKNOWN_KEY, None)
        licensee_id, key_id = ref
        if licensee_id == model.STAFF_OWNER:
            return Validation(Code.UNKNOWN_KEY, None, staff=True)
        lic = self.license(licensee_id)
        if lic is not None and not any(k.key_id == key_id for k in lic.keys):
            # A key issued since this process cached the license: read the license again (strongly) instead
            # of refusing a key that exists, so a new key works here as soon as its lookup does.
            self._licenses.forget(licensee_id)
            lic = self._licenses.get(licensee_id, lambda: self.store.load(licensee_id, consistent=True))
        now = self.clock.now()
        code, status = model.check(lic, key_id, channel, now, self.tz, self.expiring_window_days)
        if code is Code.UNKNOWN_KEY or lic is None:
            return Validation(code, None)
        key = next(k for k in lic.keys if k.key_id == key_id)
        today = now.astimezone(self.tz).date()
        return Validation(code, status, licensee_id, key, model.ends_on(lic),
                          model.terms_on(lic, today).channels)

    def current(self, licensee_id: str, *, consistent: bool = True) -> License:
        """The license as stored now, not cached; NotFound without a licensee or a signed agreement."""
        return self._license(licensee_id, consistent=consistent)

    def licensee(self, licensee_id: str) -> Party | None:
        return self.store.licensee(licensee_id)

    def license(self, licensee_id: str) -> License | None:
        """The license as requests see it: cached in the process for the TTL, read eventually consistent.
        Other areas that gate on the license (mail, chat) use this instead of a cache of their own."""
        return self._licenses.get(licensee_id, lambda: self.store.load(licensee_id, consistent=False))

    # -- internals -------------------------------------------------------------------------------------
    def _issue(self, licensee_id: str, kind: KeyKind, actor: str, **fields: Any) -> IssuedKey:
        lic = self._license(licensee_id)
        self._refuse_if_terminated(lic)
        seats = None
        if kind is KeyKind.AGENT:
            seats = self._seats(lic)
            active = sum(1 for k in lic.keys if k.kind is KeyKind.AGENT and k.active)
            if active >= seats:
                raise Conflict(f"All {seats} licensed seats hold an agent key; revoke one or amend the seats.",
                               code="SEAT_LIMIT")
        secret = new_secret("kf_pub" if kind is KeyKind.WIDGET else "kf_agent")
        key = KeyRecord(key_id=new_id("key"), kind=kind, prefix=secret[:12], created_at=self.clock.now(), **fields)
        self.store.add_key(lic, key, secret_hash(secret), seats, self._audit(licensee_id, "key.issued", actor, {
            "key_id": key.key_id, "kind": kind.value, "prefix": key.prefix,
            "allowed_origins": list(key.allowed_origins),
            **({"role": key.role.value} if kind is KeyKind.AGENT else {})}))
        self._changed(KeyIssued(licensee_id, key.key_id))
        return IssuedKey(key, secret)

    def _event(self, lic: License, kind: EventKind, effective_date: date | None, reason: str,
               actor: str) -> LicenseView:
        event = LicenseEvent(len(lic.events) + 1, kind, self.clock.now(), effective_date, reason)
        self.store.add_event(lic, event, self._audit(lic.licensee_id, f"license.{kind.value}", actor, {
            "reason": reason, "effective_date": effective_date}))
        announced: LicenseChanged
        if kind is EventKind.TERMINATE and effective_date is not None:
            announced = LicenseTerminated(lic.licensee_id, effective_date)
        elif kind is EventKind.SUSPEND:
            announced = LicenseSuspended(lic.licensee_id, actor)
        else:
            announced = LicenseReinstated(lic.licensee_id, actor)
        return self._changed(announced)

    def _changed(self, event: LicenseChanged) -> LicenseView:
        self._licenses.forget(event.licensee_id)
        self.metrics.count(LICENSE_CHANGES, action=event.action)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # the change is stored; a listener catches up on its own (see add_listener)
                logger.exception("a license listener failed", extra={"licensee_id": event.licensee_id,
                                                                    "action": event.action})
        return self.show(event.licensee_id)

    def _license(self, licensee_id: str, *, consistent: bool = True) -> License:
        lic = self.store.load(licensee_id, consistent=consistent)
        if lic is None:
            if self.store.licensee(licensee_id) is None:
                raise NotFound(f"No licensee {licensee_id}.", code="UNKNOWN_LICENSEE")
            raise NotFound(f"{licensee_id} has not signed an agreement yet.", code="NO_AGREEMENT")
        return lic

    def _refuse_if_terminated(self, lic: License) -> None:
        if model.termination(lic) is not None:
            raise Conflict("The agreement has been terminated; nothing more can change (clause 11.1).",
                           code="TERMINATED")

    def _status(self, lic: License) -> Status:
        return model.status(lic, self.clock.now(), self.tz, self.expiring_window_days)

    def _seats(self, lic: License) -> int:
        return model.terms_on(lic, max(self._today(), model.starts_on(lic))).seats

    def _today(self) -> date:
        return self.clock.now().astimezone(self.tz).date()

    def _audit(self, licensee_id: str, action: str, actor: str, details: dict[str, Any]) -> AuditRecord:
        return AuditRecord(subject=f"licensee:{licensee_id}", action=action, actor=actor, at=self.clock.now(),
                           details=details)
