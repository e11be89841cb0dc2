"""Held call events released by staff (`./kefu phone held release`): routed again once the number or instance
is a merchant's, or to a merchant staff name; once, however often it is asked; never a malformed one."""

from __future__ import annotations

import pytest

from chalicelib.audit.store import history
from chalicelib.bootstrap import Services
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.ids import new_id
from chalicelib.licensing.model import Channel
from tests.factories import Factory
from tests.integration.phone.conftest import PhoneMerchant, contact_event


def held_id(services: Services, licensee_id: str | None, contact: str) -> str:
    [found] = [h["id"] for h in services.phone.held(licensee_id) if h["contact_id"] == contact]
    return found


def test_an_event_for_an_instance_nobody_had_is_released_once_it_is_a_merchants(
        services: Services, factory: Factory) -> None:
    merchant = factory.merchant(channels=(Channel.CHAT, Channel.PHONE))
    contact, instance = new_id("ct"), "inst-" + merchant.licensee_id[-8:]
    event = contact_event("INITIATED", contact, instance, services.clock.now())
    assert services.phone.connect_event(event) == {"result": "held", "reason": "unknown_number"}
    key = held_id(services, None, contact)
    with pytest.raises(Conflict) as still:
        services.phone.release(None, key, "staff:li")
    assert still.value.code == "STILL_UNROUTED"

    services.phone.set_instance(merchant.licensee_id, instance, "staff:li")
    released = services.phone.release(None, key, "staff:li")
    assert released["result"] == "stored" and released["released_to"] == merchant.licensee_id
    assert [c["id"] for c in services.phone.list_calls(merchant.licensee_id, 10, None)["items"]] == \
        [f"connect-{contact}"]
    assert services.phone.release(None, key, "staff:li") == {"result": "released_already",
                                                             "released_to": merchant.licensee_id}
    assert all(h["contact_id"] != contact for h in services.phone.held(None))  # off the list of what waits
    assert [h["released_to"] for h in services.phone.held(None, released=True) if h["contact_id"] == contact] == \
        [merchant.licensee_id]
    assert [r.details["held"] for r in history(f"licensee:{merchant.licensee_id}")
            if r.action == "phone.held.release"] == [key]


def test_staff_route_a_held_event_to_a_merchant_and_license_holds_stay_held(services: Services, factory: Factory,
                                                                            phone_merchant: PhoneMerchant) -> None:
    contact = new_id("ct")
    services.phone.connect_event(contact_event("INITIATED", contact, "inst-nobody", services.clock.now()))
    routed = services.phone.release(None, held_id(services, None, contact), "staff:li", to=phone_merchant.licensee_id)
    assert routed["result"] == "stored" and routed["released_to"] == phone_merchant.licensee_id

    chat_only = factory.merchant(channels=(Channel.CHAT,))
    refused = new_id("ct")
    services.phone.connect_event(contact_event("INITIATED", refused, "inst-nobody", services.clock.now()))
    again = services.phone.release(None, held_id(services, None, refused), "staff:li", to=chat_only.licensee_id)
    assert again == {"result": "held", "reason": "channel_not_licensed", "released_to": None}
    assert [h["contact_id"] for h in services.phone.held(chat_only.licensee_id)] == [refused]

    with pytest.raises(NotFound):
        services.phone.release(None, "connect#nothing#initiated", "staff:li")
    with pytest.raises(NotFound):
        services.phone.release(None, held_id(services, None, refused), "staff:li", to="lic_nobody")


def test_a_malformed_event_cannot_be_released(services: Services) -> None:
    contact = new_id("ct")
    services.phone.connect_event({"detail-type": "Amazon Connect Contact Event",
                                  "detail": {"eventType": "SOMETHING", "contactId": contact}})
    with pytest.raises(Conflict) as refused:
        services.phone.release(None, held_id(services, None, contact), "staff:li")
    assert refused.value.code == "NOT_RELEASABLE"
