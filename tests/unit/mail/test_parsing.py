from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.mail.parsing import Problem, parse
from tests.unit.mail.helpers import fixture_bytes, parse_fixture

SHANGHAI = timezone(timedelta(hours=8))


def test_multipart_alternative_prefers_the_plain_text_and_keeps_the_html():
    mail = parse_fixture("multipart_alternative_qp.eml")
    assert mail.text == (
        "Hello,\n\nMy order #A1001 arrived damaged — the café mug is broken.\n"
        "Can you send a replacement?\n\nThanks,\nAnna"
    )
    assert mail.html is not None and "caf&eacute; mug" in mail.html
    assert mail.problems == ()


def test_threading_headers_are_read_without_angle_brackets():
    mail = parse_fixture("multipart_alternative_qp.eml")
    assert mail.message_id == "CAF1234.5678@mail.example.org"
    assert mail.in_reply_to == "ticket-1.outbound@shop.example"
    assert mail.references == ("first@mail.example.org", "ticket-1.outbound@shop.example")


def test_addresses_are_lower_cased_and_names_kept():
    mail = parse_fixture("multipart_alternative_qp.eml")
    assert (mail.from_address, mail.from_name) == ("anna@example.org", "Anna Schmidt")
    assert [a.address for a in mail.to] == ["support@shop.example"]
    assert [(a.address, a.name) for a in mail.cc] == [("bob@example.org", "Bob"), ("carol@example.org", "")]
    assert [a.address for a in mail.reply_to] == ["anna.private@example.org"]
    assert mail.return_path == "anna@example.org"


def test_utf8_q_encoded_subject_is_decoded():
    assert parse_fixture("multipart_alternative_qp.eml").subject == "Re: Broken café mug — order #A1001"


def test_date_is_timezone_aware():
    mail = parse_fixture("multipart_alternative_qp.eml")
    assert mail.date == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    assert mail.date is not None and mail.date.utcoffset() == timedelta(hours=1)


def test_gb2312_mail_with_a_gbk_only_character_is_read_as_gb18030():
    mail = parse_fixture("gb2312_base64.eml")
    assert mail.subject == "订单未发货：朱镕牌茶壶"
    assert "朱镕牌茶壶还没有发货" in mail.text
    assert mail.from_name == "张三"
    assert mail.date == datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    assert mail.problems == ()


def test_gbk_subject_split_mid_character_across_encoded_words_is_joined():
    mail = parse_fixture("gbk_qp.eml")
    assert mail.subject == "请问退货地址是哪里？"
    assert mail.from_name == "李四"
    assert mail.text == "你好，我想退货，请告诉我退货地址。\n李四"


def test_gb18030_four_byte_characters_survive():
    mail = parse_fixture("gb18030_body.eml")
    assert mail.subject == "𠮷野家优惠券"
    assert mail.text == "优惠券在𠮷野家不能用。"


def test_big5_subject_name_and_body_are_decoded():
    mail = parse_fixture("big5.eml")
    assert (mail.subject, mail.from_name) == ("訂單查詢", "陳小明")
    assert mail.text == "請問我的訂單何時寄出？\n謝謝"


def test_html_only_mail_becomes_readable_text_without_scripts_or_styles():
    mail = parse_fixture("html_only.eml")
    assert mail.text == (
        "Hi there,\n\n"
        "Is the jacket true to size? I looked at your size guide (https://shop.example/size-guide).\n\n"
        "- Height: 180 cm\n- Weight: 75 kg & broad shoulders\n\n"
        "Size M\nColour Blue\n\n"
        "Thanks <3\nSam"
    )
    assert "alert" not in mail.text and "injected" not in mail.text and "color" not in mail.text
    assert mail.html is not None and "<script>" in mail.html


def test_attachment_names_are_decoded_from_rfc2231_and_encoded_words():
    mail = parse_fixture("attachments_rfc2231.eml")
    assert [a.filename for a in mail.attachments] == ["发票.pdf", "发货单明细表.xlsx", "发票 2026.pdf"]
    assert mail.text == "请查收附件。"
    assert mail.subject == "附件：发票和发货单"


def test_attachments_carry_type_size_and_bytes():
    invoice = parse_fixture("attachments_rfc2231.eml").attachments[0]
    assert invoice.content_type == "application/pdf"
    assert invoice.data is not None and invoice.data.startswith(b"%PDF-1.4")
    assert invoice.size == len(invoice.data) == 280
    assert not invoice.inline and not invoice.too_large


def test_oversize_attachments_are_listed_without_their_bytes():
    mail = parse_fixture("attachments_rfc2231.eml", max_attachment_bytes=250)
    sizes = [(a.filename, a.size, a.too_large, a.data is None) for a in mail.attachments]
    assert sizes == [
        ("发票.pdf", 280, True, True),
        ("发货单明细表.xlsx", 224, False, False),
        ("发票 2026.pdf", 280, True, True),
    ]
    assert mail.problems == (Problem.OVERSIZE_ATTACHMENT,)


def test_inline_image_keeps_its_content_id_and_is_marked_inline():
    mail = parse_fixture("inline_image.eml")
    [image] = mail.attachments
    assert (image.filename, image.content_type, image.content_id, image.inline) == (
        "scratch.png",
        "image/png",
        "scratch-1@example.com",
        True,
    )
    assert image.data is not None and image.data.startswith(b"\x89PNG")
    assert mail.text == "See the scratch in the photo.\n[image: scratch.png]"
    assert mail.html is not None and "cid:scratch-1@example.com" in mail.html


def test_bounce_report_is_read_with_its_parts_as_attachments():
    mail = parse_fixture("bounce.eml")
    assert mail.content_type == "multipart/report"
    assert mail.report_type == "delivery-status"
    assert mail.return_path == ""
    assert mail.from_address == "mailer-daemon@amazonses.com"
    assert [a.content_type for a in mail.attachments] == ["message/delivery-status", "message/rfc822"]
    returned = mail.attachments[1].data
    assert returned is not None and b"Message-ID: <ack-1042@shop.example>" in returned
    assert mail.text.startswith("An error occurred while trying to deliver")


def test_auto_reply_headers_are_kept_for_loop_detection():
    mail = parse_fixture("auto_reply.eml")
    assert mail.headers == {"auto-submitted": "auto-replied", "x-autoreply": "yes"}
    assert mail.subject == "自动回复: [#1042] 我们已收到您的邮件"


def test_broken_mime_keeps_the_readable_text_and_names_the_damage():
    mail = parse_fixture("broken_mime.eml")
    assert mail.text == "The text part is still readable."
    assert Problem.BROKEN_MIME in mail.problems
    assert Problem.BAD_ENCODING in mail.problems
    assert [a.filename for a in mail.attachments] == ["data.bin"]


def test_unknown_charset_falls_back_to_utf8_and_says_so():
    mail = parse_fixture("unknown_charset.eml")
    assert mail.text == "Grüße aus München — 你好"
    assert mail.subject == "Grüße"
    assert mail.problems == (Problem.BAD_CHARSET,)


def test_mail_without_from_or_message_id_is_read_and_both_are_reported():
    mail = parse_fixture("missing_from_and_id.eml")
    assert mail.from_address is None and mail.message_id is None
    assert mail.text == "No sender on this one."
    assert mail.problems == (Problem.MISSING_FROM, Problem.MISSING_MESSAGE_ID)


def test_mail_without_any_body_is_reported():
    mail = parse(b"From: a@example.com\nMessage-ID: <x@y>\nSubject: empty\n\n")
    assert mail.problems == (Problem.NO_BODY,)


@pytest.mark.parametrize("raw", [b"", b"\x00\x01\x02", b"\xff\xfe not a mail at all"])
def test_input_that_is_not_a_mail_is_unparseable(raw):
    assert parse(raw).problems == (Problem.UNPARSEABLE,)


def test_non_bytes_input_is_unparseable_rather_than_an_error():
    assert parse("From: a@b.c\n\nhi").problems == (Problem.UNPARSEABLE,)  # type: ignore[arg-type]


def test_gbk_text_mislabelled_as_utf8_is_decoded_by_guessing_and_reported():
    header = b"From: a@example.com\nMessage-ID: <x@y>\nContent-Type: text/plain; charset=utf-8\n\n"
    mail = parse(header + "请退款".encode("gbk"))
    assert mail.text == "请退款"
    assert mail.problems == (Problem.BAD_CHARSET,)


def test_raw_utf8_headers_without_encoded_words_are_read():
    raw = "From: 张三 <z@example.cn>\nSubject: 你好\nMessage-ID: <x@y>\n\nbody\n".encode()
    mail = parse(raw)
    assert (mail.from_name, mail.subject) == ("张三", "你好")


def test_raw_gbk_headers_without_encoded_words_are_read():
    raw = "Subject: 退货申请\nFrom: z@example.cn\nMessage-ID: <x@y>\n\nbody\n".encode("gbk")
    assert parse(raw).subject == "退货申请"


def test_undeclared_8bit_body_is_decoded_without_a_charset_problem():
    raw = b"From: a@example.com\nMessage-ID: <x@y>\n\n" + "请退款".encode("gbk")
    mail = parse(raw)
    assert mail.text == "请退款"
    assert mail.problems == ()


def test_bad_date_is_none_and_reported():
    mail = parse(b"From: a@example.com\nMessage-ID: <x@y>\nDate: yesterday-ish\n\nhi\n")
    assert mail.date is None
    assert mail.problems == (Problem.BAD_DATE,)


def test_date_in_unknown_zone_is_taken_as_utc():
    mail = parse(b"From: a@example.com\nMessage-ID: <x@y>\nDate: Fri, 20 Nov 2026 10:00:00 -0000\n\nhi\n")
    assert mail.date == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_in_reply_to_with_trailing_comment_yields_only_the_id():
    mail = parse(
        b"From: a@example.com\nMessage-ID: <x@y>\n"
        b"In-Reply-To: <abc@shop.example> (Support's message of Fri, 20 Nov)\n\nhi\n"
    )
    assert mail.in_reply_to == "abc@shop.example"


def test_message_id_without_angle_brackets_is_accepted():
    assert parse(b"From: a@example.com\nMessage-ID: bare-id@host.example\n\nhi\n").message_id == (
        "bare-id@host.example"
    )


def test_a_display_name_that_decodes_to_a_comma_does_not_split_the_address():
    raw = b"From: =?utf-8?Q?Smith=2C_John?= <john@example.com>\nMessage-ID: <x@y>\n\nhi\n"
    mail = parse(raw)
    assert (mail.from_address, mail.from_name) == ("john@example.com", "Smith, John")


def test_unreadable_cc_address_is_skipped_and_reported():
    mail = parse(b"From: a@example.com\nCc: not an address, b@example.com\nMessage-ID: <x@y>\n\nhi\n")
    assert [a.address for a in mail.cc] == ["b@example.com"]
    assert mail.problems == (Problem.BAD_ADDRESS,)


def test_attachment_filename_loses_any_directory_part():
    raw = (
        b"From: a@example.com\nMessage-ID: <x@y>\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nhi\n"
        b"--b\nContent-Type: application/octet-stream\n"
        b'Content-Disposition: attachment; filename="..\\\\..\\\\evil.exe"\n\n'
        b"MZ\n--b--\n"
    )
    assert [a.filename for a in parse(raw).attachments] == ["evil.exe"]


def test_new_text_is_the_reply_without_quoted_history():
    mail = parse_fixture("replies/gmail.eml")
    assert mail.new_text == "Thanks, the replacement arrived today and it is perfect.\n\nAnna"
    assert "wrote:" in mail.text


def test_fixture_files_are_real_mime():
    assert fixture_bytes("gb2312_base64.eml").startswith(b"From: =?GB2312?B?")


def test_gbk_labelled_text_with_a_gb18030_four_byte_character_is_read_without_problems():
    header = b"From: a@example.com\nMessage-ID: <x@y>\nContent-Type: text/plain; charset=GBK\n\n"
    mail = parse(header + "𠮷野家".encode("gb18030"))
    assert mail.text == "𠮷野家"
    assert mail.problems == ()


def test_what_parsing_keeps_is_text_undecodable_bytes_and_control_characters_are_cleaned() -> None:
    import re

    raw = (b"From: =?utf-8?b?7aCA?= <a@example.org>\r\nTo: s@kefu.local\r\n"
           b"Subject: =?utf-8?q?bad_=ED=A0=80_x?= \x01\x1b[2J\r\nMessage-ID: <1@x>\r\n\r\nbody \xed\xa0\x80 \x00 text")
    parsed = parse(raw)
    for value in (parsed.subject, parsed.from_name, parsed.text, parsed.new_text):
        assert not re.search(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", value), repr(value)
        value.encode("utf-8")  # every kept string can be sent
    assert "bad" in parsed.subject and "body" in parsed.text
