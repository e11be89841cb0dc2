"""Agents' files in chat, as shoppers' files work: room first (size and the conversation's quota checked before
any byte moves), the bytes where the link says, a message only from content of an allowed type; the shopper
sees it as the agent's, through a short-lived signed link. Another shop's agent gets nowhere near it."""

from __future__ import annotations

from typing import Any

from chalicelib.chat import model
from tests.e2e.conftest import Api
from tests.e2e.test_chat_api import start, widget
from tests.e2e.test_chat_files import BROWSER, PDF, PNG
from tests.factories import Factory, Merchant


def _agent(merchant: Merchant) -> dict[str, str]:
    return {"authorization": f"Bearer {merchant.agent_key}"}


def _attach(api: Api, merchant: Merchant, conversation_id: str, data: bytes, name: str) -> tuple[int, dict[str, Any]]:
    status, room, _ = api.call("POST", f"/v1/agent/conversations/{conversation_id}/uploads", {"size": len(data)},
                               _agent(merchant))
    assert status == 201, room
    put = api.http.request("PUT", room["upload"]["url"], body=data,
                           headers={**_agent(merchant), "content-type": "application/octet-stream"})
    assert put.status_code == 204, put.body
    status, body, _ = api.call("POST", f"/v1/agent/conversations/{conversation_id}/messages",
                               {"upload_id": room["upload_id"], "name": name}, _agent(merchant))
    return status, body


def test_an_agent_sends_a_picture_and_a_pdf_that_the_shopper_sees_as_the_agents(api: Api,
                                                                               factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    status, picture = _attach(api, merchant, started["id"], PNG, "尺码表.png")
    assert status == 201 and picture["author"] == "agent" and picture["agent_name"] == "Agent One"
    assert {k: picture["file"][k] for k in ("name", "type", "image")} == {"name": "尺码表.png", "type": "image/png",
                                                                          "image": True}
    status, pdf = _attach(api, merchant, started["id"], PDF, "发票.pdf")
    assert status == 201 and pdf["file"]["type"] == "application/pdf"
    polled = api.call("GET", f"/v1/widget/conversations/{started['id']}/messages?after=0",
                      headers=widget(merchant, started["visitor_token"]))[1]
    replies = polled["messages"][1:]  # after the shopper's first message
    assert [(m["author"], m["file"]["name"]) for m in replies] == [("agent", "尺码表.png"), ("agent", "发票.pdf")]
    link = api.http.request("GET", replies[0]["file"]["url"], headers=BROWSER)
    assert link.status_code == 200 and link.body == PNG
    shown = api.call("GET", f"/v1/agent/conversations/{started['id']}", headers=_agent(merchant))[1]
    assert shown["messages"][-1]["file"]["name"] == "发票.pdf"


def test_an_agents_file_keeps_the_limits_of_shoppers_files(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    path = f"/v1/agent/conversations/{started['id']}"
    for size, code in ((0, "EMPTY_FILE"), (model.UPLOAD_MAX_BYTES + 1, "FILE_TOO_LARGE")):
        status, body, _ = api.call("POST", f"{path}/uploads", {"size": size}, _agent(merchant))
        assert status == 400 and body["error"]["code"] == code
    status, body = _attach(api, merchant, started["id"], b"MZ\x90\x00 not a picture", "setup.exe")
    assert status == 400 and body["error"]["code"] == "UNSUPPORTED_FILE"
    status, body, _ = api.call("POST", f"{path}/messages", {"upload_id": "up_" + "0" * 26, "name": "x.png"},
                               _agent(merchant))
    assert status == 400 and body["error"]["code"] == "UPLOAD_MISSING"
    _, room, _ = api.call("POST", f"{path}/uploads", {"size": len(PNG)}, _agent(merchant))
    forged = room["upload"]["url"].split("?sig=")[0] + "?sig=" + "0" * 32
    response = api.http.request("PUT", forged, body=PNG,
                                headers={**_agent(merchant), "content-type": "application/octet-stream"})
    assert response.status_code == 404


def test_another_shops_agent_can_neither_upload_to_nor_send_into_a_conversation(api: Api, factory: Factory) -> None:
    merchant, other = factory.merchant(), factory.merchant()
    started = start(api, merchant)
    path = f"/v1/agent/conversations/{started['id']}"
    status, body, _ = api.call("POST", f"{path}/uploads", {"size": len(PNG)}, _agent(other))
    assert status == 404 and body["error"]["code"] == "CONVERSATION_NOT_FOUND"
    _, room, _ = api.call("POST", f"{path}/uploads", {"size": len(PNG)}, _agent(merchant))
    response = api.http.request("PUT", room["upload"]["url"], body=PNG,
                                headers={**_agent(other), "content-type": "application/octet-stream"})
    assert response.status_code == 404
    status, body, _ = api.call("POST", f"{path}/messages", {"upload_id": room["upload_id"], "name": "x.png"},
                               _agent(other))
    assert status == 404
