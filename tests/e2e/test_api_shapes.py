"""Clause 6.2: the published v1 API does not change under its users. PUBLISHED names, for every operation of the
OpenAPI document, the keys its successful answer carries (None for answers that are not JSON objects). A change
that drops a route or a key fails here: the document must still promise every published key, and every route,
called as a user calls it, must answer with what the document promises. Adding a route or a key is compatible;
a new route adds its line here."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import jsonschema_rs
import pytest

from chalicelib import bootstrap
from chalicelib.chat.model import identity_hash
from chalicelib.contract import openapi
from chalicelib.core.ids import new_id
from chalicelib.licensing.model import Channel
from chalicelib.local.connect import LocalContacts, connect_events
from chalicelib.mail.model import Verdicts
from chalicelib.phone import model as phone_model
from tests.e2e.conftest import Api
from tests.factories import ORIGIN, Factory
from tests.mail_helpers import deliver, mail_merchant

_CONVERSATION = {"id", "status", "visitor", "assignee", "created_at", "last_activity", "messages", "handover"}
_MESSAGE = {"id", "author", "text", "created_at"}
_TICKET = {"id", "number", "subject", "contact", "status", "channel", "support_address", "created_at",
           "last_activity_at", "message_count"}
_MAIL = {"id", "direction", "from", "from_name", "to", "cc", "subject", "text", "body", "body_truncated",
         "created_at", "kind", "author", "attachments", "problems", "delivery", "authentication"}
_MAIL_SETTINGS = {"support_addresses", "acknowledge", "acknowledgement_text", "acknowledgements_per_hour"}
_AGENT = {"id", "name", "status", "online", "open", "capacity", "me"}
_INVOICE = {"number", "licensee", "kind", "period", "issue_date", "due_date", "currency", "total", "balance", "status"}
_CANNED = {"id", "shortcut", "title", "text", "updated_at"}
_ADMIN_AGENT = {"id", "name", "email", "role", "prefix", "active", "created_at", "revoked_at"}
_ADMIN_SETTINGS = {"timezone", "chat_hours", "widget_texts", "acknowledge", "acknowledgement_texts",
                   "default_acknowledgement"}
_TASK = {"call_id", "status", "reason", "caller", "call_started_at", "created_at", "assignee", "updated_at"}
_CALL = {"id", "source", "contact_id", "direction", "caller", "callee", "started_at", "queued_at", "answered_at",
         "ended_at", "waiting_seconds", "talk_seconds", "queue", "agent", "outcome", "notes", "disposition",
         "has_recording", "recording", "callback"}
_CONV = "/v1/agent/conversations/{conversation_id}"
_SHOPPER = "/v1/widget/conversations/{conversation_id}"
_VISITOR = f"{_SHOPPER}/messages"
_UPLOADS = f"{_SHOPPER}/uploads"
_VISITOR_CONVERSATION = {"id", "status", "agent_name", "created_at", "last_activity", "handed_over", "rated"}
_TICKETS = "/v1/agent/tickets/{ticket_id}"
_CALLS = "/v1/agent/calls/{call_id}"

_SUPPORT = {"id", "licensee", "subject", "category", "status", "via", "opened_at", "opened_by", "first_response_at",
            "closed_at", "targets", "first_response_due", "resolution_due", "first_response_met", "resolution_met",
            "breached", "approaching", "paused", "provisional", "breaches_recorded", "messages"}
_PRIVACY_REQUEST = {"id", "kind", "status", "created_at", "actor", "finished_at", "counts", "archive"}
PUBLISHED: dict[tuple[str, str], set[str] | None] = {
    ("GET", "/v1/health"): {"status", "api", "database", "stage"},
    ("GET", "/v1/openapi.json"): {"openapi", "info", "paths", "components"},
    ("POST", "/v1/licenses/validate"): {"valid", "code", "status", "ends_on", "channels"},
    ("GET", "/v1/license"): {"licensee_id", "valid", "code", "status", "ends_on", "channels", "key"},
    ("GET", "/v1/widget.js"): None,
    ("GET", "/v1/widget/config"): {"available", "reason", "hours", "email", "identity", "locale", "texts",
                                   "realtime"},
    ("OPTIONS", "/v1/widget/config"): None,
    ("POST", "/v1/widget/identify"): {"visitor_token", "verified"},
    ("OPTIONS", "/v1/widget/identify"): None,
    ("POST", "/v1/widget/conversations"): {"id", "visitor_token", "message", "cursor", "available", "reason",
                                           "handed_over"},
    ("GET", "/v1/widget/conversations"): {"items"},
    ("OPTIONS", "/v1/widget/conversations"): None,
    ("POST", _VISITOR): _MESSAGE,
    ("GET", _VISITOR): {"messages", "cursor", "conversation"},
    ("OPTIONS", _VISITOR): None,
    ("POST", _UPLOADS): {"upload_id", "upload", "max_bytes"},
    ("OPTIONS", _UPLOADS): None,
    ("PUT", f"{_UPLOADS}/{{upload_id}}"): None,
    ("POST", f"{_CONV}/uploads"): {"upload_id", "upload", "max_bytes"},
    ("PUT", f"{_CONV}/uploads/{{upload_id}}"): None,
    ("OPTIONS", f"{_UPLOADS}/{{upload_id}}"): None,
    ("GET", "/v1/widget/files/{conversation_id}/{upload_id}"): None,
    ("POST", f"{_SHOPPER}/handover"): _VISITOR_CONVERSATION | {"notice"},
    ("OPTIONS", f"{_SHOPPER}/handover"): None,
    ("POST", f"{_SHOPPER}/end"): _VISITOR_CONVERSATION,
    ("OPTIONS", f"{_SHOPPER}/end"): None,
    ("POST", f"{_SHOPPER}/rating"): {"rating", "comment"},
    ("OPTIONS", f"{_SHOPPER}/rating"): None,
    ("GET", "/v1/agent/conversations"): {"items", "next"},
    ("GET", _CONV): _CONVERSATION | {"notes"},
    ("POST", f"{_CONV}/messages"): _MESSAGE,
    ("POST", f"{_CONV}/notes"): {"id", "agent_id", "agent_name", "text", "created_at"},
    ("POST", f"{_CONV}/assign"): _CONVERSATION,
    ("POST", f"{_CONV}/status"): _CONVERSATION,
    ("PUT", "/v1/agent/presence"): _AGENT | {"timezone", "realtime"},
    ("GET", "/v1/agent/agents"): {"items"},
    ("GET", "/v1/agent/tickets"): {"items", "next"},
    ("GET", _TICKETS): _TICKET | {"messages", "contact_name", "contact_undeliverable"},
    ("POST", f"{_TICKETS}/replies"): _MAIL,
    ("POST", f"{_TICKETS}/status"): _TICKET,
    ("GET", f"{_TICKETS}/messages/{{message_id}}/attachments/{{index}}"): None,
    ("GET", "/v1/agent/outbox"): {"items", "next"},
    ("GET", "/v1/agent/outbox/{name}"): None,
    ("GET", "/v1/agent/mail/settings"): _MAIL_SETTINGS,
    ("PUT", "/v1/agent/mail/settings"): _MAIL_SETTINGS,
    ("GET", "/v1/agent/mail/quarantine"): {"items", "next"},
    ("GET", "/v1/invoices"): {"invoices"},
    ("GET", "/v1/invoices/{number}"): _INVOICE | {"agreement_id", "lines", "subtotal", "tax_rate", "tax",
                                                  "issued_at", "paid_on", "note"},
    ("GET", "/v1/invoices/{number}/print"): None,
    ("GET", "/v1/i18n/{namespace}"): {"locale", "locales", "texts"},
    ("POST", "/v1/agent/tickets"): _TICKET,
    ("POST", f"{_TICKETS}/assign"): _TICKET,
    ("POST", f"{_TICKETS}/notes"): {"id", "agent_id", "agent_name", "text", "created_at"},
    ("GET", "/v1/agent/inbox"): {"items", "view", "cursor"},
    ("GET", "/v1/agent/search"): {"items", "q"},
    ("GET", f"{_CONV}/tags"): {"kind", "id", "tags"},
    ("PUT", f"{_CONV}/tags"): {"kind", "id", "tags"},
    ("GET", f"{_TICKETS}/tags"): {"kind", "id", "tags"},
    ("PUT", f"{_TICKETS}/tags"): {"kind", "id", "tags"},
    ("GET", "/v1/agent/tags"): {"items"},
    ("GET", "/v1/agent/contacts/{contact_id}"): {"contact", "tickets", "chats", "calls"},
    ("POST", f"{_TICKETS}/uploads"): {"upload_id", "upload", "max_bytes"},
    ("PUT", f"{_TICKETS}/uploads/{{upload_id}}"): None,
    ("GET", "/v1/agent/canned-responses"): {"items", "placeholders"},
    ("POST", "/v1/agent/canned-responses"): _CANNED,
    ("DELETE", "/v1/agent/canned-responses/{shortcut}"): {"shortcut", "deleted"},
    ("GET", "/v1/agent/reports"): {"by_day", "totals", "first_response", "resolution", "agents", "ratings",
                                   "timezone"},
    ("GET", "/v1/admin/agents"): {"items", "seats", "used"},
    ("POST", "/v1/admin/agents"): _ADMIN_AGENT | {"key"},
    ("DELETE", "/v1/admin/agents/{agent_id}"): _ADMIN_AGENT,
    ("GET", "/v1/admin/settings"): _ADMIN_SETTINGS,
    ("PUT", "/v1/admin/settings"): _ADMIN_SETTINGS,
    ("GET", "/v1/admin/held-mail"): {"items", "next"},
    ("POST", "/v1/admin/held-mail/{ses_id}/release"): {"result"},
    ("POST", "/v1/phone/events"): {"result"},
    ("GET", "/v1/agent/calls"): {"items", "next"},
    ("GET", _CALLS): _CALL,
    ("PUT", f"{_CALLS}/notes"): _CALL,
    ("GET", f"{_CALLS}/recording"): None,
    ("GET", "/v1/agent/callbacks"): {"items", "next"},
    ("PUT", "/v1/agent/callbacks/{call_id}"): _TASK,
    ("GET", "/v1/agent/reports/calls"): {"since", "until", "calls", "by_outcome", "answered_by_agent", "answer_rate",
                                         "average_wait_seconds", "talk_seconds"},
    ("POST", "/v1/support/requests"): _SUPPORT,
    ("GET", "/v1/support/requests"): {"requests"},
    ("GET", "/v1/support/requests/{request_id}"): _SUPPORT,
    ("POST", "/v1/support/requests/{request_id}/messages"): _SUPPORT,
    ("GET", "/v1/staff/me"): {"key_id", "name", "email", "role", "timezone"},
    ("GET", "/v1/staff/support/requests"): {"requests"},
    ("GET", "/v1/staff/support/requests/{request_id}"): _SUPPORT,
    ("POST", "/v1/staff/support/requests/{request_id}/messages"): _SUPPORT,
    ("POST", "/v1/staff/support/requests/{request_id}/close"): _SUPPORT,
    ("GET", "/v1/training/sessions"): {"sessions"},
    ("POST", "/v1/admin/privacy/exports"): _PRIVACY_REQUEST,
    ("POST", "/v1/admin/privacy/erasures"): _PRIVACY_REQUEST,
    ("GET", "/v1/admin/privacy/requests"): {"items"},
    ("GET", "/v1/admin/privacy/requests/{request_id}"): _PRIVACY_REQUEST,
    ("GET", "/v1/admin/privacy/exports/{request_id}/archive"): None,
    ("POST", "/v1/admin/privacy/merchant-export"): _PRIVACY_REQUEST,
    ("GET", "/v1/admin/privacy/window"): {"licensee_id", "state", "termination_date", "ends_on", "extended",
                                          "erased_at", "certificate"},
    ("GET", "/v1/admin/privacy/retention"): {"periods", "defaults", "own"},
    ("PUT", "/v1/admin/privacy/retention"): {"periods", "defaults", "own"},
    ("GET", "/v1/admin/privacy/accesses"): {"items"},
}
ERROR_KEYS = {"code", "message"}


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {(m.upper(), path): entry for path, item in openapi()["paths"].items() for m, entry in item.items()}


def _success(entry: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    code = next(c for c in entry["responses"] if c.startswith("2"))
    content = entry["responses"][code].get("content")
    return int(code), next(iter(content.values()))["schema"] if content else None


def test_every_operation_is_published_and_every_published_route_still_routed() -> None:
    from app import app

    routed = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert set(PUBLISHED) <= routed
    assert set(_operations()) == set(PUBLISHED), "a new operation adds its line to PUBLISHED"


@pytest.mark.parametrize(("method", "path"), sorted(PUBLISHED))
def test_the_document_still_promises_every_published_key(method: str, path: str) -> None:
    _, schema = _success(_operations()[(method, path)])
    keys = PUBLISHED[(method, path)]
    if keys is not None:
        assert schema is not None and keys <= set(schema.get("required", [])), (method, path)


class Calls:
    """Every published operation called once as its users call it, with what it needs set up first."""

    def __init__(self, api: Api, factory: Factory, services: bootstrap.Services) -> None:
        self.api = api
        # Licensed for every channel, so that every agent route answers (the phone ones refuse a license
        # without phone with CHANNEL_NOT_LICENSED, which tests/e2e/test_phone.py asserts).
        merchant, self.address = mail_merchant(services, factory,
                                               channels=(Channel.CHAT, Channel.EMAIL, Channel.PHONE))
        self.merchant = merchant
        self.agent = {"authorization": f"Bearer {merchant.agent_key}"}
        self.widget = {"x-widget-key": merchant.widget_key, "origin": ORIGIN}
        secret = services.chat.rotate_identity_secret(merchant.licensee_id, "test:shapes")
        self.proof = {"customer_id": "customer-7", "customer_hash": identity_hash(secret, "customer-7")}
        _, started, _ = api.call("POST", "/v1/widget/conversations", {"text": "你好"}, self.widget)
        self.conversation, self.token = started["id"], started["visitor_token"]
        from tests.e2e.test_chat_files import PNG, _put, _room, _send

        self.png = PNG
        _, room = _room(api, merchant, started, len(PNG))
        _put(api, merchant, started, room["upload"], PNG)
        self.file_url = _send(api, merchant, started, room["upload_id"], "photo.png")[1]["file"]["url"]
        self.upload = _room(api, merchant, started, len(PNG))[1]  # its bytes are sent by the PUT below
        _, ended, _ = api.call("POST", "/v1/widget/conversations", {"text": "谢谢"}, self.widget)
        self.ended = {**self.widget, "authorization": f"Bearer {ended['visitor_token']}"}
        self.ended_id = ended["id"]
        api.call("POST", f"/v1/widget/conversations/{self.ended_id}/end", headers=self.ended)
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "Lina <lina@customer.example>", self.address, "订单"
        mail["Message-ID"] = f"<shapes-{merchant.licensee_id}@customer.example>"
        mail.set_content("我的订单没有收到。")
        mail.add_attachment(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", filename="photo.png")
        deliver(services, mail.as_bytes(), [self.address])
        _, tickets, _ = api.call("GET", "/v1/agent/tickets", headers=self.agent)
        self.ticket = tickets["items"][0]["id"]
        _, ticket, _ = api.call("GET", f"/v1/agent/tickets/{self.ticket}", headers=self.agent)
        self.message = ticket["messages"][0]["id"]
        from tests.e2e.test_billing import schedule, shanghai

        services.billing.set_schedule(merchant.licensee_id, schedule(), None, "test")
        from datetime import date

        services.billing.bill_now(merchant.licensee_id, shanghai(date(2026, 6, 15)))
        self.invoice = services.billing.invoices(merchant.licensee_id)[0].number
        self._calls(services)
        self.support = services.support.open(merchant.licensee_id, "Shapes", "A request.", None, "agent", "api")["id"]
        self.closing = services.support.open(merchant.licensee_id, "Done", "To close.", None, "agent", "api")["id"]
        staff = services.licensing.staff.issue("Staff", f"staff-{merchant.licensee_id}@licensor.example", "test")
        self.staff = {"authorization": f"Bearer {staff.secret}"}

        # the shop's administrator, an agent to remove, a canned response to delete and a held mail to release
        self.admin = {"authorization": f"Bearer {factory.admin_key(merchant.licensee_id)}"}
        self.leaver = services.licensing.issue_agent_key(merchant.licensee_id, "Leaver", "leaver@shop.example",
                                                         "test").key.key_id
        api.call("POST", "/v1/agent/canned-responses", {"shortcut": "ship", "text": "已发货"}, self.admin)
        spam = EmailMessage()
        spam["From"], spam["To"], spam["Subject"] = "anna@example.org", self.address, "Not spam"
        spam.set_content("really")
        deliver(services, spam.as_bytes(), [self.address], Verdicts(spam="FAIL", virus="PASS"))
        self.held = services.mail.held(merchant.licensee_id)[0]["ses_id"]
        from chalicelib.privacy.model import person

        self.export = services.privacy.export_person(merchant.licensee_id, person(email="lina@customer.example"),
                                                     "test:shapes")

    def _calls(self, services: bootstrap.Services) -> None:
        """An answered call with a recording kept by kefu, a missed one with its callback task, and a webhook
        secret for the call centre's signed events."""
        licensee_id = self.merchant.licensee_id
        suffix = licensee_id[-8:]
        self.number = services.phone.add_number(licensee_id, "+8621" + str(int(suffix, 36) % 10**8).zfill(8),
                                                "test:shapes")
        instance = services.phone.set_instance(licensee_id, f"inst-{suffix}", "test:shapes")
        self.webhook_secret = services.phone.rotate_secret(licensee_id, "test:shapes")
        contacts = services.phone.contacts
        assert isinstance(contacts, LocalContacts)
        answered, missed = new_id("ct"), new_id("ct")
        key = f"recordings/{instance}/{answered}.wav"
        services.blobs.put(key, b"RIFF....WAVE", "audio/wav")
        contacts.add(instance, answered, {"Recordings": [{"Location": f"bucket/{key}"}]})
        now = services.clock.now()
        for event in [*connect_events(instance, answered, now, answered_after=5, duration=60),
                      *connect_events(instance, missed, now, answered_after=None, duration=20)]:
            services.phone.connect_event(event)
        self.call, self.missed_call = f"connect-{answered}", f"connect-{missed}"
        self.now = now
        self.webhook_event = {"contact_id": f"cc-{suffix}", "event": "initiated", "at": now.isoformat(),
                              "from": "+8613700137000", "to": self.number}

    def _signed(self, event: dict[str, Any]) -> dict[str, str]:
        """The headers a call centre signs its event with (over the body as the test sends it)."""
        stamp = str(int(self.now.timestamp()))
        signature = "sha256=" + phone_model.webhook_signature(self.webhook_secret, stamp, json.dumps(event).encode())
        return {"x-kefu-merchant": self.merchant.licensee_id, "x-kefu-timestamp": stamp,
                "x-kefu-signature": signature}

    def request(self, method: str, path: str) -> tuple[str, str, dict[str, str], Any]:
        """(method, concrete path, headers, body) for one operation."""
        call = self.missed_call if path.startswith("/v1/agent/callbacks/") else self.call
        concrete = (path.replace("{call_id}", call).replace("{conversation_id}", self.conversation)
                    .replace("{ticket_id}", self.ticket)
                    .replace("{message_id}", self.message).replace("{index}", "0")
                    .replace("{number}", self.invoice).replace("{namespace}", "console")
                    .replace("{agent_id}", self.leaver).replace("{ses_id}", self.held).replace("{shortcut}", "ship")
                    .replace("{upload_id}", self.upload["upload_id"])
                    .replace("{request_id}", self.export["id"] if "/privacy/" in path else self.support)
                    .replace("{contact_id}", "lina@customer.example"))
        visitor = {**self.widget, "authorization": f"Bearer {self.token}"}
        bodies = {
            ("POST", "/v1/licenses/validate"): {"key": self.merchant.agent_key, "channel": "chat"},
            ("POST", "/v1/widget/identify"): self.proof,
            ("POST", "/v1/widget/conversations"): {"text": "再问一下"},
            ("POST", _VISITOR): {"text": "还在吗?"}, ("POST", f"{_CONV}/messages"): {"text": "在的"},
            ("POST", f"{_CONV}/notes"): {"text": "VIP"}, ("POST", f"{_CONV}/assign"): {"agent_id": "me"},
            ("POST", f"{_CONV}/status"): {"status": "pending"}, ("PUT", "/v1/agent/presence"): {"status": "online"},
            ("POST", f"{_TICKETS}/replies"): {"text": "已发货"}, ("POST", f"{_TICKETS}/status"): {"status": "open"},
            ("PUT", "/v1/agent/mail/settings"): {"acknowledge": True},
            ("POST", "/v1/agent/tickets"): {"to": "li@customer.example", "subject": "发货", "text": "已发货"},
            ("POST", f"{_TICKETS}/assign"): {"agent_id": "me"}, ("POST", f"{_TICKETS}/notes"): {"text": "VIP"},
            ("POST", "/v1/agent/canned-responses"): {"shortcut": "thanks", "text": "谢谢"},
            ("PUT", f"{_CONV}/tags"): {"tags": ["VIP", "物流"]}, ("PUT", f"{_TICKETS}/tags"): {"tags": ["退款"]},
            ("POST", "/v1/admin/agents"): {"name": "New", "email": "new@shop.example"},
            ("PUT", "/v1/admin/settings"): {"chat_hours": "always"},
            ("POST", _UPLOADS): {"size": len(self.png)}, ("PUT", f"{_UPLOADS}/{{upload_id}}"): self.png,
            ("POST", f"{_CONV}/uploads"): {"size": len(self.png)}, ("PUT", f"{_CONV}/uploads/{{upload_id}}"): self.png,
            ("POST", f"{_TICKETS}/uploads"): {"size": len(self.png)},
            ("PUT", f"{_TICKETS}/uploads/{{upload_id}}"): self.png,
            ("POST", f"{_SHOPPER}/handover"): {"email": "lina@customer.example"},
            ("POST", f"{_SHOPPER}/rating"): {"rating": 5, "comment": "很快"},
            ("POST", "/v1/phone/events"): self.webhook_event,
            ("PUT", f"{_CALLS}/notes"): {"notes": "问订单物流", "disposition": "resolved"},
            ("PUT", "/v1/agent/callbacks/{call_id}"): {"status": "done"},
            ("POST", "/v1/support/requests"): {"subject": "安装", "text": "如何安装？"},
            ("POST", "/v1/support/requests/{request_id}/messages"): {"text": "补充说明"},
            ("POST", "/v1/staff/support/requests/{request_id}/messages"): {"text": "请重启", "wait_for_merchant": True},
            ("POST", "/v1/staff/support/requests/{request_id}/close"): {"text": "已解决"},
            ("POST", "/v1/admin/privacy/exports"): {"email": "lina@customer.example"},
            ("POST", "/v1/admin/privacy/erasures"): {"email": "anna@example.org"},
            ("PUT", "/v1/admin/privacy/retention"): {"periods": {"chats": 200}},
        }
        if method == "OPTIONS":
            return method, f"{concrete}?key={self.merchant.widget_key}", {"origin": ORIGIN}, None
        if path.startswith("/v1/widget/") and path != "/v1/widget/config" and path != "/v1/widget/identify":
            headers = visitor
        elif path.startswith("/v1/widget/"):
            headers = self.widget
        elif path.startswith("/v1/staff/"):
            headers = self.staff
        elif path.startswith("/v1/admin/") or (path.startswith("/v1/agent/canned-responses") and method != "GET"):
            headers = self.admin
        else:
            headers = self.agent
        if path == "/v1/staff/support/requests/{request_id}/close":  # another request: the others stay open
            concrete = concrete.replace(self.support, self.closing)
        if path == "/v1/agent/search":
            concrete += "?q=lina"
        if path == "/v1/agent/outbox/{name}":
            _, outbox, _ = self.api.call("GET", "/v1/agent/outbox", headers=self.agent)
            concrete = outbox["items"][0]["url"]
            headers = {**headers, "accept": "application/octet-stream"}  # binary answers need it in Chalice
        if path == "/v1/phone/events":
            headers = self._signed(self.webhook_event)
        if path == f"{_CALLS}/recording":
            headers = {**headers, "accept": "audio/wav"}
        if "/attachments/" in path:
            headers = {**headers, "accept": "image/png"}
        if path == f"{_UPLOADS}/{{upload_id}}":  # where the upload's link says, as the widget sends it
            concrete = self.upload["upload"]["url"]
            headers = {**headers, "content-type": "application/octet-stream"}
        if path == f"{_TICKETS}/uploads/{{upload_id}}":  # a reply's file, where its link says
            _, room, _ = self.api.call("POST", f"/v1/agent/tickets/{self.ticket}/uploads",
                                       {"size": len(self.png)}, self.agent)
            concrete = room["upload"]["url"]
            headers = {**headers, "content-type": "application/octet-stream"}
        if path == f"{_CONV}/uploads/{{upload_id}}":  # an agent's upload, where its link says
            _, room, _ = self.api.call("POST", f"/v1/agent/conversations/{self.conversation}/uploads",
                                       {"size": len(self.png)}, self.agent)
            concrete = room["upload"]["url"]
            headers = {**headers, "content-type": "application/octet-stream"}
        if path == "/v1/widget/files/{conversation_id}/{upload_id}":  # the link a file message carries
            concrete, headers = self.file_url, {"accept": "image/*,*/*;q=0.8"}
        if path == "/v1/admin/privacy/exports/{request_id}/archive":  # the link a finished export carries
            concrete, headers = self.export["archive"]["url"], {"accept": "application/zip"}
        if path == f"{_SHOPPER}/rating":  # an ended chat is rated
            concrete, headers = concrete.replace(self.conversation, self.ended_id), self.ended
        return method, concrete, headers, bodies.get((method, path))


@pytest.fixture
def calls(api: Api, factory: Factory, services: bootstrap.Services) -> Calls:
    return Calls(api, factory, services)


def test_every_published_route_answers_its_users_with_what_the_document_promises(calls: Calls) -> None:
    for (method, path), entry in sorted(_operations().items()):
        expected, schema = _success(entry)
        method, concrete, headers, body = calls.request(method, path)
        sent = {"content-type": "application/json", **headers}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
        response = calls.api.http.request(method, concrete, headers=sent, body=raw)
        assert response.status_code == expected, (method, path, response.body[:300])
        keys = PUBLISHED[(method, path)]
        if keys is None:
            continue
        answer = json.loads(response.body)
        assert keys <= set(answer), (method, path)
        errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(answer)]
        assert errors == [], (method, path, errors)


def test_errors_keep_their_published_shape(api: Api) -> None:
    status, body, _ = api.call("POST", "/v1/licenses/validate", raw=b"{not json")
    assert status == 400 and set(body) == {"error"} and set(body["error"]) >= ERROR_KEYS
