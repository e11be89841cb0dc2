"""The licensing table: one partition per licensee holds its profile, agreement, terms, periods, events and
keys, so a whole license is read with one Query. Key lookups live in their own partitions, by hash.

Every change bumps the agreement's revision under a condition (optimistic concurrency) and writes its audit
record in the same transaction: a failed write leaves no half record. The addresses a license names (agent keys'
emails, notice addresses) are kept by address too, in the transaction of the change that names or drops them, so
mail to the support desk finds its licensee with one Query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pynamodb.attributes import (
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters import dynamodb
from chalicelib.adapters.dynamodb import Batch
from chalicelib.audit import store as audit_store
from chalicelib.audit.model import AuditRecord
from chalicelib.licensing.model import (
    STAFF_OWNER,
    Agreement,
    Channel,
    EventKind,
    KeyKind,
    KeyRecord,
    License,
    LicenseEvent,
    Party,
    Period,
    Role,
    Signatory,
    Terms,
    named_addresses,
    normal_address,
)

LICENSOR_PK = "LICENSOR"
STAFF_PK = "STAFF"  # the licensor's staff keys, in one partition beside the licensor's profile


class DirectoryIndex(GlobalSecondaryIndex["LicensingItem"]):
    """Sparse index of licensee profiles, so staff can list licensees without a Scan."""

    class Meta:
        index_name = "directory"
        projection = AllProjection()

    directory = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class LicensingItem(Model):
    class Meta:
        table_name = "licensing"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute(attr_name="type")
    schema_version = NumberAttribute(default=1)
    directory = UnicodeAttribute(null=True)
    directory_index = DirectoryIndex()


class PartyItem(LicensingItem, discriminator="party"):
    full_name = UnicodeAttribute()
    short_name = UnicodeAttribute()
    address = UnicodeAttribute()
    contact_person = UnicodeAttribute()
    phone = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class SignatoryMap(MapAttribute[str, str]):
    party = UnicodeAttribute()
    name = UnicodeAttribute()
    title = UnicodeAttribute(default="")


class AgreementItem(LicensingItem, discriminator="agreement"):
    agreement_id = UnicodeAttribute()
    signed_on = UnicodeAttribute()
    signatories = ListAttribute(of=SignatoryMap)
    place = UnicodeAttribute()
    effective_date = UnicodeAttribute()
    term_years = NumberAttribute()
    revision = NumberAttribute(default=0)
    active_agent_keys = NumberAttribute(default=0)


class TermsItem(LicensingItem, discriminator="terms"):
    version = NumberAttribute()
    effective_date = UnicodeAttribute()
    channels = ListAttribute(of=UnicodeAttribute)
    seats = NumberAttribute()
    payment_terms_days = NumberAttribute()
    notice_address = UnicodeAttribute()
    note = UnicodeAttribute(default="")
    support_first_response_minutes = NumberAttribute(null=True)  # absent: the standard support targets
    support_resolution_minutes = NumberAttribute(null=True)


class PeriodItem(LicensingItem, discriminator="period"):
    number = NumberAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    period_kind = UnicodeAttribute()


class EventItem(LicensingItem, discriminator="event"):
    number = NumberAttribute()
    event_kind = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    effective_date = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(default="")


class KeyItem(LicensingItem, discriminator="key"):
    key_id = UnicodeAttribute()
    key_kind = UnicodeAttribute()
    key_hash = UnicodeAttribute()
    prefix = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)
    allowed_origins = ListAttribute(of=UnicodeAttribute, default=list)
    agent_name = UnicodeAttribute(default="")
    agent_email = UnicodeAttribute(default="")
    role = UnicodeAttribute(default="agent")  # absent on keys issued before roles: agent


class KeyLookupItem(LicensingItem, discriminator="key_lookup"):
    """`KEYHASH#<sha256>` → which licensee and key. Deleted on revocation."""

    licensee_id = UnicodeAttribute()
    key_id = UnicodeAttribute()


class AddressItem(LicensingItem, discriminator="address"):
    """`ADDRESS#<address>` / `LICENSEE#<id>#<source>`: an address a licensee's license names, one item per licensee
    and place it is named (`KEY#<key id>`: an active agent key's email, deleted with the key's revocation;
    `NOTICE`: a notice address of any terms version). One partition per address, so an address two licensees
    share is seen as shared; an empty address is never written."""

    licensee_id = UnicodeAttribute()


MODELS: tuple[type[Model], ...] = (LicensingItem,)


def _pk(licensee_id: str) -> str:
    return f"LICENSEE#{licensee_id}"


def _party(item: PartyItem) -> Party:
    return Party(full_name=item.full_name, short_name=item.short_name, address=item.address,
                 contact_person=item.contact_person, phone=item.phone)


def _party_item(pk: str, party: Party, at: object, directory: str | None) -> PartyItem:
    return PartyItem(pk=pk, sk="PROFILE", directory=directory, full_name=party.full_name,
                     short_name=party.short_name, address=party.address, contact_person=party.contact_person,
                     phone=party.phone, created_at=at)


@dataclass(frozen=True)
class LicenseeRow:
    licensee_id: str
    party: Party


class LicensingStore:
    """The only code that knows how licenses are laid out in DynamoDB."""

    # -- parties ---------------------------------------------------------------------------------------
    def save_licensor(self, party: Party, audit: AuditRecord) -> None:
        with dynamodb.transaction("The licensor profile changed meanwhile; try again.") as tx:
            tx.save(_party_item(LICENSOR_PK, party, audit.at, None))
            audit_store.add_to(tx, audit)

    def licensor(self) -> Party | None:
        item = _get(LICENSOR_PK, "PROFILE")
        return _party(item) if isinstance(item, PartyItem) else None

    def create_licensee(self, licensee_id: str, party: Party, audit: AuditRecord) -> None:
        with dynamodb.transaction("A licensee with this id exists already.") as tx:
            tx.save(_party_item(_pk(licensee_id), party, audit.at, "licensee"),
                    condition=LicensingItem.pk.does_not_exist())
            audit_store.add_to(tx, audit)

    def licensee(self, licensee_id: str) -> Party | None:
        item = _get(_pk(licensee_id), "PROFILE")
        return _party(item) if isinstance(item, PartyItem) else None

    def licensees(self) -> list[LicenseeRow]:
        return [LicenseeRow(i.pk.removeprefix("LICENSEE#"), _party(i))
                for i in LicensingItem.directory_index.query("licensee") if isinstance(i, PartyItem)]

    # -- the license -----------------------------------------------------------------------------------
    def load(self, licensee_id: str, *, consistent: bool = True) -> License | None:
        """The whole license in one Query. Staff read strongly consistent (they see their own changes);
        validation reads eventually consistent at half the cost, as it caches for a TTL anyway."""
        agreement: AgreementItem | None = None
        terms, periods, events, keys = [], [], [], []
        for item in LicensingItem.query(_pk(licensee_id), consistent_read=consistent):
            if isinstance(item, AgreementItem):
                agreement = item
            elif isinstance(item, TermsItem):
                terms.append(_terms(item))
            elif isinstance(item, PeriodItem):
                periods.append(Period(int(item.number), date.fromisoformat(item.start),
                                      date.fromisoformat(item.end), item.period_kind))
            elif isinstance(item, EventItem):
                events.append(LicenseEvent(int(item.number), EventKind(item.event_kind), item.at,
                                           date.fromisoformat(item.effective_date) if item.effective_date else None,
                                           item.reason))
            elif isinstance(item, KeyItem):
                keys.append(_key(item))
        if agreement is None:
            return None
        return License(
            agreement=Agreement(
                licensee_id=licensee_id, agreement_id=agreement.agreement_id,
                signed_on=date.fromisoformat(agreement.signed_on),
                signatories=tuple(Signatory(s.party, s.name, s.title) for s in agreement.signatories),
                place=agreement.place, effective_date=date.fromisoformat(agreement.effective_date),
                term_years=int(agreement.term_years), revision=int(agreement.revision)),
            terms=tuple(sorted(terms, key=lambda t: t.version)),
            periods=tuple(sorted(periods, key=lambda p: p.number)),
            events=tuple(sorted(events, key=lambda e: e.number)),
            keys=tuple(sorted(keys, key=lambda k: (k.created_at, k.key_id))),
        )

    def sign(self, agreement: Agreement, terms: Terms, period: Period, audit: AuditRecord) -> None:
        pk = _pk(agreement.licensee_id)
        with dynamodb.transaction("This licensee has an agreement already; amend or extend it instead.") as tx:
            tx.save(AgreementItem(
                pk=pk, sk="AGREEMENT", agreement_id=agreement.agreement_id,
                signed_on=agreement.signed_on.isoformat(),
                signatories=[SignatoryMap(party=s.party, name=s.name, title=s.title) for s in agreement.signatories],
                place=agreement.place, effective_date=agreement.effective_date.isoformat(),
                term_years=agreement.term_years, revision=1, active_agent_keys=0,
            ), condition=LicensingItem.pk.does_not_exist())
            tx.condition_check(LicensingItem, pk, "PROFILE", condition=LicensingItem.pk.exists())
            tx.save(_terms_item(pk, terms))
            tx.save(_period_item(pk, period))
            _name_address(tx, agreement.licensee_id, terms.notice_address, "NOTICE")
            audit_store.add_to(tx, audit)

    def add_terms(self, lic: License, terms: Terms, audit: AuditRecord) -> None:
        """A new terms version; its notice address is named by address (again, when an earlier version named it:
        one put, and an amendment is rare)."""
        with self._change(lic) as tx:
            tx.save(_terms_item(_pk(lic.licensee_id), terms), condition=LicensingItem.pk.does_not_exist())
            _name_address(tx, lic.licensee_id, terms.notice_address, "NOTICE")
            audit_store.add_to(tx, audit)

    def add_period(self, lic: License, period: Period, audit: AuditRecord) -> None:
        with self._change(lic) as tx:
            tx.save(_period_item(_pk(lic.licensee_id), period), condition=LicensingItem.pk.does_not_exist())
            audit_store.add_to(tx, audit)

    def add_event(self, lic: License, event: LicenseEvent, audit: AuditRecord) -> None:
        with self._change(lic) as tx:
            tx.save(EventItem(
                pk=_pk(lic.licensee_id), sk=f"EVENT#{event.number:06d}", number=event.number,
                event_kind=event.kind.value, at=event.at,
                effective_date=event.effective_date.isoformat() if event.effective_date else None,
                reason=event.reason,
            ), condition=LicensingItem.pk.does_not_exist())
            audit_store.add_to(tx, audit)

    # -- keys ------------------------------------------------------------------------------------------
    def add_key(self, lic: License, key: KeyRecord, key_hash: str, seats: int | None,
                audit: AuditRecord) -> None:
        """Store a new key and its lookup. For an agent key the seat count is checked atomically."""
        pk = _pk(lic.licensee_id)
        with self._change(lic, agent_keys_delta=1 if key.kind is KeyKind.AGENT else 0, seats=seats) as tx:
            tx.save(_key_item(pk, key, key_hash), condition=LicensingItem.pk.does_not_exist())
            tx.save(KeyLookupItem(pk=f"KEYHASH#{key_hash}", sk="KEY", licensee_id=lic.licensee_id,
                                  key_id=key.key_id), condition=LicensingItem.pk.does_not_exist())
            if key.kind is KeyKind.AGENT:
                _name_address(tx, lic.licensee_id, key.agent_email, f"KEY#{key.key_id}")
            audit_store.add_to(tx, audit)

    def revoke_key(self, lic: License, key: KeyRecord, audit: AuditRecord) -> None:
        pk = _pk(lic.licensee_id)
        item = _get(pk, f"KEY#{key.key_id}")
        assert isinstance(item, KeyItem)
        with self._change(lic, agent_keys_delta=-1 if key.kind is KeyKind.AGENT else 0) as tx:
            tx.update(item, actions=[KeyItem.revoked_at.set(audit.at)],
                      condition=KeyItem.revoked_at.does_not_exist())
            tx.delete(KeyLookupItem(pk=f"KEYHASH#{item.key_hash}", sk="KEY"))
            if key.kind is KeyKind.AGENT and normal_address(key.agent_email):
                tx.delete(_address_item(lic.licensee_id, key.agent_email, f"KEY#{key.key_id}"))
            audit_store.add_to(tx, audit)

    # -- addresses (mail to the support desk) ------------------------------------------------------------
    def licensees_at(self, address: str) -> set[str]:
        """The licensees whose license names an address (normalised here). One Query, eventually consistent:
        an address is named by a staff change, long before mail comes from it."""
        address = normal_address(address)
        if not address:
            return set()
        return {i.licensee_id for i in LicensingItem.query(f"ADDRESS#{address}", consistent_read=False)
                if isinstance(i, AddressItem)}

    def name_addresses(self, lic: License) -> int:
        """Write the address items of a license as read (those of licenses older than the items: idempotent),
        under the condition that the license has not changed since it was read, so that a key revoked meanwhile
        is not named again. Conflict when it changed. Returns how many items were written."""
        named = sorted(named_addresses(lic))
        pk = _pk(lic.licensee_id)
        for start in range(0, len(named), ADDRESSES_PER_TRANSACTION):
            with dynamodb.transaction("The license changed while its addresses were being written; try again.") \
                    as tx:
                tx.condition_check(AgreementItem, pk, "AGREEMENT",
                                   condition=AgreementItem.revision == lic.agreement.revision)
                for address, source in named[start:start + ADDRESSES_PER_TRANSACTION]:
                    tx.save(_address_item(lic.licensee_id, address, source))
        return len(named)

    # -- staff keys (the licensor's workspace) -------------------------------------------------------------
    def add_staff_key(self, key: KeyRecord, key_hash: str, audit: AuditRecord) -> None:
        """Store a staff key and its lookup (owned by the licensor, not a merchant), with its audit record."""
        with dynamodb.transaction("A key with this id exists already.") as tx:
            tx.save(_key_item(STAFF_PK, key, key_hash), condition=LicensingItem.pk.does_not_exist())
            tx.save(KeyLookupItem(pk=f"KEYHASH#{key_hash}", sk="KEY", licensee_id=STAFF_OWNER, key_id=key.key_id),
                    condition=LicensingItem.pk.does_not_exist())
            audit_store.add_to(tx, audit)

    def staff_keys(self) -> list[KeyRecord]:
        keys = [_key(i) for i in LicensingItem.query(STAFF_PK, LicensingItem.sk.startswith("KEY#"),
                                                     consistent_read=True) if isinstance(i, KeyItem)]
        return sorted(keys, key=lambda k: (k.created_at, k.key_id))

    def staff_key(self, key_id: str, *, consistent: bool = True) -> KeyRecord | None:
        item = _get(STAFF_PK, f"KEY#{key_id}", consistent=consistent)
        return _key(item) if isinstance(item, KeyItem) else None

    def revoke_staff_key(self, key: KeyRecord, audit: AuditRecord) -> None:
        """Revoke under the condition that nobody did meanwhile; the lookup goes, so the secret stops at once."""
        item = _get(STAFF_PK, f"KEY#{key.key_id}")
        assert isinstance(item, KeyItem)
        with dynamodb.transaction("That key was revoked meanwhile.") as tx:
            tx.update(item, actions=[KeyItem.revoked_at.set(audit.at)], condition=KeyItem.revoked_at.does_not_exist())
            tx.delete(KeyLookupItem(pk=f"KEYHASH#{item.key_hash}", sk="KEY"))
            audit_store.add_to(tx, audit)

    def lookup_key(self, key_hash: str) -> tuple[str, str] | None:
        """Which licensee and key a presented secret belongs to. One GetItem, eventually consistent."""
        item = _get(f"KEYHASH#{key_hash}", "KEY", consistent=False)
        return (item.licensee_id, item.key_id) if isinstance(item, KeyLookupItem) else None

    # -- internals -------------------------------------------------------------------------------------
    def _change(self, lic: License, *, agent_keys_delta: int = 0, seats: int | None = None) -> _Change:
        return _Change(lic, agent_keys_delta, seats)


class _Change:
    """A transaction that first moves the agreement's revision on, under the condition that nobody else did."""

    def __init__(self, lic: License, agent_keys_delta: int, seats: int | None) -> None:
        self.lic, self.delta, self.seats = lic, agent_keys_delta, seats
        self._cm = dynamodb.transaction("The license changed while this change was being made; try again.")

    def __enter__(self) -> Batch:
        tx = self._cm.__enter__()
        agreement = AgreementItem(pk=_pk(self.lic.licensee_id), sk="AGREEMENT")
        actions: list[Action] = [AgreementItem.revision.set(self.lic.agreement.revision + 1)]
        condition = AgreementItem.revision == self.lic.agreement.revision
        if self.delta:
            actions.append(AgreementItem.active_agent_keys.add(self.delta))
        if self.delta > 0 and self.seats is not None:
            condition &= AgreementItem.active_agent_keys < self.seats
        tx.update(agreement, actions=actions, condition=condition)
        return tx

    def __exit__(self, *exc: object) -> bool | None:
        return self._cm.__exit__(*exc)  # type: ignore[arg-type]


ADDRESSES_PER_TRANSACTION = 99  # DynamoDB takes 100 items a transaction; one is the license's condition


def _address_item(licensee_id: str, address: str, source: str) -> AddressItem:
    return AddressItem(pk=f"ADDRESS#{normal_address(address)}", sk=f"LICENSEE#{licensee_id}#{source}",
                       licensee_id=licensee_id)


def _name_address(tx: Batch, licensee_id: str, address: str, source: str) -> None:
    if normal_address(address):  # DynamoDB takes no empty key, and an empty address names nobody
        tx.save(_address_item(licensee_id, address, source))


def _get(pk: str, sk: str, consistent: bool = True) -> LicensingItem | None:
    return dynamodb.get(LicensingItem, pk, sk, consistent=consistent)


def _terms(item: TermsItem) -> Terms:
    return Terms(version=int(item.version), effective_date=date.fromisoformat(item.effective_date),
                 channels=frozenset(Channel(str(c)) for c in item.channels), seats=int(item.seats),
                 payment_terms_days=int(item.payment_terms_days), notice_address=item.notice_address,
                 note=item.note, support_first_response_minutes=_minutes(item.support_first_response_minutes),
                 support_resolution_minutes=_minutes(item.support_resolution_minutes))


def _minutes(value: float | None) -> int | None:
    return None if value is None else int(value)


def _terms_item(pk: str, terms: Terms) -> TermsItem:
    return TermsItem(pk=pk, sk=f"TERMS#{terms.version:06d}", version=terms.version,
                     effective_date=terms.effective_date.isoformat(),
                     channels=sorted(c.value for c in terms.channels), seats=terms.seats,
                     payment_terms_days=terms.payment_terms_days, notice_address=terms.notice_address,
                     note=terms.note, support_first_response_minutes=terms.support_first_response_minutes,
                     support_resolution_minutes=terms.support_resolution_minutes)


def _period_item(pk: str, period: Period) -> PeriodItem:
    return PeriodItem(pk=pk, sk=f"PERIOD#{period.number:06d}", number=period.number,
                      start=period.start.isoformat(), end=period.end.isoformat(), period_kind=period.kind)


def _key_item(pk: str, key: KeyRecord, key_hash: str) -> KeyItem:
    return KeyItem(pk=pk, sk=f"KEY#{key.key_id}", key_id=key.key_id, key_kind=key.kind.value, key_hash=key_hash,
                   prefix=key.prefix, created_at=key.created_at, allowed_origins=list(key.allowed_origins),
                   agent_name=key.agent_name, agent_email=key.agent_email, role=key.role.value)


def _key(item: KeyItem) -> KeyRecord:
    return KeyRecord(key_id=item.key_id, kind=KeyKind(item.key_kind), prefix=item.prefix,
                     created_at=item.created_at, revoked_at=item.revoked_at,
                     allowed_origins=tuple(str(o) for o in item.allowed_origins or ()), agent_name=item.agent_name,
                     agent_email=item.agent_email, role=Role(item.role or Role.AGENT.value))

