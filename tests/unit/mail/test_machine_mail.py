"""Bounces of every MTA and auto-replies of every client (fixtures/automatic) are told from a person's mail, kept
back from agents, and their delivery reports read: which of our mails, to whom, for good or for now."""

from pathlib import Path

import pytest

from chalicelib.mail.bounces import read_report
from chalicelib.mail.loops import MailKind, classify
from chalicelib.mail.parsing import parse
from tests.unit.mail.helpers import FIXTURES

AUTOMATIC = FIXTURES / "automatic"
OUR_MAIL = "0102018c1b2c3d4e-5f60718293a4b5c6-000000@ap-southeast-1.amazonses.com"

# fixture: (kind, code) — how each is recognised
EXPECTED = {
    "postfix": (MailKind.BOUNCE, "delivery_report"),
    "exim": (MailKind.BOUNCE, "delivery_report"),
    "sendmail": (MailKind.BOUNCE, "delivery_report"),
    "exchange": (MailKind.BOUNCE, "delivery_report"),
    "outlook_com": (MailKind.BOUNCE, "delivery_report"),
    "gmail": (MailKind.BOUNCE, "delivery_report"),
    "qq": (MailKind.BOUNCE, "delivery_report"),
    "netease_163": (MailKind.BOUNCE, "delivery_report"),
    "tencent_exmail": (MailKind.BOUNCE, "delivery_report"),
    "amazon_ses": (MailKind.BOUNCE, "delivery_report"),
    "qmail": (MailKind.BOUNCE, "daemon_sender"),
    "qmail_relay": (MailKind.BOUNCE, "qmail_bounce"),
    "yahoo": (MailKind.BOUNCE, "daemon_sender"),
    "relay_null_sender": (MailKind.BOUNCE, "bounce_subject"),
    "rfc3834_null_sender": (MailKind.AUTOMATIC, "auto_submitted"),
    "gmail_vacation": (MailKind.AUTOMATIC, "auto_submitted"),
    "outlook_oof_en": (MailKind.AUTOMATIC, "auto_submitted"),
    "x_autoreply": (MailKind.AUTOMATIC, "x_autoreply"),
    "x_autorespond": (MailKind.AUTOMATIC, "x_autorespond"),
    "precedence_bulk_vacation": (MailKind.AUTOMATIC, "precedence"),
    "precedence_auto_reply": (MailKind.AUTOMATIC, "precedence"),
    "qq_vacation": (MailKind.AUTOMATIC, "auto_reply_subject"),
    "netease_vacation": (MailKind.AUTOMATIC, "auto_reply_subject"),
    "outlook_oof_zh_cn": (MailKind.AUTOMATIC, "auto_reply_subject"),
    "outlook_oof_zh_tw": (MailKind.AUTOMATIC, "auto_reply_subject"),
    "german_absence": (MailKind.AUTOMATIC, "auto_reply_subject"),
    "japanese_absence": (MailKind.AUTOMATIC, "auto_reply_subject"),
}
BOUNCES = [name for name, (kind, _) in EXPECTED.items() if kind is MailKind.BOUNCE]


def read(name: str):
    return parse((AUTOMATIC / f"{name}.eml").read_bytes())


def test_every_fixture_has_an_expectation():
    assert {path.stem for path in Path(AUTOMATIC).glob("*.eml")} == set(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_machine_mail_is_recognised_kept_back_and_never_acknowledged(name):
    verdict = classify(read(name))
    assert (verdict.kind, verdict.code) == EXPECTED[name]
    assert verdict.kept_back and not verdict.may_acknowledge


@pytest.mark.parametrize("name", [n for n in BOUNCES if n != "relay_null_sender"])
def test_each_delivery_report_names_our_mail_and_the_address_it_did_not_reach(name):
    report = read_report(read(name))
    assert report.original_message_ids == (OUR_MAIL,)
    assert report.recipients == ("gone@customer.example",)
    assert report.permanent is (name != "tencent_exmail")  # Exmail's report says "delayed", 4.4.7
    assert report.detail and len(report.detail) <= 300


def test_a_report_of_a_delay_is_not_permanent_and_says_why():
    report = read_report(read("tencent_exmail"))
    assert not report.permanent and report.detail.startswith("4.4.7 451 Temporary failure")


def test_free_text_reports_give_the_servers_answer_as_detail():
    assert read_report(read("qmail")).detail == "Remote host said: 550 5.1.1 Sorry, no mailbox here by that name."
    assert read_report(read("yahoo")).detail.startswith("554: delivery error: dd This user doesn't have")


def test_a_report_that_names_no_mail_of_ours_names_nothing():
    report = read_report(read("relay_null_sender"))
    assert report.original_message_ids == () and report.recipients == () and not report.permanent


def mail_with(headers: str, subject: str = "Where is my order?", body: str = "hello"):
    return parse(f"From: buyer@example.com\nMessage-ID: <x@example.com>\nSubject: {subject}\n{headers}\n{body}\n"
                 .encode())


@pytest.mark.parametrize("subject", ["自动回复: 订单", "自動回覆：訂單", "Automatic reply: order",
                                     "Out of Office: back Monday", "Réponse automatique : absent", "자동 회신: 주문"])
def test_an_auto_reply_that_says_so_only_in_its_subject_is_kept_back(subject):
    verdict = classify(mail_with("", subject=subject))
    assert verdict.kind is MailKind.AUTOMATIC and verdict.kept_back


@pytest.mark.parametrize("subject", ["Automatic reply settings do not work", "关于自动回复的问题",
                                     "Re: out of office hours?", "Undeliverable parcel, please help"])
def test_a_person_writing_about_auto_replies_or_failed_parcels_is_a_person(subject):
    verdict = classify(mail_with("", subject=subject))
    assert verdict.kind is MailKind.PERSON and not verdict.kept_back


def test_a_bounce_subject_from_a_person_with_a_real_return_path_is_a_person():
    verdict = classify(mail_with("Return-Path: <buyer@example.com>\n", subject="Undeliverable: my order"))
    assert verdict.kind is MailKind.PERSON


@pytest.mark.parametrize("headers", ["List-Id: <news.shop.example>\n", "Precedence: list\n", "X-Loop: shop\n",
                                     "X-Auto-Response-Suppress: All\n"])
def test_list_mail_reaches_a_ticket_unacknowledged(headers):
    verdict = classify(mail_with(headers))
    assert verdict.kind is MailKind.AUTOMATIC and not verdict.kept_back and not verdict.may_acknowledge


def test_a_report_wrapped_in_multipart_mixed_is_still_a_bounce():
    raw = (b"From: relay@example.net\nMessage-ID: <r@example.net>\nContent-Type: multipart/mixed; boundary=b\n\n"
           b"--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\n"
           b"Reporting-MTA: dns; example.net\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n"
           b"--b--\n")
    verdict = classify(parse(raw))
    assert (verdict.kind, verdict.code) == (MailKind.BOUNCE, "delivery_report")
    assert read_report(parse(raw)).recipients == ("a@b.example",)
