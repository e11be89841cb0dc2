"""The chat API through the real Chalice app and DynamoDB Local: the widget's routes with per-key CORS, the
agents' routes, every refusal, idempotent sends, reopening, round-robin assignment and tenant isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.chat.model import identity_hash
from chalicelib.core.clock import FixedClock
from chalicelib.i18n import text
from chalicelib.licensing.model import Channel
from tests.e2e.conftest import Api
from tests.factories import ORIGIN, Factory, Merchant


def widget(merchant: Merchant, token: str | None = None, origin: str = ORIGIN) -> dict[str, str]:
    headers = {"x-widget-key": merchant.widget_key, "origin": origin}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return headers


def agent(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def start(api: Api, merchant: Merchant, text: str = "Hello, is the tea in stock?", **body: Any) -> dict[str, Any]:
    status, answer, _ = api.call("POST", "/v1/widget/conversations", {"text": text, **body}, widget(merchant))
    assert status == 201, answer
    return answer


def poll(api: Api, merchant: Merchant, started: dict[str, Any], after: str = "0") -> dict[str, Any]:
    status, body, _ = api.call("GET", f"/v1/widget/conversations/{started['id']}/messages?after={after}",
                               headers=widget(merchant, started["visitor_token"]))
    assert status == 200, body
    return body


def online(api: Api, key: str, capacity: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "online"}
    if capacity is not None:
        body["capacity"] = capacity
    status, answer, _ = api.call("PUT", "/v1/agent/presence", body, agent(key))
    assert status == 200, answer
    return answer


# -- the widget ---------------------------------------------------------------------------------------------
def test_a_shopper_starts_a_conversation_and_sees_the_agents_reply_on_the_next_poll(api: Api,
                                                                                       factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant, visitor={"name": "Li Lei", "email": "Li@Example.com"})
    assert started["id"].startswith("cnv_") and started["visitor_token"] and started["cursor"] == "0"
    first = poll(api, merchant, started)
    assert [m["text"] for m in first["messages"]] == ["Hello, is the tea in stock?"]
    assert first["messages"][0]["author"] == "visitor" and first["cursor"] != "0"

    status, reply, _ = api.call("POST", f"/v1/agent/conversations/{started['id']}/messages",
                                {"text": "Yes, 200 g tins."}, agent(merchant.agent_key))
    assert status == 201 and reply["author"] == "agent"
    later = poll(api, merchant, started, first["cursor"])
    assert [(m["author"], m["text"]) for m in later["messages"]] == [("agent", "Yes, 200 g tins.")]
    assert poll(api, merchant, started, later["cursor"])["messages"] == []
    assert [m["text"] for m in poll(api, merchant, started, "0")["messages"]] == [  # from the start again
        "Hello, is the tea in stock?", "Yes, 200 g tins."]
    status, refused, _ = api.call("GET", f"/v1/widget/conversations/{started['id']}/messages?after=c1.X",
                                  headers=widget(merchant, started["visitor_token"]))
    assert status == 400 and refused["error"]["code"] == "INVALID_CURSOR"

    _, detail, _ = api.call("GET", f"/v1/agent/conversations/{started['id']}", headers=agent(merchant.agent_key))
    assert detail["visitor"] == {"id": detail["visitor"]["id"], "name": "Li Lei", "email": "li@example.com",
                                 "customer_id": None, "verified": False}


def test_widget_responses_carry_cors_for_the_keys_origin_only(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    status, _, headers = api.call("GET", "/v1/widget/config", headers=widget(merchant))
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == ORIGIN and headers["Vary"] == "Origin"

    status, body, headers = api.call("GET", "/v1/widget/config", headers=widget(merchant, origin="https://evil.example"))
    assert (status, body["error"]["code"]) == (403, "ORIGIN_NOT_ALLOWED")
    assert "Access-Control-Allow-Origin" not in headers


def test_preflight_says_yes_to_the_keys_origins_and_no_to_others(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    path = f"/v1/widget/conversations?key={merchant.widget_key}"
    asked = {"access-control-request-method": "POST",
             "access-control-request-headers": "content-type,x-widget-key,authorization"}
    status, _, headers = api.call("OPTIONS", path, headers={"origin": ORIGIN, **asked})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert {"x-widget-key", "authorization", "content-type"} <= {
        h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}

    status, _, headers = api.call("OPTIONS", path, headers={"origin": "https://evil.example", **asked})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    status, _, headers = api.call("OPTIONS", "/v1/widget/conversations/x/messages?key=kf_pub_unknown",
                                  headers={"origin": ORIGIN, **asked})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers


def test_errors_to_an_allowed_origin_carry_cors_so_the_widget_can_read_them(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    status, body, headers = api.call("POST", "/v1/widget/conversations", {"text": "   "}, widget(merchant))
    assert (status, body["error"]["code"]) == (400, "EMPTY_FIELD")
    assert headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_suspended_license_refuses_the_widget_and_says_why_to_its_own_origin(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    services.licensing.suspend(merchant.licensee_id, "late payment", "staff:alice")
    status, body, headers = api.call("POST", "/v1/widget/conversations", {"text": "hi"}, widget(merchant))
    assert (status, body["error"]["code"]) == (403, "SUSPENDED")
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    status, body, _ = api.call("GET", "/v1/agent/conversations", headers=agent(merchant.agent_key))
    assert (status, body["error"]["code"]) == (403, "SUSPENDED")


def test_a_merchant_without_the_chat_channel_gets_no_chat(api: Api, factory: Factory) -> None:
    merchant = factory.merchant(channels=(Channel.EMAIL,))
    status, body, _ = api.call("POST", "/v1/widget/conversations", {"text": "hi"}, widget(merchant))
    assert (status, body["error"]["code"]) == (403, "CHANNEL_NOT_LICENSED")
    status, body, _ = api.call("GET", "/v1/agent/conversations", headers=agent(merchant.agent_key))
    assert (status, body["error"]["code"]) == (403, "CHANNEL_NOT_LICENSED")


@pytest.mark.parametrize(("body", "code"), [
    ({"text": "x" * 4001}, "FIELD_TOO_LONG"),
    ({"text": ""}, "EMPTY_FIELD"),
    ({"text": " \n\t "}, "EMPTY_FIELD"),
    ({}, "MISSING_FIELD"),
    ({"text": 5}, "WRONG_TYPE"),
    ({"text": "hi", "client_id": "short"}, "INVALID_CLIENT_ID"),
    ({"text": "hi", "visitor": {"email": "not-an-address"}}, "INVALID_EMAIL"),
    ({"text": "hi", "visitor": {"age": 3}}, "UNKNOWN_FIELD"),
    ({"text": "hi", "shop": "other"}, "UNKNOWN_FIELD"),
])
def test_bad_messages_are_refused_with_400_and_nothing_is_written(api: Api, factory: Factory, body: dict[str, Any],
                                                                  code: str) -> None:
    merchant = factory.merchant()
    status, answer, _ = api.call("POST", "/v1/widget/conversations", body, widget(merchant))
    assert (status, answer["error"]["code"]) == (400, code)
    started = start(api, merchant)
    status, answer, _ = api.call("POST", f"/v1/widget/conversations/{started['id']}/messages", body,
                                 widget(merchant, started["visitor_token"]))
    # a later message has no visitor profile to give
    assert (status, answer["error"]["code"]) == (400, "UNKNOWN_FIELD" if "visitor" in body else code)
    assert len(poll(api, merchant, started)["messages"]) == 1


def test_a_message_of_exactly_4000_characters_is_accepted(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant, text="茶" * 4000)
    assert len(poll(api, merchant, started)["messages"][0]["text"]) == 4000


def test_the_same_client_id_twice_is_one_message(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    path = f"/v1/widget/conversations/{started['id']}/messages"
    body = {"text": "Do you ship to Suzhou?", "client_id": "c0ffee-0001"}
    first = api.call("POST", path, body, widget(merchant, started["visitor_token"]))
    again = api.call("POST", path, body, widget(merchant, started["visitor_token"]))
    assert first[0] == again[0] == 201 and first[1]["id"] == again[1]["id"]
    status, reply, _ = api.call("POST", f"/v1/agent/conversations/{started['id']}/messages",
                                {"text": "We do.", "client_id": "agent-reply-1"}, agent(merchant.agent_key))
    retried = api.call("POST", f"/v1/agent/conversations/{started['id']}/messages",
                       {"text": "We do.", "client_id": "agent-reply-1"}, agent(merchant.agent_key))
    assert status == 201 and retried[1]["id"] == reply["id"]
    texts = [m["text"] for m in poll(api, merchant, started)["messages"]]
    assert texts == ["Hello, is the tea in stock?", "Do you ship to Suzhou?", "We do."]


def test_a_retry_in_the_next_minute_is_still_recognised(api: Api, factory: Factory, clock: FixedClock) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    path = f"/v1/widget/conversations/{started['id']}/messages"
    body = {"text": "Still there?", "client_id": "retry-across-minute"}
    first = api.call("POST", path, body, widget(merchant, started["visitor_token"]))
    clock.advance(timedelta(seconds=61))
    again = api.call("POST", path, body, widget(merchant, started["visitor_token"]))
    assert again[0] == 201 and again[1]["id"] == first[1]["id"]
    assert len(poll(api, merchant, started)["messages"]) == 2


def test_messages_per_conversation_per_minute_are_limited_with_retry_after(
        api: Api, factory: Factory, services: bootstrap.Services, clock: FixedClock) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    path = f"/v1/widget/conversations/{started['id']}/messages"
    limit = services.settings.chat_messages_per_minute
    for n in range(limit - 1):  # the first message counted already
        status, body, _ = api.call("POST", path, {"text": f"message {n}"}, widget(merchant, started["visitor_token"]))
        assert status == 201, body
    status, body, headers = api.call("POST", path, {"text": "one too many"}, widget(merchant, started["visitor_token"]))
    assert (status, body["error"]["code"]) == (429, "TOO_MANY_MESSAGES")
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    clock.advance(timedelta(seconds=int(headers["Retry-After"])))
    status, _, _ = api.call("POST", path, {"text": "next minute"}, widget(merchant, started["visitor_token"]))
    assert status == 201


def test_new_conversations_per_address_per_hour_are_limited_with_retry_after(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    for _ in range(services.settings.chat_conversations_per_ip_hour):
        start(api, merchant)
    status, body, headers = api.call("POST", "/v1/widget/conversations", {"text": "again"}, widget(merchant))
    assert (status, body["error"]["code"]) == (429, "TOO_MANY_CONVERSATIONS")
    assert 1 <= int(headers["Retry-After"]) <= 3600


def test_a_visitor_token_opens_only_its_own_conversations(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    mine, theirs = start(api, merchant), start(api, merchant)
    for method, body in (("GET", None), ("POST", {"text": "let me in"})):
        status, answer, _ = api.call(method, f"/v1/widget/conversations/{theirs['id']}/messages", body,
                                     widget(merchant, mine["visitor_token"]))
        assert (status, answer["error"]["code"]) == (404, "CONVERSATION_NOT_FOUND")
    assert len(poll(api, merchant, theirs)["messages"]) == 1


def test_a_visitor_token_of_another_merchant_or_forged_is_refused(api: Api, factory: Factory) -> None:
    shop, other = factory.merchant(), factory.merchant()
    started = start(api, shop)
    status, body, _ = api.call("GET", f"/v1/widget/conversations/{started['id']}/messages",
                               headers=widget(other, started["visitor_token"]))
    assert (status, body["error"]["code"]) == (401, "INVALID_TOKEN")
    forged = started["visitor_token"][:-4] + "AAAA"
    status, body, _ = api.call("GET", f"/v1/widget/conversations/{started['id']}/messages",
                               headers=widget(shop, forged))
    assert (status, body["error"]["code"]) == (401, "INVALID_TOKEN")
    status, body, _ = api.call("GET", f"/v1/widget/conversations/{started['id']}/messages", headers=widget(shop))
    assert (status, body["error"]["code"]) == (401, "MISSING_TOKEN")


def test_a_returning_visitor_keeps_one_token_for_all_their_conversations(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    first = start(api, merchant)
    status, second, _ = api.call("POST", "/v1/widget/conversations", {"text": "another question"},
                                 widget(merchant, first["visitor_token"]))
    assert status == 201
    _, listed, _ = api.call("GET", "/v1/widget/conversations", headers=widget(merchant, second["visitor_token"]))
    assert {c["id"] for c in listed["items"]} == {first["id"], second["id"]}


def test_a_verified_customer_sees_their_history_on_another_device(api: Api, factory: Factory,
                                                                  services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    secret = services.chat.rotate_identity_secret(merchant.licensee_id, "staff:alice")
    proof = {"customer_id": "customer-42", "customer_hash": identity_hash(secret, "customer-42")}
    _, laptop, _ = api.call("POST", "/v1/widget/identify", proof, widget(merchant))
    status, mine, _ = api.call("POST", "/v1/widget/conversations", {"text": "Where is my order?"},
                               widget(merchant, laptop["visitor_token"]))
    assert status == 201
    _, phone, _ = api.call("POST", "/v1/widget/identify", proof, widget(merchant))
    _, listed, _ = api.call("GET", "/v1/widget/conversations", headers=widget(merchant, phone["visitor_token"]))
    assert [c["id"] for c in listed["items"]] == [mine["id"]]
    _, detail, _ = api.call("GET", f"/v1/agent/conversations/{mine['id']}", headers=agent(merchant.agent_key))
    assert detail["visitor"]["verified"] is True and detail["visitor"]["customer_id"] == "customer-42"

    wrong = {"customer_id": "customer-43", "customer_hash": proof["customer_hash"]}
    status, body, _ = api.call("POST", "/v1/widget/identify", wrong, widget(merchant))
    assert (status, body["error"]["code"]) == (403, "IDENTITY_MISMATCH")


def test_identity_is_refused_until_the_merchant_has_a_secret(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    status, body, _ = api.call("POST", "/v1/widget/identify", {"customer_id": "1", "customer_hash": "00"},
                               widget(merchant))
    assert (status, body["error"]["code"]) == (403, "IDENTITY_NOT_ENABLED")


def test_the_widget_script_and_the_console_are_served(api: Api) -> None:
    response = api.http.request("GET", "/v1/widget.js")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/javascript")
    assert b"attachShadow" in response.body and b"innerHTML" not in response.body
    page = api.http.request("GET", "/console")
    assert page.status_code == 200 and b'lang="zh-CN"' in page.body  # Chinese first; tabs named from the catalogue
    for key in ("nav.conversations", "nav.tickets"):
        assert f'data-i18n="{key}">{text("console", key, "zh-CN")}<'.encode() in page.body
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = api.http.request("GET", "/console.js")
    assert script.status_code == 200 and b"innerHTML" not in script.body


# -- availability and hand-over to email --------------------------------------------------------------------
def test_with_nobody_online_the_widget_is_told_and_an_address_hands_the_chat_over_to_email(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    _, config, _ = api.call("GET", "/v1/widget/config", headers=widget(merchant))
    assert (config["available"], config["reason"], config["email"]) == (False, "no_agent_online", True)
    started = start(api, merchant, visitor={"email": "shopper@example.com"})
    assert started["available"] is False and started["handed_over"] is True
    assert services.chat.store.handovers(merchant.licensee_id)[0][:2] == (started["id"], "shopper@example.com")
    _, detail, _ = api.call("GET", f"/v1/agent/conversations/{started['id']}", headers=agent(merchant.agent_key))
    assert detail["handover"]["email"] == "shopper@example.com"
    actions = [r.action for r in services.licensing.history(merchant.licensee_id)] + \
        [r.action for r in _chat_history(merchant.licensee_id)]
    assert "conversation.handed_over" in actions


def test_without_the_email_channel_the_address_is_kept_but_nothing_is_handed_over(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant(channels=(Channel.CHAT,))
    _, config, _ = api.call("GET", "/v1/widget/config", headers=widget(merchant))
    assert config["email"] is False
    started = start(api, merchant, visitor={"email": "shopper@example.com"})
    assert started["handed_over"] is False
    assert services.chat.store.handovers(merchant.licensee_id) == []


def test_outside_business_hours_the_widget_says_so(api: Api, factory: Factory, services: bootstrap.Services,
                                                   clock: FixedClock) -> None:
    merchant = factory.merchant()
    online(api, merchant.agent_key)
    services.chat.set_hours(merchant.licensee_id, "mon-fri 09:00-18:00", "Asia/Shanghai", "staff:alice")
    _, config, _ = api.call("GET", "/v1/widget/config", headers=widget(merchant))  # Monday 12:00 in Shanghai
    assert config["available"] is True
    clock.advance(timedelta(hours=8))  # 20:00
    services.chat._agents.clear()
    online(api, merchant.agent_key)
    _, config, _ = api.call("GET", "/v1/widget/config", headers=widget(merchant))
    assert (config["available"], config["reason"]) == (False, "outside_hours")


# -- the agents' side ---------------------------------------------------------------------------------------
def test_agents_list_conversations_by_status_newest_activity_first_a_page_at_a_time(
        api: Api, factory: Factory, clock: FixedClock, services: bootstrap.Services,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chalicelib.chat.service.INBOX_PAGE", 2)
    merchant = factory.merchant()
    ids = []
    for _ in range(3):  # the index orders by ten minutes of activity
        ids.append(start(api, merchant)["id"])
        clock.advance(timedelta(minutes=10))
    api.call("POST", f"/v1/agent/conversations/{ids[0]}/messages", {"text": "bump"}, agent(merchant.agent_key))
    status, page, _ = api.call("GET", "/v1/agent/conversations?status=open", headers=agent(merchant.agent_key))
    assert status == 200 and [c["id"] for c in page["items"]] == [ids[0], ids[2]] and page["next"]
    _, rest, _ = api.call("GET", f"/v1/agent/conversations?status=open&next={page['next']}",
                          headers=agent(merchant.agent_key))
    assert [c["id"] for c in rest["items"]] == [ids[1]]
    status, body, _ = api.call("GET", "/v1/agent/conversations?status=closed", headers=agent(merchant.agent_key))
    assert (status, body["error"]["code"]) == (400, "INVALID_CHOICE")


def test_an_agent_never_sees_or_touches_another_merchants_conversations(api: Api, factory: Factory) -> None:
    shop, other = factory.merchant(), factory.merchant()
    started = start(api, shop)
    _, listed, _ = api.call("GET", "/v1/agent/conversations?status=open", headers=agent(other.agent_key))
    assert started["id"] not in [c["id"] for c in listed["items"]]
    for method, path, body in (("GET", "", None), ("POST", "/messages", {"text": "hi"}),
                               ("POST", "/notes", {"text": "hi"}), ("POST", "/status", {"status": "resolved"}),
                               ("POST", "/assign", {"agent_id": "me"})):
        status, answer, _ = api.call(method, f"/v1/agent/conversations/{started['id']}{path}", body,
                                     agent(other.agent_key))
        assert (status, answer["error"]["code"]) == (404, "CONVERSATION_NOT_FOUND"), path
    assert len(poll(api, shop, started)["messages"]) == 1


def test_agent_routes_want_an_agent_key(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    status, body, _ = api.call("GET", "/v1/agent/conversations")
    assert (status, body["error"]["code"]) == (401, "MISSING_KEY")
    status, body, _ = api.call("GET", "/v1/agent/conversations", headers=agent(merchant.widget_key))
    assert (status, body["error"]["code"]) == (403, "WRONG_KEY_KIND")


def test_private_notes_are_for_agents_and_never_reach_the_shopper(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    status, _, _ = api.call("POST", f"/v1/agent/conversations/{started['id']}/notes",
                               {"text": "VIP customer, offer free shipping"}, agent(merchant.agent_key))
    assert status == 201
    _, detail, _ = api.call("GET", f"/v1/agent/conversations/{started['id']}", headers=agent(merchant.agent_key))
    assert [n["text"] for n in detail["notes"]] == ["VIP customer, offer free shipping"]
    assert "VIP" not in str(poll(api, merchant, started))


def test_a_shopper_writing_to_a_resolved_conversation_reopens_it(api: Api, factory: Factory,
                                                                 services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    online(api, merchant.agent_key)
    started = start(api, merchant)
    path = f"/v1/agent/conversations/{started['id']}"
    status, body, _ = api.call("POST", f"{path}/status", {"status": "resolved"}, agent(merchant.agent_key))
    assert status == 200 and body["status"] == "resolved"
    _, listed, _ = api.call("GET", "/v1/agent/conversations?status=resolved", headers=agent(merchant.agent_key))
    assert started["id"] in [c["id"] for c in listed["items"]]
    api.call("POST", f"/v1/widget/conversations/{started['id']}/messages", {"text": "One more thing"},
             widget(merchant, started["visitor_token"]))
    _, detail, _ = api.call("GET", path, headers=agent(merchant.agent_key))
    assert detail["status"] == "open"
    _, listed, _ = api.call("GET", "/v1/agent/conversations?status=open", headers=agent(merchant.agent_key))
    assert started["id"] in [c["id"] for c in listed["items"]]
    _, agents, _ = api.call("GET", "/v1/agent/agents", headers=agent(merchant.agent_key))
    assert agents["items"][0]["open"] == 1  # resolved freed the place, reopening took it again


def test_new_conversations_go_round_robin_to_online_agents_under_capacity(
        api: Api, factory: Factory, services: bootstrap.Services, clock: FixedClock) -> None:
    merchant = factory.merchant()
    second = services.licensing.issue_agent_key(merchant.licensee_id, "Agent Two", "two@shop.example", "test")
    third = services.licensing.issue_agent_key(merchant.licensee_id, "Agent Three", "three@shop.example", "test")
    one = online(api, merchant.agent_key, capacity=2)
    two = online(api, second.secret, capacity=1)
    api.call("PUT", "/v1/agent/presence", {"status": "away"}, agent(third.secret))

    assignees = []
    for _ in range(4):
        started = start(api, merchant)
        clock.advance(timedelta(seconds=5))
        _, detail, _ = api.call("GET", f"/v1/agent/conversations/{started['id']}", headers=agent(merchant.agent_key))
        assignees.append(detail["assignee"]["id"] if detail["assignee"] else None)
    # alternating while both have room; Agent Two is full after one, Agent One after two; Agent Three is away
    assert assignees == [one["id"], two["id"], one["id"], None]
    actions = [r.action for r in _chat_history(merchant.licensee_id)]
    assert actions.count("conversation.assigned") == 3


def test_an_agent_whose_console_went_quiet_gets_no_new_conversations(api: Api, factory: Factory,
                                                                     clock: FixedClock) -> None:
    merchant = factory.merchant()
    online(api, merchant.agent_key)
    clock.advance(timedelta(minutes=4))
    started = start(api, merchant)
    assert started["available"] is False


def test_agents_assign_to_themselves_to_a_colleague_and_to_nobody(api: Api, factory: Factory,
                                                                   services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    colleague = services.licensing.issue_agent_key(merchant.licensee_id, "Agent Two", "two@shop.example", "test")
    started = start(api, merchant)
    path = f"/v1/agent/conversations/{started['id']}/assign"
    _, me, _ = api.call("POST", path, {"agent_id": "me"}, agent(merchant.agent_key))
    assert me["assignee"]["name"] == "Agent One"
    _, moved, _ = api.call("POST", path, {"agent_id": colleague.key.key_id}, agent(merchant.agent_key))
    assert moved["assignee"] == {"id": colleague.key.key_id, "name": "Agent Two"}
    _, nobody, _ = api.call("POST", path, {"agent_id": None}, agent(merchant.agent_key))
    assert nobody["assignee"] is None
    other = factory.merchant()
    other_agent = services.licensing.keys(other.licensee_id)[-1].key_id
    status, body, _ = api.call("POST", path, {"agent_id": other_agent}, agent(merchant.agent_key))
    assert (status, body["error"]["code"]) == (404, "UNKNOWN_AGENT")
    _, agents, _ = api.call("GET", "/v1/agent/agents", headers=agent(merchant.agent_key))
    assert all(a["open"] == 0 for a in agents["items"])


def test_presence_is_online_or_away(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    status, body, _ = api.call("PUT", "/v1/agent/presence", {"status": "busy"}, agent(merchant.agent_key))
    assert (status, body["error"]["code"]) == (400, "INVALID_CHOICE")
    assert online(api, merchant.agent_key)["online"] is True
    _, away, _ = api.call("PUT", "/v1/agent/presence", {"status": "away"}, agent(merchant.agent_key))
    assert away["online"] is False


def _chat_history(licensee_id: str) -> list[Any]:
    from chalicelib.audit import store as audit_store

    return audit_store.history(f"chat:{licensee_id}")


@pytest.mark.parametrize("failing", ["chalicelib.chat.service.ChatService.send_as_visitor",
                                     "chalicelib.chat.service.ChatService.visitor",
                                     "chalicelib.chat.widget_http.require_widget"])
def test_a_500_to_an_allowed_origin_carries_cors_so_the_widget_can_read_it(
        api: Api, factory: Factory, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(failing, boom)
    status, body, headers = api.call("POST", f"/v1/widget/conversations/{started['id']}/messages",
                                     {"text": "still there?"}, widget(merchant, started["visitor_token"]))
    assert (status, body["error"]["code"]) == (500, "INTERNAL_ERROR")
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    status, _, headers = api.call("POST", f"/v1/widget/conversations/{started['id']}/messages",
                                  {"text": "still there?"}, widget(merchant, started["visitor_token"],
                                                                   origin="https://evil.example"))
    assert status in (403, 500) and "Access-Control-Allow-Origin" not in headers


# -- idempotent start ---------------------------------------------------------------------------------------
def test_a_first_message_sent_again_returns_the_same_conversation_with_200(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    body = {"text": "你好，请问有货吗？", "client_id": "first-visit-0001"}
    first = api.call("POST", "/v1/widget/conversations", body, widget(merchant))
    again = api.call("POST", "/v1/widget/conversations", body, widget(merchant))
    assert (first[0], again[0]) == (201, 200)
    assert again[1]["id"] == first[1]["id"] and again[1]["message"] == first[1]["message"]
    # the token of the retry opens the same conversation: the lost first answer costs the shopper nothing
    assert [m["text"] for m in poll(api, merchant, again[1])["messages"]] == ["你好，请问有货吗？"]
    other = api.call("POST", "/v1/widget/conversations", {**body, "client_id": "first-visit-0002"}, widget(merchant))
    assert other[0] == 201 and other[1]["id"] != first[1]["id"]


def test_a_returning_visitors_retried_start_is_recognised_by_visitor_and_client_id(api: Api,
                                                                                   factory: Factory) -> None:
    merchant = factory.merchant()
    earlier = start(api, merchant)
    body = {"text": "Another question", "client_id": "second-chat-0001"}
    headers = widget(merchant, earlier["visitor_token"])
    first = api.call("POST", "/v1/widget/conversations", body, headers)
    again = api.call("POST", "/v1/widget/conversations", body, headers)
    assert (first[0], again[0]) == (201, 200) and first[1]["id"] == again[1]["id"] != earlier["id"]
    # the same client id without that visitor's token is another visitor's first message
    stranger = api.call("POST", "/v1/widget/conversations", body, widget(merchant))
    assert stranger[0] == 201 and stranger[1]["id"] != first[1]["id"]


def test_a_retried_start_is_recognised_by_a_process_that_never_saw_the_first(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    body = {"text": "hello", "client_id": "cold-process-01"}
    first = api.call("POST", "/v1/widget/conversations", body, widget(merchant))
    services.chat._known.clear()
    services.chat._settings.clear()
    services.chat._agents.clear()
    again = api.call("POST", "/v1/widget/conversations", body, widget(merchant))
    assert again[0] == 200 and again[1]["id"] == first[1]["id"]


def test_two_instances_writing_the_same_first_message_at_once_open_one_conversation(
        factory: Factory, services: bootstrap.Services) -> None:
    """Both passed the look-up before either wrote: the conditional write decides."""
    merchant = factory.merchant()
    chat = services.chat
    real = chat.store.started
    chat.store.started = lambda key: None  # type: ignore[method-assign]
    try:
        one = chat.start(merchant.licensee_id, None, text="hi", client_id="raced-start-01")
        two = chat.start(merchant.licensee_id, None, text="hi", client_id="raced-start-01")
    finally:
        chat.store.started = real  # type: ignore[method-assign]
    assert one.conversation.conversation_id == two.conversation.conversation_id
    assert (one.replayed, two.replayed) == (False, True)


# -- the shopper's language ---------------------------------------------------------------------------------
def test_the_widget_speaks_chinese_unless_the_browser_or_the_merchant_says_otherwise(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    _, config, headers = api.call("GET", "/v1/widget/config", headers=widget(merchant))
    assert config["locale"] == "zh-CN" and config["texts"]["send"] == "发送"
    assert headers["Content-Language"] == "zh-CN" and config["realtime"] == {"url": None}
    _, config, _ = api.call("GET", "/v1/widget/config",
                            headers={**widget(merchant), "accept-language": "en-GB,en;q=0.9"})
    assert config["locale"] == "en" and config["texts"]["send"] == "Send"
    _, config, _ = api.call("GET", "/v1/widget/config?locale=fr-FR,en-US", headers=widget(merchant))
    assert config["locale"] == "en"
    services.chat.set_widget_locale(merchant.licensee_id, "zh-CN", "staff:alice")
    _, config, _ = api.call("GET", "/v1/widget/config", headers={**widget(merchant), "accept-language": "en"})
    assert config["locale"] == "zh-CN"


def test_a_merchants_own_texts_replace_the_catalogues_in_their_language_only(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    services.chat.set_widget_texts(merchant.licensee_id, "zh-CN", {"title": "龙井茶庄客服", "greeting": "欢迎光临！"},
                                   "staff:alice")
    services.chat.set_widget_texts(merchant.licensee_id, "en", {"title": "Longjing Tea House"}, "staff:alice")
    _, zh, _ = api.call("GET", "/v1/widget/config", headers=widget(merchant))
    _, en, _ = api.call("GET", "/v1/widget/config", headers={**widget(merchant), "accept-language": "en"})
    assert (zh["texts"]["title"], zh["texts"]["greeting"]) == ("龙井茶庄客服", "欢迎光临！")
    assert (en["texts"]["title"], en["texts"]["greeting"]) == ("Longjing Tea House", "Hello! How can we help?")


@pytest.mark.parametrize(("texts", "code"), [({"colour": "red"}, "UNKNOWN_FIELD"), ({"title": "x" * 501},
                                                                                     "FIELD_TOO_LONG"),
                                              ({"title": 5}, "WRONG_TYPE"), ("title", "WRONG_TYPE")])
def test_a_merchants_texts_are_checked_before_they_are_stored(factory: Factory, services: bootstrap.Services,
                                                              texts: Any, code: str) -> None:
    merchant = factory.merchant()
    with pytest.raises(Exception) as refused:
        services.chat.set_widget_texts(merchant.licensee_id, "en", texts, "staff:alice")
    assert getattr(refused.value, "code", None) == code
    assert services.chat.chat_settings(merchant.licensee_id).texts == {}


def test_refusals_the_widget_shows_are_worded_in_the_shoppers_language(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    status, body, headers = api.call("POST", "/v1/widget/conversations", {"text": "x" * 4001}, widget(merchant))
    assert (status, body["error"]["code"]) == (400, "FIELD_TOO_LONG")
    assert body["error"]["message"] == "内容太长了，最多 4000 个字。"
    status, body, headers = api.call("POST", "/v1/widget/conversations", {"text": "   "}, widget(merchant))
    assert body["error"]["message"] == "消息不能为空。" and headers["Content-Language"] == "zh-CN"
    services.licensing.suspend(merchant.licensee_id, "late payment", "staff:alice")
    status, body, _ = api.call("GET", "/v1/widget/config", headers=widget(merchant))
    assert (status, body["error"]["code"]) == (403, "SUSPENDED") and "暂停" in body["error"]["message"]
    status, body, _ = api.call("GET", "/v1/widget/config", headers={**widget(merchant), "accept-language": "en"})
    assert body["error"]["message"] == "This shop's chat is paused; please come back later."


# -- ending and rating --------------------------------------------------------------------------------------
def test_a_shopper_ends_a_chat_and_rates_it_once_and_the_agents_see_the_rating(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    started = start(api, merchant)
    headers = widget(merchant, started["visitor_token"])
    base = f"/v1/widget/conversations/{started['id']}"
    status, body, _ = api.call("POST", f"{base}/rating", {"rating": 5}, headers)
    assert (status, body["error"]["code"]) == (409, "NOT_RESOLVED")
    status, body, _ = api.call("POST", f"{base}/end", None, headers)
    assert status == 200 and body["status"] == "resolved" and body["rated"] is False
    assert api.call("POST", f"{base}/end", None, headers)[0] == 200
    status, body, _ = api.call("POST", f"{base}/rating", {"rating": 6}, headers)
    assert (status, body["error"]["code"]) == (400, "OUT_OF_RANGE")
    status, body, _ = api.call("POST", f"{base}/rating", {"rating": 4, "comment": "回复很快"}, headers)
    assert (status, body) == (201, {"rating": 4, "comment": "回复很快"})
    status, body, _ = api.call("POST", f"{base}/rating", {"rating": 1}, headers)
    assert (status, body["error"]["code"]) == (409, "ALREADY_RATED")
    _, detail, _ = api.call("GET", f"/v1/agent/conversations/{started['id']}", headers=agent(merchant.agent_key))
    assert detail["status"] == "resolved" and detail["rating"] == 4


def test_only_the_conversations_own_visitor_may_end_or_rate_it(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    mine, theirs = start(api, merchant), start(api, merchant)
    status, body, _ = api.call("POST", f"/v1/widget/conversations/{theirs['id']}/end", None,
                               widget(merchant, mine["visitor_token"]))
    assert (status, body["error"]["code"]) == (404, "CONVERSATION_NOT_FOUND")
