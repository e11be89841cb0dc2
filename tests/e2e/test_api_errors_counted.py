"""A 500 is answered by the middleware, so Lambda sees no error: the middleware counts it (ApiErrors by route
and code), which is what the MetricApiErrors alarm watches. Refusals (4xx) are not errors."""

from __future__ import annotations

import pytest

from chalicelib.core.errors import KefuError
from chalicelib.metrics import MemorySink
from tests.e2e.conftest import Api

pytestmark = pytest.mark.e2e


def test_every_500_is_counted_by_its_route_template_and_code(api: Api, metrics: MemorySink,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("chalicelib.licensing.service.LicensingService.validate", boom)
    for _ in range(2):
        status, _, _ = api.call("POST", "/v1/licenses/validate", {"key": "k", "channel": "chat"})
        assert status == 500
    assert metrics.total("ApiErrors", route="/v1/licenses/validate", code="INTERNAL_ERROR") == 2


def test_an_error_of_ours_with_a_5xx_status_is_counted_by_its_code(api: Api, metrics: MemorySink,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(*_: object) -> None:
        raise KefuError("The mailer is paused.", code="MAILER_UNAVAILABLE", status=503)

    monkeypatch.setattr("chalicelib.licensing.service.LicensingService.validate", unavailable)
    status, body, _ = api.call("POST", "/v1/licenses/validate", {"key": "k", "channel": "chat"})
    assert (status, body["error"]["code"]) == (503, "MAILER_UNAVAILABLE")
    assert metrics.total("ApiErrors", route="/v1/licenses/validate", code="MAILER_UNAVAILABLE") == 1


def test_refusals_are_not_errors(api: Api, metrics: MemorySink) -> None:
    status, _, _ = api.call("POST", "/v1/licenses/validate", raw=b"{not json")
    assert 400 <= status < 500
    status, _, _ = api.call("GET", "/v1/license")
    assert status == 401
    assert metrics.total("ApiErrors") == 0
