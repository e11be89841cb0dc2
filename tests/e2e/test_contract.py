"""Clause 6.2: the published API is written down. Every v1 route of the app has its operation in the OpenAPI
document served at /v1/openapi.json, and the document promises no route the app lacks."""

from __future__ import annotations

from typing import Any

from chalicelib.contract import openapi
from tests.e2e.conftest import Api


def _routed() -> set[tuple[str, str]]:
    from app import app

    return {(method, path) for path, methods in app.routes.items() if path.startswith("/v1")
            for method in methods}


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def test_every_v1_route_has_its_operation_and_every_operation_its_route() -> None:
    routed, documented = _routed(), _documented(openapi())
    assert sorted(routed - documented) == [], "routes without an operation in chalicelib/<area>/contract.py"
    assert sorted(documented - routed) == [], "operations without a route"


def test_the_document_is_served_and_is_openapi_3_1(api: Api) -> None:
    status, body, _ = api.call("GET", "/v1/openapi.json")
    assert status == 200 and body["openapi"] == "3.1.0"
    assert _documented(body) == _routed()
    schemes = body["components"]["securitySchemes"]
    assert {"widgetKey", "visitorToken", "agentKey", "adminKey"} <= set(schemes)


def test_every_operation_documents_its_errors_in_the_one_error_shape() -> None:
    for path, item in openapi()["paths"].items():
        for method, entry in item.items():
            errors = {code: r for code, r in entry["responses"].items() if code.startswith(("4", "5"))}
            assert errors, f"{method} {path} documents no error"
            for response in errors.values():
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_document_is_a_valid_openapi_3_1_schema() -> None:
    import schemathesis

    schema = schemathesis.openapi.from_dict(openapi())
    assert len(list(schema.get_all_operations())) == len(_routed())
