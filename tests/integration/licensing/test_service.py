"""The license spine against DynamoDB Local: changes, history, keys, seats, validation and its cache."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.audit.store import AuditItem
from chalicelib.core import ids
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.licensing.model import Channel, Code, Status
from chalicelib.licensing.store import KeyItem, LicensingItem
from chalicelib.metrics import MemorySink
from tests.factories import Factory


class CallCounter:
    """Counts the requests PynamoDB sends to DynamoDB Local."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        client = LicensingItem._get_connection().connection.client
        client.meta.events.register("before-call.dynamodb", self._count)
        self._client = client

    def _count(self, model: object, **_: object) -> None:
        self.calls.append(getattr(model, "name", "?"))

    def close(self) -> None:
        self._client.meta.events.unregister("before-call.dynamodb", self._count)


@pytest.fixture
def dynamo_calls(services: bootstrap.Services):  # type: ignore[no-untyped-def]
    services.licensing.store.licensor()  # make sure the connection exists
    counter = CallCounter()
    yield counter
    counter.close()


def test_signing_records_the_agreement_its_first_period_and_the_audit_trail(factory: Factory,
                                                                             services: bootstrap.Services) -> None:
    licensee_id = factory.licensee()
    view = services.licensing.sign(licensee_id, factory.draft(date(2026, 1, 1), years=2), "staff:alice")
    assert view.status is Status.ACTIVE
    assert [(p.start, p.end) for p in view.license.periods] == [(date(2026, 1, 1), date(2027, 12, 31))]
    assert view.terms.channels == {Channel.CHAT, Channel.EMAIL} and view.terms.seats == 3
    actions = [(r.action, r.actor) for r in services.licensing.history(licensee_id)]
    assert actions == [("licensee.created", "test:factory"), ("agreement.signed", "staff:alice")]


def test_a_licensee_cannot_sign_a_second_agreement(factory: Factory, services: bootstrap.Services) -> None:
    licensee_id = factory.licensee()
    services.licensing.sign(licensee_id, factory.draft(), "staff:alice")
    with pytest.raises(Conflict):
        services.licensing.sign(licensee_id, factory.draft(), "staff:alice")
    assert len(services.licensing.history(licensee_id)) == 2


def test_an_agreement_cannot_take_effect_before_it_is_signed(factory: Factory, services: bootstrap.Services) -> None:
    draft = factory.draft(date(2026, 1, 1))
    bad = type(draft)(**{**vars(draft), "signed_on": date(2026, 2, 1)})
    with pytest.raises(InvalidInput) as refused:
        services.licensing.sign(factory.licensee(), bad, "staff:alice")
    assert refused.value.code == "EFFECTIVE_BEFORE_SIGNING"


def test_signing_for_an_unknown_licensee_is_refused(factory: Factory, services: bootstrap.Services) -> None:
    with pytest.raises(NotFound):
        services.licensing.sign("lic_nobody", factory.draft(), "staff:alice")


def test_extension_adds_a_period_with_the_same_terms_and_keeps_history(factory: Factory,
                                                                      services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    view = services.licensing.extend(merchant.licensee_id, 2, "staff:alice")
    assert [(p.number, p.start, p.end, p.kind) for p in view.license.periods] == [
        (1, date(2026, 1, 1), date(2026, 12, 31), "initial"),
        (2, date(2027, 1, 1), date(2028, 12, 31), "extension")]
    assert len(view.license.terms) == 1


def test_an_amendment_is_a_new_version_from_its_date(factory: Factory, services: bootstrap.Services,
                                                    clock) -> None:  # type: ignore[no-untyped-def]
    merchant = factory.merchant(channels=(Channel.CHAT,))
    services.licensing.amend(merchant.licensee_id, date(2026, 7, 1), "staff:alice",
                             channels=frozenset({Channel.CHAT, Channel.PHONE}), note="adds phone")
    view = services.licensing.show(merchant.licensee_id)
    assert [t.version for t in view.license.terms] == [1, 2]
    assert view.terms.channels == {Channel.CHAT}  # today is 15 June
    assert services.licensing.validate(merchant.agent_key, Channel.PHONE).code is Code.CHANNEL_NOT_LICENSED
    clock.advance(timedelta(days=16))  # 1 July, 12:00 Shanghai; the cache TTL has passed too
    assert services.licensing.validate(merchant.agent_key, Channel.PHONE).code is Code.VALID


def test_agent_keys_are_limited_to_the_seats_and_a_revoked_key_frees_one(factory: Factory,
                                                                         services: bootstrap.Services) -> None:
    merchant = factory.merchant(seats=2)
    second = services.licensing.issue_agent_key(merchant.licensee_id, "Two", "two@shop.example", "staff:alice")
    with pytest.raises(Conflict) as refused:
        services.licensing.issue_agent_key(merchant.licensee_id, "Three", "three@shop.example", "staff:alice")
    assert refused.value.code == "SEAT_LIMIT"
    services.licensing.revoke_key(merchant.licensee_id, second.key.key_id, "staff:alice")
    third = services.licensing.issue_agent_key(merchant.licensee_id, "Three", "three@shop.example", "staff:alice")
    assert services.licensing.validate(third.secret, Channel.CHAT).code is Code.VALID


def test_two_staff_issuing_the_last_seat_at_once_get_one_key_between_them(factory: Factory, settings,  # type: ignore[no-untyped-def]
                                                                          clock) -> None:
    merchant = factory.merchant(seats=2)
    # Two processes, each with its own services and caches.
    workers = [bootstrap.build(settings, clock, MemorySink()).licensing for _ in range(2)]
    barrier, outcomes = threading.Barrier(2), []

    def issue(worker) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            worker.issue_agent_key(merchant.licensee_id, "Racer", "racer@shop.example", "staff:race")
            outcomes.append("issued")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=issue, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("issued") == 1
    active = [k for k in workers[0].keys(merchant.licensee_id) if k.active and k.kind.value == "agent"]
    assert len(active) == 2


def test_a_failed_write_leaves_no_half_record(factory: Factory, services: bootstrap.Services,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    merchant = factory.merchant()
    before_keys = services.licensing.keys(merchant.licensee_id)
    before_history = services.licensing.history(merchant.licensee_id)
    # A secret that collides with an existing key makes the key-lookup write fail inside the transaction.
    monkeypatch.setattr("chalicelib.licensing.service.new_secret", lambda prefix: merchant.agent_key)
    with pytest.raises(Conflict):
        services.licensing.issue_agent_key(merchant.licensee_id, "Dup", "dup@shop.example", "staff:alice")
    assert services.licensing.keys(merchant.licensee_id) == before_keys
    assert services.licensing.history(merchant.licensee_id) == before_history
    # Signing set revision 1 and the two keys moved it to 3; the failed issue moved nothing.
    assert services.licensing.show(merchant.licensee_id).license.agreement.revision == 3
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).valid


def test_a_change_made_from_a_stale_read_is_refused_whole(factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    stale = services.licensing.store.load(merchant.licensee_id)
    assert stale is not None
    services.licensing.suspend(merchant.licensee_id, "late payment", "staff:alice")
    from chalicelib.audit.model import AuditRecord
    from chalicelib.licensing.model import EventKind, LicenseEvent

    with pytest.raises(Conflict) as refused:
        services.licensing.store.add_event(stale, LicenseEvent(1, EventKind.SUSPEND, services.clock.now()),
                                           AuditRecord("licensee:x", "license.suspend", "staff:bob",
                                                       services.clock.now()))
    assert refused.value.code == "CONCURRENT_CHANGE"
    assert [e.kind.value for e in services.licensing.show(merchant.licensee_id).license.events] == ["suspend"]
    assert list(AuditItem.query("licensee:x")) == []


def test_agent_keys_are_stored_only_as_hashes(factory: Factory) -> None:
    merchant = factory.merchant()
    stored = [i for i in LicensingItem.query(f"LICENSEE#{merchant.licensee_id}") if isinstance(i, KeyItem)]
    assert stored and all(merchant.agent_key not in str(i.attribute_values) for i in stored)
    assert any(i.key_hash == ids.secret_hash(merchant.agent_key) for i in stored)


def test_a_warm_validation_reads_nothing_from_dynamodb(factory: Factory, services: bootstrap.Services,
                                                       dynamo_calls: CallCounter, metrics: MemorySink) -> None:
    merchant = factory.merchant()
    dynamo_calls.calls.clear()
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).code is Code.VALID
    cold = list(dynamo_calls.calls)
    dynamo_calls.calls.clear()
    for _ in range(5):
        assert services.licensing.validate(merchant.agent_key, Channel.CHAT).code is Code.VALID
    assert cold == ["GetItem", "Query"]
    assert dynamo_calls.calls == []
    assert metrics.total("LicenseValidations", code="VALID") == 6


def test_a_revocation_elsewhere_bites_within_the_cache_ttl(factory: Factory, services: bootstrap.Services,
                                                          settings, clock) -> None:  # type: ignore[no-untyped-def]
    merchant = factory.merchant()
    assert services.licensing.validate(merchant.widget_key, Channel.CHAT).valid
    staff = bootstrap.build(settings, clock, MemorySink()).licensing  # another process
    widget = next(k for k in staff.keys(merchant.licensee_id) if k.kind.value == "widget")
    staff.revoke_key(merchant.licensee_id, widget.key_id, "staff:alice")
    assert services.licensing.validate(merchant.widget_key, Channel.CHAT).valid  # still cached
    clock.advance(timedelta(seconds=settings.license_cache_ttl_seconds))
    assert services.licensing.validate(merchant.widget_key, Channel.CHAT).code is Code.UNKNOWN_KEY


def test_suspension_and_reinstatement_reach_validation(factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    services.licensing.suspend(merchant.licensee_id, "invoice 2026-0007 unpaid", "system:billing")
    result = services.licensing.validate(merchant.agent_key, Channel.CHAT)
    assert (result.code, result.status) == (Code.SUSPENDED, Status.SUSPENDED)
    with pytest.raises(Conflict):
        services.licensing.suspend(merchant.licensee_id, "again", "staff:alice")
    services.licensing.reinstate(merchant.licensee_id, "paid in full", "system:billing")
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).code is Code.VALID


def test_after_the_termination_date_every_key_stops_and_nothing_more_changes(
        factory: Factory, services: bootstrap.Services, clock) -> None:  # type: ignore[no-untyped-def]
    merchant = factory.merchant()
    services.licensing.terminate(merchant.licensee_id, date(2026, 6, 20), "by notice", "staff:alice")
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).code is Code.VALID  # until the 20th
    clock.advance(timedelta(days=5))  # 20 June, 12:00 in Shanghai
    for key in (merchant.agent_key, merchant.widget_key):
        assert services.licensing.validate(key, Channel.CHAT).code is Code.TERMINATED
    for change in (lambda: services.licensing.extend(merchant.licensee_id, 1, "staff:alice"),
                   lambda: services.licensing.issue_agent_key(merchant.licensee_id, "x", "x@y.example", "s:a"),
                   lambda: services.licensing.terminate(merchant.licensee_id, date(2026, 7, 1), "again", "s:a")):
        with pytest.raises(Conflict):
            change()


def test_a_termination_cannot_be_backdated(factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    with pytest.raises(InvalidInput):
        services.licensing.terminate(merchant.licensee_id, date(2026, 6, 1), "late", "staff:alice")


def test_widget_key_origins_are_validated_and_normalised(factory: Factory, services: bootstrap.Services) -> None:
    licensee_id = factory.merchant().licensee_id
    issued = services.licensing.issue_widget_key(licensee_id, ["HTTPS://Shop.Example:443/", "https://*.brand.example"],
                                                 "staff:alice")
    assert issued.key.allowed_origins == ("https://*.brand.example", "https://shop.example")
    for bad in (["ftp://shop.example"], ["https://shop.example/path"], [], ["not an origin"]):
        with pytest.raises(InvalidInput):
            services.licensing.issue_widget_key(licensee_id, bad, "staff:alice")


def test_licensees_are_listed_from_the_directory_index(factory: Factory, services: bootstrap.Services) -> None:
    licensee_id = factory.licensee("Listed Shop")
    assert any(row["licensee_id"] == licensee_id and row["short_name"] == "Listed Shop"
               for row in services.licensing.licensees())


def test_party_records_and_agreements_are_validated_before_anything_is_written(factory: Factory,
                                                                               services: bootstrap.Services) -> None:
    from chalicelib.licensing.model import Party, Signatory

    with pytest.raises(InvalidInput) as refused:
        services.licensing.create_licensee(Party("", "S", "A", "C", "12345"), "staff:alice")
    assert refused.value.code == "INVALID_PARTY"
    licensee_id = factory.licensee()
    draft = factory.draft()
    for change, code in ((dict(signatories=(Signatory("licensor", "Li"),)), "SIGNATORIES_REQUIRED"),
                         (dict(notice_address="not-an-address"), "INVALID_NOTICE_ADDRESS"),
                         (dict(place=" "), "PLACE_REQUIRED")):
        with pytest.raises(InvalidInput) as refused:
            services.licensing.sign(licensee_id, type(draft)(**{**vars(draft), **change}), "staff:alice")
        assert refused.value.code == code
    assert services.licensing.store.load(licensee_id) is None
    assert [r.action for r in services.licensing.history(licensee_id)] == ["licensee.created"]


def test_a_key_issued_elsewhere_works_here_within_the_negative_ttl(
        factory: Factory, services: bootstrap.Services, settings, clock,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.licensing.service import UNKNOWN_KEY_TTL_SECONDS

    merchant = factory.merchant()
    staff = bootstrap.build(settings, clock, MemorySink()).licensing  # another process
    secret = "kf_agent_" + ids.new_id("x")
    assert services.licensing.validate(secret, Channel.CHAT).code is Code.UNKNOWN_KEY  # remembered as unknown
    monkeypatch.setattr("chalicelib.licensing.service.new_secret", lambda prefix: secret)
    staff.issue_agent_key(merchant.licensee_id, "New", "new@shop.example", "staff:alice")
    assert services.licensing.validate(secret, Channel.CHAT).code is Code.UNKNOWN_KEY
    clock.advance(timedelta(seconds=UNKNOWN_KEY_TTL_SECONDS))
    assert settings.license_cache_ttl_seconds > UNKNOWN_KEY_TTL_SECONDS
    assert services.licensing.validate(secret, Channel.CHAT).code is Code.VALID


def test_a_key_issued_elsewhere_works_within_the_negative_ttl_even_where_the_license_is_warm(
        factory: Factory, services: bootstrap.Services, settings, clock,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    """F7: the README promises 10 s; before, a license cached by the merchant's other keys hid the new key for up
    to the whole license TTL (60 s)."""
    from chalicelib.licensing.service import UNKNOWN_KEY_TTL_SECONDS

    merchant = factory.merchant()
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).valid  # the license is now cached here
    staff = bootstrap.build(settings, clock, MemorySink()).licensing  # another process
    secret = "kf_agent_" + ids.new_id("x")
    assert services.licensing.validate(secret, Channel.CHAT).code is Code.UNKNOWN_KEY
    monkeypatch.setattr("chalicelib.licensing.service.new_secret", lambda prefix: secret)
    staff.issue_agent_key(merchant.licensee_id, "New", "new@shop.example", "staff:alice")
    clock.advance(timedelta(seconds=UNKNOWN_KEY_TTL_SECONDS))
    assert UNKNOWN_KEY_TTL_SECONDS <= 10 < settings.license_cache_ttl_seconds
    assert services.licensing.validate(secret, Channel.CHAT).code is Code.VALID
    assert services.licensing.validate(merchant.agent_key, Channel.CHAT).valid


def test_an_agent_holds_one_key_at_a_time(factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant(seats=5)
    with pytest.raises(Conflict) as refused:
        services.licensing.issue_agent_key(merchant.licensee_id, "Agent One", "ONE@shop.example", "staff:alice")
    assert refused.value.code == "AGENT_HAS_KEY"
    for name, email in (("", "x@shop.example"), ("X", "not-an-email")):
        with pytest.raises(InvalidInput):
            services.licensing.issue_agent_key(merchant.licensee_id, name, email, "staff:alice")
