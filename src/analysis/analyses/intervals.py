"""95 % intervals for the rates the book reports: proportions (Wilson) and any statistic (bootstrap).

Owns: :func:`wilson` (a proportion such as accuracy, recall or precision: ``k`` successes of ``n``),
:func:`bootstrap` (a percentile interval for any statistic of resampled units, seeded), and
:func:`interval_text` (the interval worded in Spanish, as the chapters print it).

Wilson's score interval is used for proportions because it keeps its coverage for small ``n`` and
for proportions near 0 or 1, where the normal (Wald) interval does not (Brown, Cai and DasGupta,
2001); it never leaves [0, 1]. For statistics without a closed-form interval (Cohen's κ,
Krippendorff's α, a difference of rates) the percentile bootstrap resamples the units (documents,
segments, municipalities) with replacement; the seed is an argument, so the interval is reproducible.

Layer 4. May import: nothing of ``analysis`` (pure functions on numbers and arrays).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

#: Confidence level of every interval in the book.
LEVEL = 0.95
#: Bootstrap replications by default (enough for stable 2.5 % and 97.5 % percentiles).
N_BOOT = 2000
#: Seed of the bootstrap by default.
SEED = 20240501


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval and the method that gave it."""

    estimate: float
    low: float
    high: float
    method: str
    n: int

    def as_dict(self, prefix: str = "") -> dict[str, float | str | int]:
        """``{prefix}estimate, {prefix}ci_low, {prefix}ci_high, {prefix}ci_method, {prefix}n`` for a table row."""
        return {f"{prefix}estimate": self.estimate, f"{prefix}ci_low": self.low, f"{prefix}ci_high": self.high,
                f"{prefix}ci_method": self.method, f"{prefix}n": self.n}


def wilson(k: int, n: int, level: float = LEVEL) -> Interval:
    """Wilson score interval of the proportion ``k / n``.

    >>> i = wilson(8, 10); (round(i.estimate, 2), round(i.low, 3), round(i.high, 3))
    (0.8, 0.49, 0.943)
    """
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n:
        raise ValueError(f"Wilson interval needs whole counts; got k={k!r}, n={n!r}.")
    k, n = int(k), int(n)
    if n <= 0:
        raise ValueError(f"Wilson interval of {k} over n={n}: there is nothing to estimate (n must be positive).")
    if not 0 <= k <= n:
        raise ValueError(f"Wilson interval: k={k} must lie between 0 and n={n}.")
    if not 0 < level < 1:
        raise ValueError(f"confidence level {level} must lie strictly between 0 and 1.")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), "wilson", n)


def bootstrap(units: Sequence[Any] | np.ndarray, statistic: Callable[[np.ndarray], float], *,
              n_boot: int = N_BOOT, seed: int = SEED, level: float = LEVEL) -> Interval:
    """Percentile bootstrap interval of ``statistic`` over ``units`` resampled with replacement.

    ``units`` is an array whose first axis is the resampling unit (rows of a 2-D array: e.g. one row
    per segment with the two coders' labels); ``statistic`` takes such an array and returns a float.
    Replicates where the statistic is undefined (NaN, e.g. κ of a resample with one category) are
    left out and counted; if more than half are undefined the interval is refused.
    """
    data = np.asarray(units)
    n = len(data)
    if n < 2:
        raise ValueError(f"bootstrap interval needs at least 2 units; got {n}.")
    if n_boot < 100:
        raise ValueError(f"bootstrap interval needs at least 100 replications; got {n_boot}.")
    if not 0 < level < 1:
        raise ValueError(f"confidence level {level} must lie strictly between 0 and 1.")
    estimate = float(statistic(data))
    rng = np.random.default_rng(seed)
    reps = np.array([statistic(data[rng.integers(0, n, n)]) for _ in range(n_boot)], dtype=float)
    valid = reps[np.isfinite(reps)]
    if len(valid) < n_boot / 2:
        raise ValueError(f"the statistic is undefined in {n_boot - len(valid)} of {n_boot} bootstrap resamples; "
                         "the sample is too small or too uniform for an interval.")
    alpha = (1 - level) / 2
    low, high = np.quantile(valid, [alpha, 1 - alpha])
    return Interval(estimate, float(low), float(high), f"bootstrap percentil ({n_boot} réplicas, semilla {seed})", n)


def interval_text(iv: Interval, decimals: int = 2, percent: bool = False) -> str:
    """``"0.80 (IC 95 %: 0.49 a 0.94)"``, or on the 0–100 scale with ``percent=True``: ``"80.0 % (IC 95 %: 49.0 a 94.3 %)"``."""
    if any(math.isnan(v) for v in (iv.estimate, iv.low, iv.high)):
        raise ValueError("cannot word an interval with a missing value.")
    if percent:
        f = 100.0
        return (f"{f * iv.estimate:,.{decimals}f} % (IC 95 %: {f * iv.low:,.{decimals}f} a "
                f"{f * iv.high:,.{decimals}f} %)")
    return f"{iv.estimate:,.{decimals}f} (IC 95 %: {iv.low:,.{decimals}f} a {iv.high:,.{decimals}f})"


def wilson_columns(df: pd.DataFrame, rate: str, n: str, suffix: str = "") -> pd.DataFrame:
    """``df`` with ``{rate}_low{suffix}`` and ``{rate}_high{suffix}``: the Wilson interval of each row's
    proportion ``rate`` (0–1) over ``n`` units. The count of successes is ``round(rate * n)``; a rate
    that is not a whole number of successes over ``n`` (more than 0.5 units off) is refused."""
    out = df.copy()
    lows, highs = [], []
    for r, m in zip(out[rate].astype(float), out[n], strict=True):
        if pd.isna(r) or pd.isna(m) or int(m) == 0:
            lows.append(float("nan"))
            highs.append(float("nan"))
            continue
        k = r * int(m)
        if abs(k - round(k)) > 0.5 + 1e-9 or not 0 <= r <= 1:
            raise ValueError(f"{rate}={r} is not a proportion of whole units over {n}={m}.")
        iv = wilson(round(k), int(m))
        lows.append(iv.low)
        highs.append(iv.high)
    out[f"{rate}_low{suffix}"] = lows
    out[f"{rate}_high{suffix}"] = highs
    return out


def ci_cell(estimate: float, low: float, high: float, decimals: int = 2) -> str:
    """A table cell "0.80 (0.49 a 0.94)"; "—" when the interval is missing."""
    if any(pd.isna(v) for v in (estimate, low, high)):
        return "—"
    return f"{estimate:,.{decimals}f} ({low:,.{decimals}f} a {high:,.{decimals}f})"


def precision_recall_intervals(per_goal: pd.DataFrame) -> pd.DataFrame:
    """Wilson intervals of per-class ``precision`` and ``recall`` given ``support`` (true members).

    Recall is tp / support; precision is tp / predicted, with tp = recall * support and predicted =
    tp / precision (when precision is 0 with tp = 0 the predicted count is unknown: no interval).
    Adds tp, predicted and the ``_low``/``_high`` columns of both rates.
    """
    out = per_goal.copy()
    tp = (out.recall.astype(float) * out.support.astype(float)).round()
    out["tp"] = tp.astype("Int64")
    predicted = (tp / out.precision.astype(float).where(out.precision > 0)).round()
    out["predicted"] = predicted.astype("Int64")
    out = wilson_columns(out, "recall", "support")
    return wilson_columns(out, "precision", "predicted")
