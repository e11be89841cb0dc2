from __future__ import annotations

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.core.validation import MAX_BODY_BYTES, Fields, parse_json_object


@pytest.mark.parametrize(("raw", "code"), [
    (None, "MISSING_BODY"), (b"", "MISSING_BODY"), (b"{", "MALFORMED_JSON"), (b"[1]", "MALFORMED_JSON"),
    (b"\xff\xfe", "MALFORMED_JSON"), (b"{" + b" " * MAX_BODY_BYTES + b"}", "BODY_TOO_LARGE"),
])
def test_bodies_that_are_not_one_json_object_are_refused_with_a_code(raw: bytes | None, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_json_object(raw)
    assert refused.value.code == code


def test_fields_are_read_typed_and_trimmed() -> None:
    fields = Fields({"name": "  Wang  ", "seats": 3, "day": "2026-02-28", "tags": ["a"]})
    assert fields.text("name", max_length=10) == "Wang"
    assert fields.integer("seats", minimum=0, maximum=5) == 3
    assert str(fields.day("day")) == "2026-02-28"
    assert fields.strings("tags", max_items=2, max_length=3) == ["a"]
    fields.done()


@pytest.mark.parametrize(("data", "read", "code"), [
    ({}, lambda f: f.text("name", max_length=5), "MISSING_FIELD"),
    ({"name": 5}, lambda f: f.text("name", max_length=5), "WRONG_TYPE"),
    ({"name": "   "}, lambda f: f.text("name", max_length=5), "EMPTY_FIELD"),
    ({"name": "toolong"}, lambda f: f.text("name", max_length=5), "FIELD_TOO_LONG"),
    ({"n": True}, lambda f: f.integer("n", minimum=0, maximum=5), "WRONG_TYPE"),
    ({"n": 6}, lambda f: f.integer("n", minimum=0, maximum=5), "OUT_OF_RANGE"),
    ({"d": "2026-02-30"}, lambda f: f.day("d"), "INVALID_DATE"),
    ({"c": "fax"}, lambda f: f.choice("c", ["chat"]), "INVALID_CHOICE"),
    ({"e": "not-an-address"}, lambda f: f.email("e"), "INVALID_EMAIL"),
])
def test_each_kind_of_bad_field_has_its_own_code(data: dict, read, code: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        read(Fields(data))
    assert refused.value.code == code
    assert refused.value.status == 400


def test_unknown_fields_are_refused_so_that_a_typo_does_not_pass_silently() -> None:
    fields = Fields({"name": "x", "nmae": "y"})
    fields.text("name", max_length=5)
    with pytest.raises(InvalidInput) as refused:
        fields.done()
    assert refused.value.code == "UNKNOWN_FIELD" and refused.value.details == {"fields": ["nmae"]}
