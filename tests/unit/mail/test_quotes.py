import pytest

from chalicelib.mail.quotes import strip_reply
from tests.unit.mail.helpers import parse_fixture


def new_text_of(client: str) -> str:
    mail = parse_fixture(f"replies/{client}.eml")
    assert mail.problems == ()
    return mail.new_text


def test_gmail_reply_keeps_only_the_new_text_even_when_the_header_wraps():
    assert new_text_of("gmail") == "Thanks, the replacement arrived today and it is perfect.\n\nAnna"


def test_gmail_html_only_reply_drops_the_gmail_quote():
    assert new_text_of("gmail_html_only") == "Thanks, that works.\n\nAnna"


def test_gmail_in_chinese_reply_drops_the_xie_dao_header_and_quote():
    assert new_text_of("gmail_chinese") == "发票抬头写公司名称。"


def test_outlook_desktop_reply_stops_at_original_message():
    assert new_text_of("outlook_desktop") == (
        "Hi,\n\nPlease send the invoice to our accounts team as well: ap@corp.test\n\n"
        "Best regards\nPeter Miller\nPurchasing | Corp Ltd."
    )


def test_outlook_web_reply_stops_at_the_underscore_line():
    assert new_text_of("outlook_web") == "Got it, thank you."


def test_outlook_in_chinese_reply_stops_at_the_fa_jian_ren_header_block():
    assert new_text_of("outlook_header_block_zh") == "好的，收到。"


def test_apple_mail_reply_drops_the_quoted_block():
    assert new_text_of("apple_mail") == "Here is a second photo from another angle.\n\nMei"


def test_apple_mail_reply_with_an_unquoted_history_stops_at_the_wrote_line():
    assert new_text_of("apple_mail_unquoted_header") == "Sure, attached."


def test_iphone_reply_stops_at_sent_from_my_iphone():
    assert new_text_of("iphone") == "Yes please, send it to the new address."


def test_outlook_for_android_reply_stops_at_get_outlook_for_android():
    assert new_text_of("android_outlook") == "Tomorrow after 5pm works for me."


def test_thunderbird_reply_drops_the_quote_and_the_signature():
    assert new_text_of("thunderbird") == "Size M, please."


def test_yahoo_reply_with_an_indented_header_keeps_only_the_new_text():
    assert new_text_of("yahoo") == "I still have not received the refund."


def test_qq_mail_reply_keeps_only_the_new_text():
    assert new_text_of("qq_mail") == "好的，我收到退款了，谢谢！"


def test_qq_mail_from_iphone_stops_at_fa_zi_wo_de_iphone():
    assert new_text_of("qq_mail_iphone") == "请尽快处理"


def test_163_reply_drops_the_zai_xie_dao_header_and_quote():
    assert new_text_of("netease_163") == "地址改为：上海市浦东新区世纪大道100号。"


def test_126_reply_from_mail_master_stops_at_its_signature():
    assert new_text_of("netease_126_unquoted") == "已确认，谢谢。"


def test_foxmail_reply_stops_at_the_full_width_header_block_and_keeps_its_signature_line():
    # Foxmail's signature (the address) has no delimiter: it stays, as the person's own words would.
    assert new_text_of("foxmail") == "换成蓝色的吧。\n\nwangwu@foxmail.test"


def test_foxmail_from_iphone_stops_at_fa_zi_wo_de_iphone():
    assert new_text_of("foxmail_iphone") == "好的"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Danke!\n\nAm 20.11.2026 um 10:00 schrieb Shop Support <support@shop.example>:\n> Hallo", "Danke!"),
        ("Merci !\n\nLe ven. 20 nov. 2026 à 10:00, Shop Support <s@x.fr> a écrit :\n> Bonjour", "Merci !"),
        ("¡Gracias!\n\nEl vie, 20 nov 2026 a las 10:00, Shop (<s@x.es>) escribió:\n> Hola", "¡Gracias!"),
        ("Gut.\n\nVon meinem iPhone gesendet\n\n> Am 20.11.2026 um 10:00 schrieb Shop:", "Gut."),
        ("Oui.\n\nEnvoyé de mon iPhone", "Oui."),
        ("Sí.\n\nEnviado desde mi iPhone", "Sí."),
        ("Ja\n\n-----Ursprüngliche Nachricht-----\nVon: Shop\nGesendet: Freitag\nAn: Max\nBetreff: x", "Ja"),
    ],
)
def test_german_french_and_spanish_reply_headers_are_recognised(text, expected):
    assert strip_reply(text) == expected


def test_signature_after_the_dash_dash_space_delimiter_is_dropped():
    assert strip_reply("See you then.\n\n-- \nAnna Schmidt\n+49 30 1234567") == "See you then."


def test_signature_delimiter_without_its_trailing_space_is_dropped_too():
    assert strip_reply("Fine.\n--\nAnna") == "Fine."


def test_answers_written_between_quoted_lines_are_kept():
    text = "On Fri, Nov 20, 2026, Support wrote:\n> Which colour?\nBlue.\n> Which size?\nM.\n"
    assert strip_reply(text) == "Blue.\nM."


def test_a_reply_written_below_the_quote_is_kept():
    text = "Support wrote:\n> Can you confirm the address?\n\nYes, it is 1 Main Street."
    assert strip_reply(text) == "Yes, it is 1 Main Street."


def test_text_without_any_quote_is_returned_unchanged_apart_from_outer_blank_lines():
    text = "\n\nHello,\n\nI want to return the shoes.\n  Indented line stays.\n"
    assert strip_reply(text) == "Hello,\n\nI want to return the shoes.\n  Indented line stays."


def test_a_mail_that_is_only_quote_has_no_new_text():
    assert strip_reply("> just the old text\n> nothing new") == ""


def test_a_sentence_starting_with_on_is_not_a_quote_header():
    text = "On Monday I ordered two mugs.\nOnly one arrived.\n"
    assert strip_reply(text) == "On Monday I ordered two mugs.\nOnly one arrived."


def test_a_single_from_line_in_the_text_is_not_a_header_block():
    text = "From: my phone I cannot open the link.\nPlease help.\n"
    assert strip_reply(text) == "From: my phone I cannot open the link.\nPlease help."


def test_a_person_saying_someone_wrote_something_is_kept():
    text = "My friend wrote:\nthe shop is great.\nSo I ordered."
    assert strip_reply(text) == text


def test_qq_separator_with_non_breaking_spaces_is_recognised():
    text = "收到\n\n------------------\u00a0原始邮件\u00a0------------------\n发件人: x"
    assert strip_reply(text) == "收到"


def test_windows_line_endings_are_handled():
    assert strip_reply("Yes.\r\n\r\nOn Fri, Nov 20, 2026 Support wrote:\r\n> ok?\r\n") == "Yes."


def test_a_very_long_single_line_is_handled_quickly():
    text = "On " + "x" * 200_000 + "\n" + "wrote" * 10_000
    assert strip_reply(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "在 2026年11月20日 我下單了，到現在還沒收到。\n請幫我查一下。",
        "客服在信裡寫道：\n退貨免運。\n所以我退了。",
        "2026年11月20日(金) 10:00 に届く予定です。",
        "In 2024 my friend wrote:\nthe shop is great.",
        "活动安排如下。\n\n——————————————————————\n\n小满\n活动协调人",
        "寄件者: 我自己\n地址沒變。",
    ],
)
def test_sentences_that_look_like_quote_headers_are_kept(text):
    assert strip_reply(text) == text


def test_a_wrapped_attribution_is_joined_only_when_the_next_line_continues_it():
    text = "On Monday I ordered two mugs\nOn Fri, Nov 20, 2026 at 10:00 Shop <s@shop.example> wrote:\n> Which?"
    assert strip_reply(text) == "On Monday I ordered two mugs"


def test_a_long_name_pushes_the_address_and_date_of_a_gmail_attribution_onto_the_next_line():
    text = ("請改寄到公司。\n\n某某國際股份有限公司 客服中心 via 售後\n"
            "<s@shop.example> 於 2026年11月20日 週五 上午10:00寫道：\n\n> 舊信")
    assert strip_reply(text) == "請改寄到公司。"


def test_a_rule_line_above_a_header_block_ends_the_new_text():
    text = "取消订单。\n" + "-" * 66 + "\n发件人：客服 <s@shop.example>\n发送时间：2026年11月20日\n主　题：补发\n\n旧信"
    assert strip_reply(text) == "取消订单。"


def test_the_netease_mail_master_card_goes_with_its_signature_line():
    text = ("没问题。\n\n| |\n何\n|\nhe@163.test\n|\n\n签名由网易邮箱大师定制\n\n"
            "在2026年11月20日 10:00，客服<s@x> 写道：\n旧信")
    assert strip_reply(text) == "没问题。"
