"""Files in chat: room for a file is asked first (size and the conversation's quota are checked before any
byte moves), the bytes go where the link says, and the message is made only from content of an allowed type,
recognised by its first bytes; pictures come back inline through a short-lived signed link."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import bootstrap
from chalicelib.chat import model
from chalicelib.core.clock import FixedClock
from tests.e2e.conftest import Api
from tests.e2e.test_chat_api import start, widget
from tests.factories import Factory, Merchant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64
BROWSER = {"accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}  # what an <img> or a link asks for


def _room(api: Api, merchant: Merchant, started: dict[str, Any], size: int) -> tuple[int, dict[str, Any]]:
    status, body, _ = api.call("POST", f"/v1/widget/conversations/{started['id']}/uploads", {"size": size},
                               widget(merchant, started["visitor_token"]))
    return status, body


def _put(api: Api, merchant: Merchant, started: dict[str, Any], link: dict[str, Any], data: bytes) -> int:
    headers = {**widget(merchant, started["visitor_token"]), "content-type": "application/octet-stream"}
    response = api.http.request("PUT", link["url"], headers=headers, body=data)
    return int(response.status_code)


def _send(api: Api, merchant: Merchant, started: dict[str, Any], upload_id: str,
          name: str) -> tuple[int, dict[str, Any]]:
    status, body, _ = api.call("POST", f"/v1/widget/conversations/{started['id']}/messages",
                               {"upload_id": upload_id, "name": name, "client_id": f"file-{upload_id[-10:]}"},
                               widget(merchant, started["visitor_token"]))
    return status, body


def test_a_picture_round_trip_shows_inline_through_a_signed_link(api: Api, factory: Factory,
                                                                 clock: FixedClock) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    status, room = _room(api, merchant, started, len(PNG))
    assert status == 201 and room["upload"]["method"] == "PUT" and room["max_bytes"] == model.UPLOAD_MAX_BYTES
    assert _put(api, merchant, started, room["upload"], PNG) == 204
    status, message = _send(api, merchant, started, room["upload_id"], "C:\\fakepath\\茶叶.png")
    assert status == 201 and message["text"] == "茶叶.png"
    assert {k: message["file"][k] for k in ("name", "type", "size", "image")} == {
        "name": "茶叶.png", "type": "image/png", "size": len(PNG), "image": True}
    link = api.http.request("GET", message["file"]["url"], headers=BROWSER)
    assert link.status_code == 200 and link.body == PNG, link.body[:300]
    assert link.headers["Content-Type"] == "image/png" and link.headers["Content-Disposition"] == "inline"
    assert "sandbox" in link.headers["Content-Security-Policy"]
    polled = api.call("GET", f"/v1/widget/conversations/{started['id']}/messages?after=0",
                      headers=widget(merchant, started["visitor_token"]))[1]
    assert polled["messages"][1]["file"]["type"] == "image/png"  # after the shopper's first message
    # the link is short-lived and bound to its signature
    query = parse_qs(urlsplit(message["file"]["url"]).query)
    forged = message["file"]["url"].replace(query["sig"][0], "0" * 32)
    assert api.http.request("GET", forged, headers=BROWSER).status_code == 404
    clock.advance(model_link_lifetime())
    assert api.http.request("GET", message["file"]["url"], headers=BROWSER).status_code == 404


def model_link_lifetime() -> Any:
    from datetime import timedelta

    from chalicelib.chat.service import FILE_LINK_SECONDS

    return timedelta(seconds=FILE_LINK_SECONDS + 1)


@pytest.mark.parametrize(("data", "name"), [
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "picture.png"),  # named a picture, is a page
    (b"MZ\x90\x00" + b"\x00" * 60, "invoice.pdf"),
    (b"<html><script>alert(1)</script></html>", "photo.jpg"),
])
def test_a_file_is_judged_by_its_content_not_its_name(api: Api, factory: Factory, data: bytes, name: str) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    _, room = _room(api, merchant, started, len(data))
    assert _put(api, merchant, started, room["upload"], data) == 204
    status, body = _send(api, merchant, started, room["upload_id"], name)
    assert (status, body["error"]["code"]) == (400, "UNSUPPORTED_FILE")
    assert body["error"]["message"] == "只能发送图片（PNG、JPEG、GIF、WebP）和 PDF 文件。"


def test_a_pdf_is_a_download_never_a_page(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    _, room = _room(api, merchant, started, len(PDF))
    _put(api, merchant, started, room["upload"], PDF)
    _, message = _send(api, merchant, started, room["upload_id"], "发票.pdf")
    assert message["file"]["image"] is False
    link = api.http.request("GET", message["file"]["url"], headers=BROWSER)
    assert link.headers["Content-Type"] == "application/pdf" and link.headers["Content-Disposition"] == "attachment"


def test_too_large_a_file_and_too_many_files_are_refused_before_any_byte_moves(
        api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    status, body = _room(api, merchant, started, model.UPLOAD_MAX_BYTES + 1)
    assert (status, body["error"]["code"]) == (400, "FILE_TOO_LARGE") and "5 MB" in body["error"]["message"]
    for _ in range(model.UPLOADS_PER_CONVERSATION):
        assert _room(api, merchant, started, 10)[0] == 201
    status, body = _room(api, merchant, started, 10)
    assert (status, body["error"]["code"]) == (409, "UPLOAD_QUOTA")


def test_an_upload_link_stores_only_its_own_upload_for_its_own_visitor(api: Api, factory: Factory,
                                                                       services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    mine, theirs = start(api, merchant), start(api, merchant)
    _, room = _room(api, merchant, mine, len(PNG))
    assert _put(api, merchant, theirs, room["upload"], PNG) == 404  # another visitor's token
    tampered = {**room["upload"], "url": room["upload"]["url"].replace(room["upload_id"], "up_01other")}
    assert _put(api, merchant, mine, tampered, PNG) == 404
    status, body = _send(api, merchant, mine, room["upload_id"], "a.png")  # nothing arrived yet
    assert (status, body["error"]["code"]) == (400, "UPLOAD_MISSING")
    assert json.loads(json.dumps(body))  # a readable refusal, nothing stored


def test_a_file_is_sent_only_into_the_visitors_own_conversation_and_only_by_an_id_it_was_given(
        api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    mine, theirs = start(api, merchant), start(api, merchant)
    _, room = _room(api, merchant, mine, len(PNG))
    assert _put(api, merchant, mine, room["upload"], PNG) == 204
    # another visitor cannot make a message of it in their conversation, nor learn that it exists
    status, body, _ = api.call("POST", f"/v1/widget/conversations/{mine['id']}/messages",
                               {"upload_id": room["upload_id"], "name": "a.png"},
                               widget(merchant, theirs["visitor_token"]))
    assert (status, body["error"]["code"]) == (404, "CONVERSATION_NOT_FOUND")
    for conversation, upload_id in ((mine["id"], "up_/../../x"), (mine["id"], "up_.."), ("..", room["upload_id"])):
        status, body, _ = api.call("POST", f"/v1/widget/conversations/{conversation}/messages",
                                   {"upload_id": upload_id, "name": "a.png"},
                                   widget(merchant, mine["visitor_token"]))
        assert status in (400, 404) and body["error"]["code"] in ("UPLOAD_MISSING", "CONVERSATION_NOT_FOUND")
    assert _send(api, merchant, mine, room["upload_id"], "a.png")[0] == 201


def test_an_empty_file_is_refused_as_empty_in_the_shoppers_language(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    status, body = _room(api, merchant, started, 0)
    assert (status, body["error"]["code"]) == (400, "EMPTY_FILE") and "空" in body["error"]["message"]
    _, room = _room(api, merchant, started, len(PNG))
    headers = {**widget(merchant, started["visitor_token"]), "content-type": "application/octet-stream"}
    response = api.http.request("PUT", room["upload"]["url"], headers=headers, body=b"")
    assert response.status_code == 400 and json.loads(response.body)["error"]["code"] == "EMPTY_FILE"
