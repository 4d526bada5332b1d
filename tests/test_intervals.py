"""Wilson and bootstrap intervals: coverage-shaped properties and refusals that name the problem."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.analyses import intervals as iv


def test_wilson_known_values() -> None:
    # Brown, Cai & DasGupta (2001) style check: 8 of 10 gives 0.490 to 0.943
    i = iv.wilson(8, 10)
    assert (round(i.low, 3), round(i.high, 3)) == (0.49, 0.943)
    assert i.method == "wilson"
    assert i.n == 10


@pytest.mark.parametrize(("k", "n"), [(0, 5), (5, 5), (1, 1000), (37, 120)])
def test_wilson_stays_in_unit_interval_and_contains_estimate(k: int, n: int) -> None:
    i = iv.wilson(k, n)
    assert 0 <= i.low <= i.estimate <= i.high <= 1
    assert i.high - i.low > 0


def test_wilson_narrows_with_n() -> None:
    assert (iv.wilson(50, 100).high - iv.wilson(50, 100).low) < (iv.wilson(5, 10).high - iv.wilson(5, 10).low)


@pytest.mark.parametrize(("k", "n", "msg"), [(1, 0, "n must be positive"), (6, 5, "between 0 and n"),
                                             (1.5, 5, "whole counts")])
def test_wilson_refuses_bad_counts(k: float, n: int, msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        iv.wilson(k, n)  # type: ignore[arg-type]


def test_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    x = np.random.default_rng(1).normal(10, 2, 200)
    a = iv.bootstrap(x, np.mean, seed=3)
    b = iv.bootstrap(x, np.mean, seed=3)
    assert a == b
    assert a.low < a.estimate < a.high
    # the percentile interval of a mean is close to the normal one (2 * 1.96 * sd / sqrt(n) wide)
    assert abs((a.high - a.low) - 2 * 1.96 * x.std(ddof=1) / np.sqrt(200)) < 0.1


def test_bootstrap_refuses_a_statistic_undefined_in_most_resamples() -> None:
    x = np.array([0] * 99 + [1])  # a resample has fewer than two 1s about 74 % of the time
    with pytest.raises(ValueError, match="undefined"):
        iv.bootstrap(x, lambda d: float("nan") if d.sum() < 2 else 1.0, n_boot=200)
    with pytest.raises(ValueError, match="at least 2 units"):
        iv.bootstrap(np.array([1.0]), np.mean)


def test_interval_text() -> None:
    i = iv.wilson(8, 10)
    assert iv.interval_text(i) == "0.80 (IC 95 %: 0.49 a 0.94)"
    assert iv.interval_text(i, 1, percent=True) == "80.0 % (IC 95 %: 49.0 a 94.3 %)"


def test_wilson_columns_add_an_interval_per_row() -> None:
    import pandas as pd

    df = pd.DataFrame({"acc": [0.8, 0.5, float("nan")], "n": [10, 4, 3]})
    out = iv.wilson_columns(df, "acc", "n")
    assert round(out.acc_low[0], 3) == 0.49
    assert out.acc_low[1] < 0.5 < out.acc_high[1]
    assert pd.isna(out.acc_low[2])
    with pytest.raises(ValueError, match="proportion"):
        iv.wilson_columns(pd.DataFrame({"acc": [1.5], "n": [4]}), "acc", "n")
