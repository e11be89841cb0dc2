"""A chat nobody could answer is answered by email: the conversation becomes a ticket in the merchant's inbox
with its transcript, the shopper is told in their language, agents' replies typed into the conversation go out
on the ticket's thread, and the shopper's email reply joins that ticket. Once each, however often retried."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

from chalicelib import bootstrap
from tests.e2e.conftest import Api
from tests.e2e.test_chat_api import agent, widget
from tests.e2e.test_chat_files import PDF, PNG
from tests.factories import Factory, Merchant
from tests.mail_helpers import deliver, mail_merchant, raw_mail


def _outbox(services: bootstrap.Services, licensee_id: str) -> list[dict[str, Any]]:
    return list(services.mailer.entries(("licensee", licensee_id)))  # type: ignore[attr-defined]


def _mail(services: bootstrap.Services, entry: dict[str, Any]) -> Any:
    return message_from_bytes(services.mailer.read(entry["id"]), policy=policy.default)  # type: ignore[attr-defined]


def _start(api: Api, merchant: Merchant, language: str = "zh-CN") -> dict[str, Any]:
    status, started, _ = api.call("POST", "/v1/widget/conversations", {
        "text": "我的订单还没到，单号 8848。", "client_id": "handover-start-1",
        "visitor": {"name": "李雷", "email": "lilei@shopper.example"}},
        {**widget(merchant), "accept-language": language})
    assert status in (200, 201), started
    return started


def test_with_nobody_online_the_chat_becomes_a_ticket_and_the_shopper_is_told_in_chinese(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant, address = mail_merchant(services, factory)
    started = _start(api, merchant)
    assert started["handed_over"] is True
    tickets = services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]
    assert len(tickets) == 1 and tickets[0]["contact"] == "lilei@shopper.example"
    shown = services.mail.show_ticket(merchant.licensee_id, tickets[0]["id"])
    first = shown["messages"][0]
    assert "李雷: 我的订单还没到，单号 8848。" in first["text"] and first["kind"] == "chat"
    sent = _outbox(services, merchant.licensee_id)
    assert [e["to"] for e in sent] == [["lilei@shopper.example"]]
    ack = _mail(services, sent[0])
    assert "我们会尽快回复到这个邮箱" in ack.get_content() and ack["Auto-Submitted"] == "auto-replied"
    assert ack["Reply-To"].addresses[0].username.startswith("reply+")
    assert ack["From"].addresses[0].addr_spec == address  # from the merchant's own support address
    _, detail, _ = api.call("GET", f"/v1/agent/conversations/{started['id']}", headers=agent(merchant.agent_key))
    assert detail["handover"]["ticket_id"] == tickets[0]["id"]

    # the same first message again (a lost answer): no second ticket, no second mail
    again = _start(api, merchant)
    assert again["id"] == started["id"]
    assert len(services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]) == 1
    assert len(_outbox(services, merchant.licensee_id)) == 1


def test_the_acknowledgement_follows_an_english_shoppers_language(api: Api, factory: Factory,
                                                                   services: bootstrap.Services) -> None:
    merchant, _ = mail_merchant(services, factory)
    _start(api, merchant, "en-US,en;q=0.9")
    ack = _mail(services, _outbox(services, merchant.licensee_id)[0])
    assert "Nobody was online, so your message became an email ticket" in ack.get_content()


def test_an_agents_reply_in_the_handed_over_chat_goes_out_on_the_tickets_thread_once(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant, _ = mail_merchant(services, factory)
    started = _start(api, merchant)
    path = f"/v1/agent/conversations/{started['id']}/messages"
    body = {"text": "您好，包裹明天到。", "client_id": "agent-reply-0001"}
    assert api.call("POST", path, body, agent(merchant.agent_key))[0] == 201
    services.chat._known.clear()  # the retry lands on an instance that never saw the first attempt
    assert api.call("POST", path, body, agent(merchant.agent_key))[0] == 201
    sent = _outbox(services, merchant.licensee_id)
    assert len(sent) == 2  # the acknowledgement and the one reply
    by_kind = {e["tags"]["kind"]: _mail(services, e) for e in sent}
    reply, ack = by_kind["reply"], by_kind["acknowledgement"]
    assert "包裹明天到" in reply.get_content()
    assert ack["Message-ID"] in reply["References"]

    # the shopper answers the reply by email: it joins the same ticket
    ticket_id = services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"][0]["id"]
    answer = raw_mail("lilei@shopper.example", str(reply["Reply-To"].addresses[0].addr_spec), subject=reply["Subject"],
                      body="好的，谢谢！", extra=f"In-Reply-To: {reply['Message-ID']}\r\n")
    outcomes = deliver(services, answer, [str(reply["Reply-To"].addresses[0].addr_spec)])
    assert outcomes[0]["ticket_id"] == ticket_id
    texts = [m["text"] for m in services.mail.show_ticket(merchant.licensee_id, ticket_id)["messages"]]
    assert any("好的，谢谢" in t for t in texts)


def test_a_shopper_who_chooses_email_later_hands_the_conversation_over_once(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant, _ = mail_merchant(services, factory)
    status, started, _ = api.call("POST", "/v1/widget/conversations", {"text": "请问有现货吗？"}, widget(merchant))
    assert status == 201 and started["handed_over"] is False
    path = f"/v1/widget/conversations/{started['id']}/handover"
    headers = widget(merchant, started["visitor_token"])
    status, body, _ = api.call("POST", path, {"email": "han@shopper.example"}, headers)
    assert status == 200 and body["handed_over"] is True and body["notice"].startswith("谢谢")
    assert api.call("POST", path, {"email": "other@shopper.example"}, headers)[0] == 200
    tickets = services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"]
    assert [t["contact"] for t in tickets] == ["han@shopper.example"]
    assert len(_outbox(services, merchant.licensee_id)) == 1
    status, body, _ = api.call("POST", path, {"email": "not an address"}, headers)
    assert (status, body["error"]["code"]) == (400, "INVALID_EMAIL")


def test_without_the_email_channel_a_shopper_cannot_choose_email(api: Api, factory: Factory) -> None:
    from chalicelib.licensing.model import Channel

    merchant = factory.merchant(channels=(Channel.CHAT,))
    _, started, _ = api.call("POST", "/v1/widget/conversations", {"text": "hi"}, widget(merchant))
    status, body, _ = api.call("POST", f"/v1/widget/conversations/{started['id']}/handover",
                               {"email": "a@b.example"}, widget(merchant, started["visitor_token"]))
    assert (status, body["error"]["code"]) == (403, "EMAIL_NOT_LICENSED")


def _agent_file(api: Api, merchant: Merchant, conversation_id: str, data: bytes, name: str,
                client_id: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Room, the bytes, then the file as the agent's message: (status, message, the message's request body)."""
    headers = agent(merchant.agent_key)
    status, room, _ = api.call("POST", f"/v1/agent/conversations/{conversation_id}/uploads", {"size": len(data)},
                               headers)
    assert status == 201, room
    put = api.http.request("PUT", room["upload"]["url"], body=data,
                           headers={**headers, "content-type": "application/octet-stream"})
    assert put.status_code == 204, put.body
    body = {"upload_id": room["upload_id"], "name": name, "client_id": client_id}
    path = f"/v1/agent/conversations/{conversation_id}/messages"
    status, message, _ = api.call("POST", path, body, headers)
    return status, message, body


def _files(mail: Any) -> list[tuple[str, str, bytes]]:
    return [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in mail.walk()
            if p.get_filename()]


def test_an_agents_file_in_the_handed_over_chat_is_mailed_attached_once_and_kept_in_the_ticket(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant, _ = mail_merchant(services, factory)
    started = _start(api, merchant)
    status, message, body = _agent_file(api, merchant, started["id"], PNG, "尺码表.png", "agent-file-0001")
    assert status == 201 and message["file"]["name"] == "尺码表.png"  # the shopper's chat shows it as ever
    services.chat._known.clear()  # the same send again, on an instance that never saw the first
    again = api.call("POST", f"/v1/agent/conversations/{started['id']}/messages", body, agent(merchant.agent_key))
    assert again[0] == 201 and again[1]["id"] == message["id"]
    sent = _outbox(services, merchant.licensee_id)
    assert sorted(e["tags"]["kind"] for e in sent) == ["acknowledgement", "reply"]  # one mail for the file
    reply = _mail(services, next(e for e in sent if e["tags"]["kind"] == "reply"))
    assert _files(reply) == [("尺码表.png", "image/png", PNG)]
    assert "文件 尺码表.png 在附件中" in reply.get_body(("plain",)).get_content()
    ack = _mail(services, next(e for e in sent if e["tags"]["kind"] == "acknowledgement"))
    assert ack["Message-ID"] in reply["References"]  # on the ticket's thread

    ticket_id = services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"][0]["id"]
    _, shown, _ = api.call("GET", f"/v1/agent/tickets/{ticket_id}", headers=agent(merchant.agent_key))
    last = shown["messages"][-1]
    assert last["direction"] == "outbound" and [a["filename"] for a in last["attachments"]] == ["尺码表.png"]
    link = api.http.request("GET", last["attachments"][0]["url"], headers={"accept": "application/octet-stream"})
    assert link.status_code == 200 and link.body == PNG


def test_a_file_as_large_as_chat_takes_travels_attached_and_the_ticket_keeps_it(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    from chalicelib.chat.model import UPLOAD_MAX_BYTES

    merchant, _ = mail_merchant(services, factory)
    started = _start(api, merchant, "en-US,en;q=0.9")
    big = PDF + b"x" * (UPLOAD_MAX_BYTES - len(PDF))  # the largest file chat takes
    status, _, _ = _agent_file(api, merchant, started["id"], big, "catalogue.pdf", "agent-file-0002")
    assert status == 201
    reply = _mail(services, next(e for e in _outbox(services, merchant.licensee_id) if e["tags"]["kind"] == "reply"))
    assert [(name, content) for name, _, content in _files(reply)] == [("catalogue.pdf", big)]
    assert "The file catalogue.pdf is attached." in reply.get_body(("plain",)).get_content()
    ticket_id = services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"][0]["id"]
    kept = services.mail.show_ticket(merchant.licensee_id, ticket_id)["messages"][-1]["attachments"]
    assert [(a["filename"], a["size"]) for a in kept] == [("catalogue.pdf", len(big))]  # the ticket keeps the file


def test_a_reply_whose_mail_was_cut_short_is_mailed_when_retried_on_another_instance(
        api: Api, factory: Factory, services: bootstrap.Services, monkeypatch: Any) -> None:
    merchant, _ = mail_merchant(services, factory)
    started = _start(api, merchant)
    path = f"/v1/agent/conversations/{started['id']}/messages"
    body = {"text": "您好，包裹明天到。", "client_id": "agent-reply-0002"}

    def cut_short(*args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("the function stopped before the mail went")

    with monkeypatch.context() as patched:
        patched.setattr(services.mail, "reply_from_chat", cut_short)
        assert api.call("POST", path, body, agent(merchant.agent_key))[0] >= 500  # stored in chat, not mailed
    assert [e["tags"]["kind"] for e in _outbox(services, merchant.licensee_id)] == ["acknowledgement"]
    services.chat._known.clear()  # the client's retry lands on an instance that never saw the conversation
    assert api.call("POST", path, body, agent(merchant.agent_key))[0] == 201
    assert api.call("POST", path, body, agent(merchant.agent_key))[0] == 201
    kinds = sorted(e["tags"]["kind"] for e in _outbox(services, merchant.licensee_id))
    assert kinds == ["acknowledgement", "reply"]


def test_the_files_a_shopper_sent_before_choosing_email_stand_in_the_tickets_transcript(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    from tests.e2e.test_chat_files import _put, _room, _send

    merchant, _ = mail_merchant(services, factory)
    status, started, _ = api.call("POST", "/v1/widget/conversations", {"text": "包裹破了，看照片。"}, widget(merchant))
    assert status == 201 and started["handed_over"] is False
    _, room = _room(api, merchant, started, len(PNG))
    assert _put(api, merchant, started, room["upload"], PNG) == 204
    assert _send(api, merchant, started, room["upload_id"], "破损.png")[0] == 201
    headers = widget(merchant, started["visitor_token"])
    assert api.call("POST", f"/v1/widget/conversations/{started['id']}/handover",
                    {"email": "han@shopper.example"}, headers)[0] == 200
    ticket_id = services.mail.list_tickets(merchant.licensee_id, "open", 10, None)["items"][0]["id"]
    _, shown, _ = api.call("GET", f"/v1/agent/tickets/{ticket_id}", headers=agent(merchant.agent_key))
    transcript = shown["messages"][0]
    assert "破损.png" in transcript["text"] and [a["filename"] for a in transcript["attachments"]] == ["破损.png"]
    link = api.http.request("GET", transcript["attachments"][0]["url"], headers={"accept": "application/octet-stream"})
    assert link.status_code == 200 and link.body == PNG
    ack = _mail(services, _outbox(services, merchant.licensee_id)[0])
    assert _files(ack) == []  # the shopper has their own files: nothing is mailed back
