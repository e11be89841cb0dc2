"""Connect's contact events and call centres' webhooks become call records on DynamoDB Local: in order, out of
order, twice; routed to the merchant whose instance or number it is, or held with the reason."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from chalicelib.bootstrap import Services
from chalicelib.core.errors import Unauthorized
from chalicelib.core.ids import new_id
from chalicelib.licensing.model import Channel
from chalicelib.local.connect import LocalContacts
from chalicelib.metrics import MemorySink
from chalicelib.phone import model
from chalicelib.phone.model import TaskStatus
from tests.factories import Factory
from tests.integration.phone.conftest import PhoneMerchant, call_events, contact_event


def test_events_in_order_make_one_answered_call(services: Services, phone_merchant: PhoneMerchant,
                                                metrics: MemorySink) -> None:
    contact = new_id("ct")
    for event in call_events(contact, phone_merchant.instance, services.clock.now(), answered_after=20):
        assert services.phone.connect_event(event)["result"] == "stored"
    calls = services.phone.list_calls(phone_merchant.licensee_id, 10, None)["items"]
    assert [c["id"] for c in calls] == [f"connect-{contact}"]
    call = calls[0]
    assert (call["outcome"], call["waiting_seconds"], call["talk_seconds"], call["queue"], call["agent"]) == (
        "answered", 20, 120, "presales", "agent-1")
    assert services.phone.tasks(phone_merchant.licensee_id, None) == []
    assert metrics.total("PhoneCalls", outcome="answered") == 1
    assert metrics.total("PhoneAnswerSeconds", source="connect") == 20


def test_out_of_order_and_duplicated_events_still_make_one_correct_record(
        services: Services, phone_merchant: PhoneMerchant, metrics: MemorySink) -> None:
    contact = new_id("ct")
    events = call_events(contact, phone_merchant.instance, services.clock.now(), answered_after=30)
    shuffled = [events[3], events[0], events[3], events[2], events[1], events[0]]
    results = [services.phone.connect_event(e)["result"] for e in shuffled]
    assert results.count("duplicate") == 2
    call = services.phone.show_call(phone_merchant.licensee_id, f"connect-{contact}")
    assert (call["outcome"], call["waiting_seconds"], call["talk_seconds"]) == ("answered", 30, 120)
    # The disconnect came first, so for a moment the call looked missed; its task was withdrawn.
    assert call["callback"]["status"] == "cancelled"
    assert services.phone.tasks(phone_merchant.licensee_id, TaskStatus.OPEN) == []
    assert metrics.total("PhoneCalls") == 1


def test_any_order_gives_the_record_of_the_ordered_events(services: Services, phone_merchant: PhoneMerchant) -> None:
    start = services.clock.now()
    ordered, shuffled = new_id("ct"), new_id("ct")
    for event in call_events(ordered, phone_merchant.instance, start, answered_after=12):
        services.phone.connect_event(event)
    events = call_events(shuffled, phone_merchant.instance, start, answered_after=12)
    random.Random(7).shuffle(events)
    for event in events:
        services.phone.connect_event(event)
    first, second = (services.phone.show_call(phone_merchant.licensee_id, f"connect-{c}") for c in (ordered, shuffled))
    for name in ("outcome", "started_at", "answered_at", "ended_at", "waiting_seconds", "talk_seconds", "queue"):
        assert first[name] == second[name], name


def test_a_missed_call_makes_exactly_one_assignable_callback_task(services: Services,
                                                                  phone_merchant: PhoneMerchant) -> None:
    contact = new_id("ct")
    events = call_events(contact, phone_merchant.instance, services.clock.now(), answered_after=None, duration=40)
    for event in events + events:
        services.phone.connect_event(event)
    tasks = services.phone.tasks(phone_merchant.licensee_id, TaskStatus.OPEN)
    assert [(t["call_id"], t["reason"]) for t in tasks] == [(f"connect-{contact}", "abandoned")]
    agent = next(k for k in services.licensing.keys(phone_merchant.licensee_id) if k.kind.value == "agent")
    assigned = services.phone.update_task(phone_merchant.licensee_id, f"connect-{contact}", "agent:x",
                                          status=None, assignee=agent.key_id)
    assert assigned["assignee"] == agent.key_id and assigned["status"] == "open"
    done = services.phone.update_task(phone_merchant.licensee_id, f"connect-{contact}", "agent:x",
                                      status=TaskStatus.DONE, assignee=None)
    assert done["status"] == "done" and done["assignee"] == agent.key_id
    services.phone.connect_event(events[-1])  # a late retry does not open it again
    assert services.phone.tasks(phone_merchant.licensee_id, TaskStatus.OPEN) == []


def test_describe_contact_completes_numbers_and_routes_an_unknown_instance_by_number(
        services: Services, phone_merchant: PhoneMerchant) -> None:
    contacts = services.phone.contacts
    assert isinstance(contacts, LocalContacts)
    contact, instance = new_id("ct"), "inst-shared-" + new_id("i")[-6:]
    contacts.add(instance, contact, {"CustomerEndpoint": {"Address": "+8613800138000"},
                                     "SystemEndpoint": {"Address": phone_merchant.number}})
    for event in call_events(contact, instance, services.clock.now(), answered_after=5):
        assert services.phone.connect_event(event)["result"] == "stored"
    call = services.phone.show_call(phone_merchant.licensee_id, f"connect-{contact}")
    assert (call["caller"], call["callee"], call["outcome"]) == ("+8613800138000", phone_merchant.number, "answered")


def test_an_unknown_instance_and_number_is_held_with_the_raw_event_and_counted(services: Services,
                                                                              metrics: MemorySink) -> None:
    event = contact_event("INITIATED", new_id("ct"), "inst-nobody", services.clock.now())
    assert services.phone.connect_event(event) == {"result": "held", "reason": "unknown_number"}
    assert services.phone.connect_event(event) == {"result": "held", "reason": "unknown_number"}
    held = [h for h in services.phone.held(None) if h["contact_id"] == event["detail"]["contactId"]]
    assert len(held) == 1 and json.loads(held[0]["raw"]) == event
    assert metrics.total("PhoneEventsHeld", reason="unknown_number") == 1


def test_a_malformed_event_is_held_not_crashed_on(services: Services) -> None:
    assert services.phone.connect_event({"detail-type": "Amazon Connect Contact Event", "detail": {
        "eventType": "SOMETHING", "contactId": "x"}})["reason"] == "malformed"
    assert services.phone.connect_event({"detail": {"channel": "CHAT", "eventType": "INITIATED"}})["result"] == \
        "ignored"


@pytest.mark.parametrize("channels, reason", [((Channel.CHAT,), "channel_not_licensed")])
def test_a_merchant_without_phone_in_its_license_gets_no_calls(services: Services, factory: Factory,
                                                               channels: tuple[Channel, ...], reason: str) -> None:
    merchant = factory.merchant(channels=channels)
    instance = services.phone.set_instance(merchant.licensee_id, "inst-" + merchant.licensee_id[-8:], "test")
    event = contact_event("INITIATED", new_id("ct"), instance, services.clock.now())
    assert services.phone.connect_event(event) == {"result": "held", "reason": reason}
    assert services.phone.list_calls(merchant.licensee_id, 10, None)["items"] == []
    assert [h["reason"] for h in services.phone.held(merchant.licensee_id)] == [reason]


def test_a_suspended_merchant_gets_no_calls(services: Services, phone_merchant: PhoneMerchant) -> None:
    services.licensing.suspend(phone_merchant.licensee_id, "unpaid", "test")
    services.clock.advance(timedelta(minutes=2))  # past the license cache
    event = contact_event("INITIATED", new_id("ct"), phone_merchant.instance, services.clock.now())
    assert services.phone.connect_event(event)["reason"] == "license_not_in_force"


def _signed(secret: str, timestamp: int, body: dict[str, object]) -> tuple[str, str, bytes]:
    raw = json.dumps(body).encode()
    return str(timestamp), "sha256=" + model.webhook_signature(secret, str(timestamp), raw), raw


def test_webhook_events_are_verified_and_land_in_the_same_records(services: Services,
                                                                  phone_merchant: PhoneMerchant) -> None:
    secret = services.phone.rotate_secret(phone_merchant.licensee_id, "test")
    now = int(services.clock.now().timestamp())
    base = {"contact_id": "cc-" + new_id("x")[-8:], "from": "+8613900139000", "to": phone_merchant.number}
    at = services.clock.now()
    for kind, seconds in (("disconnected", 90), ("initiated", 0), ("connected", 10)):
        body = {**base, "event": kind, "at": (at + timedelta(seconds=seconds)).isoformat()}
        assert services.phone.webhook(phone_merchant.licensee_id, *_signed(secret, now, body))["result"] == "stored"
    call = services.phone.show_call(phone_merchant.licensee_id, f"webhook-{base['contact_id']}")
    assert (call["outcome"], call["talk_seconds"], call["caller"]) == ("answered", 80, "+8613900139000")


def test_webhook_refuses_a_bad_signature_or_an_old_timestamp_without_echoing_the_secret(
        services: Services, phone_merchant: PhoneMerchant) -> None:
    secret = services.phone.rotate_secret(phone_merchant.licensee_id, "test")
    now = int(services.clock.now().timestamp())
    body = {"contact_id": "cc-1", "event": "initiated", "at": services.clock.now().isoformat(),
            "from": "+8613900139000", "to": phone_merchant.number}
    for timestamp, key, code in ((now, "wrong", "WEBHOOK_SIGNATURE_INVALID"),
                                 (now - 301, secret, "WEBHOOK_TIMESTAMP_OUT_OF_WINDOW"),
                                 (now + 301, secret, "WEBHOOK_TIMESTAMP_OUT_OF_WINDOW")):
        with pytest.raises(Unauthorized) as caught:
            services.phone.webhook(phone_merchant.licensee_id, *_signed(key, timestamp, body))
        assert caught.value.code == code and secret not in caught.value.message
    # Signed with another merchant's secret: refused too.
    with pytest.raises(Unauthorized):
        services.phone.webhook("lic_someone_else", *_signed(secret, now, body))


def test_after_rotation_the_previous_secret_works_for_a_day(services: Services, phone_merchant: PhoneMerchant) -> None:
    old = services.phone.rotate_secret(phone_merchant.licensee_id, "test")
    new = services.phone.rotate_secret(phone_merchant.licensee_id, "test")
    assert old != new
    body = {"contact_id": "cc-" + new_id("x")[-8:], "event": "initiated", "at": services.clock.now().isoformat(),
            "from": "+8613900139000", "to": phone_merchant.number}
    services.phone.webhook(phone_merchant.licensee_id, *_signed(old, int(services.clock.now().timestamp()), body))
    services.clock.advance(timedelta(hours=25))
    with pytest.raises(Unauthorized):
        services.phone.webhook(phone_merchant.licensee_id, *_signed(old, int(services.clock.now().timestamp()), body))


def test_a_webhook_for_a_number_the_merchant_does_not_have_is_held(services: Services,
                                                                  phone_merchant: PhoneMerchant) -> None:
    secret = services.phone.rotate_secret(phone_merchant.licensee_id, "test")
    body = {"contact_id": "cc-" + new_id("x")[-8:], "event": "initiated", "at": services.clock.now().isoformat(),
            "from": "+8613900139000", "to": "+8675500000000"}
    result = services.phone.webhook(phone_merchant.licensee_id,
                                    *_signed(secret, int(services.clock.now().timestamp()), body))
    assert result == {"result": "held", "reason": "unknown_number"}
    assert services.phone.list_calls(phone_merchant.licensee_id, 10, None)["items"] == []


def test_a_number_belongs_to_one_merchant(services: Services, phone_merchant: PhoneMerchant, factory: Factory) -> None:
    other = factory.merchant()
    from chalicelib.core.errors import Conflict

    with pytest.raises(Conflict):
        services.phone.add_number(other.licensee_id, phone_merchant.number, "test")
    services.phone.remove_number(phone_merchant.licensee_id, phone_merchant.number, "test")
    assert services.phone.add_number(other.licensee_id, phone_merchant.number, "test") == phone_merchant.number


def test_recordings_are_linked_only_for_the_merchant_and_expire(services: Services, phone_merchant: PhoneMerchant,
                                                                factory: Factory) -> None:
    contacts = services.phone.contacts
    assert isinstance(contacts, LocalContacts)
    contact = new_id("ct")
    key = f"recordings/{phone_merchant.instance}/{contact}.wav"
    services.blobs.put(key, b"RIFF....WAVE", "audio/wav")
    contacts.add(phone_merchant.instance, contact, {"Recordings": [{"Location": f"bucket/{key}"}]})
    for event in call_events(contact, phone_merchant.instance, services.clock.now(), answered_after=5):
        services.phone.connect_event(event)
    call_id = f"connect-{contact}"
    link = services.phone.show_call(phone_merchant.licensee_id, call_id)["recording"]
    assert link["kept_by"] == "kefu"
    query = dict(part.split("=", 1) for part in link["url"].split("?", 1)[1].split("&"))
    assert services.phone.check_recording_link(phone_merchant.licensee_id, call_id, int(query["exp"]), query["sig"])
    assert services.phone.recording(phone_merchant.licensee_id, call_id) == b"RIFF....WAVE"
    other = factory.merchant()
    assert not services.phone.check_recording_link(other.licensee_id, call_id, int(query["exp"]), query["sig"])
    from chalicelib.core.errors import NotFound

    with pytest.raises(NotFound):
        services.phone.recording(other.licensee_id, call_id)
    services.clock.advance(timedelta(seconds=model.RECORDING_LINK_SECONDS + 1))
    assert not services.phone.check_recording_link(phone_merchant.licensee_id, call_id, int(query["exp"]),
                                                   query["sig"])


def test_notes_and_disposition_survive_later_events(services: Services, phone_merchant: PhoneMerchant) -> None:
    contact = new_id("ct")
    events = call_events(contact, phone_merchant.instance, services.clock.now(), answered_after=5)
    for event in events[:3]:
        services.phone.connect_event(event)
    services.phone.save_notes(phone_merchant.licensee_id, f"connect-{contact}", "退货问题，已处理", "resolved",
                              "agent:a")
    services.phone.connect_event(events[3])
    call = services.phone.show_call(phone_merchant.licensee_id, f"connect-{contact}")
    assert (call["notes"], call["disposition"], call["outcome"]) == ("退货问题，已处理", "resolved", "answered")
    listed = services.phone.list_calls(phone_merchant.licensee_id, 10, None, outcome="answered")["items"]
    assert [c["disposition"] for c in listed if c["id"] == f"connect-{contact}"] == ["resolved"]


def test_the_list_pages_with_a_cursor_and_filters(services: Services, phone_merchant: PhoneMerchant) -> None:
    start = services.clock.now()
    for n in range(3):
        services.clock.advance(timedelta(minutes=1))
        for event in call_events(new_id("ct"), phone_merchant.instance, services.clock.now(),
                                 answered_after=None if n == 1 else 5):
            services.phone.connect_event(event)
    first = services.phone.list_calls(phone_merchant.licensee_id, 2, None)
    second = services.phone.list_calls(phone_merchant.licensee_id, 2, first["next"])
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 3
    assert [c["started_at"] for c in first["items"]] == sorted((c["started_at"] for c in first["items"]), reverse=True)
    abandoned = services.phone.list_calls(phone_merchant.licensee_id, 10, None, outcome="abandoned", since=start)
    assert len(abandoned["items"]) == 1


def test_a_customers_calls_are_found_by_number_and_the_report_counts_answers_per_agent(
        services: Services, phone_merchant: PhoneMerchant) -> None:
    contacts = services.phone.contacts
    assert isinstance(contacts, LocalContacts)
    start = services.clock.now()
    customer = "+8613800138000"  # calls are the merchant's own: other tests' calls from it are not in the list
    for n, answered in enumerate((12, None, 30)):
        contact = new_id("ct")
        contacts.add(phone_merchant.instance, contact, {"CustomerEndpoint": {"Address": customer if n < 2
                                                                             else "+8613700000000"}})
        services.clock.advance(timedelta(minutes=3))
        for event in call_events(contact, phone_merchant.instance, services.clock.now(), answered_after=answered):
            services.phone.connect_event(event)
    mine = services.phone.list_calls(phone_merchant.licensee_id, 10, None, customer=customer)["items"]
    assert [c["outcome"] for c in mine] == ["abandoned", "answered"]
    report = services.phone.summary(phone_merchant.licensee_id, start, services.clock.now() + timedelta(hours=1))
    assert report["calls"] == 3 and report["answered_by_agent"] == {"agent-1": 2}
    assert report["by_outcome"]["abandoned"] == 1 and report["average_wait_seconds"] == 21.0
    assert round(report["answer_rate"], 2) == 0.67


def test_a_connect_call_shows_its_queue_and_agent_by_name(services: Services,
                                                          phone_merchant: PhoneMerchant) -> None:
    from chalicelib.local.connect import connect_events

    contact = new_id("ct")
    for event in connect_events(phone_merchant.instance, contact, services.clock.now(), answered_after=5, duration=30):
        services.phone.connect_event(event)
    call = services.phone.show_call(phone_merchant.licensee_id, f"connect-{contact}")
    assert (call["queue"], call["agent"]) == ("default", "simulated-agent")  # the ids, as Connect sends them
    assert (call["queue_name"], call["agent_name"]) == ("售前咨询", "模拟坐席")  # DescribeQueue, DescribeUser
    [listed] = [c for c in services.phone.list_calls(phone_merchant.licensee_id, 10, None)["items"]
                if c["id"] == call["id"]]
    assert listed["agent_name"] == "模拟坐席"
