"""How numbers are shown, and what a shown number promises.

The one display rule of the project (generator and checker alike):

* A value whose exact decimal expansion has at most ``SIGNIFICANT`` significant digits is shown
  exactly, trailing zeros trimmed (``0.3``, ``21.675``, ``15.6601875``); an equality to it is
  written ``=``.
* Any other value is rounded once, half away from zero, to ``SIGNIFICANT`` significant digits and
  trimmed; an equality to it is written ``\\approx``.
* A shown decimal with ``k`` digits after the point promises the true value lies within half a unit
  of its last digit: ``0.772`` stands for anything in ``[0.7715, 0.7725]``.

Values are kept as :class:`fractions.Fraction` so that the arithmetic on the page is exact; the
binary floats of NumPy never reach the page unrounded.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

SIGNIFICANT = 10


def to_fraction(value: int | float | str | Fraction | Decimal) -> Fraction:
    """Exact value of a number; floats are read through their shortest repr (``0.1`` is 1/10)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def _decimal(value: Fraction, digits: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = digits + 30
        return Decimal(value.numerator) / Decimal(value.denominator)


def rounded(value: Fraction, significant: int = SIGNIFICANT) -> Fraction:
    """``value`` rounded half away from zero to ``significant`` significant digits."""
    if value == 0:
        return Fraction(0)
    d = _decimal(value, significant)
    exponent = d.adjusted() - significant + 1
    q = d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    return Fraction(q)


def rounded_places(value: Fraction, places: int) -> Fraction:
    """``value`` rounded half away from zero to ``places`` digits after the point."""
    digits = max(places, 0) + abs(_magnitude(value)) + 2
    with localcontext() as ctx:
        ctx.prec = digits + 30
        d = Decimal(value.numerator) / Decimal(value.denominator)
        return Fraction(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _magnitude(value: Fraction) -> int:
    if value == 0:
        return 0
    return _decimal(abs(value), 20).adjusted()


def is_shown_exactly(value: Fraction, significant: int = SIGNIFICANT) -> bool:
    """True when the display rule can show ``value`` with no rounding."""
    return rounded(value, significant) == value


def show(value: Fraction | int, significant: int = SIGNIFICANT) -> str:
    """The decimal text of ``value`` under the display rule (``-25.5``, ``0.555``, ``9.6120...``)."""
    value = Fraction(value)
    r = rounded(value, significant)
    if r == 0:
        return "0"
    with localcontext() as ctx:
        ctx.prec = significant + 40
        d = Decimal(r.numerator) / Decimal(r.denominator)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def show_places(value: Fraction | float, places: int) -> str:
    """Fixed-point text with ``places`` decimals, rounded half away from zero (``9.612``)."""
    value = to_fraction(value)
    r = rounded_places(value, places)
    with localcontext() as ctx:
        ctx.prec = 60 + max(_magnitude(r), 0)
        d = (Decimal(r.numerator) / Decimal(r.denominator)).quantize(Decimal(1).scaleb(-places))
    text = format(d, "f")
    return "0" + text[2:] if text.startswith("-0") and Fraction(text) == 0 else text


def places_of(text: str) -> int:
    """Digits after the decimal point in a shown number (``"0.772"`` → 3, ``"30"`` → 0)."""
    mantissa = text.lower().split("e")[0]
    return len(mantissa.split(".", 1)[1]) if "." in mantissa else 0


def tolerance_of(text: str) -> Fraction:
    """Half a unit in the last shown digit: how far the true value may be from ``text``."""
    return Fraction(1, 2 * 10 ** places_of(text))


def show_prose(value: float | Fraction) -> str:
    """A number in a sentence or a table: the display rule, or 4 significant digits in e-notation
    when the decimal would be unreadably long (below 10⁻⁴ or from 10⁶ on)."""
    v = float(value)
    if v == 0 or 1e-4 <= abs(v) < 1e6:
        return show(to_fraction(value))
    return f"{v:.4g}"
