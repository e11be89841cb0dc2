"""Page cursors are opaque, signed and bound to the list (and so the merchant) they page through."""

from __future__ import annotations

import pytest

from chalicelib.core import cursors
from chalicelib.core.errors import InvalidInput

KEY = {"pk": {"S": "M#lic_a"}, "sk": {"S": "C#1"}}


def test_a_cursor_comes_back_as_the_key_it_was_made_from() -> None:
    token = cursors.encode(KEY, "chat-inbox|lic_a|open")
    assert token is not None and "lic_a" not in token  # opaque: nothing readable in it
    assert cursors.decode(token, "chat-inbox|lic_a|open") == KEY
    assert cursors.encode(None, "chat-inbox|lic_a|open") is None and cursors.decode("", "x") is None


def test_a_cursor_is_refused_in_another_merchants_or_another_list() -> None:
    token = cursors.encode(KEY, "chat-inbox|lic_a|open")
    for scope in ("chat-inbox|lic_b|open", "chat-inbox|lic_a|resolved", "mail-tickets|lic_a|open"):
        with pytest.raises(InvalidInput) as refused:
            cursors.decode(token, scope)
        assert refused.value.code == "INVALID_CURSOR"


def test_an_edited_cursor_is_refused() -> None:
    token = cursors.encode(KEY, "s")
    assert token is not None
    version, body, mac = token.split(".")
    forged = cursors.encode({"pk": {"S": "M#lic_b"}, "sk": {"S": "C#1"}}, "other")
    assert forged is not None
    for bad in (f"{version}.{forged.split('.')[1]}.{mac}", f"{version}.{body}.{mac[:-1]}A", f"c0.{body}.{mac}",
                token + ".", "x" * 3000):
        with pytest.raises(InvalidInput):
            cursors.decode(bad, "s")


def test_cursors_outlive_the_process_that_made_them_when_the_secret_is_the_stages() -> None:
    cursors.use_secret(lambda: b"stage secret")
    token = cursors.encode(KEY, "s")
    cursors.use_secret(lambda: b"stage secret")  # another process of the same stage
    assert cursors.decode(token, "s") == KEY
    cursors.use_secret(lambda: b"another stage")
    with pytest.raises(InvalidInput):
        cursors.decode(token, "s")
