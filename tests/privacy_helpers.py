"""Shared by the privacy tests (integration and e2e): a merchant with one customer's data in every channel and
every store, and another customer beside them, as the channels' own entrypoints make it; and a look at
everything the database and the blob store hold."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.adapters import dynamodb
from chalicelib.chat.model import identity_hash
from chalicelib.core.ids import new_id
from chalicelib.licensing.model import Channel
from chalicelib.local.connect import LocalContacts, connect_events
from chalicelib.mail.model import Verdicts
from tests.e2e import conftest as e2e
from tests.e2e.conftest import Api
from tests.e2e.test_chat_files import PNG, _put, _room, _send
from tests.factories import ORIGIN, Factory
from tests.mail_helpers import deliver, mail_merchant

api = e2e.api  # the real app through its API Gateway handler: the widget's entrypoints make the data


@dataclass
class Customer:
    """One shopper of the merchant, with what identifies them and a word that stands in everything they wrote."""

    email: str
    phone: str
    customer_id: str
    name: str
    marker: str

    @property
    def traces(self) -> tuple[str, ...]:
        """What must not be found anywhere once they are erased."""
        return (self.email, self.phone, self.phone.lstrip("+"), self.customer_id, self.name, self.marker)


@dataclass
class Shop:
    licensee_id: str
    agent: dict[str, str]
    admin: dict[str, str]
    address: str
    lina: Customer
    other: Customer
    blob_keys: list[str]


def customer(tag: str) -> Customer:
    uid = new_id("p")[-8:].lower()
    digits = str(int(uid, 36) % 10**8).zfill(8)
    return Customer(f"{tag}-{uid}@customer.example", f"+86139{digits}", f"cust-{uid}", f"{tag.title()}{uid}",
                    f"MARK{uid}")


def _chat(api: Api, services: bootstrap.Services, shop: Any, who: Customer) -> list[str]:
    """A verified shopper's chat with a file, handed over to email."""
    widget = {"x-widget-key": shop.widget_key, "origin": ORIGIN}
    key = services.chat.chat_settings(shop.licensee_id).identity_secret
    assert key
    status, identified, _ = api.call("POST", "/v1/widget/identify", {
        "customer_id": who.customer_id, "customer_hash": identity_hash(key, who.customer_id)}, widget)
    assert status == 200, identified
    headers = {**widget, "authorization": f"Bearer {identified['visitor_token']}"}
    status, started, _ = api.call("POST", "/v1/widget/conversations", {
        "text": f"我的订单 {who.marker} 还没到", "visitor": {"name": who.name, "email": who.email}}, headers)
    assert status == 201, started
    _, room = _room(api, shop, started, len(PNG) + len(who.marker))
    assert _put(api, shop, started, room["upload"], PNG + who.marker.encode()) == 204
    status, sent = _send(api, shop, started, room["upload_id"], f"{who.marker}.png")
    assert status == 201, sent
    status, handed, _ = api.call("POST", f"/v1/widget/conversations/{started['id']}/handover", {"email": who.email},
                                 {**widget, "authorization": f"Bearer {started['visitor_token']}"})
    assert status == 200, handed
    return [k for k in services.blobs.keys(f"chat/{shop.licensee_id}/{started['id']}/")]


def _mail(services: bootstrap.Services, address: str, who: Customer) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = f"{who.name} <{who.email}>", address, f"订单 {who.marker}"
    mail["Message-ID"] = f"<{new_id('m')}@client.example>"
    # long enough that its text is kept in the blob store beside a preview, the marker past the preview
    mail.set_content(f"我的电话是 {who.phone}，订单没有收到。" + "详细情况如下。" * 150 + f" 订单 {who.marker}")
    mail.add_attachment(b"\x89PNG\r\n\x1a\n" + who.marker.encode(), maintype="image", subtype="png",
                        filename=f"{who.marker}.png")
    deliver(services, mail.as_bytes(), [address])
    spam = EmailMessage()
    spam["From"], spam["To"], spam["Subject"] = who.email, address, f"again {who.marker}"
    spam["Message-ID"] = f"<{new_id('s')}@client.example>"
    spam.set_content(f"held {who.marker}")
    deliver(services, spam.as_bytes(), [address], Verdicts(spam="FAIL", virus="PASS"))


def _call(services: bootstrap.Services, licensee_id: str, instance: str, who: Customer) -> str:
    contacts = services.phone.contacts
    assert isinstance(contacts, LocalContacts)
    contact = new_id("ct")
    key = f"recordings/{instance}/{contact}.wav"
    services.blobs.put(key, b"RIFF" + who.marker.encode() + b"WAVE", "audio/wav")
    contacts.add(instance, contact, {"Recordings": [{"Location": f"bucket/{key}"}],
                                     "CustomerEndpoint": {"Address": who.phone, "Type": "TELEPHONE_NUMBER"}})
    for event in connect_events(instance, contact, services.clock.now(), answered_after=5, duration=60):
        services.phone.connect_event(event)
    return key


@pytest.fixture
def shop(api: Api, services: bootstrap.Services, factory: Factory) -> Shop:
    merchant, address = mail_merchant(services, factory, channels=(Channel.CHAT, Channel.EMAIL, Channel.PHONE))
    licensee_id = merchant.licensee_id
    services.chat.rotate_identity_secret(licensee_id, "test:privacy")
    suffix = licensee_id[-8:]
    services.phone.add_number(licensee_id, "+8621" + str(int(suffix, 36) % 10**8).zfill(8), "test:privacy")
    instance = services.phone.set_instance(licensee_id, f"inst-{suffix}", "test:privacy")
    lina, other = customer("lina"), customer("other")
    keys: list[str] = []
    for who in (lina, other):
        found = _chat(api, services, merchant, who)
        _mail(services, address, who)
        recording = _call(services, licensee_id, instance, who)
        if who is lina:
            keys += [*found, recording]
    admin = {"authorization": f"Bearer {factory.admin_key(licensee_id)}"}
    return Shop(licensee_id, {"authorization": f"Bearer {merchant.agent_key}"}, admin, address, lina, other, keys)


def every_item(services: bootstrap.Services) -> list[tuple[str, str]]:
    """Every item of every table the system has (bootstrap's list, so a new table is looked at too), as
    (table, the item's JSON), read raw with Scan."""
    client = dynamodb.connection().client
    found = []
    for model in services.tables:
        name = model.Meta.table_name  # type: ignore[attr-defined]
        for page in client.get_paginator("scan").paginate(TableName=name):
            found += [(name, json.dumps(item, ensure_ascii=False, default=_readable)) for item in page["Items"]]
    return found


def _readable(value: object) -> str:
    """A binary attribute as text to search: a deflated document inflated, so nothing hides in one."""
    if not isinstance(value, bytes):
        raise TypeError(type(value))
    try:
        return zlib.decompress(value).decode()
    except (zlib.error, UnicodeDecodeError):
        return value.decode("latin-1")


def every_blob(services: bootstrap.Services) -> list[tuple[str, bytes]]:
    """Every blob under every prefix of the blob store and of the raw-mail store, with its bytes."""
    found = []
    for store in {id(services.blobs): services.blobs, id(services.mail.raw_mail): services.mail.raw_mail}.values():
        found += [(key, store.get(key)) for key in store.keys("")]
    return found


def traces_of(who: Customer, services: bootstrap.Services) -> list[str]:
    """Where anything of a customer is still found: table items and blobs (their keys and their bytes)."""
    found = [f"{table}: {text[:200]}" for table, text in every_item(services)
             if any(t in text or t.lower() in text.lower() for t in who.traces)]
    found += [f"blob {key}" for key, content in every_blob(services)
              if any(t.encode() in content or t in key for t in who.traces)]
    return found


class PieceBudget:
    """A time budget that lasts a number of pieces of work: a Lambda invocation running short, made exact."""

    def __init__(self, pieces: int) -> None:
        self.pieces = pieces

    def exhausted(self) -> bool:
        self.pieces -= 1
        return self.pieces < 0
