import pytest

from chalicelib.mail.loops import MailKind, classify
from chalicelib.mail.parsing import parse
from tests.unit.mail.helpers import parse_fixture


def mail_with(headers: str, sender: str = "customer@example.com"):
    return parse(f"From: {sender}\nMessage-ID: <x@example.com>\n{headers}\nhello\n".encode())


def test_mail_from_a_person_may_be_acknowledged():
    verdict = classify(parse_fixture("multipart_alternative_qp.eml"))
    assert verdict.kind is MailKind.PERSON
    assert verdict.may_acknowledge


def test_delivery_report_is_a_bounce_and_is_never_acknowledged():
    verdict = classify(parse_fixture("bounce.eml"))
    assert (verdict.kind, verdict.code) == (MailKind.BOUNCE, "delivery_report")
    assert not verdict.may_acknowledge


def test_out_of_office_reply_is_automatic_and_is_never_acknowledged():
    verdict = classify(parse_fixture("auto_reply.eml"))
    assert (verdict.kind, verdict.code) == (MailKind.AUTOMATIC, "auto_submitted")
    assert verdict.reason == "Auto-Submitted: auto-replied"
    assert not verdict.may_acknowledge


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ("Auto-Submitted: auto-generated\n", "auto_submitted"),
        ("Auto-Submitted: auto-notified; owner-email=x@y\n", "auto_submitted"),
        ("X-Autoreply: yes\n", "x_autoreply"),
        ("X-Autorespond: Out of office\n", "x_autorespond"),
        ("Precedence: bulk\n", "precedence"),
        ("Precedence: junk\n", "precedence"),
        ("Precedence: list\n", "precedence"),
        ("List-Id: Shop news <news.shop.example>\n", "list_id"),
        ("List-Unsubscribe: <mailto:unsub@shop.example>\n", "list_unsubscribe"),
        ("X-Loop: support@shop.example\n", "x_loop"),
        ("X-Auto-Response-Suppress: All\n", "auto_response_suppress"),
    ],
)
def test_automatic_mail_is_recognised_by_its_headers(headers, code):
    verdict = classify(mail_with(headers))
    assert (verdict.kind, verdict.code) == (MailKind.AUTOMATIC, code)
    assert not verdict.may_acknowledge


def test_auto_submitted_no_is_a_person():
    assert classify(mail_with("Auto-Submitted: no\n")).kind is MailKind.PERSON


def test_precedence_other_than_bulk_junk_or_list_is_a_person():
    assert classify(mail_with("Precedence: first-class\n")).kind is MailKind.PERSON


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com"])
def test_mail_from_mailer_daemon_or_postmaster_is_a_bounce(sender):
    verdict = classify(mail_with("", sender=sender))
    assert (verdict.kind, verdict.code) == (MailKind.BOUNCE, "daemon_sender")


def test_null_return_path_without_other_signals_is_a_bounce():
    verdict = classify(mail_with("Return-Path: <>\n"))
    assert (verdict.kind, verdict.code) == (MailKind.BOUNCE, "null_return_path")


def test_auto_reply_sent_from_the_null_sender_is_automatic_not_a_bounce():
    verdict = classify(mail_with("Return-Path: <>\nAuto-Submitted: auto-replied\n"))
    assert verdict.kind is MailKind.AUTOMATIC


def test_x_failed_recipients_marks_a_bounce():
    assert classify(mail_with("X-Failed-Recipients: a@b.example\n")).kind is MailKind.BOUNCE


def test_read_receipt_report_is_automatic_not_a_bounce():
    raw = (
        b"From: a@example.com\nMessage-ID: <x@y>\n"
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=r\n\n"
        b"--r\nContent-Type: text/plain\n\nDisplayed\n--r--\n"
    )
    verdict = classify(parse(raw))
    assert (verdict.kind, verdict.code) == (MailKind.AUTOMATIC, "report")


def test_no_reply_sender_is_never_acknowledged():
    verdict = classify(mail_with("", sender="no-reply@marketplace.example"))
    assert (verdict.kind, verdict.code) == (MailKind.AUTOMATIC, "no_reply_sender")


def test_unparseable_mail_is_not_a_bounce_but_a_person_without_address():
    verdict = classify(parse(b""))
    assert verdict.kind is MailKind.PERSON
