"""Tags and contact ids as pure rules: what a tag is, what a change added and removed, which tags a search
names, and how a contact id or a number written in mail is read."""

from __future__ import annotations

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.inbox import contacts, tags


@pytest.mark.parametrize(("typed", "stored"), [(" VIP ", "vip"), ("退款", "退款"), ("物流  延误", "物流 延误"),
                                               ("ＶＩＰ", "vip")])
def test_a_tag_is_trimmed_folded_and_case_insensitive(typed: str, stored: str) -> None:
    assert tags.tag(typed) == stored


@pytest.mark.parametrize("typed", ["", "  ", "a,b", "x" * 33, "tab\tin\x00side"])
def test_a_tag_that_is_empty_too_long_or_has_a_comma_or_control_characters_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        tags.tag(typed)
    assert refused.value.code == "INVALID_TAG"


def test_a_list_keeps_each_tag_once_in_order_and_at_most_ten() -> None:
    assert tags.tag_list(["VIP", "退款", "vip"]) == ("vip", "退款")
    with pytest.raises(InvalidInput) as refused:
        tags.tag_list([f"t{n}" for n in range(11)])
    assert refused.value.code == "TOO_MANY_TAGS"


def test_a_change_says_what_it_added_and_removed() -> None:
    assert tags.changes(["vip", "退款"], ["vip", "物流"]) == (["物流"], ["退款"])
    assert tags.changes([], []) == ([], [])


def test_tags_in_use_are_counted_most_used_first() -> None:
    assert tags.in_use([("vip", "退款"), ("vip",), ("a",)]) == [("vip", 2), ("a", 1), ("退款", 1)]


def test_a_search_names_a_tag_with_the_tag_prefix_only() -> None:
    assert tags.searched_tag("tag:VIP") == "vip" and tags.searched_tag("TAG: 退款") == "退款"
    assert tags.searched_tag("vip") is None and tags.searched_tag("tag:") is None


@pytest.mark.parametrize(("typed", "emails", "phones"), [
    ("Anna@Example.org", ["anna@example.org"], []), ("+86 138-0013-8000", [], ["+8613800138000"]),
    ("13800138000", [], ["+8613800138000"]), ("+1 415 555 0100", [], ["+14155550100"])])
def test_a_contact_is_an_address_or_a_number(typed: str, emails: list[str], phones: list[str]) -> None:
    who = contacts.read(typed)
    assert (who.emails, who.phones) == (emails, phones)


@pytest.mark.parametrize("typed", ["nobody", "a@b@c", "12"])
def test_anything_else_is_not_a_contact(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        contacts.read(typed)
    assert refused.value.code == "INVALID_CONTACT"


def test_a_mainland_mobile_is_looked_up_as_mail_keeps_it_and_found_where_it_is_written() -> None:
    assert contacts.mail_lookup("+8613800138000") == "phone:13800138000"
    assert contacts.mail_lookup("+14155550100") is None
    assert contacts.mentioned_phones(["电话 138 0013 8000", "or +86 139-0013-9000", "订单 8841"]) == [
        "+8613800138000", "+8613900139000"]
