"""The email channel's rules without a database: screening, acknowledgements, addressing, SES events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.licensing.model import Agreement, Channel, License, Terms, period_for
from chalicelib.mail.loops import classify
from chalicelib.mail.model import (
    HoldReason,
    Verdicts,
    delivery_events,
    idempotency_key,
    inbound_events,
    mail_gate,
    may_acknowledge,
    references,
    reply_subject,
    screen,
    ses_event,
    stored_body,
    support_address,
)
from chalicelib.mail.parsing import parse
from tests.mail_helpers import through_sns
from tests.unit.mail.helpers import parse_fixture

DOMAIN = "kefu.example"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def person(sender: str = "anna@example.org", extra: str = ""):  # type: ignore[no-untyped-def]
    return parse(f"From: {sender}\nTo: shop@{DOMAIN}\nSubject: hi\nMessage-ID: <m@x>\n{extra}\nbody\n".encode())


CLEAN = Verdicts(spam="PASS", virus="PASS", spf="PASS", dkim="PASS", dmarc="PASS")


@pytest.mark.parametrize(("verdicts", "reason"), [
    (Verdicts(spam="FAIL", virus="PASS"), HoldReason.SPAM),
    (Verdicts(spam="PASS", virus="FAIL"), HoldReason.VIRUS),
    (Verdicts(spam="FAIL", virus="FAIL"), HoldReason.VIRUS),
    (Verdicts(dmarc="FAIL", dmarc_policy="reject"), HoldReason.SPOOFED),
    (Verdicts(dmarc="FAIL", dmarc_policy="quarantine"), HoldReason.SPOOFED),
])
def test_ses_verdicts_of_spam_virus_and_enforced_dmarc_failures_quarantine(verdicts, reason) -> None:
    mail = person()
    assert screen(mail, verdicts, classify(mail), DOMAIN) is reason


def test_dmarc_failing_where_the_domain_asks_for_nothing_is_accepted() -> None:
    mail = person()
    assert screen(mail, Verdicts(dmarc="FAIL", dmarc_policy="none"), classify(mail), DOMAIN) is None


def test_bounces_unreadable_mail_mail_without_sender_and_our_own_mail_are_quarantined() -> None:
    bounce = parse_fixture("bounce.eml")
    garbage = parse(b"\x00\x01\x02")
    own = person(f"reply+abc@{DOMAIN}")
    for mail, reason in ((bounce, HoldReason.DELIVERY_REPORT), (garbage, HoldReason.UNREADABLE),
                         (own, HoldReason.OWN_ADDRESS)):
        assert screen(mail, CLEAN, classify(mail), DOMAIN) is reason
    no_sender = parse(b"To: a@b.example\nSubject: x\n\nbody\n")
    assert screen(no_sender, CLEAN, classify(no_sender), DOMAIN) is HoldReason.NO_SENDER


def test_a_broken_but_readable_mail_is_accepted_with_its_problems() -> None:
    mail = parse_fixture("broken_mime.eml")
    assert mail.problems and screen(mail, CLEAN, classify(mail), DOMAIN) is None


@pytest.mark.parametrize("extra", ["Auto-Submitted: auto-replied", "Precedence: junk", "List-Id: <l.example>",
                                   "X-Loop: x", "X-Autoreply: yes"])
def test_no_acknowledgement_to_automatic_mail(extra: str) -> None:
    mail = person(extra=extra)
    assert not may_acknowledge(classify(mail), mail.from_address, DOMAIN, enabled=True, undeliverable=False)


def test_acknowledgements_go_to_people_only_when_enabled_deliverable_and_not_ourselves() -> None:
    mail = person()
    kind = classify(mail)
    assert may_acknowledge(kind, "anna@example.org", DOMAIN, enabled=True, undeliverable=False)
    assert not may_acknowledge(kind, "anna@example.org", DOMAIN, enabled=False, undeliverable=False)
    assert not may_acknowledge(kind, "anna@example.org", DOMAIN, enabled=True, undeliverable=True)
    assert not may_acknowledge(kind, f"shop@{DOMAIN}", DOMAIN, enabled=True, undeliverable=False)
    assert not may_acknowledge(kind, f"x@eu.{DOMAIN}", DOMAIN, enabled=True, undeliverable=False)
    bounce = parse_fixture("bounce.eml")
    assert not may_acknowledge(classify(bounce), "x@example.org", DOMAIN, enabled=True, undeliverable=False)


@pytest.mark.parametrize(("subject", "expected"), [
    ("Broken mug", "Re: Broken mug [#7]"),
    ("Re: RE: Broken mug", "Re: Broken mug [#7]"),
    ("回复：杯子坏了 [#7]", "Re: 杯子坏了 [#7]"),
    ("AW: Re: [#7] Tasse", "Re: [#7] Tasse"),
    ("", "Re: (no subject) [#7]"),
])
def test_reply_subjects_carry_one_re_and_one_ticket_tag(subject: str, expected: str) -> None:
    assert reply_subject(subject, 7) == expected


def test_references_keep_the_first_and_the_latest_ids_without_repeats() -> None:
    chain = [f"m{n}@x" for n in range(30)] + ["m29@x"]
    kept = references(chain)
    assert len(kept) == 10 and kept[0] == "m0@x" and kept[-1] == "m29@x" and len(set(kept)) == 10


@pytest.mark.parametrize("local", ["reply", "reply+x", "postmaster", "", "-a", "a" * 41, "with space", "ä"])
def test_support_addresses_refuse_reserved_or_malformed_names(local: str) -> None:
    with pytest.raises(ValueError, match="cannot be a support address"):
        support_address(local, DOMAIN)


def test_a_support_address_is_lower_case_on_the_licensors_domain() -> None:
    assert support_address("Demo-Tea", DOMAIN) == f"demo-tea@{DOMAIN}"


def test_message_ids_are_one_key_per_rfc_5322_and_a_mail_without_one_uses_the_ses_id() -> None:
    # the domain is case-insensitive, the local part is not (RFC 5322, 3.6.4 with 3.4.1)
    assert idempotency_key("ABC@Host", "s1") == idempotency_key("ABC@host", "s2") == "ABC@host"
    assert idempotency_key("ABC@host", "s1") != idempotency_key("abc@host", "s1")
    assert idempotency_key(None, "s1") == "ses:s1" != idempotency_key(None, "s2")


def test_an_ses_receipt_event_reads_back_its_id_recipients_and_verdicts() -> None:
    at = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
    event = ses_event("abc123", ["Shop@Kefu.Example", "shop@kefu.example"], "a@b.example", at,
                      Verdicts(spam="FAIL", virus="PASS", dmarc="FAIL", dmarc_policy="reject"))
    [record] = inbound_events(event)
    assert record.ses_id == "abc123" and record.recipients == ("shop@kefu.example",)
    assert (record.verdicts.spam, record.verdicts.dmarc_policy) == ("FAIL", "reject")


def test_the_same_receipt_through_sns_from_the_receiving_region_reads_back_the_same() -> None:
    at = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
    event = ses_event("abc123", ["Shop@Kefu.Example", "other@kefu.example"], "a@b.example", at,
                      Verdicts(spam="PASS", virus="FAIL", dmarc="FAIL", dmarc_policy="quarantine"))
    assert inbound_events(through_sns(event)) == inbound_events(event)
    [record] = inbound_events(through_sns(event))
    assert record.recipients == ("shop@kefu.example", "other@kefu.example") and record.verdicts.virus == "FAIL"


def test_records_that_are_not_ses_receipts_or_carry_a_strange_id_are_skipped() -> None:
    assert inbound_events({"Records": [{"s3": {}}, {"ses": {"mail": {"messageId": "../etc/passwd"}}}]}) == []
    assert inbound_events({}) == []
    receipt = ses_event("abc123", ["shop@kefu.example"], "a@b.example", datetime(2026, 6, 15, tzinfo=UTC))
    wrapped = through_sns(receipt)
    message = json.loads(wrapped["Records"][0]["Sns"]["Message"])
    # Another notification of SES on the same topic, a message that is not JSON, a strange id: nothing.
    for changed in ({**message, "notificationType": "Bounce"}, "not json",
                    {**message, "mail": {**message["mail"], "messageId": "../../etc"}}):
        record = {**wrapped["Records"][0], "Sns": {**wrapped["Records"][0]["Sns"],
                                                   "Message": changed if isinstance(changed, str) else
                                                   json.dumps(changed)}}
        assert inbound_events({"Records": [record]}) == []


def test_bounce_and_complaint_notifications_through_sns_are_read_with_their_tags() -> None:
    bounce = {"notificationType": "Bounce", "bounce": {
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "Gone@Example.org"}]},
        "mail": {"messageId": "0100abc", "tags": {"licensee": ["lic_1"], "kind": ["reply"]}}}
    complaint = {"eventType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "x@y.example"}],
                                                         "complaintFeedbackType": "abuse"},
                 "mail": {"messageId": "0100def", "tags": {"licensee": ["lic_2"]}}}
    transient = {"eventType": "Bounce", "bounce": {"bounceType": "Transient", "bouncedRecipients": []},
                 "mail": {"messageId": "0100ghi"}}
    event = {"Records": [{"Sns": {"Message": json.dumps(m)}} for m in (bounce, complaint, transient)]
             + [{"Sns": {"Message": "not json"}}]}
    found = delivery_events(event)
    assert [(e.kind, e.provider_id, e.recipients, e.permanent, e.tags.get("licensee")) for e in found] == [
        ("bounce", "0100abc", ("gone@example.org",), True, "lic_1"),
        ("complaint", "0100def", ("x@y.example",), True, "lic_2"),
        ("bounce", "0100ghi", (), False, None)]


def licensed(channels: frozenset[Channel], effective: date = date(2026, 1, 1)) -> License:
    agreement = Agreement("lic_1", "agr_1", effective, (), "Hangzhou", effective, 1)
    return License(agreement, (Terms(1, effective, channels, 3, 30, "n@x"),), (period_for(1, effective, 1, "initial"),))


def test_mail_reaches_a_merchant_only_while_the_license_is_in_force_with_email() -> None:
    now = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
    assert mail_gate(licensed(frozenset({Channel.EMAIL})), now, SHANGHAI, 30) is None
    assert mail_gate(licensed(frozenset({Channel.CHAT})), now, SHANGHAI, 30) is HoldReason.CHANNEL_NOT_LICENSED
    assert mail_gate(licensed(frozenset({Channel.EMAIL}), date(2025, 1, 1)), now, SHANGHAI,
                     30) is HoldReason.LICENSE_NOT_IN_FORCE
    assert mail_gate(None, now, SHANGHAI, 30) is HoldReason.LICENSE_NOT_IN_FORCE


def test_a_long_body_is_stored_cut_on_a_character_boundary_within_the_byte_limit() -> None:
    text = "订单" * 40_000
    stored, cut = stored_body(text, 1000)
    assert cut and len(stored.encode()) <= 1000 and text.startswith(stored)
    assert stored_body("short") == ("short", False)


@pytest.mark.parametrize("sender", [
    "victim@example.com <attacker@evil.example>",          # unquoted: two mailboxes
    '"victim@example.com" <attacker@evil.example>',        # the name shows another address
    "Customer Service (support@shop.example) <x@evil.example>",
    "Anna <anna@example.org>, Bob <bob@example.org>",     # more than one author
])
def test_a_sender_that_shows_another_address_or_several_is_held_as_suspicious(sender: str) -> None:
    parsed = parse(f"From: {sender}\r\nTo: help@kefu.local\r\nMessage-ID: <1@x>\r\n\r\nhi".encode())
    assert screen(parsed, Verdicts(), classify(parsed), "kefu.local") is HoldReason.SUSPICIOUS_SENDER


@pytest.mark.parametrize("sender", ["Anna <anna@example.org>", '"anna@example.org" <ANNA@example.org>',
                                    "anna@example.org", "张三 <zhang@example.cn>"])
def test_one_mailbox_whose_name_shows_its_own_address_or_none_is_accepted(sender: str) -> None:
    parsed = parse(f"From: {sender}\r\nTo: help@kefu.local\r\nMessage-ID: <1@x>\r\n\r\nhi".encode())
    assert screen(parsed, Verdicts(), classify(parsed), "kefu.local") is None


def test_a_short_text_and_body_ride_on_the_item_and_a_longer_pair_goes_to_the_blob_store() -> None:
    from chalicelib.mail.model import INLINE_BODY_BYTES, inline_body

    assert inline_body("快递到了吗？", "快递到了吗？\n> 原始邮件")
    assert not inline_body("好" * (INLINE_BODY_BYTES // 6 + 1), "好" * (INLINE_BODY_BYTES // 6 + 1))


def test_names_are_bounded_and_missing_ones_stay_missing() -> None:
    from chalicelib.mail.model import MAX_NAME_CHARS, bounded

    assert bounded("照片" * 5000) == ("照片" * 5000)[:MAX_NAME_CHARS] and bounded(None) is None
    assert bounded("a.jpg") == "a.jpg"
