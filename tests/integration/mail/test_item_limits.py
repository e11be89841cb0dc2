"""Nothing lost, ever: on DynamoDB Local, no mail can make a stored item pass the 400 KB item limit (bounded
lists and names, bodies in the blob store), and a mail the database still refuses is kept back with its raw
message and a reason instead of failing until SES gives up."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.bootstrap import Services
from chalicelib.mail import items
from chalicelib.mail.items import MailItem
from chalicelib.mail.model import INLINE_BODY_BYTES, MAX_NAME_CHARS, MAX_PARTICIPANTS
from tests.mail_helpers import deliver, mail_merchant, raw_mail

ITEM_LIMIT = 400 * 1024


def stored_items(services: Services, licensee_id: str) -> list[dict[str, Any]]:
    """Every item of the mail table that belongs to the merchant, as DynamoDB holds it."""
    client = MailItem._get_connection().connection.client
    found, start = [], None
    while True:
        page = client.scan(TableName=MailItem.Meta.table_name, **({"ExclusiveStartKey": start} if start else {}))
        found += [i for i in page["Items"] if licensee_id in i["pk"]["S"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def size(item: dict[str, Any]) -> int:
    return len(json.dumps(item, ensure_ascii=False).encode())


def many_cc(count: int) -> str:
    return ", ".join(f"colleague{n}@customer-company.example" for n in range(count))


def the_ticket(services: Services, licensee_id: str) -> dict[str, Any]:
    listed = services.mail.list_tickets(licensee_id, "open", 10, None)["items"]
    assert len(listed) == 1, listed
    return services.mail.show_ticket(licensee_id, listed[0]["id"])


def test_a_mail_copied_to_25000_addresses_opens_a_ticket_and_its_reply_joins_it(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    first = raw_mail("anna@customer-company.example", address, message_id="cc-1@client.example",
                     extra=f"Cc: {many_cc(25_000)}\r\n")
    assert deliver(services, first, [address])[0]["result"] == "delivered"
    reply = raw_mail("anna@customer-company.example", address, subject="Re: Where is my order?",
                     message_id="cc-2@client.example",
                     extra=f"In-Reply-To: <cc-1@client.example>\r\nCc: {many_cc(25_000)}\r\n")
    assert deliver(services, reply, [address])[0]["result"] == "delivered"

    customers = [m for m in the_ticket(services, merchant.licensee_id)["messages"] if m["direction"] == "inbound"]
    assert len(customers) == 2 and all(0 < len(m["cc"]) <= 50 for m in customers)
    stored = stored_items(services, merchant.licensee_id)
    tickets = [i for i in stored if i["sk"]["S"].startswith("TICKET#")]
    assert len(tickets[0]["participants"]["SS"]) == MAX_PARTICIPANTS
    assert max(size(i) for i in stored) < 64 * 1024


def test_an_attachment_named_with_10_kb_is_kept_under_a_bounded_name(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    name = "订单照片" * 850 + ".jpg"  # 10 KB of UTF-8
    assert len(name.encode()) > 10_000
    raw = (f"From: anna@example.org\r\nTo: {address}\r\nSubject: photo\r\nMessage-ID: <long-name@client.example>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nThe photo.\r\n--b\r\nContent-Type: image/jpeg\r\n"
           f"Content-Disposition: attachment; filename*=utf-8''{quote(name)}\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n"
           "/9j/4AAQSkZJRgABAQ==\r\n--b--\r\n").encode()
    assert deliver(services, raw, [address])[0]["result"] == "delivered"

    ticket = the_ticket(services, merchant.licensee_id)
    shown = ticket["messages"][0]["attachments"][0]
    assert shown["filename"] == name[:MAX_NAME_CHARS] and shown["size"] > 0
    _, data = services.mail.attachment(merchant.licensee_id, ticket["id"], ticket["messages"][0]["id"], 0)
    assert data.startswith(b"\xff\xd8")


def test_a_20_mb_mail_is_a_ticket_whose_body_is_read_from_the_blob_store(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    body = "物流信息 tracking line\n" * 760_000  # 20 MB of text
    raw = raw_mail("bob@example.org", address, message_id="huge@client.example", body=body)
    assert len(raw) > 20_000_000
    assert deliver(services, raw, [address])[0]["result"] == "delivered"

    message = the_ticket(services, merchant.licensee_id)["messages"][0]
    assert message["body"].startswith("物流信息 tracking line") and message["body_truncated"]
    stored = next(i for i in stored_items(services, merchant.licensee_id) if i["sk"]["S"].startswith("MSG#"))
    assert "body_key" in stored and size(stored) < 4 * 1024  # the item holds metadata and a preview only


def test_a_short_mail_keeps_its_body_on_its_item(services, factory) -> None:
    merchant, address = mail_merchant(services, factory)
    deliver(services, raw_mail("anna@example.org", address, body="快递到了吗？"), [address])
    stored = next(i for i in stored_items(services, merchant.licensee_id) if i["sk"]["S"].startswith("MSG#"))
    # a mail that quotes nothing keeps its text once: the body is the text
    assert "body_key" not in stored and stored["text"]["S"].startswith("快递到了吗") and stored["body_is_text"]["BOOL"]
    assert len(stored["text"]["S"].encode()) < INLINE_BODY_BYTES
    shown = services.mail.show_ticket(merchant.licensee_id, stored["ticket_id"]["S"])["messages"][0]
    assert shown["body"] == shown["text"] and shown["body"].startswith("快递到了吗")


def test_a_mail_the_database_refuses_is_held_with_its_raw_message_and_never_retried_into_oblivion(
        services, factory, monkeypatch: pytest.MonkeyPatch) -> None:
    merchant, address = mail_merchant(services, factory)
    monkeypatch.setattr(items, "MAX_LISTED_ADDRESSES", 100_000)  # a record past the limit, as a future bug might
    raw = raw_mail("anna@example.org", address, message_id="refused@client.example",
                   extra=f"Cc: {many_cc(25_000)}\r\n")
    monkeypatch.setattr("chalicelib.mail.model.MAX_LISTED_ADDRESSES", 100_000)

    outcome = deliver(services, raw, [address], ses_id="sesrefused")
    assert outcome[0]["result"] == "quarantined" and outcome[0]["reason"] == "unstorable"
    held = services.mail.held(merchant.licensee_id)
    assert [h["reason"] for h in held] == ["unstorable"] and held[0]["ses_id"] == "sesrefused"
    assert services.mail.raw_mail.get(held[0]["raw"]) == raw
    assert services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"] == []
    # SES retrying the event finds it kept: no error, no second copy
    assert deliver(services, raw, [address], ses_id="sesrefused")[0]["result"] == "duplicate"
