"""One rounding rule for every figure a person reads: the screen, the workbook, the paragraph and the JSON.

Rule: a rate is kept to three decimals (a percentage to one decimal) and a score to one decimal, rounded half up
(ROUND_HALF_UP on exact Decimal arithmetic, never binary float rounding): 311/476 = 65.336…% → 65.3%,
an average of 65.55 → 65.6. Where there is no figure (nobody finished, nobody eligible) the value is None and is
shown as "—" (or left out of a sentence).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DASH = "—"


def rate(part: int, whole: int) -> float | None:
    """part / whole to three decimals, half up; None when whole is 0."""
    if not whole:
        return None
    return float((Decimal(int(part)) / Decimal(int(whole))).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def rate_of(x: float | None) -> float | None:
    """A ratio already computed as a float (an accuracy, an index), to the same three decimals, half up."""
    if x is None:
        return None
    return float(Decimal(repr(float(x))).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def one_decimal(x: float | Decimal | None) -> float | None:
    """A score or an hour count to one decimal, half up (65.55 → 65.6)."""
    if x is None:
        return None
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x)))
    return float(d.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def mean(total: float | None, n: int) -> float | None:
    """total / n to one decimal, half up (total as the database summed it)."""
    if not n or total is None:
        return None
    return one_decimal(Decimal(repr(float(total))) / Decimal(int(n)))


def pct_text(x: float | None) -> str:
    """0.653 → "65.3%"; None → "—"."""
    if x is None:
        return DASH
    return f"{(Decimal(repr(float(x))) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def score_text(x: float | None) -> str:
    """65.6 → "65.6"; None → "—"."""
    if x is None:
        return DASH
    return f"{Decimal(repr(float(x))).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"


ROUNDING_NOTE = "比率保留到 0.1%，分数保留一位小数，均四舍五入。"
