"""Numbers and model results worded for the book, in Spanish with Mexican conventions.

Owns: the number formats every chapter uses in its prose (decimal point, comma for thousands,
a space before ``%``), and the wording of an incidence rate ratio (IRR) with its 95 % interval.
The wording follows the interval, never the point estimate alone: an IRR "se asocia con una tasa
mayor" only when the whole interval lies above 1, "menor" only when it lies below 1, and otherwise
"no se distingue de 1".

Layer 4. May import: nothing of ``analysis`` (pure functions on numbers).
"""

from __future__ import annotations

import math


def num(x: float, decimals: int = 0) -> str:
    """Mexican format: ``1,234.56`` (comma for thousands, decimal point)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        raise ValueError("cannot word a missing number (NaN/None); check the table it comes from.")
    return f"{x:,.{decimals}f}"


def pct(x: float, decimals: int = 1) -> str:
    """A percentage already on the 0–100 scale: ``7.49 %``."""
    return f"{num(x, decimals)} %"


def share_pct(part: float, whole: float, decimals: int = 1) -> str:
    """``part`` as a percentage of ``whole``: ``7.49 %``."""
    if not whole:
        raise ValueError(f"cannot compute a share of {part} over a total of {whole}.")
    return pct(100 * part / whole, decimals)


def interval(low: float, high: float, decimals: int = 2) -> str:
    """``IC 95 %: a a b``."""
    return f"IC 95 %: {num(low, decimals)} a {num(high, decimals)}"


def irr_side(low: float, high: float) -> str:
    """Where the 95 % interval lies with respect to 1: ``"above"``, ``"below"`` or ``"crosses"``."""
    if any(math.isnan(v) for v in (low, high)):
        raise ValueError("the interval has a missing limit; the model may not have converged.")
    if low > high:
        raise ValueError(f"interval limits in the wrong order: {low} > {high}.")
    if low > 1:
        return "above"
    if high < 1:
        return "below"
    return "crosses"


def ci_decimals(low: float, high: float, decimals: int = 2, most: int = 4) -> int:
    """Decimals enough that no limit of an interval that excludes 1 is printed as 1 (``1.00``).

    ``(1.002, 1.42)`` lies above 1 but reads "1.00 a 1.42" with two decimals; it gets three
    ("1.002 a 1.420"). An interval that crosses 1 keeps ``decimals`` unless a limit that is not 1
    would print as 1 ("0.998" is not "1.00").
    """
    d = decimals
    while d < most and any(v != 1 and round(v, d) == 1 for v in (low, high)):
        d += 1
    return d


def irr_phrase(irr: float, low: float, high: float, decimals: int | None = None) -> str:
    """An IRR worded by its interval (two decimals, more when a limit would print as 1: :func:`ci_decimals`).

    >>> irr_phrase(4.49, 2.55, 7.93)
    'se asocia con una tasa 4.49 veces mayor (IC 95 %: 2.55 a 7.93)'
    >>> irr_phrase(2.14, 0.94, 4.87)
    'no se distingue de 1 (razón estimada 2.14; IC 95 %: 0.94 a 4.87)'
    """
    side = irr_side(low, high)
    decimals = ci_decimals(low, high) if decimals is None else decimals
    ci = interval(low, high, decimals)
    if side == "above":
        return f"se asocia con una tasa {num(irr, decimals)} veces mayor ({ci})"
    if side == "below":
        return f"se asocia con una tasa menor, {num(irr, decimals)} veces la de referencia ({ci})"
    return f"no se distingue de 1 (razón estimada {num(irr, decimals)}; {ci})"


def irr_change(label: str, base: tuple[float, float, float], other: tuple[float, float, float],
               decimals: int | None = None) -> str:
    """What happens to one IRR between the main model and a re-estimate, worded by the intervals.

    ``base`` and ``other`` are (irr, low, high). The sentence says the new value and whether the
    conclusion (above 1, below 1, indistinguishable from 1) stays or changes.
    """
    b_side, o_side = irr_side(base[1], base[2]), irr_side(other[1], other[2])
    if decimals is None:
        decimals = max(ci_decimals(base[1], base[2]), ci_decimals(other[1], other[2]))
    ci = interval(other[1], other[2], decimals)
    of = f"del {label[3:]}" if label.startswith("el ") else f"de {label}"  # "de el índice" -> "del índice"
    moved = f"la razón {of} pasa de {num(base[0], decimals)} a {num(other[0], decimals)} ({ci})"
    if b_side == o_side:
        keeps = {"above": "y sigue por encima de 1", "below": "y sigue por debajo de 1",
                 "crosses": "y sigue sin distinguirse de 1"}[b_side]
        return f"{moved} {keeps}"
    now = {"above": "pasa a distinguirse de 1 (mayor)", "below": "pasa a distinguirse de 1 (menor)",
           "crosses": "ya no se distingue de 1"}[o_side]
    return f"{moved}: {now}"
