"""A known contact who writes again under a new display name is renamed, in the write the contact gets anyway (a
new ticket's count) or in one write of its own (a reply, only when the name is new or changed); a mail without
a name never blanks one, and a machine's mail never names anyone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.mail.items import MailItem
from tests.factories import Factory
from tests.mail_helpers import deliver, mail_merchant

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def mail(sender: str, to: str, subject: str = "我的茶叶还没到", *, message_id: str | None = None,
         in_reply_to: str | None = None, extra: str = "") -> tuple[bytes, str]:
    """A raw mail with `sender` as its whole From header (a bare address, or a name and an address)."""
    message_id = message_id or f"<{uuid.uuid4().hex}@client.example>"
    answered = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    raw = (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n{answered}"
           f"Date: Mon, 15 Jun 2026 12:00:00 +0800\r\nMIME-Version: 1.0\r\n{extra}"
           f"Content-Type: text/plain; charset=utf-8\r\n\r\n还没收到，请查一下。\r\n")
    return raw.encode(), message_id


class Writes:
    """The write requests PynamoDB sends for the mail table, and which of them name a contact item."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.contact_writes = 0
        self._client = MailItem._get_connection().connection.client
        self._client.meta.events.register("provide-client-params.dynamodb", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name not in WRITES:
            return
        self.calls.append(model.name)
        if "CONTACT#" in str(params.get("Key", "")) or "CONTACT#" in str(params.get("Item", {}).get("sk", "")):
            self.contact_writes += 1

    def reset(self) -> None:
        self.calls.clear()
        self.contact_writes = 0

    def close(self) -> None:
        self._client.meta.events.unregister("provide-client-params.dynamodb", self._count)


@pytest.fixture
def writes(services: bootstrap.Services) -> Iterator[Writes]:
    MailItem.count("-")  # the connection exists
    counter = Writes()
    yield counter
    counter.close()


def quiet(services: bootstrap.Services, factory: Factory) -> tuple[str, str, str]:
    """A merchant that sends no acknowledgement, its address, and a customer address of the test's own."""
    merchant, address = mail_merchant(services, factory)
    services.mail.update_settings(merchant.licensee_id, "test", acknowledge=False)
    return merchant.licensee_id, address, f"xiaoming-{uuid.uuid4().hex[:8]}@example.com"


def name_of(services: bootstrap.Services, licensee_id: str, customer: str) -> str | None:
    contact = services.mail.store.contact(licensee_id, customer)
    assert contact is not None
    return contact.name


def test_replies_name_a_contact_first_seen_as_a_bare_address_then_rename_it_and_never_blank_it(
        services: bootstrap.Services, factory: Factory) -> None:
    licensee_id, address, customer = quiet(services, factory)
    raw, root = mail(customer, address)
    [opened] = deliver(services, raw, [address])
    assert name_of(services, licensee_id, customer) is None

    raw, _ = mail(f"王小明 <{customer}>", address, "Re: 我的茶叶还没到", in_reply_to=root)
    assert deliver(services, raw, [address])[0]["ticket_id"] == opened["ticket_id"]
    assert name_of(services, licensee_id, customer) == "王小明"

    raw, _ = mail(f"Wang Xiaoming <{customer}>", address, "Re: 我的茶叶还没到", in_reply_to=root)
    assert deliver(services, raw, [address])[0]["ticket_id"] == opened["ticket_id"]
    assert name_of(services, licensee_id, customer) == "Wang Xiaoming"  # a changed name, not only a first one

    raw, _ = mail(customer, address, "Re: 我的茶叶还没到", in_reply_to=root)
    assert deliver(services, raw, [address])[0]["ticket_id"] == opened["ticket_id"]
    assert name_of(services, licensee_id, customer) == "Wang Xiaoming"


def test_a_new_ticket_from_a_known_contact_renames_it_and_a_bare_one_keeps_the_name(
        services: bootstrap.Services, factory: Factory) -> None:
    licensee_id, address, customer = quiet(services, factory)
    deliver(services, mail(f"Xiaoming <{customer}>", address, "第一单")[0], [address])
    assert name_of(services, licensee_id, customer) == "Xiaoming"
    [second] = deliver(services, mail(f"王小明 <{customer}>", address, "第二单")[0], [address])
    assert second["new_ticket"] is True
    assert name_of(services, licensee_id, customer) == "王小明"
    deliver(services, mail(customer, address, "第三单")[0], [address])
    assert name_of(services, licensee_id, customer) == "王小明"


@pytest.mark.parametrize("machine", [
    "Auto-Submitted: auto-replied\r\n",  # an auto-reply: held
    "Precedence: list\r\n",  # a mailing list the customer writes through: reaches the ticket
    "List-Id: <orders.shop.example>\r\n",
])
def test_a_machines_mail_never_renames_a_contact(services: bootstrap.Services, factory: Factory,
                                                  machine: str) -> None:
    licensee_id, address, customer = quiet(services, factory)
    raw, root = mail(f"王小明 <{customer}>", address)
    deliver(services, raw, [address])
    deliver(services, mail(f"Autoresponder <{customer}>", address, "Re: 我的茶叶还没到", in_reply_to=root,
                           extra=machine)[0], [address])
    deliver(services, mail(f"Orders list <{customer}>", address, "新订单", extra=machine)[0], [address])
    assert name_of(services, licensee_id, customer) == "王小明"


def test_a_bounce_from_a_contacts_address_never_renames_it(services: bootstrap.Services, factory: Factory) -> None:
    licensee_id, address, customer = quiet(services, factory)
    raw, root = mail(f"王小明 <{customer}>", address)
    deliver(services, raw, [address])
    bounce = mail(f"Mail Delivery System <{customer}>", address, "Undelivered Mail Returned to Sender",
                  in_reply_to=root, extra="X-Failed-Recipients: someone@example.com\r\n")[0]
    assert deliver(services, bounce, [address])[0]["result"] in ("held", "quarantined")
    assert name_of(services, licensee_id, customer) == "王小明"


def test_a_reply_under_the_same_name_costs_no_write_and_a_changed_name_one(
        services: bootstrap.Services, factory: Factory, writes: Writes) -> None:
    licensee_id, address, customer = quiet(services, factory)
    raw, root = mail(f"王小明 <{customer}>", address)
    deliver(services, raw, [address])

    writes.reset()
    deliver(services, mail(f"王小明 <{customer}>", address, "Re: 我的茶叶还没到", in_reply_to=root)[0], [address])
    assert writes.contact_writes == 0
    unchanged = list(writes.calls)

    writes.reset()
    deliver(services, mail(customer, address, "Re: 我的茶叶还没到", in_reply_to=root)[0], [address])
    assert writes.contact_writes == 0 and writes.calls == unchanged  # no name: nothing to learn, nothing written

    writes.reset()
    deliver(services, mail(f"Wang Xiaoming <{customer}>", address, "Re: 我的茶叶还没到", in_reply_to=root)[0],
            [address])
    assert writes.contact_writes == 1 and len(writes.calls) == len(unchanged) + 1
    assert name_of(services, licensee_id, customer) == "Wang Xiaoming"

    writes.reset()  # a new ticket's contact write carries the name: no write more for it
    deliver(services, mail(f"王小明 <{customer}>", address, "又一单")[0], [address])
    renamed = list(writes.calls)
    writes.reset()
    deliver(services, mail(f"王小明 <{customer}>", address, "再一单")[0], [address])
    assert writes.contact_writes == 1 and len(writes.calls) == len(renamed)
