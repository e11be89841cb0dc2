from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core.money import (
    format_amount,
    from_fen,
    is_fen_exact,
    parse_amount,
    prorate,
    require_fen_exact,
    round_fen,
    to_fen,
)


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("0.005", "0.01"),
        ("0.004999", "0.00"),
        ("1.115", "1.12"),
        ("2.675", "2.68"),  # the float 2.675 would round down: Decimal must not
        ("-0.005", "-0.01"),
        ("-1.114", "-1.11"),
        ("10", "10.00"),
    ],
)
def test_round_fen_rounds_half_up_to_the_fen(amount: str, rounded: str) -> None:
    result = round_fen(Decimal(amount))
    assert result == Decimal(rounded)
    assert str(result) == rounded


def test_round_fen_refuses_float() -> None:
    with pytest.raises(ValueError, match="float"):
        round_fen(0.1)  # type: ignore[arg-type]


def test_fen_round_trip_is_exact() -> None:
    assert to_fen(Decimal("1234.56")) == 123456
    assert to_fen(Decimal("-0.01")) == -1
    assert from_fen(123456) == Decimal("1234.56")
    assert str(from_fen(5)) == "0.05"
    assert from_fen(to_fen(Decimal("0.10"))) == Decimal("0.10")


def test_to_fen_refuses_a_fraction_of_a_fen_instead_of_rounding_silently() -> None:
    with pytest.raises(ValueError, match="fraction of a fen"):
        to_fen(Decimal("0.001"))


def test_from_fen_refuses_non_integers() -> None:
    with pytest.raises(ValueError):
        from_fen(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        from_fen(True)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("1200", "1200.00"), ("99.5", "99.50"), (" 0.01 ", "0.01"), ("0", "0.00"), ("007.10", "7.10")],
)
def test_parse_amount_accepts_plain_numbers(text: str, amount: str) -> None:
    assert parse_amount(text) == Decimal(amount)
    assert str(parse_amount(text)) == amount


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NaN", "finite"),
        ("-Infinity", "finite"),
        ("inf", "finite"),
        ("1.001", "more than two decimals"),
        ("1e3", "plain number"),
        ("1,000", "plain number"),
        ("+5", "plain number"),
        ("", "empty"),
        ("-1.00", "negative"),
        ("12元", "plain number"),
    ],
)
def test_parse_amount_refuses_with_a_readable_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_amount(text)


def test_parse_amount_refuses_floats_even_when_they_look_exact() -> None:
    with pytest.raises(ValueError, match="float"):
        parse_amount(12.5)  # type: ignore[arg-type]


def test_parse_amount_allows_negatives_only_when_asked() -> None:
    assert parse_amount("-3.20", allow_negative=True) == Decimal("-3.20")


def test_format_amount_shows_two_decimals_and_optional_currency() -> None:
    assert format_amount(Decimal("1200")) == "1200.00"
    assert format_amount(Decimal("-0.5"), "CNY") == "-0.50 CNY"
    assert format_amount(Decimal("-0.00")) == "0.00"
    with pytest.raises(ValueError):
        format_amount(Decimal("0.125"))


def test_fen_exactness_checks() -> None:
    assert is_fen_exact(Decimal("1.10"))
    assert not is_fen_exact(Decimal("1.101"))
    assert require_fen_exact(Decimal("3")) == Decimal("3.00")


@pytest.mark.parametrize(
    ("amount", "used", "total", "expected"),
    [
        ("100.00", 15, 31, "48.39"),  # 48.387…
        ("100.00", 1, 3, "33.33"),
        ("100.00", 2, 3, "66.67"),
        ("0.01", 1, 2, "0.01"),  # exactly half a fen rounds up
        ("-0.01", 1, 2, "-0.01"),
        ("2900.00", 29, 29, "2900.00"),
        ("2900.00", 0, 29, "0.00"),
    ],
)
def test_prorate_rounds_once_with_the_money_rule(amount: str, used: int, total: int, expected: str) -> None:
    assert prorate(Decimal(amount), used, total) == Decimal(expected)


@given(
    fen=st.integers(min_value=-(10**12), max_value=10**12),
    numerator=st.integers(min_value=0, max_value=400),
    denominator=st.integers(min_value=1, max_value=400),
)
def test_prorate_is_half_up_on_the_exact_ratio(fen: int, numerator: int, denominator: int) -> None:
    exact = Fraction(fen, 100) * numerator / denominator
    # half up on the exact rational, away from zero for negatives
    scaled = abs(exact) * 100
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    expected = whole if exact >= 0 else -whole
    assert to_fen(prorate(from_fen(fen), numerator, denominator)) == expected
