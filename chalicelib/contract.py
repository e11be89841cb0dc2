"""The published API's OpenAPI document, from every area's operations (clause 6.2).

An area that adds routes adds its `contract.py` to AREAS; tests/e2e/test_contract.py fails while a v1 route
has no operation, or an operation no route."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any

from chalicelib.core.openapi import document

VERSION = "1.0.0"
AREAS = ("licensing", "operations", "chat", "mail", "billing", "i18n", "admin", "inbox", "canned", "reports", "phone",
         "support", "privacy")


@cache
def openapi() -> dict[str, Any]:
    operations = [op for area in AREAS for op in import_module(f"chalicelib.{area}.contract").OPERATIONS]
    return document(operations, VERSION)
