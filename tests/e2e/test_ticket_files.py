"""Files on agents' email replies: room on the shop's own ticket, the bytes where the link says, and the reply
carries them through the one mailer (the customer gets them as MIME attachments) and keeps them in the thread
behind the same signed links as customers' attachments; chat's limits apply; another shop gets nowhere."""

from __future__ import annotations

import email
from email.message import Message
from typing import Any

from chalicelib import bootstrap
from chalicelib.chat import model
from chalicelib.inbox.ticket_files import UPLOADS_PER_TICKET
from chalicelib.resources import CHAT_FILES_PREFIX
from tests.e2e.conftest import Api
from tests.e2e.test_chat_files import PDF, PNG
from tests.factories import Factory
from tests.mail_helpers import deliver, mail_merchant, raw_mail


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def _shop(api: Api, factory: Factory, services: bootstrap.Services) -> tuple[Any, str]:
    owner, address = mail_merchant(services, factory)
    services.mail.update_settings(owner.licensee_id, "test:setup", acknowledge=False)
    deliver(services, raw_mail("anna@example.org", address, subject="发票", body="请发发票。"), [address])
    _, tickets, _ = api.call("GET", "/v1/agent/tickets", headers=bearer(owner.agent_key))
    return owner, tickets["items"][0]["id"]


def _upload(api: Api, key: str, ticket: str, data: bytes) -> str:
    status, room, _ = api.call("POST", f"/v1/agent/tickets/{ticket}/uploads", {"size": len(data)}, bearer(key))
    assert status == 201, room
    put = api.http.request("PUT", room["upload"]["url"], body=data,
                           headers={**bearer(key), "content-type": "application/octet-stream"})
    assert put.status_code == 204, put.body
    return str(room["upload_id"])


def test_a_reply_carries_its_files_to_the_customer_and_keeps_them_in_the_thread(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, ticket = _shop(api, factory, services)
    pdf, png = _upload(api, owner.agent_key, ticket, PDF), _upload(api, owner.agent_key, ticket, PNG)
    status, sent, _ = api.call("POST", f"/v1/agent/tickets/{ticket}/replies", {
        "text": "发票见附件。", "attachments": [{"upload_id": pdf, "name": "发票.pdf"},
                                                 {"upload_id": png, "name": "C:\\fakepath\\截图.png"}]},
        bearer(owner.agent_key))
    assert status == 201, sent
    assert [(a["filename"], a["content_type"], a["size"]) for a in sent["attachments"]] == [
        ("发票.pdf", "application/pdf", len(PDF)), ("截图.png", "image/png", len(PNG))]
    link = api.http.request("GET", sent["attachments"][0]["url"], headers={"accept": "application/octet-stream"})
    assert link.status_code == 200 and link.body == PDF

    _, outbox, _ = api.call("GET", "/v1/agent/outbox", headers=bearer(owner.agent_key))
    mail = email.message_from_bytes(services.mailer.read(outbox["items"][0]["id"]))  # type: ignore[attr-defined]
    parts = [p for p in mail.walk() if isinstance(p, Message) and p.get_filename()]
    assert [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in parts] == [
        ("发票.pdf", "application/pdf", PDF), ("截图.png", "image/png", PNG)]
    _, shown, _ = api.call("GET", f"/v1/agent/tickets/{ticket}", headers=bearer(owner.agent_key))
    assert [a["filename"] for a in shown["messages"][-1]["attachments"]] == ["发票.pdf", "截图.png"]


def test_a_replys_files_keep_chats_limits(api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, ticket = _shop(api, factory, services)
    for size, code in ((0, "EMPTY_FILE"), (model.UPLOAD_MAX_BYTES + 1, "FILE_TOO_LARGE")):
        status, body, _ = api.call("POST", f"/v1/agent/tickets/{ticket}/uploads", {"size": size},
                                   bearer(owner.agent_key))
        assert status == 400 and body["error"]["code"] == code
    program = _upload(api, owner.agent_key, ticket, b"MZ\x90\x00 a program")
    for attachments, code in (([{"upload_id": program, "name": "a.exe"}], "UNSUPPORTED_FILE"),
                              ([{"upload_id": "up_" + "0" * 26, "name": "a.png"}], "UPLOAD_MISSING"),
                              ([{"upload_id": program, "name": "a.png"}] * 6, "TOO_MANY_FILES")):
        status, body, _ = api.call("POST", f"/v1/agent/tickets/{ticket}/replies",
                                   {"text": "见附件", "attachments": attachments}, bearer(owner.agent_key))
        assert status == 400 and body["error"]["code"] == code, body
    assert api.call("GET", "/v1/agent/outbox", headers=bearer(owner.agent_key))[1]["items"] == []  # nothing sent


def test_another_shop_can_neither_upload_to_a_ticket_nor_send_its_files(api: Api, factory: Factory,
                                                                        services: bootstrap.Services) -> None:
    owner, ticket = _shop(api, factory, services)
    other, _ = mail_merchant(services, factory)
    status, body, _ = api.call("POST", f"/v1/agent/tickets/{ticket}/uploads", {"size": len(PNG)},
                               bearer(other.agent_key))
    assert status == 404 and body["error"]["code"] == "UNKNOWN_TICKET"
    upload = _upload(api, owner.agent_key, ticket, PNG)
    status, _, _ = api.call("POST", f"/v1/agent/tickets/{ticket}/replies",
                            {"text": "x", "attachments": [{"upload_id": upload, "name": "a.png"}]},
                            bearer(other.agent_key))
    assert status == 404


def test_a_ticket_gives_room_for_its_quota_of_files_then_refuses_and_nothing_more_is_stored(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    owner, ticket = _shop(api, factory, services)
    _upload(api, owner.agent_key, ticket, PNG)
    for _ in range(UPLOADS_PER_TICKET - 1):  # rooms asked for and never used count too, as in chat
        assert api.call("POST", f"/v1/agent/tickets/{ticket}/uploads", {"size": len(PNG)},
                        bearer(owner.agent_key))[0] == 201
    status, body, _ = api.call("POST", f"/v1/agent/tickets/{ticket}/uploads", {"size": len(PNG)},
                               bearer(owner.agent_key))
    assert (status, body["error"]["code"], body["error"]["details"]) == (409, "UPLOAD_QUOTA",
                                                                           {"quota": UPLOADS_PER_TICKET})
    assert str(UPLOADS_PER_TICKET) in body["error"]["message"] and "ticket" in body["error"]["message"]
    stored = list(services.blobs.keys(f"{CHAT_FILES_PREFIX}{owner.licensee_id}/{ticket}/"))
    assert len(stored) == 1  # only the file whose bytes were sent
    # the file it holds still goes out with a reply: the quota limits room, not sending
    upload_id = stored[0].rsplit("/", 1)[1]
    status, sent, _ = api.call("POST", f"/v1/agent/tickets/{ticket}/replies", {
        "text": "见附件。", "attachments": [{"upload_id": upload_id, "name": "a.png"}]}, bearer(owner.agent_key))
    assert status == 201 and [a["filename"] for a in sent["attachments"]] == ["a.png"]
