"""What a ticket can be found by exactly: the customer's address, order numbers and phone numbers mentioned."""

from chalicelib.mail.model import MAX_TERMS, lookup_terms


def test_order_numbers_are_found_in_chinese_and_english_and_phones_by_their_digits() -> None:
    terms = lookup_terms("Anna@Example.org", "订单号 8841 还没到",
                         "Order no. A-1234 and order #5566; 电话 138 0013 8000")
    assert terms == ["email:anna@example.org", "order:8841", "order:a-1234", "order:5566", "phone:13800138000"]


def test_a_mail_full_of_numbers_gives_at_most_the_limit() -> None:
    text = " ".join(f"订单 {n:06d}" for n in range(50))
    assert len(lookup_terms("a@b.example", text)) == MAX_TERMS


def test_plain_numbers_are_not_taken_for_orders() -> None:
    assert lookup_terms("", "I paid 1200 yuan on 2026-06-15") == []
