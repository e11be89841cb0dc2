"""Input validated at the edge: bad input gets a stable code and a readable message, and never reaches storage."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from chalicelib.core.errors import InvalidInput
from chalicelib.core.text import NOT_TEXT

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 8  # objects and lists inside one another: our bodies need 2
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def parse_json_object(raw: bytes | str | None) -> dict[str, Any]:
    """Parse a request body that must be one JSON object."""
    if raw is None or raw == b"" or raw == "":
        raise InvalidInput("The request needs a JSON body.", code="MISSING_BODY")
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(f"The request body is larger than {MAX_BODY_BYTES} bytes.", code="BODY_TOO_LARGE",
                           status=413)
    try:
        value = json.loads(raw)
    except RecursionError as exc:
        raise _too_deep() from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The request body is not valid JSON.", code="MALFORMED_JSON") from exc
    if not isinstance(value, dict):
        raise InvalidInput("The request body must be a JSON object.", code="MALFORMED_JSON")
    check_json(value)
    return value


def check_json(value: Any) -> None:
    """Every string of a parsed body (keys too) is clean text, and nothing is nested deeper than MAX_DEPTH."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def check_text(value: str, field: str | None = None) -> str:
    """Refuse text with unpaired surrogates or control characters (tab, CR and LF are fine)."""
    found = NOT_TEXT.search(value)
    if found:
        where = f"The field '{field}'" if field else "The request"
        raise InvalidInput(f"{where} holds a character that is not text (U+{ord(found.group()):04X}).",
                           code="INVALID_TEXT", details={"field": field} if field else None)
    return value


def _too_deep() -> InvalidInput:
    return InvalidInput(f"The request body is nested deeper than {MAX_DEPTH} levels.", code="TOO_DEEP")


class Fields:
    """Reads typed fields out of a JSON object, refusing wrong types, missing and unknown fields."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._seen: set[str] = set()

    def _get(self, name: str, required: bool) -> Any:
        self._seen.add(name)
        value = self._data.get(name)
        if value is None and required:
            raise InvalidInput(f"The field '{name}' is required.", code="MISSING_FIELD", details={"field": name})
        return value

    def text(self, name: str, *, max_length: int, required: bool = True, min_length: int = 1) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _wrong_type(name, "a string")
        value = value.strip()
        if len(value) < min_length:
            if not required and value == "":
                return None
            raise InvalidInput(f"The field '{name}' must not be empty.", code="EMPTY_FIELD",
                               details={"field": name})
        if len(value) > max_length:
            raise InvalidInput(f"The field '{name}' is longer than {max_length} characters.",
                               code="FIELD_TOO_LONG", details={"field": name, "max_length": max_length})
        return value

    def required_text(self, name: str, *, max_length: int) -> str:
        value = self.text(name, max_length=max_length)
        assert value is not None
        return value

    def choice(self, name: str, choices: Iterable[str], *, required: bool = True) -> str | None:
        options = sorted(choices)
        value = self.text(name, max_length=64, required=required)
        if value is not None and value not in options:
            raise InvalidInput(f"The field '{name}' must be one of: {', '.join(options)}.",
                               code="INVALID_CHOICE", details={"field": name, "choices": options})
        return value

    def email(self, name: str, *, required: bool = True) -> str | None:
        value = self.text(name, max_length=254, required=required)
        if value is not None and not _EMAIL.match(value):
            raise InvalidInput(f"The field '{name}' is not an email address.", code="INVALID_EMAIL",
                               details={"field": name})
        return value.lower() if value else value

    def day(self, name: str, *, required: bool = True) -> date | None:
        value = self.text(name, max_length=10, required=required)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput(f"The field '{name}' must be a date as YYYY-MM-DD.", code="INVALID_DATE",
                               details={"field": name}) from exc

    def integer(self, name: str, *, minimum: int, maximum: int, required: bool = True) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_type(name, "a whole number")
        if not minimum <= value <= maximum:
            raise InvalidInput(f"The field '{name}' must be between {minimum} and {maximum}.",
                               code="OUT_OF_RANGE", details={"field": name})
        return value

    def boolean(self, name: str, *, required: bool = True) -> bool | None:
        value = self._get(name, required)
        if value is not None and not isinstance(value, bool):
            raise _wrong_type(name, "true or false")
        return value

    def strings(self, name: str, *, max_items: int, max_length: int, required: bool = True) -> list[str] | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _wrong_type(name, "a list of strings")
        if len(value) > max_items:
            raise InvalidInput(f"The field '{name}' has more than {max_items} items.", code="TOO_MANY_ITEMS",
                               details={"field": name})
        for item in value:
            if not item.strip() or len(item) > max_length:
                raise InvalidInput(f"Each item of '{name}' must be 1 to {max_length} characters.",
                                   code="INVALID_ITEM", details={"field": name})
        return [v.strip() for v in value]

    def nested(self, name: str, *, required: bool = True) -> Fields | None:
        """A JSON object inside the body, read with its own Fields (and its own `done()`)."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _wrong_type(name, "an object")
        return Fields(value)

    def objects(self, name: str, *, max_items: int, required: bool = True) -> list[Fields] | None:
        """A list of JSON objects, each read with its own Fields (and its own `done()`)."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise _wrong_type(name, "a list of objects")
        if len(value) > max_items:
            raise InvalidInput(f"The field '{name}' has more than {max_items} items.", code="TOO_MANY_ITEMS",
                               details={"field": name})
        return [Fields(v) for v in value]

    def names(self) -> list[str]:
        """The names the object carries (for objects keyed by data, such as a language tag)."""
        return sorted(self._data)

    def done(self) -> None:
        """Refuse fields this request does not know: a typo must not pass silently."""
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            raise InvalidInput(f"Unknown field(s): {', '.join(unknown)}.", code="UNKNOWN_FIELD",
                               details={"fields": unknown})


def _wrong_type(name: str, expected: str) -> InvalidInput:
    return InvalidInput(f"The field '{name}' must be {expected}.", code="WRONG_TYPE", details={"field": name})
