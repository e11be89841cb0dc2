"""Email as customers and agents meet it: real SMTP into the local inbound server, tickets and replies over
HTTP, the reply in the outbox, the customer's answer back into the same ticket."""

from __future__ import annotations

import email
import json
import smtplib
import time
import urllib.request
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from chalicelib import bootstrap
from chalicelib.local.dynamodb import free_port
from chalicelib.local.smtp_ingress import start as start_smtp
from tests.e2e.conftest import Api
from tests.e2e.test_local_run import start, stop, wait_healthy
from tests.factories import Factory
from tests.mail_helpers import mail_merchant
from tests.unit.mail.helpers import fixture_bytes

pytestmark = pytest.mark.e2e


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


@pytest.fixture
def smtp(services: bootstrap.Services) -> Iterator[str]:
    listen = f"127.0.0.1:{free_port()}"
    stop_server = start_smtp(services, listen)
    yield listen
    stop_server()


def send(listen: str, sender: str, to: str, subject: str, text: str, **headers: str) -> str:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message["Message-ID"] = email.utils.make_msgid(domain="customer.example")
    message.set_content(text)
    host, _, port = listen.rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=10) as client:
        client.send_message(message)
    return str(message["Message-ID"])


def fixture_part(index: int) -> bytes:
    from chalicelib.mail.parsing import parse

    data = parse(fixture_bytes("attachments_rfc2231.eml")).attachments[index].data
    assert data is not None
    return data


def wait_for(check, timeout: float = 10):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_a_mail_over_smtp_becomes_a_ticket_an_agent_answers_and_the_customer_reply_joins_it(
        api: Api, smtp: str, services: bootstrap.Services, factory: Factory) -> None:
    merchant, address = mail_merchant(services, factory)
    services.mail.update_settings(merchant.licensee_id, "test", acknowledge=False)
    agent = bearer(merchant.agent_key)
    send(smtp, "Li Na <lina@customer.example>", address, "订单没有收到", "你好，我的订单还没到。")

    _, listing, _ = api.call("GET", "/v1/agent/tickets?status=open", headers=agent)
    assert [(t["contact"], t["subject"], t["status"]) for t in listing["items"]] == [
        ("lina@customer.example", "订单没有收到", "open")]
    ticket_id = listing["items"][0]["id"]

    status, reply, _ = api.call("POST", f"/v1/agent/tickets/{ticket_id}/replies", {"text": "已发货，明天到。"},
                                headers=agent)
    assert status == 201 and reply["delivery"]["status"] == "sent"
    _, outbox, _ = api.call("GET", "/v1/agent/outbox", headers=agent)
    assert [(m["to"], m["subject"]) for m in outbox["items"]] == [(["lina@customer.example"], "Re: 订单没有收到 [#1]")]
    sent = services.mailer.read(outbox["items"][0]["id"])  # type: ignore[attr-defined]
    mail = email.message_from_bytes(sent, policy=policy.default)
    _, ticket, _ = api.call("GET", f"/v1/agent/tickets/{ticket_id}", headers=agent)
    first_id = ticket["messages"][0]
    assert mail["In-Reply-To"] and mail["References"] and mail["Reply-To"].startswith("reply+")
    assert first_id["text"] == "你好，我的订单还没到。"

    # The customer answers the way mail clients do: to the Reply-To address, quoting the thread.
    send(smtp, "lina@customer.example", mail["Reply-To"], f"Re: {mail['Subject']}", "谢谢！\n\n> 已发货，明天到。",
         In_Reply_To=mail["Message-ID"], References=f"{mail['References']} {mail['Message-ID']}")
    _, ticket, _ = api.call("GET", f"/v1/agent/tickets/{ticket_id}", headers=agent)
    assert [(m["direction"], m["text"]) for m in ticket["messages"]] == [
        ("inbound", "你好，我的订单还没到。"), ("outbound", "已发货，明天到。"), ("inbound", "谢谢！")]
    _, listing, _ = api.call("GET", "/v1/agent/tickets?status=open", headers=agent)
    assert len(listing["items"]) == 1


def test_agents_see_only_their_own_merchants_tickets_attachments_and_outbox(
        api: Api, smtp: str, services: bootstrap.Services, factory: Factory) -> None:
    first, first_address = mail_merchant(services, factory)
    second, _ = mail_merchant(services, factory)
    host, _, port = smtp.rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=10) as client:
        client.sendmail("sender@customer.example", [first_address], fixture_bytes("attachments_rfc2231.eml"))
    _, listing, _ = api.call("GET", "/v1/agent/tickets", headers=bearer(first.agent_key))
    ticket_id = listing["items"][0]["id"]
    _, ticket, _ = api.call("GET", f"/v1/agent/tickets/{ticket_id}", headers=bearer(first.agent_key))
    link = ticket["messages"][0]["attachments"][0]["url"]

    other = bearer(second.agent_key)
    assert api.call("GET", f"/v1/agent/tickets/{ticket_id}", headers=other)[0] == 404
    assert api.call("POST", f"/v1/agent/tickets/{ticket_id}/replies", {"text": "hi"}, headers=other)[0] == 404
    assert api.call("GET", "/v1/agent/tickets", headers=other)[1]["items"] == []
    assert api.call("GET", "/v1/agent/outbox", headers=other)[1]["items"] == []
    path = link.split("?")[0]
    response = api.http.request("GET", path, headers=other)
    assert response.status_code == 404
    browser = {"accept": "text/html,*/*;q=0.8"}
    response = api.http.request("GET", link, headers=browser)  # a signed link works without a key, as in a browser
    assert response.status_code == 200 and response.headers["Content-Type"] in ("application/pdf",
                                                                                  "application/octet-stream")
    assert response.body == fixture_part(0)
    assert api.http.request("GET", link.replace("sig=", "sig=0"), headers=browser).status_code == 401


def test_ticket_routes_refuse_bad_input_and_keys_without_email(api: Api, services: bootstrap.Services,
                                                               factory: Factory) -> None:
    from chalicelib.licensing.model import Channel

    merchant, _ = mail_merchant(services, factory)
    agent = bearer(merchant.agent_key)
    assert api.call("GET", "/v1/agent/tickets?status=nope", headers=agent)[1]["error"]["code"] == "INVALID_CHOICE"
    assert api.call("GET", "/v1/agent/tickets?next=garbage", headers=agent)[1]["error"]["code"] == "INVALID_CURSOR"
    assert api.call("POST", "/v1/agent/tickets/tkt-x/replies", {"text": "x", "to": "a@b.c"},
                    headers=agent)[1]["error"]["code"] == "UNKNOWN_FIELD"
    assert api.call("GET", "/v1/agent/tickets")[0] == 401
    chat_only = factory.merchant(channels=(Channel.CHAT,))
    status, body, _ = api.call("GET", "/v1/agent/tickets", headers=bearer(chat_only.agent_key))
    assert (status, body["error"]["code"]) == (403, "CHANNEL_NOT_LICENSED")


def test_make_run_receives_mail_on_its_smtp_port_for_the_demo_support_address(tmp_path: Path) -> None:
    api_port, db_port, smtp_port = free_port(), free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    process = start(tmp_path, api_port, db_port, smtp_port)
    try:
        wait_healthy(api, process)
        demo = json.loads((tmp_path / "demo.json").read_text())
        assert demo["smtp"] == f"127.0.0.1:{smtp_port}" and demo["support_address"].endswith("@kefu.local")
        send(demo["smtp"], "wang@customer.example", demo["support_address"], "Tea question", "Is it green tea?")

        def tickets() -> list:  # type: ignore[type-arg]
            request = urllib.request.Request(f"{api}/v1/agent/tickets?status=open",  # noqa: S310 - loopback
                                             headers=bearer(demo["agent_key"]))
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return list(json.loads(response.read())["items"])

        found = wait_for(tickets)
        assert [t["contact"] for t in found] == ["wang@customer.example"]
        acknowledgement = wait_for(lambda: list((tmp_path / "outbox").glob("*.eml")))
        assert b"Auto-Submitted: auto-replied" in acknowledgement[0].read_bytes()
    finally:
        out = stop(process)
    assert f"127.0.0.1:{smtp_port}" in out
