"""Which acknowledgement text a customer receives: the merchant's per language, zh-CN first, else the single
text, else the bilingual default."""

from chalicelib.mail.model import DEFAULT_ACKNOWLEDGEMENT, acknowledgement_template

ORDER = ("zh-CN", "en")


def test_texts_per_language_follow_one_another_chinese_first() -> None:
    assert acknowledgement_template({"en": "Got it.", "zh-CN": "已收到。"}, "single", ORDER) == "已收到。\n\nGot it."


def test_one_language_alone_is_sent_alone() -> None:
    assert acknowledgement_template({"en": "Got it.", "zh-CN": ""}, None, ORDER) == "Got it."


def test_without_texts_per_language_the_single_text_then_the_default_is_sent() -> None:
    assert acknowledgement_template(None, "single", ORDER) == "single"
    assert acknowledgement_template({"zh-CN": ""}, None, ORDER) == DEFAULT_ACKNOWLEDGEMENT
