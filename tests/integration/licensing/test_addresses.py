"""The addresses a license names, kept by address in the transaction of the change that names or drops them, so
mail to the support desk finds its licensee with one read; and the backfill for licenses older than the items."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from chalicelib import bootstrap
from chalicelib.core.errors import Conflict
from chalicelib.licensing.store import AddressItem, LicensingItem
from chalicelib.support.desk import senders_of
from tests.factories import Factory
from tests.integration.licensing.test_service import CallCounter


def unique(factory: Factory, local: str) -> tuple[str, str]:
    """A licensee with a signed agreement and an address only it has, in the test's own partition."""
    licensee_id = factory.merchant().licensee_id
    return licensee_id, f"{local}-{licensee_id.replace('_', '-')}@shop.example"


def forget_addresses(*addresses: str) -> None:
    """As the table was before the address items: written by an earlier version, for these addresses."""
    for address in addresses:
        for item in LicensingItem.query(f"ADDRESS#{address}"):
            item.delete()


def test_an_agent_keys_email_names_its_licensee_until_the_key_is_revoked(services: bootstrap.Services,
                                                                         factory: Factory) -> None:
    licensee_id, address = unique(factory, "zhang")
    licensing = services.licensing
    issued = licensing.issue_agent_key(licensee_id, "Zhang", f"  {address.upper()} ", "test")
    assert licensing.licensees_at(address) == {licensee_id}
    assert licensing.licensees_at(f" {address.title()}\t") == {licensee_id}  # case and whitespace do not matter
    [item] = [i for i in LicensingItem.query(f"ADDRESS#{address}") if isinstance(i, AddressItem)]
    assert item.sk == f"LICENSEE#{licensee_id}#KEY#{issued.key.key_id}"

    licensing.revoke_key(licensee_id, issued.key.key_id, "test")
    assert licensing.licensees_at(address) == set()
    assert list(LicensingItem.query(f"ADDRESS#{address}")) == []


def test_an_empty_address_names_nobody_and_is_never_written(services: bootstrap.Services, factory: Factory) -> None:
    factory.merchant()  # a widget key, with no email
    assert services.licensing.licensees_at("") == set() == services.licensing.licensees_at("   ")
    assert list(LicensingItem.query("ADDRESS#")) == []


def test_notice_addresses_of_every_terms_version_stay_named(services: bootstrap.Services, factory: Factory) -> None:
    """The desk has always matched any terms version's notice address: mail from the address notices went to
    until the amendment is still the licensee's (answers go to the notice address in force, not to the sender)."""
    licensee_id = factory.licensee()
    first = f"billing-{licensee_id.replace('_', '-')}@shop.example"
    services.licensing.sign(licensee_id, replace(factory.draft(), notice_address=first), "test")
    assert services.licensing.licensees_at(first) == {licensee_id}
    moved = f"Finance-{licensee_id.replace('_', '-')}@Shop.Example"
    services.licensing.amend(licensee_id, date(2026, 6, 1), "test", notice_address=moved)
    services.licensing.amend(licensee_id, date(2026, 7, 1), "test", seats=4)  # the same address, named again
    assert services.licensing.licensees_at(first) == {licensee_id}
    assert services.licensing.licensees_at(moved.lower()) == {licensee_id}
    assert len(list(LicensingItem.query(f"ADDRESS#{moved.lower()}"))) == 1


def test_an_address_named_as_key_and_as_notice_address_outlives_the_keys_revocation(
        services: bootstrap.Services, factory: Factory) -> None:
    licensee_id, address = unique(factory, "owner")
    services.licensing.amend(licensee_id, date(2026, 6, 1), "test", notice_address=address)
    issued = services.licensing.issue_agent_key(licensee_id, "Owner", address, "test")
    services.licensing.revoke_key(licensee_id, issued.key.key_id, "test")
    assert services.licensing.licensees_at(address) == {licensee_id}


def test_an_address_two_licensees_name_is_nobodys_to_the_desk(services: bootstrap.Services,
                                                               factory: Factory) -> None:
    first, address = unique(factory, "shared")
    second = factory.merchant().licensee_id
    senders = senders_of(services.licensing.licensees_at)
    services.licensing.issue_agent_key(first, "Zhang", address, "test")
    assert senders(address) == first
    services.licensing.amend(second, date(2026, 6, 1), "test", notice_address=address)
    assert services.licensing.licensees_at(address) == {first, second}
    assert senders(address) is None


def test_the_desk_finds_a_sender_with_one_query_however_many_licensees(services: bootstrap.Services,
                                                                       factory: Factory) -> None:
    licensee_id, address = unique(factory, "one-read")
    services.licensing.issue_agent_key(licensee_id, "Zhang", address, "test")
    for _ in range(3):
        factory.merchant()
    senders = senders_of(services.licensing.licensees_at)
    counter = CallCounter()
    try:
        assert senders(address) == licensee_id
        assert counter.calls == ["Query"]
        assert senders("stranger@elsewhere.example") is None
        assert counter.calls == ["Query", "Query"]
    finally:
        counter.close()


def test_the_backfill_names_the_addresses_of_older_licenses_once_and_never_a_revoked_key(
        services: bootstrap.Services, factory: Factory) -> None:
    licensee_id, address = unique(factory, "older")
    _, gone = unique(factory, "gone")
    licensing = services.licensing
    licensing.issue_agent_key(licensee_id, "Zhang", address, "test")
    revoked = licensing.issue_agent_key(licensee_id, "Li", gone, "test")
    licensing.revoke_key(licensee_id, revoked.key.key_id, "test")
    notice = licensing.current(licensee_id).terms[0].notice_address
    forget_addresses(address, gone)
    assert licensing.licensees_at(address) == set()

    done = licensing.name_addresses()
    assert done["licensees"] >= 2 and done["addresses"] >= 2
    assert licensing.licensees_at(address) == {licensee_id}
    assert licensee_id in licensing.licensees_at(notice)
    assert licensing.licensees_at(gone) == set()
    before = sorted(i.sk for i in LicensingItem.query(f"ADDRESS#{address}"))
    licensing.name_addresses()  # again: the same items, nothing more
    assert sorted(i.sk for i in LicensingItem.query(f"ADDRESS#{address}")) == before == [
        f"LICENSEE#{licensee_id}#KEY#{k.key_id}" for k in licensing.keys(licensee_id) if k.agent_email == address]


def test_the_backfill_of_a_license_changed_since_it_was_read_writes_nothing(services: bootstrap.Services,
                                                                            factory: Factory) -> None:
    licensee_id, address = unique(factory, "raced")
    licensing = services.licensing
    issued = licensing.issue_agent_key(licensee_id, "Zhang", address, "test")
    read = licensing.store.load(licensee_id)
    assert read is not None
    licensing.revoke_key(licensee_id, issued.key.key_id, "test")  # meanwhile
    with pytest.raises(Conflict):
        licensing.store.name_addresses(read)
    assert licensing.licensees_at(address) == set()
