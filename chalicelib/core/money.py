"""Money: ``Decimal`` in code, integer fen in storage, one rounding rule.

The rounding rule is **ROUND_HALF_UP to the fen (0.01)**, applied by :func:`round_fen` and by
:func:`prorate`, and nowhere else. Every amount that leaves a rule is already exact to the fen, so
storing it as integer fen with :func:`to_fen` never rounds a second time. Floats are refused at every
entry point: a float cannot hold 0.10 exactly, and the licensor's revenue must not drift.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "FEN",
    "ZERO",
    "format_amount",
    "from_fen",
    "is_fen_exact",
    "parse_amount",
    "prorate",
    "require_fen_exact",
    "round_fen",
    "to_fen",
]

FEN = Decimal("0.01")
ZERO = Decimal("0.00")

_AMOUNT_TEXT = re.compile(r"^(?P<sign>-)?(?P<units>\d+)(?:\.(?P<fraction>\d+))?$")


def _require_decimal(amount: object, what: str = "amount") -> Decimal:
    if isinstance(amount, float):
        raise ValueError(f"{what} must be a Decimal, not the float {amount!r}")
    if not isinstance(amount, Decimal):
        raise ValueError(f"{what} must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"{what} must be a finite number, not {amount}")
    return amount


def round_fen(amount: Decimal) -> Decimal:
    """Round to the fen with ROUND_HALF_UP (0.005 → 0.01, -0.005 → -0.01): the one money rule."""
    return _require_decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)


def is_fen_exact(amount: Decimal) -> bool:
    """True when the amount has no part smaller than one fen."""
    return _require_decimal(amount) == amount.quantize(FEN, rounding=ROUND_HALF_UP)


def require_fen_exact(amount: Decimal, what: str = "amount") -> Decimal:
    """Return the amount with two decimal places, or refuse it if it holds a fraction of a fen.

    Used where an amount enters a rule or storage: rounding happens in rules, never by accident here.
    """
    _require_decimal(amount, what)
    if not is_fen_exact(amount):
        raise ValueError(f"{what} {amount} has a fraction of a fen; round it with the money rule first")
    return amount.quantize(FEN)


def require_non_negative(amount: Decimal, what: str) -> Decimal:
    """``amount`` if it is exact to the fen and not negative, else ValueError naming ``what``."""
    require_fen_exact(amount, what)
    if amount < 0:
        raise ValueError(f"{what} cannot be negative, not {amount}")
    return amount


def require_rate(rate: Decimal, what: str) -> Decimal:
    """A rate (a late fee per day, a tax rate): a finite, non-negative Decimal, never a float."""
    if isinstance(rate, float) or not isinstance(rate, Decimal) or not rate.is_finite():
        raise ValueError(f"{what} must be a finite Decimal such as Decimal('0.0005'), not {rate!r}")
    if rate < 0:
        raise ValueError(f"{what} cannot be negative, not {rate}")
    return rate


def prorate(amount: Decimal, numerator: int, denominator: int) -> Decimal:
    """``amount * numerator / denominator`` rounded once with the money rule, computed exactly.

    Integer arithmetic on fen, so no intermediate Decimal division can round before the rule does.
    """
    require_fen_exact(amount)
    if isinstance(numerator, bool) or isinstance(denominator, bool):
        raise ValueError("numerator and denominator must be whole numbers")
    if denominator <= 0:
        raise ValueError(f"cannot prorate over {denominator} parts")
    if numerator < 0:
        raise ValueError(f"cannot prorate {numerator} parts")
    fen = to_fen(amount)
    quotient, remainder = divmod(abs(fen) * numerator, denominator)
    if 2 * remainder >= denominator:  # half up, away from zero like Decimal's ROUND_HALF_UP
        quotient += 1
    return from_fen(quotient if fen >= 0 else -quotient)


def to_fen(amount: Decimal) -> int:
    """Integer fen for storage. Refuses amounts that are not exact to the fen rather than rounding them."""
    return int(require_fen_exact(amount).scaleb(2))


def from_fen(fen: int) -> Decimal:
    """Decimal yuan from stored integer fen (``1234`` → ``Decimal('12.34')``)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValueError(f"fen must be a whole number, not {fen!r}")
    return Decimal(fen).scaleb(-2).quantize(FEN)


def parse_amount(text: str, *, allow_negative: bool = False) -> Decimal:
    """Parse an amount typed by a person or read from an API, such as ``"1200"`` or ``"99.50"``.

    Refuses floats, NaN, infinities, exponents, more than two decimals and, unless allowed, negatives,
    each with a message a person can act on.
    """
    if isinstance(text, float):
        raise ValueError(f"amount must be given as text such as '12.30', not the float {text!r}")
    if not isinstance(text, str):
        raise ValueError(f"amount must be given as text such as '12.30', not {type(text).__name__}")
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("amount is empty")
    try:
        as_decimal = Decimal(cleaned)
    except InvalidOperation:
        as_decimal = None
    if as_decimal is not None and not as_decimal.is_finite():
        raise ValueError(f"amount must be a finite number, not {cleaned!r}")
    match = _AMOUNT_TEXT.match(cleaned)
    if match is None:
        raise ValueError(f"amount {cleaned!r} is not a plain number such as '12.30'")
    if match["fraction"] is not None and len(match["fraction"]) > 2:
        raise ValueError(f"amount {cleaned!r} has more than two decimals; the smallest unit is one fen")
    amount = Decimal(cleaned).quantize(FEN)
    if amount < 0 and not allow_negative:
        raise ValueError(f"amount {cleaned!r} must not be negative")
    return amount


def format_amount(amount: Decimal, currency: str | None = None) -> str:
    """Two decimals, no grouping (``Decimal('1200')`` → ``'1200.00'``; with currency ``'1200.00 CNY'``)."""
    text = str(require_fen_exact(amount))
    if text == "-0.00":
        text = "0.00"
    return f"{text} {currency}" if currency else text
