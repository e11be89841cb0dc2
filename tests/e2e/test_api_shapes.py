"""Clause 6.2: the published v1 API does not change under its users. Each area adds its routes to PUBLISHED
(method, path -> the keys its successful answer carries); a change that drops a route or a key fails here.
Adding a route or a key is compatible and passes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api
from tests.factories import Factory

PUBLISHED: dict[tuple[str, str], set[str]] = {
    ("GET", "/v1/health"): {"status", "api", "database", "stage"},
    ("POST", "/v1/licenses/validate"): {"valid", "code", "status", "ends_on", "channels"},
    ("GET", "/v1/license"): {"licensee_id", "valid", "code", "status", "ends_on", "channels", "key"},
}
ERROR_KEYS = {"code", "message"}


def test_every_published_route_is_still_routed() -> None:
    from app import app

    routed = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert set(PUBLISHED) <= routed


def _call(api: Api, factory: Factory, method: str, path: str) -> tuple[int, dict[str, Any]]:
    merchant = factory.merchant()
    if path == "/v1/licenses/validate":
        status, body, _ = api.call(method, path, {"key": merchant.agent_key, "channel": "chat"})
    else:
        status, body, _ = api.call(method, path, headers={"authorization": f"Bearer {merchant.agent_key}"})
    return status, body


@pytest.mark.parametrize(("method", "path"), sorted(PUBLISHED))
def test_a_published_answer_keeps_every_key_it_was_published_with(api: Api, factory: Factory, method: str,
                                                                  path: str) -> None:
    status, body = _call(api, factory, method, path)
    assert status == 200
    assert PUBLISHED[(method, path)] <= set(body)


def test_errors_keep_their_published_shape(api: Api) -> None:
    status, body, _ = api.call("POST", "/v1/licenses/validate", raw=b"{not json")
    assert status == 400 and set(body) == {"error"} and set(body["error"]) >= ERROR_KEYS
