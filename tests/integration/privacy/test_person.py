"""Clause 7.2 (PIPL): one customer's data, exported as one archive and erased everywhere. The erasure is checked
by reading every item of every table and every blob under every prefix, so that a table or prefix added later
cannot keep a customer's data unnoticed."""

from __future__ import annotations

import json

from chalicelib import bootstrap
from chalicelib.adapters import dynamodb
from chalicelib.privacy import archive
from chalicelib.privacy.model import person
from tests.e2e.conftest import Api
from tests.privacy_helpers import PieceBudget as Budget
from tests.privacy_helpers import Shop, every_item, traces_of


def _billing_items(services: bootstrap.Services, licensee_id: str) -> list[str]:
    return sorted(text for table, text in every_item(services)
                  if table == services.settings.billing_table and licensee_id in text)


def test_an_export_holds_every_kind_of_the_customers_data_and_nothing_of_another(
        services: bootstrap.Services, shop: Shop) -> None:
    lina = shop.lina
    done = services.privacy.export_person(shop.licensee_id, person(email=lina.email, phone=lina.phone,
                                                                   customer_id=lina.customer_id), "staff:test")
    assert done["status"] == "done" and done["archive"]["url"]
    data, files = archive.read(services.privacy.archive_bytes(shop.licensee_id, done["id"]))
    assert data["format"] == archive.FORMAT and data["subject"]["email"] == lina.email
    assert {k: data["counts"].get(k) for k in ("chats", "tickets", "held_mail", "calls", "contacts")} == {
        "chats": 1, "tickets": 2, "held_mail": 1, "calls": 1, "contacts": 1}  # the hand-over's ticket and her mail
    text = json.dumps(data, ensure_ascii=False)
    assert lina.marker in text and shop.other.marker not in text and shop.other.email not in text
    assert data["chats"][0]["conversation"]["customer_id"] == lina.customer_id
    assert any(m["text"].startswith("我的订单") for m in data["chats"][0]["messages"])
    names = sorted(files)
    assert any(n.startswith("files/chats/") and n.endswith(".png") for n in names)
    assert any(n.startswith("files/tickets/") and n.endswith("message.eml") for n in names)
    assert any(n.startswith("files/tickets/") and n.endswith(f"{lina.marker}.png") for n in names)
    assert any(n.startswith("files/held_mail/") for n in names)
    assert any(n.startswith("files/calls/") and n.endswith(".wav") for n in names)
    assert all(shop.other.marker.encode() not in content for content in files.values())
    assert done["counts"]["files"] == len(files)
    # the archive's parts are gone; only the archive stays, under the merchant's export prefix
    assert [k for k in services.blobs.keys(f"exports/{shop.licensee_id}/")] == [
        f"exports/{shop.licensee_id}/{done['id']}.zip"]


def test_an_erasure_leaves_nothing_of_the_customer_in_any_table_or_blob_and_keeps_the_rest(
        api: Api, services: bootstrap.Services, shop: Shop) -> None:
    lina, other = shop.lina, shop.other
    assert traces_of(lina, services), "the customer's data is there before"
    billing_before = _billing_items(services, shop.licensee_id)
    who = person(email=lina.email, phone=lina.phone, customer_id=lina.customer_id)
    erased = services.privacy.erase_person(shop.licensee_id, who, "staff:test")
    assert erased["status"] == "done"
    counts = dict(erased["counts"])
    assert counts.pop("messages") >= 3  # hers, the hand-over's transcript, the acknowledgements sent to her
    assert counts == {"attachments": 1, "chat_files": 1, "chats": 1, "contacts": 1, "held_mail": 1, "calls": 1,
                      "recordings": 1, "raw_mail": 1, "tickets": 2}
    assert traces_of(lina, services) == []
    assert all(key not in set(services.blobs.keys("")) for key in shop.blob_keys)
    # the other customer's data and the licensee's billing records are untouched
    assert len(traces_of(other, services)) > 5
    assert _billing_items(services, shop.licensee_id) == billing_before
    # search, the inbox and every list show nothing of her
    for query in (lina.email, lina.name, lina.marker, lina.phone):
        status, found, _ = api.call("GET", f"/v1/agent/search?q={query}", headers=shop.agent)
        assert status == 200 and found["items"] == [], (query, found)
    status, found, _ = api.call("GET", f"/v1/agent/search?q={other.email}", headers=shop.agent)
    assert found["items"]
    lists = [*(f"/v1/agent/inbox?view={v}" for v in ("open", "pending", "closed")),
             *(f"/v1/agent/tickets?status={s}" for s in ("open", "pending", "closed")),
             *(f"/v1/agent/conversations?status={s}" for s in ("open", "pending", "resolved")),
             "/v1/agent/calls", "/v1/agent/callbacks", "/v1/admin/held-mail"]
    for path in lists:
        status, listed, _ = api.call("GET", path, headers=shop.admin if "admin" in path else shop.agent)
        assert status == 200, (path, listed)
        assert lina.email not in json.dumps(listed) and lina.marker not in json.dumps(listed, ensure_ascii=False)
    # the trail says what was erased, when and by whom, without the contact itself
    history = services.licensing.history(shop.licensee_id)
    entry = next(e for e in history if e.action == "privacy.erase_done")
    assert entry.actor == "staff:test" and entry.details["counts"]["tickets"] == 2
    assert entry.details["contact"] == who.digest(shop.licensee_id)


def test_erasing_again_is_a_harmless_no_op(services: bootstrap.Services, shop: Shop) -> None:
    who = person(email=shop.lina.email, phone=shop.lina.phone, customer_id=shop.lina.customer_id)
    first = services.privacy.erase_person(shop.licensee_id, who, "staff:test")
    again = services.privacy.erase_person(shop.licensee_id, who, "staff:test")
    assert first["counts"] and again["status"] == "done" and again["counts"] == {}
    assert traces_of(shop.lina, services) == []


def test_an_erasure_short_of_time_continues_from_its_cursor_in_the_scheduled_run(
        services: bootstrap.Services, shop: Shop) -> None:
    who = person(email=shop.lina.email, customer_id=shop.lina.customer_id)
    started = services.privacy.erase_person(shop.licensee_id, who, "staff:test", budget=Budget(2))
    assert started["status"] == "running"
    stored = services.privacy.store.request(shop.licensee_id, started["id"])
    assert stored is not None and stored.cursor is not None and stored.person == who
    report = services.privacy.continue_running()
    assert report["requests_finished"] >= 1
    finished = services.privacy.request(shop.licensee_id, started["id"])
    assert finished["status"] == "done" and finished["counts"]["tickets"] == 2
    # a finished request keeps only the contact's digest
    raw = dynamodb.connection().client.scan(TableName=services.settings.privacy_table)["Items"]
    assert shop.lina.email not in json.dumps(raw)
