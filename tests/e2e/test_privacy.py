"""Privacy as staff and shop administrators meet it: `./kefu privacy …` and `/v1/admin/privacy/…` (clauses 7,
11.2), on DynamoDB Local with the widget, mail and phone entrypoints making the data."""

from __future__ import annotations

import getpass
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from chalicelib import bootstrap
from chalicelib.core.clock import FixedClock
from chalicelib.privacy import archive
from tests.e2e.conftest import Api
from tests.privacy_helpers import Shop, traces_of
from tests.privacy_helpers import shop as shop  # the fixture


def test_staff_export_and_erase_a_customer_from_the_command_line(kefu: Any, api: Api, services: bootstrap.Services,
                                                                 shop: Shop, tmp_path: Path) -> None:
    lina = shop.lina
    target = tmp_path / "lina.zip"
    shown = json.loads(kefu("privacy", "export", shop.licensee_id, "--contact", lina.email, "--contact", lina.phone,
                            "--contact", f"customer:{lina.customer_id}", "--out", str(target), "--json"))
    assert shown["status"] == "done" and shown["written_to"] == str(target)
    data, files = archive.read(target.read_bytes())
    assert data["counts"]["tickets"] == 2 and data["counts"]["calls"] == 1 and files
    # staff reading the merchant's content is on the record the shop's admins can list
    kefu("mail", "held", "--licensee", shop.licensee_id)
    status, reads, _ = api.call("GET", "/v1/admin/privacy/accesses", headers=shop.admin)
    assert status == 200 and [r["what"] for r in reads["items"]][:2] == ["mail.held", "privacy.export"]
    # who called (the login locally), with what --actor said beside it
    assert {r["actor"] for r in reads["items"]} == {f"os:{getpass.getuser()} (staff:test)"}
    assert kefu("privacy", "erase", shop.licensee_id, "--contact", lina.email, "--contact", lina.phone,
                "--contact", f"customer:{lina.customer_id}", expect=1, ).count("Aborted") == 1  # asks first
    erased = json.loads(kefu("privacy", "erase", shop.licensee_id, "--contact", lina.email, "--contact", lina.phone,
                             "--contact", f"customer:{lina.customer_id}", "--yes", "--json"))
    assert erased["status"] == "done" and erased["counts"]["tickets"] == 2
    assert traces_of(lina, services) == []
    listed = kefu("privacy", "requests", shop.licensee_id)
    assert "erase" in listed and "export" in listed and lina.email not in listed
    assert "INVALID_PHONE" in kefu("privacy", "erase", shop.licensee_id, "--contact", "not a contact", "--yes",
                                   expect=2)


def test_shop_admins_erase_through_the_api_and_only_admins_may(api: Api, services: bootstrap.Services,
                                                               shop: Shop) -> None:
    status, refused, _ = api.call("POST", "/v1/admin/privacy/erasures", {"email": shop.lina.email},
                                  headers=shop.agent)
    assert status == 403 and refused["error"]["code"] == "ADMIN_ONLY"
    status, refused, _ = api.call("POST", "/v1/admin/privacy/erasures", {}, headers=shop.admin)
    assert status == 400 and refused["error"]["code"] == "NO_CONTACT"
    status, refused, _ = api.call("POST", "/v1/admin/privacy/erasures", {"email": "nope"}, headers=shop.admin)
    assert status == 400 and refused["error"]["code"] == "INVALID_EMAIL"
    body = {"email": shop.lina.email, "customer_id": shop.lina.customer_id, "phone": shop.lina.phone}
    status, done, _ = api.call("POST", "/v1/admin/privacy/erasures", body, headers=shop.admin)
    assert status == 201 and done["status"] == "done" and done["counts"]["chats"] == 1
    assert done["actor"].startswith("admin:")
    status, again, _ = api.call("POST", "/v1/admin/privacy/erasures", body, headers=shop.admin)
    assert status == 201 and again["counts"] == {}
    assert traces_of(shop.lina, services) == [] and traces_of(shop.other, services)
    status, listed, _ = api.call("GET", "/v1/admin/privacy/requests", headers=shop.admin)
    assert [r["id"] for r in listed["items"]][:2] == [again["id"], done["id"]]
    status, periods, _ = api.call("PUT", "/v1/admin/privacy/retention", {"periods": {"chats": 90}},
                                  headers=shop.admin)
    assert status == 200 and periods["periods"]["chats"] == 90 and periods["own"] == ["chats"]
    status, refused, _ = api.call("PUT", "/v1/admin/privacy/retention", {"periods": {"chats": 0}},
                                  headers=shop.admin)
    assert status == 400


def test_after_termination_an_admin_may_export_only_while_the_window_is_open(
        api: Api, services: bootstrap.Services, shop: Shop, clock: FixedClock, kefu: Any) -> None:
    today = services.privacy.today()
    services.licensing.terminate(shop.licensee_id, today + timedelta(days=1), "notice given", "staff:test")
    clock.advance(timedelta(days=1))
    status, refused, _ = api.call("GET", "/v1/agent/tickets", headers=shop.admin)
    assert status == 403 and refused["error"]["code"] == "TERMINATED"  # clause 11.1: use has stopped
    status, refused, _ = api.call("POST", "/v1/admin/privacy/erasures", {"email": shop.lina.email},
                                  headers=shop.admin)
    assert status == 403
    status, window, _ = api.call("GET", "/v1/admin/privacy/window", headers=shop.admin)
    assert status == 200 and window["state"] == "open"
    status, done, _ = api.call("POST", "/v1/admin/privacy/merchant-export", headers=shop.admin)
    assert status == 201 and done["status"] == "done" and done["kind"] == "merchant_export"
    link = done["archive"]["url"]
    response = api.http.request("GET", link, headers={"accept": "application/zip"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    data, _ = archive.read(response.body)
    assert data["counts"]["tickets"] == 4 and data["subject"] == "merchant"
    tampered = api.http.request("GET", link.replace("sig=", "sig=0"), headers={"accept": "application/zip"})
    assert tampered.status_code == 403
    # staff see the window and extend it
    assert "open, terminated" in kefu("privacy", "window", shop.licensee_id)
    until = (today + timedelta(days=40)).isoformat()
    assert "(extended)" in kefu("privacy", "window", shop.licensee_id, "--extend-until", until)
    clock.advance(timedelta(days=41))
    status, refused, _ = api.call("POST", "/v1/admin/privacy/merchant-export", headers=shop.admin)
    assert status == 403 and refused["error"]["code"] == "WINDOW_CLOSED"
    # the scheduled run, as staff run it for a date, erases the merchant's content and certifies it
    day = services.privacy.today().isoformat()
    report = kefu("jobs", "run", "privacy-run", "--date", day, "--json")
    assert json.loads(report)["merchants_erased"] >= 1
    assert traces_of(shop.lina, services) == [] and traces_of(shop.other, services) == []
    assert "erased" in kefu("privacy", "window", shop.licensee_id)
