import re

import pytest

from chalicelib.mail.tokens import (
    MAX_TOKEN_CHARS,
    extract_reply_token,
    find_subject_tag,
    make_token,
    read_token,
    subject_tag,
)

SECRET = b"s" * 32
OTHER_SECRET = b"o" * 32
ULID = "01JD3S4X8Q2ZK7N9M5VB6C1T0R"


@pytest.mark.parametrize("ticket_id", ["t-1042", ULID, "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f", "工单1"])
def test_a_token_reads_back_to_its_ticket(ticket_id):
    assert read_token(make_token(ticket_id, SECRET), SECRET) == ticket_id


@pytest.mark.parametrize("ticket_id", ["t-1042", ULID, "工单1"])
def test_a_token_survives_a_server_that_changes_its_case(ticket_id):
    token = make_token(ticket_id, SECRET)
    assert read_token(token.upper(), SECRET) == ticket_id
    assert read_token(token.lower(), SECRET) == ticket_id


@pytest.mark.parametrize("ticket_id", ["t-1042", ULID, "工单1"])
def test_tokens_use_only_characters_safe_in_an_address_local_part(ticket_id):
    token = make_token(ticket_id, SECRET)
    assert re.fullmatch(r"[0-9a-z-]+", token)
    assert len("reply+" + token) <= 64


def test_a_token_carries_at_least_80_bits_of_signature():
    mac = make_token("t-1042", SECRET).rsplit("-", 1)[1]
    assert len(mac) * 5 >= 80


def test_a_token_signed_with_another_secret_is_rejected():
    assert read_token(make_token("t-1042", OTHER_SECRET), SECRET) is None


def test_a_token_whose_ticket_id_was_changed_is_rejected():
    token = make_token("t-1042", SECRET)
    assert read_token(token.replace("t-1042", "t-1043"), SECRET) is None


def test_a_token_with_a_flipped_signature_character_is_rejected():
    token = make_token("t-1042", SECRET)
    flipped = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert read_token(flipped, SECRET) is None


def test_tokens_signed_with_a_secret_being_rotated_out_are_still_read():
    token = make_token("t-1042", OTHER_SECRET)
    assert read_token(token, [SECRET, OTHER_SECRET]) == "t-1042"


@pytest.mark.parametrize("junk", ["", "-", "l-", "zzzz", "x" * 500, "lt-1042-!!!!", "b@@@-aaaaaaaaaaaaaaaa"])
def test_junk_tokens_are_rejected_without_error(junk):
    assert read_token(junk, SECRET) is None


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        make_token("t-1042", b"short")


def test_a_ticket_id_too_long_for_an_address_is_refused():
    with pytest.raises(ValueError, match="too long"):
        make_token("x" * (MAX_TOKEN_CHARS + 1), SECRET)


def test_the_reply_token_is_found_among_recipients_of_our_domain():
    token = make_token("t-1042", SECRET)
    addresses = ["support@shop.example", f"Reply+{token.upper()}@Mail.Shop.Example"]
    assert extract_reply_token(addresses, "mail.shop.example") == token


def test_a_reply_address_at_another_domain_is_ignored():
    assert extract_reply_token(["reply+abc@elsewhere.example"], "mail.shop.example") is None


def test_a_bare_reply_address_without_token_is_ignored():
    assert (
        extract_reply_token(["reply+@mail.shop.example", "reply@mail.shop.example"], "mail.shop.example")
        is None
    )


def test_subject_tag_round_trips():
    subject = f"Re: {subject_tag(1042)} Broken mug"
    assert subject == "Re: [#1042] Broken mug"
    assert find_subject_tag(subject) == 1042


def test_first_subject_tag_wins_and_missing_tag_is_none():
    assert find_subject_tag("Fwd: [#7] Re: [#1042] x") == 7
    assert find_subject_tag("Order 1042 (#1042)") is None
    assert find_subject_tag("") is None


@pytest.mark.parametrize("bad", [-1, True, "12"])
def test_subject_tag_refuses_what_is_not_a_ticket_number(bad):
    with pytest.raises(ValueError, match="ticket number"):
        subject_tag(bad)
