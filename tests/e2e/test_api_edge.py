"""Bad input found by fuzzing the published API (issue 16), each pinned: refused at the edge with a 4xx in the
error shape, never a 500, and nothing bad reaches storage; what is stored already never breaks a read."""

from __future__ import annotations

import base64
import json

from chalicelib import bootstrap
from tests.e2e.conftest import Api
from tests.e2e.test_chat_api import agent, start, widget
from tests.factories import Factory


def test_f1_a_lone_surrogate_in_a_name_is_refused_and_the_inbox_still_answers(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    raw = b'{"text": "hello", "visitor": {"name": "\\ud800"}}'
    status, body, _ = api.call("POST", "/v1/widget/conversations", raw=raw, headers=widget(merchant))
    assert status == 400 and body["error"]["code"] == "INVALID_TEXT"
    status, body, _ = api.call("GET", "/v1/agent/conversations?status=open", headers=agent(merchant.agent_key))
    assert status == 200 and body["items"] == []


def test_f1_control_characters_are_refused_anywhere_in_a_body(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    for raw in (b'{"text": "a\\u0000b"}', b'{"text": "ok", "\\u001b[2J": 1}', b'{"text": "bell\\u0007"}'):
        status, body, _ = api.call("POST", "/v1/widget/conversations", raw=raw, headers=widget(merchant))
        assert (status, body["error"]["code"]) == (400, "INVALID_TEXT"), raw
    status, _, _ = api.call("POST", "/v1/widget/conversations", {"text": "two\nlines\tand a tab"},
                            widget(merchant))
    assert status == 201


def test_f1_a_read_never_fails_because_one_stored_item_is_bad(api: Api, factory: Factory,
                                                             services: bootstrap.Services) -> None:
    merchant = factory.merchant()
    # As stored before the edge refused it: straight through the service, past the API.
    services.chat.start(merchant.licensee_id, None, text="hi", name="bad \ud800 name", email="", client_id=None,
                        client_ip="", email_licensed=True)
    status, body, _ = api.call("GET", "/v1/agent/conversations?status=open", headers=agent(merchant.agent_key))
    assert status == 200
    assert [c["visitor"]["name"] for c in body["items"]] == ["bad \ufffd name"]


def test_f4_deeply_nested_json_is_a_400(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    for depth in (20, 100_000 // 2):
        raw = b'{"text": "x", "visitor": ' + b"[" * depth + b"]" * depth + b"}"
        status, body, _ = api.call("POST", "/v1/widget/conversations", raw=raw, headers=widget(merchant))
        assert (status, body["error"]["code"]) in ((400, "TOO_DEEP"), (413, "BODY_TOO_LARGE")), depth


def test_f5_ids_over_2_kb_are_not_found_not_a_500(api: Api, factory: Factory) -> None:
    merchant = factory.merchant()
    long_id = "c" * 3000
    for method, path in (("GET", f"/v1/agent/conversations/{long_id}"), ("GET", f"/v1/agent/tickets/{long_id}"),
                         ("GET", f"/v1/invoices/{long_id}")):
        status, body, _ = api.call(method, path, headers=agent(merchant.agent_key))
        assert status == 404 and set(body["error"]) >= {"code", "message"}, path
    status, body, _ = api.call("POST", f"/v1/agent/conversations/{long_id}/messages", {"text": "hi"},
                               agent(merchant.agent_key))
    assert status == 404


def test_f5_a_forged_inbox_cursor_is_refused_before_it_reaches_dynamodb(api: Api, factory: Factory) -> None:
    merchant, other = factory.merchant(), factory.merchant()
    start(api, other)
    forged = {"pk": {"S": f"M#{other.licensee_id}"}, "sk": {"S": "x"}, "gsi1pk": {"N": "nonsense"}}
    for cursor in (base64.urlsafe_b64encode(json.dumps(forged).encode()).decode(), "not-base64!",
                   "c1." + "x" * 2000 + ".y", base64.urlsafe_b64encode(b"[1, 2]").decode()):
        status, body, _ = api.call("GET", f"/v1/agent/conversations?status=open&next={cursor}",
                                   headers=agent(merchant.agent_key))
        assert (status, body["error"]["code"]) == (400, "INVALID_CURSOR"), cursor



def _assert_page_headers(headers: dict[str, str], where: str) -> None:
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower.get("x-content-type-options") == "nosniff", where
    assert lower.get("referrer-policy") == "no-referrer", where
    assert "frame-ancestors 'none'" in lower.get("content-security-policy", ""), where


def test_f19_every_html_page_carries_csp_nosniff_referrer_policy_and_frame_ancestors(
        api: Api, factory: Factory, services: bootstrap.Services) -> None:
    import urllib.request
    from datetime import date

    from chalicelib.chat.storefront import serve
    from chalicelib.local.dynamodb import free_port
    from tests.e2e.test_billing import schedule, shanghai

    console = api.http.request("GET", "/console")
    _assert_page_headers(console.headers, "console")
    merchant = factory.merchant()
    services.billing.set_schedule(merchant.licensee_id, schedule(), None, "test")
    services.billing.bill_now(merchant.licensee_id, shanghai(date(2026, 6, 15)))
    [invoice] = services.billing.invoices(merchant.licensee_id)
    page = api.http.request("GET", f"/v1/invoices/{invoice.number}/print", headers=agent(merchant.agent_key))
    assert page.status_code == 200
    _assert_page_headers(page.headers, "invoice page")
    port = free_port()
    _, stop = serve("127.0.0.1", port, "http://127.0.0.1:8000", "kf_pub_demo")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            _assert_page_headers(dict(response.headers), "storefront")
            assert "script-src http://127.0.0.1:8000" in response.headers["Content-Security-Policy"]
    finally:
        stop()


def test_f17_polls_per_visitor_are_limited_with_retry_after(api: Api, factory: Factory,
                                                           services: bootstrap.Services, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from chalicelib.core.limits import WindowLimiter

    services.chat.polls = WindowLimiter(3, 60, clock.monotonic)
    merchant = factory.merchant()
    started = start(api, merchant)
    path = f"/v1/widget/conversations/{started['id']}/messages?after=0"
    headers = widget(merchant, started["visitor_token"])
    assert [api.call("GET", path, headers=headers)[0] for _ in range(3)] == [200, 200, 200]
    status, body, answer_headers = api.call("GET", path, headers=headers)
    assert (status, body["error"]["code"]) == (429, "TOO_MANY_POLLS") and int(answer_headers["Retry-After"]) >= 1
    other = start(api, merchant, "another shopper")  # another visitor is not held up by this one
    assert api.call("GET", f"/v1/widget/conversations/{other['id']}/messages",
                    headers=widget(merchant, other["visitor_token"]))[0] == 200
    clock.advance(timedelta(seconds=60))
    assert api.call("GET", path, headers=headers)[0] == 200
